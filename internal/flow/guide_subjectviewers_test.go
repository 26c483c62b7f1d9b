package flow_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The effect of subject_viewers (testdata/guide-subject-viewers.yaml), in
// TestDefinitionsGuide_EveryKeyHasItsEffect: whoever may see the record a
// request is bound to sees the request, on its page (CanView) and in lists
// (the store's SQL), and stops seeing it when they may no longer see the
// record. The record kind is a laboratory, a real department row, seen by
// who holds a role in it while it is active.
func init() {
	guideWalks = append(guideWalks, guideWalk{setup: setupSubjectViewers, walk: walkSubjectViewers})
}

// labKind is the laboratory kind of record over db (nil: names only, for
// lint, seeing nothing).
func labKind(db *store.DB) flow.SubjectKind {
	depts := func(a domain.Actor) []int64 {
		var out []int64
		for _, g := range a.Grants {
			if g.DepartmentID != 0 {
				out = append(out, g.DepartmentID)
			}
		}
		return out
	}
	return flow.SubjectKind{
		Name:  "test.lab",
		Title: flow.Text{ZH: "实验室", EN: "Laboratory"},
		Visible: func(ctx context.Context, a domain.Actor, id int64) (bool, error) {
			if db == nil {
				return false, nil
			}
			d, err := store.GetDepartment(ctx, db.R(), id)
			if err != nil {
				return false, nil
			}
			return d.Active && slices.Contains(depts(a), id), nil
		},
		VisibleWhere: func(a domain.Actor, id string, arg func(any) string) string {
			ds := depts(a)
			if db == nil || len(ds) == 0 {
				return "1 = 0"
			}
			in := make([]string, len(ds))
			for i, d := range ds {
				in[i] = arg(d)
			}
			return "EXISTS (SELECT 1 FROM department d WHERE d.id = " + id + " AND d.active = 1 AND d.id IN (" + strings.Join(in, ", ") + "))"
		},
	}
}

func setupSubjectViewers(reg *flow.Registry) { reg.RegisterSubjectKind(labKind(nil)) }

func walkSubjectViewers(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	db := v.db
	v.reg.RegisterSubjectKind(labKind(db))

	// Lint: only a definition bound to a kind of record that says who may
	// see it, in Go and in SQL.
	reg := flow.NewRegistry()
	reg.RegisterSubject("test.blind")
	for _, src := range []string{
		"key: sv-form\ntitle: {zh: 表, en: Form}\nsubject: form\nsubject_viewers: true\nsteps: [{id: a, title: {zh: 甲, en: A}, assignee: {role: gm}}]\n",
		"key: sv-blind\ntitle: {zh: 表, en: Form}\nsubject: test.blind\nsubject_viewers: true\nsteps: [{id: a, title: {zh: 甲, en: A}, assignee: {role: gm}}]\n",
	} {
		_, err := flow.Parse("sv.yaml", []byte(src), reg)
		check(err != nil && strings.Contains(err.Error(), "subject_viewers"), "lint refuses subject_viewers without a visible record", "subject_viewers")
	}

	var lab domain.Department
	in, err := v.e.StartWith(ctx, v.actor(alice), "guide-subject-viewers", flow.StartInput{Form: map[string]any{"note": "n"},
		Subject: &flow.SubjectRef{Kind: "test.lab", Create: func(ctx context.Context, tx any) (int64, error) {
			d, err := tx.(*store.Tx).InsertDepartment(domain.Department{Code: "lab-1", NameZH: "实验室一", NameEN: "Lab one", Active: true})
			lab = d
			return d.ID, err
		}}})
	if err != nil {
		t.Fatal(err)
	}
	// ria works in the laboratory; ron elsewhere. Neither is otherwise
	// related to the request.
	const ria, ron = int64(21), int64(22)
	v.dir.people[ria] = person(ria, "ria", lab.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: lab.ID})
	v.dir.people[ron] = person(ron, "ron", 20, domain.Grant{Role: domain.RoleResearcher, DepartmentID: 20})
	listed := func(who int64) bool {
		list, _, err := v.e.Visible(ctx, v.actor(who), flow.VisibleFilter{Definition: "guide-subject-viewers"})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(list, func(x *flow.Instance) bool { return x.ID == in.ID })
	}
	bound := func(who int64) bool {
		list, err := v.e.Bound(ctx, v.actor(who), "test.lab", lab.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(list) == 1 && list[0].ID == in.ID
	}
	check(v.viewOK(ria, in.ID) && listed(ria) && bound(ria), "who sees the record sees the request, page and lists", "subject_viewers")
	check(!v.viewOK(ron, in.ID) && !listed(ron) && !bound(ron), "who does not see the record does not", "subject_viewers")
	// The page and the lists agree for everyone.
	for id := range v.dir.people {
		check(v.viewOK(id, in.ID) == listed(id), "CanView and the lists agree for "+strconv.FormatInt(id, 10), "subject_viewers")
	}
	// The laboratory closes: ria no longer sees its record, nor its request.
	lab.Active = false
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpdateDepartment(lab); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: dave, ActorName: "dave", Action: "department.update", Entity: "department", EntityID: strconv.FormatInt(lab.ID, 10)})
	}); err != nil {
		t.Fatal(err)
	}
	check(!v.viewOK(ria, in.ID) && !listed(ria) && !bound(ria), "no longer seeing the record, no longer seeing the request", "subject_viewers")
	for id := range v.dir.people {
		check(v.viewOK(id, in.ID) == listed(id), "CanView and the lists agree after the change", "subject_viewers")
	}
}
