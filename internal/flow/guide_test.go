package flow_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// yamlKeys lists the keys a definition may use: the yaml tags of the
// definition's types, reached from Definition.
func yamlKeys() []string {
	seen := map[reflect.Type]bool{}
	keys := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			keys[name] = true
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(flow.Definition{}))
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The departments the test directory knows by code.
func (d *dir) DepartmentByCode(_ context.Context, code string) (domain.Department, error) {
	switch code {
	case "d10":
		return domain.Department{ID: 10, Code: code}, nil
	case "d20":
		return domain.Department{ID: 20, Code: code}, nil
	}
	return domain.Department{}, domain.NotFound("dir", "entity.department")
}

// Ensure every key the definitions guide documents does what it says at
// run time, and lint and the engine agree on it (issue 7 item 6): the
// keys a definition may use are exactly those of the definition's types;
// each is documented in docs/DEFINITIONS.md; testdata/guide-every-key.yaml
// uses every one, lint (Parse) accepts it, and a walk through it checks
// each key's effect. A key added to the types without documentation or
// without an effect checked here fails this test.
func TestDefinitionsGuide_EveryKeyHasItsEffect(t *testing.T) {
	guide, err := os.ReadFile("../../docs/DEFINITIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, span := range regexp.MustCompile("`[^`\n]+`").FindAllString(string(guide), -1) {
		for _, w := range regexp.MustCompile(`[a-z_]+`).FindAllString(span, -1) {
			documented[w] = true
		}
	}
	keys := yamlKeys()
	for _, k := range keys {
		if !documented[k] {
			t.Errorf("key %q is not documented in docs/DEFINITIONS.md", k)
		}
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		checked := map[string]bool{}
		check := func(ok bool, format string, keys ...string) {
			t.Helper()
			if !ok {
				t.Fatalf("effect of %v: %s", keys, format)
			}
			for _, k := range keys {
				checked[k] = true
			}
		}
		reg := flow.NewRegistry()
		reg.AddCommittees("tender") // a committee kept as data (org_test.go)
		reg.RegisterGuard("test.small", func(_ context.Context, g flow.GuardInput) error {
			if n, ok := flow.FormDecimal(g.Form["amount"]); ok && n.Cmp(big.NewRat(500, 1)) > 0 {
				return domain.E(domain.KindInvalid, "test", "test.too_much")
			}
			return nil
		})
		stepGuarded := false
		reg.RegisterGuard("test.step_ok", func(_ context.Context, g flow.GuardInput) error {
			stepGuarded = g.StepID == "review"
			return nil
		})
		reg.RegisterEffect("test.record", func(_ context.Context, e flow.EffectInput) error {
			return e.Tx.(*store.Tx).Audit(audit.Entry{ActorID: e.Actor.ID, ActorName: e.Actor.Name, Action: "test.effect", Entity: "instance",
				EntityID: itoa(e.InstanceID), Changes: []audit.Change{{Field: "step", New: e.StepID}}})
		})
		for _, w := range guideWalks {
			if w.setup != nil {
				w.setup(reg)
			}
		}
		files, err := filepath.Glob("testdata/guide-*.yaml")
		if err != nil || len(files) < 2 {
			t.Fatalf("guide definitions: %v %v", files, err)
		}
		var defs []*flow.Definition
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := flow.Parse(f, src, reg)
			if err != nil {
				t.Fatalf("lint of %s: %v", f, err)
			}
			defs = append(defs, d)
		}
		v := newEnvReg(t, db, reg, defs...)
		d, _ := v.e.Definition("guide-all")
		check(d.Title.ZH == "全部的键" && d.Title.EN == "Every key" && d.Description.EN != "" && slices.Equal(d.Rules, []string{"REL-9"}) &&
			d.Subject == "form", "identity", "key", "title", "description", "rules", "subject", "zh", "en")

		// The form: each field's validation, as documented.
		good := func() map[string]any {
			return map[string]any{"title": "Buy a balance", "budget": "100", "kind": "a", "amount": "50", "dept": int64(20),
				"approver": gina, "lines": []any{map[string]any{"q": "2", "p": "3.50"}}, "customer": "Kunde", "email": "kunde@example.com"}
		}
		startErr := func(change map[string]any) error {
			f := good()
			for k, x := range change {
				if x == nil {
					delete(f, k)
				} else {
					f[k] = x
				}
			}
			_, err := v.e.Start(ctx, v.actor(alice), "guide-all", f, "")
			return err
		}
		field := func(err error) string {
			var de *domain.Error
			if !errors.As(err, &de) {
				return ""
			}
			for k, m := range de.Fields {
				return k + "=" + m.Key
			}
			return de.Key
		}
		check(field(startErr(map[string]any{"title": strings.Repeat("x", 41)})) == "title=field.too_long", "max_len", "max_len")
		check(field(startErr(map[string]any{"title": "bad!"})) == "title=flow.field.pattern", "pattern", "pattern")
		check(field(startErr(map[string]any{"budget": nil})) == "budget=field.required", "required field", "required", "form", "label", "type")
		check(field(startErr(map[string]any{"amount": "2000"})) == "amount=flow.field.above_max", "max", "max")
		check(field(startErr(map[string]any{"amount": "-1"})) == "amount=flow.field.below_min", "min", "min")
		check(field(startErr(map[string]any{"kind": "c"})) == "kind=field.bad_choice", "options", "options", "value")
		check(field(startErr(map[string]any{"approver": bob})) == "approver=flow.field.not_role_holder", "person role", "role")
		check(field(startErr(map[string]any{"lines": []any{}})) == "lines=flow.field.too_few_rows" ||
			field(startErr(map[string]any{"lines": []any{}})) == "lines=field.required", "min_rows", "min_rows")
		four := []any{map[string]any{"q": "1"}, map[string]any{"q": "1"}, map[string]any{"q": "1"}, map[string]any{"q": "1"}}
		check(field(startErr(map[string]any{"lines": four})) == "lines=flow.field.too_many_rows", "max_rows", "max_rows", "columns")
		check(field(startErr(map[string]any{"kind": "b", "note": "x"})) == "note=flow.check", "checks", "checks", "expr", "message")
		// A check applies only where its when holds: kind a with a short
		// note passes the form (and stops at the missing choice below).
		check(field(startErr(map[string]any{"note": "x"})) == "chosen.pick=field.required", "checks when", "when")
		check(field(startErr(map[string]any{"result": "early"})) == "result=flow.field.later_step", "editable fields are not start fields", "editable")
		check(field(startErr(map[string]any{"amount": "600"})) == "test.too_much", "definition guard", "guards")
		_, err = v.e.StartWith(ctx, v.actor(gina), "guide-all", flow.StartInput{Form: good()})
		check(domain.IsKind(err, domain.KindForbidden), "initiators", "initiators")
		_, err = v.e.StartWith(ctx, v.actor(alice), "guide-all", flow.StartInput{Form: good()})
		check(field(err) == "chosen.pick=field.required", "chosen_by initiator needs a choice", "chosen_by")
		in, err := v.e.StartWith(ctx, v.actor(alice), "guide-all", flow.StartInput{Form: good(), Chosen: map[string]int64{"pick": pat}})
		if err != nil {
			t.Fatal(err)
		}
		check(in.Form["total"] == "7.00", "computed", "computed")
		// The form types all took their values (help and labels are shown).
		check(d.Form[0].Help.ZH != "", "help", "help")

		// review: the initiator's director, alone; a signature; only the
		// listed actions; a due time; a guard and an effect on completion;
		// the Business Dean copied and the approver told.
		iv := v.view(alice, in.ID)
		rt := iv.Tasks[0]
		check(rt.AssigneeID == dave && len(iv.Tasks) == 1, "initiator_director, single", "assignee", "relative", "mode", "id", "steps", "kind")
		check(!rt.DueAt.IsZero() && rt.DueAt.Sub(rt.CreatedAt) == 48*time.Hour, "sla due", "sla", "due")
		_, err = v.act(dave, in.ID, flow.ActInput{Action: flow.ActDelegate, PersonID: erin})
		check(fkey(err, "") == "" && domain.IsKind(err, domain.KindForbidden), "actions", "actions")
		_, err = v.act(dave, in.ID, flow.ActInput{Action: flow.ActApprove})
		check(domain.IsKind(err, domain.KindUnauthenticated), "signature asks for the password", "signature")
		check(v.viewOK(cm2, in.ID), "viewers see the request", "viewers", "person")
		// remind and escalate_to: the timers fire.
		if _, err := v.e.RunTimers(ctx, rt.DueAt.Add(-7*time.Hour)); err != nil {
			t.Fatal(err)
		}
		ns, _ := v.e.Notifications(ctx, v.actor(dave), false, 50)
		check(hasKind(ns, in.ID, "due_soon"), "remind", "remind")
		if _, err := v.e.RunTimers(ctx, rt.DueAt.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// dave is the director of dept 10 himself; escalating to "director"
		// goes to the assignee's director, who is he: nobody else is added,
		// and the escalation is recorded.
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "flow.escalate"})
		check(len(evs) == 1, "escalate_to", "escalate_to")
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		check(stepGuarded, "step guard ran", "guards")
		evs, _ = db.FindAudit(ctx, store.AuditFilter{Action: "test.effect"})
		check(len(evs) == 1, "effect ran", "effects")
		ccs, _, _ := v.e.Inbox(ctx, v.actor(bob), flow.BoxCC, flow.InboxFilter{})
		check(len(ccs) == 1 && ccs[0].InstanceID == in.ID, "cc", "cc")
		ns, _ = v.e.Notifications(ctx, v.actor(gina), false, 50)
		check(hasKind(ns, in.ID, "step_done"), "notify a person field", "notify", "field")
		ns, _ = v.e.Notifications(ctx, v.actor(erin), false, 50)
		check(hasKind(ns, in.ID, "step_done"), "notify a committee by its key", "notify", "committee")

		// fork: both branches at once; quorum of purchasing; the committee (any).
		iv = v.view(alice, in.ID)
		open := openSteps(iv)
		check(open["buy"] && open["committee"], "parallel", "parallel", "join")
		check(v.hasTodo(carol, in.ID) && v.hasTodo(pat, in.ID), "quorum of the role", "quorum", "role")
		check(v.hasTodo(cm1, in.ID) && v.hasTodo(chair, in.ID), "committee", "committee")
		// bulk approval of the unsigned task.
		res, _ := v.e.BulkApprove(ctx, v.actor(carol), []int64{v.todo(carol, in.ID)}, "")
		check(res[0].OK, "bulk_approve", "bulk_approve")
		v.approve(cm1, in.ID)
		// pick: the purchaser the initiator chose, only.
		check(v.hasTodo(pat, in.ID) && !v.hasTodo(carol, in.ID), "chosen_by initiator", "chosen_by")
		v.must(pat, in.ID, flow.ActInput{Action: flow.ActApprove, PersonID: bob})
		// dean_by_previous: pat chose bob (the only dean, so check the record).
		check(v.hasTodo(bob, in.ID), "chosen_by previous", "chosen_by")
		v.approve(bob, in.ID)
		// code_director: department by code (d20 → dan), sequential.
		check(v.hasTodo(dan, in.ID) && !v.hasTodo(dave, in.ID), "department code", "department")
		v.approve(dan, in.ID)
		// form_director: the department on the form (20), amount > 10.
		check(v.hasTodo(dan, in.ID), "department_from and when", "department_from", "when")
		v.approve(dan, in.ID)
		// fill: a named person; editable and required.
		_, err = v.act(pat, in.ID, flow.ActInput{Action: flow.ActApprove})
		check(fkey(err, "result") == "flow.field.required_at_step", "required", "required")
		v.must(pat, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"result": "ok"}})
		// field_person: the approver on the form, mode all.
		check(v.hasTodo(gina, in.ID), "field person, all", "field", "mode")
		v.approve(gina, in.ID)
		// back_to_me: the initiator (a task); previous_again: who acted before.
		check(v.hasTodo(alice, in.ID), "relative initiator", "relative")
		v.approve(alice, in.ID)
		check(v.hasTodo(alice, in.ID), "relative previous", "relative")
		v.approve(alice, in.ID)
		// survey: the customer on the form, by a link e-mailed to the
		// form's address, valid 3 days; submitting it completes the step.
		to, tok := mailedLink(t, db, in.ID)
		xl := v.view(alice, in.ID).External
		check(len(xl) == 1 && xl[0].Name == "Kunde" && xl[0].State == flow.LinkOpen, "external, name_field", "external", "name_field")
		check(to == "kunde@example.com" && xl[0].Contact == to, "contact_field", "contact_field")
		valid := xl[0].ExpiresAt.Sub(xl[0].CreatedAt)
		check(valid > 72*time.Hour-time.Second && valid <= 72*time.Hour, "expires", "expires")
		_, err = v.e.SubmitExternal(ctx, tok, flow.ExternalInput{Form: map[string]any{"score": "4"}, IP: "192.0.2.9"})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		check(fmt.Sprint(v.view(alice, in.ID).Instance.Form["score"]) == "4", "the outsider completes the step", "external")
		// child: the sub-process; the initiator approves their own step
		// there (allow_self_approval); its false condition passes it over.
		kids := v.view(alice, in.ID).Children
		check(len(kids) == 1 && kids[0].DefinitionKey == "guide-child", "subprocess", "subprocess")
		cv := v.view(alice, kids[0].ID)
		check(cv.Steps[0].State == "skipped" && v.hasTodo(alice, kids[0].ID), "allow_self_approval, when", "allow_self_approval", "when")
		out := v.approve(alice, kids[0].ID)
		wantStatus(t, out, flow.StatusApproved)
		// The parent's branch (kind a) ends it at the end step, not "never".
		iv = v.view(alice, in.ID)
		check(iv.Instance.Status == flow.StatusApproved, "branches to an end step", "branches", "to", "next")
		for _, s := range iv.Steps {
			if s.ID == "never" {
				check(s.State != "done", "never reached", "next")
			}
		}
		// ceilings: the review signature approved a total of 7.00 (checked
		// for its effect in TestR9_CeilingMayGoDownNotUp and
		// TestR9_CeilingRaisedSignsAgainAndPassedOverStepRuns).
		check(d.Steps[0].Ceilings[0] == "total", "ceilings declared", "ceilings")
		for _, w := range guideWalks {
			w.walk(t, v, check)
		}
		for _, k := range keys {
			if !checked[k] && !impliedKeys[k] {
				t.Errorf("the effect of key %q is not checked", k)
			}
		}
	})
}

// guideCheck records that keys have their effect (ok), or fails the test.
type guideCheck func(ok bool, what string, keys ...string)

// guideWalk is one more walk of TestDefinitionsGuide_EveryKeyHasItsEffect
// through a definition of testdata/guide-*.yaml: setup registers what it
// names (guards, effects), walk runs it and checks each key's effect. Each
// part of the guide adds its own in a file of its own.
type guideWalk struct {
	setup func(reg *flow.Registry)
	walk  func(t *testing.T, v *env, check guideCheck)
}

var guideWalks []guideWalk

// impliedKeys are checked by the other keys' effects: a type's value, a
// label's languages, a select's option labels.
var impliedKeys = map[string]bool{"label": true}

func openSteps(iv *flow.InstanceView) map[string]bool {
	out := map[string]bool{}
	for _, tk := range iv.Tasks {
		if tk.State == flow.TaskOpen {
			out[tk.StepID] = true
		}
	}
	return out
}

func hasKind(ns []flow.Notification, inst int64, kind string) bool {
	for _, n := range ns {
		if n.InstanceID == inst && n.Kind == kind {
			return true
		}
	}
	return false
}

func (v *env) viewOK(who, inst int64) bool {
	_, err := v.e.Instance(ctx, v.actor(who), inst)
	return err == nil
}
