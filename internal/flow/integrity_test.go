package flow_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// purchaseDef is a purchase request in small: lines with a negotiated unit
// price, a total that the director approves as a ceiling, a large-amount
// step that only runs above 50,000, and purchasing's negotiation, which may
// change the unit prices only.
func purchaseDef() *flow.Definition {
	money := func(key string, computed string) flow.Field {
		return flow.Field{Key: key, Label: flow.Text{ZH: map[string]string{"unit_price": "单价", "amount": "金额", "total": "合计"}[key], EN: key},
			Type: flow.FieldMoney, Computed: computed}
	}
	return &flow.Definition{Key: "pr", Title: text("pr"), Subject: "form",
		Form: []flow.Field{
			{Key: "items", Label: flow.Text{ZH: "采购明细", EN: "Items"}, Type: flow.FieldTable, Required: true, Columns: []flow.Field{
				{Key: "name", Label: text("name"), Type: flow.FieldText, Required: true},
				{Key: "quantity", Label: text("quantity"), Type: flow.FieldNumber, Required: true},
				money("unit_price", ""),
				money("amount", "quantity * unit_price")}},
			money("total", "sum(items.amount)"),
			{Key: "supplier", Label: text("supplier"), Type: flow.FieldText},
		},
		Steps: []flow.Step{
			{ID: "director", Title: flow.Text{ZH: "部门总监审批", EN: "Director"}, Assignee: flow.Assignee{Relative: "initiator_director"},
				Signature: flow.MeaningApprove, Ceilings: []string{"total"}},
			{ID: "chair", Title: text("chair"), Assignee: role(domain.RoleCommitteeChair), Signature: flow.MeaningApprove,
				Ceilings: []string{"total"}, When: "total > 50000"},
			{ID: "negotiation", Title: text("negotiation"), Kind: flow.StepTask, Assignee: role(domain.RolePurchasing), Mode: flow.ModeAny,
				Editable: []string{"items.unit_price", "supplier"}, Required: []string{"items.unit_price", "supplier"}},
			{ID: "contract", Title: text("contract"), Kind: flow.StepTask, Assignee: role(domain.RolePurchasing), Mode: flow.ModeAny},
		}}
}

func lines(price string) []any {
	row := func(name, qty string) map[string]any {
		r := map[string]any{"name": name, "quantity": qty}
		if price != "" {
			r["unit_price"] = price
		}
		return r
	}
	return []any{row("乙腈", "2"), row("甲醇", "3")}
}

func stepStates(v *env, inst int64) map[string]string {
	out := map[string]string{}
	for _, s := range v.view(alice, inst).Steps {
		out[s.ID] = s.State
	}
	return out
}

func fkey(err error, field string) string {
	m, _ := domain.FieldError(err, field)
	return m.Key
}

// TestR9_EditableColumnOnly: a step given items.unit_price may change that
// column only — not names, quantities, or the set of rows (issue 7 item 1).
func TestR9_EditableColumnOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, purchaseDef())
		in := v.start("pr", map[string]any{"items": lines("")})
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		edit := func(items []any) error {
			_, err := v.act(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"items": items, "supplier": "国药"}})
			return err
		}
		renamed := lines("10")
		renamed[0].(map[string]any)["name"] = "丙酮"
		if err := edit(renamed); fkey(err, "items.1.name") != "flow.field.not_editable" {
			t.Fatalf("renaming a signed line: %v", err)
		}
		more := lines("10")
		more[1].(map[string]any)["quantity"] = "300"
		if err := edit(more); fkey(err, "items.2.quantity") != "flow.field.not_editable" {
			t.Fatalf("raising a signed quantity 100x: %v", err)
		}
		if err := edit(append(lines("10"), map[string]any{"name": "丙酮", "quantity": "1", "unit_price": "1"})); fkey(err, "items") != "flow.field.not_editable" {
			t.Fatalf("adding a line: %v", err)
		}
		if err := edit(lines("10")); err != nil {
			t.Fatalf("setting the negotiated prices: %v", err)
		}
	})
}

