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

// Escalation of a major difficulty (PRJ-11; seed: 如果项目进行中发生较大的困难,
// 要先在项目组召开专题讨论会,如还不能解决,可提交技术委员会商议决定): a team
// member or the director files the department topic meeting (专题讨论会;
// formulation: 项目组会) on the difficulty — attendees, minutes, decision
// and whether it resolved it — which opens the escalation with it, in one
// transaction; the project's director confirms the minutes. One the
// meeting left unresolved the director takes to the Technical Committee,
// whose decision, signed by its quorum with the chair, is recorded on the
// escalation and linked.

// The escalation records the package registers with the engine.
const (
	// SubjectEscalation is an escalation: the record its topic meeting
	// and committee decision are bound to.
	SubjectEscalation = "projects.escalation"
	// DefinitionTopicMeeting is the key of the topic meeting's process.
	DefinitionTopicMeeting = "project-topic-meeting"
	// DefinitionCommitteeDecision is the key of the committee's decision.
	DefinitionCommitteeDecision = "committee-decision"
)

// The states of an escalation.
const (
	EscalationMeeting    = "meeting"    // the topic meeting's minutes being confirmed
	EscalationResolved   = "resolved"   // the meeting resolved it
	EscalationUnresolved = "unresolved" // the meeting did not: for the committee
	EscalationCommittee  = "committee"  // before the committee
	EscalationDecided    = "decided"    // the committee decided
)

// EscalationInput opens an escalation with its topic meeting.
type EscalationInput struct {
	Title string `json:"title"`
	// Node is the node of the plan the difficulty concerns, if any.
	Node       string  `json:"node,omitempty"`
	Difficulty string  `json:"difficulty"`
	HeldAt     string  `json:"held_at"` // the meeting, YYYY-MM-DDTHH:MM in the institute's zone
	Attendees  []int64 `json:"attendees"`
	Minutes    string  `json:"minutes"`
	Decision   string  `json:"decision"`
	// Resolved reports whether the meeting resolved the difficulty.
	Resolved bool `json:"resolved"`
}

// CommitteeInput takes an unresolved escalation to the committee.
type CommitteeInput struct {
	Question string `json:"question"`
}

// EscalationView is an escalation with its processes.
type EscalationView struct {
	Escalation store.Escalation `json:"escalation"`
	// Processes are its topic meeting and committee decision, as the
	// viewer may see them.
	Processes []*flow.Instance `json:"processes"`
	// MayEscalate reports whether the viewer may take it to the committee.
	MayEscalate bool `json:"may_escalate"`
}

// mayMeet reports whether actor may file a topic meeting on p: whoever
// directs it or the director of a department it involves, or a member of
// its team today.
func (s *Service) mayMeet(ctx context.Context, actor domain.Actor, p store.Project) (bool, error) {
	if directs(actor, p) {
		return true, nil
	}
	for _, d := range p.Departments {
		if actor.HasIn(domain.RoleDirector, d) {
			return true, nil
		}
	}
	ms, err := store.ProjectMembers(ctx, s.db.R(), p.ID)
	if err != nil {
		return false, err
	}
	today := s.today()
	return slices.ContainsFunc(ms, func(m store.ProjectMember) bool {
		return m.PersonID == actor.ID && m.From <= today && (m.To == "" || today <= m.To)
	}), nil
}

