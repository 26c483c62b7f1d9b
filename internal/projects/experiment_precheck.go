package projects

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Pre-checks (SPEC EXP-1, EXP-4; the seed's rule 4 of synthesis,
// formulation and analytical work): before each reaction step or
// prescription change a researcher on the project's team files a pre-check
// form (预检单) for a node of the signed plan; before each change of an
// analytical plan an analyst files an analytical-plan change form
// (分析方案变更单). Each form is created together with its approval — the
// pre-check or analytical-plan-change process, whose only approver is the
// director of the filer's department — in one transaction; the form's
// state follows the approval, and a step may be recorded as started only
// under an approved form (experiment.go).

// The kinds of record and processes of experiments.
const (
	// SubjectPrecheck is a pre-check or analytical-plan change form: the
	// record its approval governs.
	SubjectPrecheck = "projects.precheck"
	// DefinitionPrecheck approves a pre-check form (EXP-1).
	DefinitionPrecheck = "pre-check"
	// DefinitionAnalyticalChange approves an analytical-plan change form
	// (EXP-4).
	DefinitionAnalyticalChange = "analytical-plan-change"
)

// The kinds of pre-check form.
const (
	PrecheckKind         = "precheck"          // 预检单: researchers
	AnalyticalChangeKind = "analytical_change" // 分析方案变更单: analysts
)

// The states of a pre-check form.
const (
	PrecheckApproving = "approving"
	PrecheckApproved  = "approved"
	PrecheckRejected  = "rejected"
	PrecheckWithdrawn = "withdrawn"
)

// PrecheckItems are the items each kind of form confirms, every one
// required: for a reaction step or prescription change, the materials
// checked against the route, the reaction's conditions and hazards
// assessed, protection and the fume hood ready, the equipment in order and
// the waste's disposal planned; for an analytical plan change, the basis
// of the change checked, reference standards and columns ready, the
// instrument calibrated and in its use record, and the change's effect on
// the node's tests assessed.
var PrecheckItems = map[string][]string{
	PrecheckKind:         {"materials", "conditions", "hazards", "protection", "equipment", "waste"},
	AnalyticalChangeKind: {"basis", "standards", "instrument", "impact"},
}

// PrecheckInput is a pre-check form as its filer sends it.
type PrecheckInput struct {
	// Node names a node of the signed plan.
	Node string `json:"node"`
	// Step describes the reaction step, the prescription change or the
	// analytical plan change.
	Step string `json:"step"`
	// PlannedOn is the day the step is planned for (YYYY-MM-DD).
	PlannedOn string `json:"planned_on"`
	// Materials lists the materials and reagents (or standards, columns).
	Materials string `json:"materials,omitempty"`
	// Checks are the confirmed items (PrecheckItems of the filer's kind);
	// every one is required.
	Checks []string `json:"checks"`
	Note   string   `json:"note,omitempty"`
}

// onTeam returns actor's membership of project p on day and the role and
// department they hold on it; ok is false when actor is not on the team
// that day.
func (s *Service) onTeam(ctx context.Context, actor domain.Actor, p store.Project, day string) (role string, dept int64, ok bool, err error) {
	ms, err := store.ProjectMembers(ctx, s.db.R(), p.ID)
	if err != nil {
		return "", 0, false, err
	}
	for _, m := range ms {
		if m.PersonID != actor.ID || m.From > day || m.To != "" && m.To < day {
			continue
		}
		for _, g := range actor.Grants {
			if string(g.Role) == m.Role && slices.Contains(p.Departments, g.DepartmentID) {
				return m.Role, g.DepartmentID, true, nil
			}
		}
	}
	return "", 0, false, nil
}

// notMember is the refusal of work by someone not on the team today.
func notMember(op string) error {
	return domain.E(domain.KindForbidden, op, "projects.exp.not_member")
}

// FilePrecheck files a pre-check form (a researcher) or an analytical-plan
// change form (an analyst) for a node of the signed plan of project code,
// and starts its approval by the director of the filer's department, in
// one transaction (EXP-1, EXP-4). Who may: a member of the team on the
// day (KindForbidden projects.exp.not_member; KindNotFound for who may not
// see the project). A project without a signed plan is refused with
// RequireSignedPlan's reason. Bad input is KindInvalid naming each field.
func (s *Service) FilePrecheck(ctx context.Context, actor domain.Actor, code string, in PrecheckInput) (store.Precheck, *flow.Instance, error) {
	const op = "projects.FilePrecheck"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Precheck{}, nil, err
	}
	role, dept, ok, err := s.onTeam(ctx, actor, p, s.today())
	if err != nil {
		return store.Precheck{}, nil, domain.Wrap(op, err)
	}
	if !ok {
		return store.Precheck{}, nil, notMember(op)
	}
	rev, plan, err := s.RequireSignedPlan(ctx, p.ID)
	if err != nil {
		return store.Precheck{}, nil, err
	}
	kind, def := PrecheckKind, DefinitionPrecheck
	if role == string(domain.RoleAnalyst) {
		kind, def = AnalyticalChangeKind, DefinitionAnalyticalChange
	}
	in.Node, in.Step, in.PlannedOn = strings.TrimSpace(in.Node), strings.TrimSpace(in.Step), strings.TrimSpace(in.PlannedOn)
	in.Materials, in.Note = strings.TrimSpace(in.Materials), strings.TrimSpace(in.Note)
	var c domain.Checker
	switch {
	case in.Node == "":
		c.Add("node", "field.required")
	case !slices.ContainsFunc(plan.Nodes, func(n Node) bool { return n.Name == in.Node }):
		c.Add("node", "projects.exp.unknown_node", "revision", rev.Revision)
	}
	c.Text("step", in.Step, true, 2000)
	c.Date("planned_on", in.PlannedOn, true)
	c.Text("materials", in.Materials, false, 2000)
	c.Text("note", in.Note, false, 2000)
	items := PrecheckItems[kind]
	for _, x := range in.Checks {
		if !slices.Contains(items, x) {
			c.Add("checks", "projects.exp.unknown_check", "item", x)
		}
	}
	for _, x := range items {
		if !slices.Contains(in.Checks, x) {
			c.Add("checks."+x, "projects.exp.check_required")
		}
	}
	if err := c.Err(op); err != nil {
		return store.Precheck{}, nil, err
	}
	checks := slices.Clone(items) // in the form's order, each once
	var pc store.Precheck
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		var err error
		pc, err = tx.InsertPrecheck(store.Precheck{ProjectID: p.ID, Node: in.Node, Kind: kind, Step: in.Step, PlannedOn: in.PlannedOn,
			Materials: in.Materials, Checks: strings.Join(checks, ","), Note: in.Note, PlanRevision: rev.Revision, ResearcherID: actor.ID,
			ResearcherName: actorName(actor), DepartmentID: dept, State: PrecheckApproving})
		if err != nil {
			return 0, err
		}
		return pc.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.precheck_file", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "precheck_id", New: strconv.FormatInt(pc.ID, 10)},
				{Field: "kind", New: kind}, {Field: "node", New: in.Node}, {Field: "step", New: in.Step}, {Field: "planned_on", New: in.PlannedOn},
				{Field: "materials", New: in.Materials}, {Field: "checks", New: pc.Checks}, {Field: "plan_revision", New: strconv.Itoa(rev.Revision)}}})
	}
	summary := fmt.Sprintf("%s %s · %s：%s（%s）", p.Code, p.Name, in.Node, in.Step, in.PlannedOn)
	if r := []rune(summary); len(r) > 500 {
		summary = string(r[:499]) + "…"
	}
	inst, err := s.flow.StartWith(ctx, actor, def, flow.StartInput{
		Form:    map[string]any{"summary": summary},
		Subject: &flow.SubjectRef{Kind: SubjectPrecheck, Create: create},
	})
	if err != nil {
		return store.Precheck{}, nil, err
	}
	pc.InstanceID = inst.ID
	return pc, inst, nil
}