// TestR9_CeilingRaisedSignsAgainAndPassedOverStepRuns: the director
// approved a total of 0.00 (no prices yet); purchasing's prices take it to
// 9,000,000: the instance goes back to the director for a new signature,
// with the reason recorded, and the large-amount step passed over before
// runs before the process goes on (issue 7 item 1, reproduced).
func TestR9_CeilingRaisedSignsAgainAndPassedOverStepRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, purchaseDef())
		in := v.start("pr", map[string]any{"items": lines("")})
		if in.Form["total"] != "0.00" {
			t.Fatalf("total = %v", in.Form["total"])
		}
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		if s := stepStates(v, in.ID); s["chair"] != "skipped" || s["negotiation"] != "current" {
			t.Fatalf("before prices: %v", s)
		}
		// A step completes only with what it exists to record.
		if _, err := v.act(carol, in.ID, flow.ActInput{Action: flow.ActApprove}); fkey(err, "supplier") != "flow.field.required_at_step" ||
			fkey(err, "items.1.unit_price") != "flow.field.required_at_step" {
			t.Fatalf("negotiation without prices: %v", err)
		}
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"items": lines("1800000"), "supplier": "国药"}})
		iv := v.view(alice, in.ID)
		if iv.Instance.Form["total"] != "9000000.00" {
			t.Fatalf("total = %v", iv.Instance.Form["total"])
		}
		g := iv.Signatures[0]
		if g.Valid || len(g.Changed) != 1 || g.Changed[0] != "total" {
			t.Fatalf("the director's signature after the total rose: %+v", g)
		}
		s := stepStates(v, in.ID)
		if s["director"] != "current" || s["chair"] != "pending" || s["contract"] != "pending" {
			t.Fatalf("after the prices: %v", s)
		}
		var reason string
		for _, a := range iv.Timeline {
			if a.Action == "resign" {
				reason = a.Comment
			}
		}
		if !strings.Contains(reason, "合计由 0.00 元增至 9000000.00 元") || !strings.Contains(reason, "部门总监审批") {
			t.Fatalf("resign reason %q", reason)
		}
		evs, err := db.FindAudit(ctx, store.AuditFilter{Entity: "instance", EntityID: itoa(in.ID), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if last := evs[len(evs)-1]; !strings.Contains(last.Changes, "合计由 0.00 元增至 9000000.00 元") {
			t.Fatalf("the audit trail lacks the reason: %s", last.Changes)
		}
		// The director signs the new total; then the chair; then the contract.
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(chair, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		if s := stepStates(v, in.ID); s["contract"] != "current" {
			t.Fatalf("after the new signatures: %v", s)
		}
		wantStatus(t, v.approve(pat, in.ID), flow.StatusApproved)
		iv = v.view(alice, in.ID)
		if len(iv.Signatures) != 3 || iv.Signatures[0].Valid || !iv.Signatures[0].Superseded || !iv.Signatures[1].Valid || !iv.Signatures[2].Valid {
			t.Fatalf("signatures at the end: %+v", iv.Signatures)
		}
	})
}

// TestR9_FilledValuesKeepSignatureAndShowWhatWasAdded: values empty when
// signed that a later step fills leave the signature valid, and the
// signature says which (issue 7 item 1).
func TestR9_FilledValuesKeepSignatureAndShowWhatWasAdded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := purchaseDef()
		d.Steps[0].Ceilings = nil // the total is not a ceiling here: prices may fill it
		v := newEnv(t, db, d)
		in := v.start("pr", map[string]any{"items": lines("")})
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"items": lines("10"), "supplier": "国药"}})
		g := v.view(alice, in.ID).Signatures[0]
		if !g.Valid || len(g.Changed) != 0 {
			t.Fatalf("signature after filling: %+v", g)
		}
		kinds := map[string]string{}
		for _, c := range g.Diff {
			kinds[c.Path] = c.Kind
		}
		if kinds["supplier"] != flow.ChangeAdded || kinds["items.1.unit_price"] != flow.ChangeAdded || kinds["items.1.amount"] != flow.ChangeFollowed {
			t.Fatalf("diff %+v", g.Diff)
		}
		if g.SignedForm["supplier"] != nil {
			t.Fatalf("signed form shows a supplier: %v", g.SignedForm)
		}
	})
}