// OpenEscalation files the topic meeting on a difficulty of project code
// and opens the escalation with it, in one transaction. Who may: the
// project's director, a director of a department it involves, or a member
// of its team today (KindForbidden). Bad input is KindInvalid naming the
// field.
func (s *Service) OpenEscalation(ctx context.Context, actor domain.Actor, code string, in EscalationInput) (store.Escalation, *flow.Instance, error) {
	const op = "projects.OpenEscalation"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Escalation{}, nil, err
	}
	ok, err := s.mayMeet(ctx, actor, p)
	if err != nil {
		return store.Escalation{}, nil, domain.Wrap(op, err)
	}
	if !ok {
		return store.Escalation{}, nil, domain.Forbidden(op)
	}
	in.Title, in.Node, in.Difficulty = strings.TrimSpace(in.Title), strings.TrimSpace(in.Node), strings.TrimSpace(in.Difficulty)
	in.Minutes, in.Decision, in.HeldAt = strings.TrimSpace(in.Minutes), strings.TrimSpace(in.Decision), strings.TrimSpace(in.HeldAt)
	var c domain.Checker
	c.Name("title", in.Title, true, 300)
	c.Text("node", in.Node, false, 200)
	c.Text("difficulty", in.Difficulty, true, 5000)
	c.Text("minutes", in.Minutes, true, 20000)
	c.Text("decision", in.Decision, true, 5000)
	if in.HeldAt == "" {
		c.Add("held_at", "field.required")
	}
	if len(in.Attendees) == 0 {
		c.Add("attendees", "field.required")
	}
	rows := make([]any, 0, len(in.Attendees))
	for i, id := range in.Attendees {
		if per, err := s.ppl.Person(ctx, id); err != nil || !per.Active {
			c.Add("attendees."+strconv.Itoa(i+1), "projects.escalation.bad_attendee")
		}
		rows = append(rows, map[string]any{"person": id})
	}
	if err := c.Err(op); err != nil {
		return store.Escalation{}, nil, err
	}
	dept := p.DepartmentID // the meeting is held in the filer's department
	for _, g := range actor.Grants {
		if g.DepartmentID != 0 && slices.Contains(p.Departments, g.DepartmentID) {
			dept = g.DepartmentID
			break
		}
	}
	resolved := EscalationUnresolved
	if in.Resolved {
		resolved = EscalationResolved
	}
	var esc store.Escalation
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		var err error
		esc, err = tx.InsertEscalation(store.Escalation{ProjectID: p.ID, Node: in.Node, Title: in.Title, Difficulty: in.Difficulty, DepartmentID: dept,
			State: EscalationMeeting, OpenedBy: actor.ID, OpenedName: actorName(actor)})
		if err != nil {
			return 0, err
		}
		return esc.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.escalation_open", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "escalation_id", New: strconv.FormatInt(esc.ID, 10)},
				{Field: "title", New: in.Title}, {Field: "node", New: in.Node}, {Field: "difficulty", New: in.Difficulty},
				{Field: "department_id", New: strconv.FormatInt(dept, 10)}}})
	}
	form := map[string]any{"topic": p.Code + " " + in.Title, "held_at": in.HeldAt, "director": p.DirectorID, "attendees": rows,
		"minutes": in.Minutes, "decision": in.Decision, "resolved": resolved}
	inst, err := s.flow.StartWith(ctx, actor, DefinitionTopicMeeting, flow.StartInput{Form: form, Subject: &flow.SubjectRef{Kind: SubjectEscalation, Create: create}})
	if err != nil {
		return store.Escalation{}, nil, err
	}
	esc.MeetingInstanceID = inst.ID
	return esc, inst, nil
}

// loadEscalation reads escalation id of project code that actor may see.
func (s *Service) loadEscalation(ctx context.Context, op string, actor domain.Actor, code string, id int64) (store.Project, store.Escalation, error) {
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return p, store.Escalation{}, err
	}
	e, err := store.GetEscalation(ctx, s.db.R(), id)
	if err != nil || e.ProjectID != p.ID {
		return p, e, domain.NotFound(op, "entity.escalation")
	}
	return p, e, nil
}

// ToCommittee takes an escalation its topic meeting left unresolved to
// the Technical Committee (committee-decision, bound to it). Only the
// project's director may (KindForbidden); one not unresolved is
// KindConflict.
func (s *Service) ToCommittee(ctx context.Context, actor domain.Actor, code string, id int64, in CommitteeInput) (*flow.Instance, error) {
	const op = "projects.ToCommittee"
	p, e, err := s.loadEscalation(ctx, op, actor, code, id)
	if err != nil {
		return nil, err
	}
	if !directs(actor, p) {
		return nil, domain.Forbidden(op)
	}
	if e.State != EscalationUnresolved {
		return nil, domain.Conflict(op, "projects.escalation.not_unresolved")
	}
	in.Question = strings.TrimSpace(in.Question)
	var c domain.Checker
	c.Text("question", in.Question, true, 5000)
	if err := c.Err(op); err != nil {
		return nil, err
	}
	form := map[string]any{"question": p.Code + " " + e.Title + "：" + in.Question, "meeting": e.Decision}
	return s.flow.StartWith(ctx, actor, DefinitionCommitteeDecision, flow.StartInput{Form: form, Subject: &flow.SubjectRef{Kind: SubjectEscalation, ID: e.ID}})
}