// PrecheckView is a pre-check form with its approval.
type PrecheckView struct {
	store.Precheck
	// Processes are its approval (the processes bound to it the viewer
	// may see).
	Processes []*flow.Instance `json:"processes"`
}

// Precheck returns pre-check id of project code as actor may see it
// (who sees the project sees its pre-checks; KindNotFound otherwise).
func (s *Service) Precheck(ctx context.Context, actor domain.Actor, code string, id int64) (PrecheckView, error) {
	const op = "projects.Precheck"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return PrecheckView{}, err
	}
	pc, err := store.GetPrecheck(ctx, s.db.R(), id)
	if err != nil || pc.ProjectID != p.ID {
		return PrecheckView{}, domain.NotFound(op, "entity.precheck")
	}
	v := PrecheckView{Precheck: pc, Processes: []*flow.Instance{}}
	if s.flow != nil {
		ins, err := s.flow.Bound(ctx, actor, SubjectPrecheck, pc.ID)
		if err != nil {
			return v, err
		}
		v.Processes = append(v.Processes, ins...)
	}
	return v, nil
}

// Prechecks lists the pre-checks of project code, in the order filed.
func (s *Service) Prechecks(ctx context.Context, actor domain.Actor, code string) ([]store.Precheck, error) {
	const op = "projects.Prechecks"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return nil, err
	}
	out, err := store.Prechecks(ctx, s.db.R(), p.ID)
	return out, domain.Wrap(op, err)
}