// TestR9_CeilingMayGoDownNotUp: a directly edited amount the step approved
// as a ceiling may be lowered (the signature stays valid, "lowered"), not
// raised (a new signature).
func TestR9_CeilingMayGoDownNotUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := def("budget",
			flow.Step{ID: "sign", Title: text("sign"), Assignee: role(domain.RoleBusinessDean), Signature: flow.MeaningApprove, Ceilings: []string{"amount"}},
			flow.Step{ID: "adjust", Title: text("adjust"), Kind: flow.StepTask, Assignee: role(domain.RolePurchasing), Mode: flow.ModeAny,
				Editable: []string{"amount"}},
			flow.Step{ID: "adjust2", Title: text("adjust2"), Kind: flow.StepTask, Assignee: role(domain.RolePurchasing), Mode: flow.ModeAny,
				Editable: []string{"amount"}})
		d.Form[1].Required = true // filed by the initiator, adjusted later
		v := newEnv(t, db, d)
		in := v.start("budget", map[string]any{"title": "b", "amount": "1000"})
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"amount": "800"}})
		g := v.view(alice, in.ID).Signatures[0]
		if !g.Valid || len(g.Diff) != 1 || g.Diff[0].Kind != flow.ChangeLowered {
			t.Fatalf("lowered: %+v", g)
		}
		v.must(pat, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"amount": "1200"}})
		iv := v.view(alice, in.ID)
		if iv.Signatures[0].Valid || iv.Instance.Status != flow.StatusRunning || !v.hasTodo(bob, in.ID) {
			t.Fatalf("raised above the signed ceiling: %+v, bob has a task: %v", iv.Signatures[0], v.hasTodo(bob, in.ID))
		}
		wantStatus(t, v.must(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword}), flow.StatusApproved)
	})
}

// probationDef: the employee files; the mentor rates; the manager decides.
func probationDef() *flow.Definition {
	sel := func(key string, opts ...string) flow.Field {
		f := flow.Field{Key: key, Label: text(key), Type: flow.FieldSelect}
		for _, o := range opts {
			f.Options = append(f.Options, flow.Option{Value: o, Label: text(o)})
		}
		return f
	}
	return &flow.Definition{Key: "probation", Title: text("probation"), Subject: "form",
		Form: []flow.Field{{Key: "summary", Label: text("summary"), Type: flow.FieldLongText, Required: true},
			sel("rating", "good", "poor"), sel("decision", "confirm", "extend"),
			{Key: "manager", Label: text("manager"), Type: flow.FieldPerson, Role: string(domain.RoleDirector)}},
		Steps: []flow.Step{
			{ID: "mentor", Title: text("mentor"), Assignee: role(domain.RoleBusinessDean), Editable: []string{"rating", "manager"}, Required: []string{"rating"}},
			{ID: "manager", Title: text("manager"), Assignee: flow.Assignee{Field: "manager"}, Editable: []string{"decision"}, Required: []string{"decision"}},
		}}
}