// Escalations lists the escalations of project code, newest first.
func (s *Service) Escalations(ctx context.Context, actor domain.Actor, code string) ([]store.Escalation, error) {
	const op = "projects.Escalations"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return nil, err
	}
	es, err := store.Escalations(ctx, s.db.R(), p.ID)
	return es, domain.Wrap(op, err)
}

// Escalation returns escalation id of project code with its processes.
func (s *Service) Escalation(ctx context.Context, actor domain.Actor, code string, id int64) (EscalationView, error) {
	const op = "projects.Escalation"
	p, e, err := s.loadEscalation(ctx, op, actor, code, id)
	if err != nil {
		return EscalationView{}, err
	}
	v := EscalationView{Escalation: e, Processes: []*flow.Instance{}, MayEscalate: e.State == EscalationUnresolved && directs(actor, p)}
	if s.flow != nil {
		ps, err := s.flow.Bound(ctx, actor, SubjectEscalation, e.ID)
		if err != nil {
			return v, err
		}
		if ps != nil {
			v.Processes = ps
		}
	}
	return v, nil
}

// followEscalation keeps an escalation in step with its processes, in the
// transaction of each change: the meeting's confirmation records whether
// it resolved the difficulty (and its decision); the committee's request
// moves it before the committee (once: a second request for the same
// escalation is refused), and the committee's last signature records its
// decision.
func (s *Service) followEscalation(ctx context.Context, ev flow.LifeEvent) error {
	const op = "projects.followEscalation"
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap(op, fmt.Errorf("transaction of type %T", ev.Tx))
	}
	e, err := store.GetEscalation(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	meeting := ev.Instance.DefinitionKey == DefinitionTopicMeeting
	decision, _ := ev.Instance.Form["decision"].(string)
	state := ""
	switch {
	case ev.Point == flow.LifeStarted && meeting:
		if e.MeetingInstanceID == 0 {
			return tx.SetEscalationMeeting(e.ID, ev.Instance.ID)
		}
		return nil
	case ev.Point == flow.LifeStarted:
		if e.CommitteeInstanceID == ev.Instance.ID {
			return nil // resubmitted after a return
		}
		if err := tx.SetEscalationCommittee(e.ID, ev.Instance.ID); err != nil {
			return err
		}
		state = EscalationCommittee
	case ev.Point == flow.LifeApproved && meeting:
		state = EscalationUnresolved
		if ev.Outcome == EscalationResolved {
			state = EscalationResolved
		}
		if err := tx.SetEscalationState(e.ID, state, decision, state == EscalationResolved); err != nil {
			return err
		}
	case ev.Point == flow.LifeApproved:
		state = EscalationDecided
		if err := tx.SetEscalationState(e.ID, state, decision, true); err != nil {
			return err
		}
	default:
		return nil
	}
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.escalation_" + state, Entity: "project",
		EntityID: strconv.FormatInt(e.ProjectID, 10), Changes: []audit.Change{{Field: "escalation_id", New: strconv.FormatInt(e.ID, 10)},
			{Field: "state", Old: e.State, New: state}, {Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)},
			{Field: "decision", Old: e.Decision, New: decision}}})
}

// escalationContent is what a signature on an escalation's processes
// covers: the difficulty as it was opened.
func (s *Service) escalationContent(ctx context.Context, id int64) ([]byte, error) {
	e, err := store.GetEscalation(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), e.ProjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"project": p.Code, "title": e.Title, "node": e.Node, "difficulty": e.Difficulty})
}

func (s *Service) describeEscalation(ctx context.Context, id int64) (string, string, error) {
	e, err := store.GetEscalation(ctx, s.db.R(), id)
	if err != nil {
		return "", "", err
	}
	p, err := store.GetProject(ctx, s.db.R(), e.ProjectID)
	if err != nil {
		return "", "", err
	}
	return p.Code + " 难题 " + e.Title, "/projects/" + url.PathEscape(p.Code) + "/escalations/" + strconv.FormatInt(id, 10), nil
}
