package flow_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The effects of subject (bound to a registered kind of record), ref,
// await and returns (testdata/guide-records.yaml and guide-study.yaml), in
// TestDefinitionsGuide_EveryKeyHasItsEffect. The record kind is a
// department: a real row in a real table.
func init() {
	guideWalks = append(guideWalks, guideWalk{setup: setupRecords, walk: walkRecords})
}

var recordLives []flow.LifePoint

func setupRecords(reg *flow.Registry) {
	recordLives = nil
	reg.RegisterSubject("test.dept") // its behaviour is registered by walkRecords, which has the database
}

func walkRecords(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	db := v.db
	dept := func(id int64) (domain.Department, error) { return store.GetDepartment(ctx, db.R(), id) }
	v.reg.RegisterSubjectKind(flow.SubjectKind{
		Name:  "test.dept",
		Title: flow.Text{ZH: "部门", EN: "Department"},
		Content: func(ctx context.Context, id int64) ([]byte, error) {
			d, err := dept(id)
			if err != nil {
				return nil, err
			}
			return json.Marshal(map[string]any{"code": d.Code, "name": d.NameZH})
		},
		Describe: func(ctx context.Context, id int64) (string, string, error) {
			d, err := dept(id)
			return d.NameZH, "/departments/" + strconv.FormatInt(id, 10), err
		},
		Visible: func(context.Context, domain.Actor, int64) (bool, error) { return true, nil },
		On: func(ctx context.Context, ev flow.LifeEvent) error {
			recordLives = append(recordLives, ev.Point)
			return ev.Tx.(*store.Tx).Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: ev.Actor.Name, Action: "test.subject_" + string(ev.Point),
				Entity: "department", EntityID: strconv.FormatInt(ev.SubjectID, 10)})
		},
	})
	study, err := v.e.Start(ctx, v.actor(alice), "guide-study", map[string]any{}, "")
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := v.e.Start(ctx, v.actor(erin), "guide-study", map[string]any{}, "")
	if err != nil {
		t.Fatal(err)
	}

	// subject: a definition that governs a kind of record is started bound to one.
	_, err = v.e.Start(ctx, v.actor(alice), "guide-records", map[string]any{"study": study.ID}, "")
	check(errKey(err) == "flow.subject_required", "a governed definition needs its record", "subject")
	create := func(ctx context.Context, tx any) (int64, error) {
		d, err := tx.(*store.Tx).InsertDepartment(domain.Department{Code: "plan-1", NameZH: "计划一", NameEN: "Plan one", Active: true})
		return d.ID, err
	}
	// ref: only a request of the named definition that the initiator may see.
	_, err = v.e.StartWith(ctx, v.actor(alice), "guide-records", flow.StartInput{Form: map[string]any{"study": hidden.ID},
		Subject: &flow.SubjectRef{Kind: "test.dept", Create: create}})
	check(fkey(err, "study") == "flow.field.bad_reference", "a reference to a request one may not see", "ref", "type")
	choices, err := v.e.Choices(ctx, v.actor(alice), "instance:guide-study", "", 50)
	offered := map[int64]bool{}
	for _, c := range choices {
		offered[c.ID] = true
	}
	check(err == nil && offered[study.ID] && !offered[hidden.ID], "the choice offered is filtered", "ref")
	if _, err := dept(0); err == nil {
		t.Fatal("no department 0")
	}
	in, err := v.e.StartWith(ctx, v.actor(alice), "guide-records", flow.StartInput{Form: map[string]any{"study": study.ID},
		Subject: &flow.SubjectRef{Kind: "test.dept", Create: create}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dept(in.SubjectID)
	check(err == nil && d.Code == "plan-1" && in.SubjectKind == "test.dept" && slices.Equal(recordLives, []flow.LifePoint{flow.LifeStarted}),
		"the record is created with its approval, in one transaction", "subject")
	iv := v.view(alice, in.ID)
	check(iv.Subject != nil && iv.Subject.Label == "计划一", "the instance shows its record", "subject")
	bound, err := v.e.Bound(ctx, v.actor(alice), "test.dept", in.SubjectID)
	check(err == nil && len(bound) == 1 && bound[0].ID == in.ID, "the record lists its processes", "subject")

	// The GM's signature covers the record; changing the record invalidates it (R9).
	v.must(gina, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
	sigValid := func() (bool, []string) {
		iv := v.view(alice, in.ID)
		return iv.Signatures[0].Valid, iv.Signatures[0].Changed
	}
	ok, _ := sigValid()
	check(ok, "the signature holds while the record is unchanged", "subject")
	d.NameZH = "计划一（改）"
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpdateDepartment(d); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: dave, ActorName: "dave", Action: "department.update", Entity: "department", EntityID: strconv.FormatInt(d.ID, 10)})
	}); err != nil {
		t.Fatal(err)
	}
	ok, changed := sigValid()
	check(!ok && slices.Equal(changed, []string{"record"}), "changing the record invalidates the signature", "subject")

	// await: the request waits for the study to end.
	check(v.status(in.ID) == flow.StatusRunning && openSteps(v.view(alice, in.ID))["wait"] == false, "waits", "await", "kind")
	v.must(alice, study.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"conclusion": "stable"}})
	// returns: the sub-process (started when the wait ended) hands its conclusion back.
	kids := v.view(alice, in.ID).Children
	check(len(kids) == 1, "the study's end moved the request on", "await")
	v.must(alice, kids[0].ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"conclusion": "stable for 24 months"}})
	out := v.view(alice, in.ID).Instance
	check(out.Status == flow.StatusApproved && out.Form["result"] == "stable for 24 months", "values handed back", "returns")
	check(slices.Contains(recordLives, flow.LifeStepDone) && slices.Contains(recordLives, flow.LifeApproved) &&
		recordLives[len(recordLives)-1] == flow.LifeEnded, "the record follows its approval", "subject")
	evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "test.subject_approved"})
	check(len(evs) == 1, "life points run in the transaction of the change", "subject")
}