// TestFieldAuthority_ValuesOnlyFromWhomTheDefinitionAllows: the start API
// refuses values of fields later steps fill; a person field set by a step
// is checked as at filing (issue 7 item 2, reproduced).
func TestFieldAuthority_ValuesOnlyFromWhomTheDefinitionAllows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, probationDef())
		_, err := v.e.Start(ctx, v.actor(alice), "probation", map[string]any{"summary": "s", "rating": "good", "decision": "confirm"}, "")
		if fkey(err, "rating") != "flow.field.later_step" || fkey(err, "decision") != "flow.field.later_step" {
			t.Fatalf("filing with the mentor's rating and the manager's decision: %v", err)
		}
		in := v.start("probation", map[string]any{"summary": "s"})
		for _, tc := range []struct {
			who  int64
			want string
		}{{erin, "flow.field.not_role_holder"}, {99999, "flow.field.bad_person"}, {sam, "flow.field.bad_person"}} {
			_, err := v.act(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"rating": "good", "manager": tc.who}})
			if fkey(err, "manager") != tc.want {
				t.Fatalf("manager %d: %v", tc.who, err)
			}
		}
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"rating": "good", "manager": dan}})
		v.must(dan, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "more detail", To: "initiator"})
		// Resubmitting: the initiator's fields only; later values sent back
		// unchanged are accepted, changed are refused.
		_, err = v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"summary": "s2", "rating": "poor"}})
		if fkey(err, "rating") != "flow.field.later_step" {
			t.Fatalf("resubmitting with a changed rating: %v", err)
		}
		out, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"summary": "s2", "rating": "good"}})
		if err != nil || out.Form["rating"] != "good" || out.Form["summary"] != "s2" {
			t.Fatalf("resubmitting: %v %v", err, out)
		}
	})
}

// TestR12_NoOneToAct: with nobody holding the role a step needs, the step
// waits, visibly, and never falls to the administrator; the administrator
// names someone or grants the role, and the step goes on (issue 7 item 3).
func TestR12_NoOneToAct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("fin", stepA("pay", role(domain.RoleFinance)), stepA("gm", role(domain.RoleGM))))
		in := v.start("fin", map[string]any{"title": "t"})
		iv := v.view(alice, in.ID)
		if iv.Steps[0].State != "unassigned" || len(iv.Warnings) != 1 || v.hasTodo(sam, in.ID) {
			t.Fatalf("nobody to act: steps %+v warnings %+v, admin task %v", iv.Steps, iv.Warnings, v.hasTodo(sam, in.ID))
		}
		if _, err := v.e.Instance(ctx, v.actor(sam), in.ID); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("the administrator opens the request: %v", err)
		}
		if _, err := v.e.Waiting(ctx, v.actor(alice)); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a researcher lists waiting steps: %v", err)
		}
		ws, err := v.e.Waiting(ctx, v.actor(sam))
		if err != nil || len(ws) != 1 || ws[0].StepID != "pay" || ws[0].Needs.Role != "finance" {
			t.Fatalf("waiting: %+v %v", ws, err)
		}
		if _, err := v.e.Assign(ctx, v.actor(sam), ws[0].TaskID, erin, ""); fkey(err, "reason") != "field.required" {
			t.Fatalf("assign without a reason: %v", err)
		}
		if _, err := v.e.Assign(ctx, v.actor(sam), ws[0].TaskID, sam, "me"); fkey(err, "person_id") != "flow.bad_person" {
			t.Fatalf("the administrator assigns himself: %v", err)
		}
		if _, err := v.e.Assign(ctx, v.actor(bob), ws[0].TaskID, erin, "x"); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a dean assigns: %v", err)
		}
		if _, err := v.e.Assign(ctx, v.actor(sam), ws[0].TaskID, erin, "finance clerk on leave; erin covers"); err != nil {
			t.Fatal(err)
		}
		v.approve(erin, in.ID)
		wantStatus(t, v.approve(gina, in.ID), flow.StatusApproved)

		// Granting the role gives the waiting step its people.
		in2 := v.start("fin", map[string]any{"title": "t2"})
		p := v.dir.people[pat]
		p.Grants = append(p.Grants, domain.Grant{Role: domain.RoleFinance})
		v.dir.people[pat] = p
		if n, err := v.e.Reassess(ctx); err != nil || n != 1 {
			t.Fatalf("reassess: %d %v", n, err)
		}
		v.approve(pat, in2.ID)
		wantStatus(t, v.approve(gina, in2.ID), flow.StatusApproved)
	})
}

