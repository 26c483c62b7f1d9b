package projects

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// A project's team (DIR-3, PRJ-1): the director assigns researchers and
// analysts, each for a period with a first and (once it ends) a last day,
// so that who was on the team on a given day can be told — by the
// inspection, and by the visibility rule (PRJ-12). A period is never
// removed: it is ended.

// MemberInput adds a person to a team.
type MemberInput struct {
	PersonID int64  `json:"person_id"`
	From     string `json:"from"`         // first day, YYYY-MM-DD
	To       string `json:"to,omitempty"` // last day, if known
}

// EndInput ends a membership.
type EndInput struct {
	To     string `json:"to"` // last day, YYYY-MM-DD
	Reason string `json:"reason,omitempty"`
}

// mayAssign reports whether actor may manage who of department dept is on
// project p: the project's director, or the director of dept when the
// project involves it (the analytical director assigns analysts).
func mayAssign(actor domain.Actor, p store.Project, dept int64) bool {
	return directs(actor, p) || dept != 0 && slices.Contains(p.Departments, dept) && actor.HasIn(domain.RoleDirector, dept)
}

// memberRole is the role a person holds on a team: researcher or
// analyst, in a department the project involves.
func memberRole(per domain.Person, p store.Project) (string, bool) {
	for _, g := range per.Grants {
		if (g.Role == domain.RoleResearcher || g.Role == domain.RoleAnalyst) && slices.Contains(p.Departments, g.DepartmentID) {
			return string(g.Role), true
		}
	}
	return "", false
}

// AddMember puts a researcher or analyst of a department the project
// involves on its team from a day (to a day, if known). Who may: the
// project's director, or the director of the person's department
// (KindForbidden). Bad dates, a person who is not an active researcher or
// analyst of an involved department, or a period overlapping one the person
// has already are KindInvalid naming the field.
func (s *Service) AddMember(ctx context.Context, actor domain.Actor, code string, in MemberInput) (store.ProjectMember, error) {
	const op = "projects.AddMember"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.ProjectMember{}, err
	}
	in.From, in.To = strings.TrimSpace(in.From), strings.TrimSpace(in.To)
	var c domain.Checker
	per, perr := s.ppl.Person(ctx, in.PersonID)
	if !directs(actor, p) && (perr != nil || !mayAssign(actor, p, per.DepartmentID)) {
		return store.ProjectMember{}, domain.Forbidden(op)
	}
	role := ""
	switch {
	case in.PersonID == 0:
		c.Add("person_id", "field.required")
	case perr != nil || !per.Active:
		c.Add("person_id", "projects.member.bad_person")
	default:
		var ok bool
		if role, ok = memberRole(per, p); !ok {
			c.Add("person_id", "projects.member.not_in_departments")
		}
	}
	c.Date("from", in.From, true)
	c.Date("to", in.To, false)
	if !c.Has("from") && !c.Has("to") && in.To != "" && in.To < in.From {
		c.Add("to", "projects.member.to_before_from", "from", in.From)
	}
	if err := c.Err(op); err != nil {
		return store.ProjectMember{}, err
	}
	ms, err := store.ProjectMembers(ctx, s.db.R(), p.ID)
	if err != nil {
		return store.ProjectMember{}, domain.Wrap(op, err)
	}
	for _, m := range ms {
		if m.PersonID == in.PersonID && overlap(m.From, m.To, in.From, in.To) {
			return store.ProjectMember{}, invalid(op, "from", "projects.member.overlap", "from", m.From, "to", m.To)
		}
	}
	var m store.ProjectMember
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		m, err = tx.InsertProjectMember(store.ProjectMember{ProjectID: p.ID, PersonID: in.PersonID, Role: role, From: in.From, To: in.To, AddedBy: actor.ID})
		if err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.member_add", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "person_id", New: strconv.FormatInt(in.PersonID, 10)},
				{Field: "person", New: per.Name}, {Field: "role", New: role}, {Field: "from", New: in.From}, {Field: "to", New: in.To}}})
	})
	return m, domain.Wrap(op, err)
}

// overlap reports whether two periods (to "" open) share a day.
func overlap(from1, to1, from2, to2 string) bool {
	return (to1 == "" || from2 <= to1) && (to2 == "" || from1 <= to2)
}

// EndMember sets the last day of a membership: the same who may add it
// may end it; the last day cannot be before the first (KindInvalid on to),
// and a membership ended already cannot be ended again (KindConflict).
func (s *Service) EndMember(ctx context.Context, actor domain.Actor, code string, memberID int64, in EndInput) (store.ProjectMember, error) {
	const op = "projects.EndMember"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.ProjectMember{}, err
	}
	m, err := store.GetProjectMember(ctx, s.db.R(), memberID)
	if err != nil || m.ProjectID != p.ID {
		return store.ProjectMember{}, domain.NotFound(op, "entity.project_member")
	}
	per, _ := s.ppl.Person(ctx, m.PersonID)
	if !mayAssign(actor, p, per.DepartmentID) {
		return store.ProjectMember{}, domain.Forbidden(op)
	}
	if m.EndedAt != "" {
		return m, domain.Conflict(op, "projects.member.ended")
	}
	in.To, in.Reason = strings.TrimSpace(in.To), strings.TrimSpace(in.Reason)
	var c domain.Checker
	c.Date("to", in.To, true)
	if !c.Has("to") && in.To < m.From {
		c.Add("to", "projects.member.to_before_from", "from", m.From)
	}
	c.Text("reason", in.Reason, false, 1000)
	if err := c.Err(op); err != nil {
		return m, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.EndProjectMember(m.ID, in.To, actor.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.member_end", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Reason: in.Reason, Changes: []audit.Change{{Field: "member_id", New: strconv.FormatInt(m.ID, 10)},
				{Field: "person_id", New: strconv.FormatInt(m.PersonID, 10)}, {Field: "to", Old: m.To, New: in.To}}})
	})
	if err != nil {
		return m, domain.Wrap(op, err)
	}
	m.To = in.To
	return m, nil
}