// precheckContent is what the director's signature on a pre-check covers:
// the project and the form as filed (not its state, which the approval
// changes).
func (s *Service) precheckContent(ctx context.Context, id int64) ([]byte, error) {
	pc, err := store.GetPrecheck(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), pc.ProjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"project": p.Code, "kind": pc.Kind, "node": pc.Node, "step": pc.Step, "planned_on": pc.PlannedOn,
		"materials": pc.Materials, "checks": pc.Checks, "note": pc.Note, "plan_revision": pc.PlanRevision, "researcher_id": pc.ResearcherID})
}

func (s *Service) describePrecheck(ctx context.Context, id int64) (string, string, error) {
	pc, err := store.GetPrecheck(ctx, s.db.R(), id)
	if err != nil {
		return "", "", err
	}
	p, err := store.GetProject(ctx, s.db.R(), pc.ProjectID)
	if err != nil {
		return "", "", err
	}
	what := "预检单"
	if pc.Kind == AnalyticalChangeKind {
		what = "分析方案变更单"
	}
	return p.Code + " " + what + " #" + strconv.FormatInt(pc.ID, 10) + " · " + pc.Node, "/projects/" + url.PathEscape(p.Code) + "#experiments", nil
}

// precheckSubject is the kind of record the pre-check processes govern.
func (s *Service) precheckSubject() flow.SubjectKind {
	return flow.SubjectKind{
		Name:     SubjectPrecheck,
		Title:    flow.Text{ZH: "预检单", EN: "Pre-check form"},
		Content:  s.precheckContent,
		Describe: s.describePrecheck,
		Visible: func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			pc, err := store.GetPrecheck(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, pc.ProjectID)
		},
		VisibleWhere: s.visibleWhere("experiment_precheck"),
		On:           followPrecheck,
	}
}

// followPrecheck sets a pre-check's state as its approval goes (the
// engine calls it in the transaction of each change).
func followPrecheck(ctx context.Context, ev flow.LifeEvent) error {
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap("projects.followPrecheck", fmt.Errorf("transaction of type %T", ev.Tx))
	}
	var state string
	switch ev.Point {
	case flow.LifeStarted:
		if err := tx.SetPrecheckInstance(ev.SubjectID, ev.Instance.ID); err != nil {
			return err
		}
		state = PrecheckApproving
	case flow.LifeApproved:
		state = PrecheckApproved
	case flow.LifeRejected:
		state = PrecheckRejected
	case flow.LifeWithdrawn:
		state = PrecheckWithdrawn
	default:
		return nil
	}
	pc, err := store.GetPrecheck(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	if err := tx.SetPrecheckState(ev.SubjectID, state, state != PrecheckApproving); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.precheck_" + state, Entity: "project",
		EntityID: strconv.FormatInt(pc.ProjectID, 10), Changes: []audit.Change{{Field: "precheck_id", New: strconv.FormatInt(pc.ID, 10)},
			{Field: "state", Old: pc.State, New: state}, {Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}})
}