// TestR12_AdministratorNeverActs: every action on a business step is
// refused to the administrator, even on a task that names him (issue 7
// item 3).
func TestR12_AdministratorNeverActs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("a", stepA("dean", role(domain.RoleBusinessDean))))
		in := v.start("a", map[string]any{"title": "t"})
		task := v.todo(bob, in.ID)
		for _, a := range []flow.Action{flow.ActApprove, flow.ActReject, flow.ActReturn, flow.ActTransfer, flow.ActDelegate,
			flow.ActAddSigner, flow.ActRemove, flow.ActComment, flow.ActCopy} {
			_, err := v.e.Act(ctx, v.actor(sam), task, flow.ActInput{Action: a, Comment: "x", PersonID: gina, Password: goodPassword})
			if !domain.IsKind(err, domain.KindForbidden) {
				t.Fatalf("the administrator %s: %v", a, err)
			}
		}
		for _, a := range []flow.Action{flow.ActComment, flow.ActCopy, flow.ActUrge, flow.ActWithdraw, flow.ActTakeBack, flow.ActResubmit} {
			if _, err := v.e.ActOnInstance(ctx, v.actor(sam), in.ID, flow.ActInput{Action: a, Comment: "x", PersonID: gina}); err == nil {
				t.Fatalf("the administrator %s on the instance", a)
			}
		}
		// Nor can the task be handed to him.
		for _, a := range []flow.Action{flow.ActTransfer, flow.ActDelegate, flow.ActAddSigner, flow.ActCopy} {
			if _, err := v.act(bob, in.ID, flow.ActInput{Action: a, PersonID: sam, Comment: "x"}); fkey(err, "person_id") != "flow.bad_person" {
				t.Fatalf("%s to the administrator: %v", a, err)
			}
		}
	})
}

// TestR8_SignedStepTransfersOnlyWithinItsRule: a director's signed approval
// cannot be transferred or delegated to a researcher (issue 7 item 3,
// reproduced); an unsigned step can.
func TestR8_SignedStepTransfersOnlyWithinItsRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("sig",
			flow.Step{ID: "director", Title: text("director"), Assignee: flow.Assignee{Relative: "initiator_director"}, Signature: flow.MeaningApprove},
			flow.Step{ID: "buy", Title: text("buy"), Kind: flow.StepTask, Assignee: role(domain.RolePurchasing)}))
		in := v.start("sig", map[string]any{"title": "t"})
		for _, a := range []flow.Action{flow.ActTransfer, flow.ActDelegate} {
			if _, err := v.act(dave, in.ID, flow.ActInput{Action: a, PersonID: erin}); fkey(err, "person_id") != "flow.not_step_assignee" {
				t.Fatalf("%s of a signed step to a researcher: %v", a, err)
			}
		}
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: erin, Comment: "erin buys it"})
		wantStatus(t, v.approve(erin, in.ID), flow.StatusApproved)
	})
}

// TestR10_AssigneesFromTheForm: the director of the person on the form, not
// of the initiator, reviews a promotion; the initiator picks the holder of a
// role when the definition says chosen_by: initiator (issue 7 item 6).
func TestR10_AssigneesFromTheForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		promo := &flow.Definition{Key: "promo", Title: text("promo"), Subject: "form",
			Form: []flow.Field{{Key: "person", Label: text("person"), Type: flow.FieldPerson, Required: true}},
			Steps: []flow.Step{{ID: "review", Title: text("review"), Assignee: flow.Assignee{Role: "director", DepartmentFrom: "person"},
				When: "initiator_id != director_of(department_of(person))"},
				stepA("gm", role(domain.RoleGM))}}
		pick := def("pick", flow.Step{ID: "buy", Title: text("buy"), Kind: flow.StepTask, Assignee: flow.Assignee{Role: "purchasing", ChosenBy: "initiator"}})
		v := newEnv(t, db, promo, pick)
		// alice (dept 10) proposes dan's person... a person of dept 20: dan reviews.
		p := person(13, "zoe", 20, domain.Grant{Role: domain.RoleAnalyst, DepartmentID: 20})
		v.dir.people[13] = p
		in := v.start("promo", map[string]any{"person": int64(13)})
		if !v.hasTodo(dan, in.ID) || v.hasTodo(dave, in.ID) {
			t.Fatalf("review went to dave %v / dan %v", v.hasTodo(dave, in.ID), v.hasTodo(dan, in.ID))
		}
		// Proposed by that director himself: he has reviewed it already.
		in2, err := v.e.Start(ctx, v.actor(dan), "promo", map[string]any{"person": int64(13)}, "")
		if err != nil || !v.hasTodo(gina, in2.ID) {
			t.Fatalf("dan's own proposal: %v", err)
		}

		if _, err := v.e.StartWith(ctx, v.actor(alice), "pick", flow.StartInput{Form: map[string]any{"title": "t"}}); fkey(err, "chosen.buy") != "field.required" {
			t.Fatalf("no choice: %v", err)
		}
		if _, err := v.e.StartWith(ctx, v.actor(alice), "pick", flow.StartInput{Form: map[string]any{"title": "t"}, Chosen: map[string]int64{"buy": bob}}); fkey(err, "chosen.buy") != "flow.not_role_holder" {
			t.Fatalf("choosing a non-holder: %v", err)
		}
		in3, err := v.e.StartWith(ctx, v.actor(alice), "pick", flow.StartInput{Form: map[string]any{"title": "t"}, Chosen: map[string]int64{"buy": pat}})
		if err != nil || !v.hasTodo(pat, in3.ID) || v.hasTodo(carol, in3.ID) {
			t.Fatalf("the chosen purchaser: %v", err)
		}
	})
}

// TestDeadlinesMoveWithTransfers: a transferred or delegated task keeps
// the deadline, and its timers fire for the new assignee (issue 7 item 9,
// reproduced: the new task had no due time and no timers).
func TestDeadlinesMoveWithTransfers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("sla", flow.Step{ID: "a", Title: text("a"), Kind: flow.StepTask, Assignee: role(domain.RoleBusinessDean),
			SLA: &flow.SLA{Due: "48h", Remind: "8h"}}))
		in := v.start("sla", map[string]any{"title": "t"})
		due := v.view(alice, in.ID).Tasks[0].DueAt
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: gina})
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActDelegate, PersonID: carol})
		var got []time.Time
		for _, tk := range v.view(alice, in.ID).Tasks {
			if tk.AssigneeID != bob {
				got = append(got, tk.DueAt)
			}
		}
		if len(got) != 2 || !got[0].Equal(due) || !got[1].Equal(due) {
			t.Fatalf("due times %v, want %v", got, due)
		}
		if n, err := v.e.RunTimers(ctx, due.Add(time.Minute)); err != nil || n == 0 {
			t.Fatalf("timers: %d %v", n, err)
		}
		ns, _ := v.e.Notifications(ctx, v.actor(carol), false, 50)
		overdue := false
		for _, n := range ns {
			overdue = overdue || n.Kind == "overdue" && n.InstanceID == in.ID
		}
		if !overdue {
			t.Fatalf("the delegate was not told the task is overdue: %+v", ns)
		}
	})
}

// TestLoops: a passed-over step does not branch (a definition whose skipped
// step branched to itself failed every start); a step that loops back to
// itself tells nobody until it really completes; lint finds loops nobody
// acts in (issue 7 item 9, reproduced).
func TestLoops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		skipped := def("skip", flow.Step{ID: "a", Title: text("a"), Assignee: role(domain.RoleBusinessDean), When: "amount > 10",
			Branches: []flow.Branch{{When: "amount < 100", To: "a"}}}, stepA("b", role(domain.RoleGM)))
		again := def("again", flow.Step{ID: "test", Title: text("test"), Kind: flow.StepTask, Assignee: role(domain.RolePurchasing), Mode: flow.ModeAny,
			Editable: []string{"price"}, Notify: []flow.Assignee{role(domain.RoleGM)}, Branches: []flow.Branch{{When: "price < 10", To: "test"}}})
		v := newEnv(t, db, skipped, again)
		in := v.start("skip", map[string]any{"title": "t", "amount": 5})
		if !v.hasTodo(gina, in.ID) {
			t.Fatal("the passed-over step did not go on to its next")
		}
		in2 := v.start("again", map[string]any{"title": "t"})
		v.must(carol, in2.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"price": 5}})
		told := func() int {
			ns, _ := v.e.Notifications(ctx, v.actor(gina), false, 50)
			n := 0
			for _, x := range ns {
				if x.InstanceID == in2.ID && x.Kind == "step_done" {
					n++
				}
			}
			return n
		}
		if told() != 0 {
			t.Fatal("notified when the step went back to itself")
		}
		wantStatus(t, v.must(carol, in2.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"price": 20}}), flow.StatusApproved)
		if told() != 1 {
			t.Fatalf("notified %d times, want once", told())
		}
	})
	src := `key: idle
title: {zh: 空转, en: Idle}
form: [{key: n, label: {zh: n, en: n}, type: number}]
steps:
  - {id: a, title: {zh: a, en: a}, assignee: {role: gm}, when: "n > 1", next: b}
  - {id: b, title: {zh: b, en: b}, assignee: {role: gm}, when: "n > 2", next: a, branches: [{when: "n > 3", to: end}]}
`
	_, err := flow.Parse("idle.yaml", []byte(src), nil)
	if err == nil || !strings.Contains(err.Error(), "can loop without anyone acting") {
		t.Fatalf("lint of an idle loop: %v", err)
	}
}

// TestR3_RebuildFromTheTrailAlone: an instance rebuilt from the audit trail
// at several moments is what the live record was then (issue 7 item 7).
func TestR3_RebuildFromTheTrailAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, purchaseDef())
		type moment struct {
			at     time.Time
			form   map[string]any
			status flow.Status
			steps  []string
			sigs   int
		}
		var ms []moment
		in := v.start("pr", map[string]any{"items": lines("")})
		snap := func() {
			time.Sleep(2 * time.Millisecond)
			iv := v.view(alice, in.ID)
			var steps []string
			for _, a := range iv.Instance.State.Active {
				steps = append(steps, a.Step)
			}
			ms = append(ms, moment{db.Now(), iv.Instance.Form, iv.Instance.Status, steps, len(iv.Signatures)})
			time.Sleep(2 * time.Millisecond)
		}
		before := db.Now().Add(-time.Hour)
		snap()
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		snap()
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActReturn, To: "initiator", Comment: "quantities?"})
		snap()
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit,
			Form: map[string]any{"items": []any{map[string]any{"name": "乙腈", "quantity": "12345678901234567.25"}}}}); err != nil {
			t.Fatal(err)
		}
		snap()
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"items": []any{
			map[string]any{"name": "乙腈", "quantity": "12345678901234567.25", "unit_price": "0.01"}}, "supplier": "国药"}})
		snap()
		for i, m := range ms {
			s, err := v.e.Rebuild(ctx, in.ID, m.at)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, s.Form, m.form) || s.Status != m.status || strings.Join(s.Steps, ",") != strings.Join(m.steps, ",") || len(s.Signatures) != m.sigs {
				t.Fatalf("moment %d: rebuilt %+v\nlive form %v status %s steps %v signatures %d", i, s, m.form, m.status, m.steps, m.sigs)
			}
		}
		if s, _ := v.e.Rebuild(ctx, in.ID, before); s.Exists || len(s.Form) != 0 {
			t.Fatalf("before filing: %+v", s)
		}
		// Exact numbers all the way through (issue 7 item 8).
		if q := ms[3].form["items"].([]any)[0].(map[string]any)["quantity"]; q == nil || q.(interface{ String() string }).String() != "12345678901234567.25" {
			t.Fatalf("quantity read back as %v", q)
		}
		av, err := v.e.AsOf(ctx, v.actor(alice), in.ID, ms[1].at)
		if err != nil || len(av.Changed) == 0 || av.StatusNow != flow.StatusRunning {
			t.Fatalf("as-of view: %+v %v", av, err)
		}
		if _, err := v.e.AsOf(ctx, v.actor(cm1), in.ID, ms[1].at); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("as-of view for someone who may not see it: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sameJSON compares two values by their JSON encoding.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(x) == string(y)
}
