package projects

import (
	"context"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Who sees a project (SPEC PRJ-12), decided here once: every list, page,
// reference and plan of the package goes through scope. The Business Dean
// and the GM see every project (so do the registration specialists, who
// answer every project's 发补); a director the projects of their
// department (a department the project involves) and those they direct;
// a team member the projects they are on, on the days they are on them
// (from their first day to their last); nobody else — not the system
// administrator, who has no business role (COMPLIANCE R12).

// scope is the filter of the projects actor may see.
func (s *Service) scope(actor domain.Actor) store.ProjectFilter {
	if !actor.HasBusinessRole() {
		return store.ProjectFilter{} // sees nothing
	}
	if actor.Has(domain.RoleGM) || actor.Has(domain.RoleBusinessDean) {
		return store.ProjectFilter{All: true}
	}
	// The registration specialists answer every project's supplementary
	// requests (发补, PRJ-10) and review every dossier: they see every
	// project.
	if actor.Has(domain.RoleRegistration) {
		return store.ProjectFilter{All: true}
	}
	f := store.ProjectFilter{PersonID: actor.ID, Today: s.today()}
	for _, g := range actor.Grants {
		if g.Role == domain.RoleDirector && g.DepartmentID != 0 {
			f.Departments = append(f.Departments, g.DepartmentID)
		}
	}
	return f
}

// visible reports whether actor may see project id.
func (s *Service) visible(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
	f := s.scope(actor)
	if f.All {
		return true, nil
	}
	return store.ProjectVisible(ctx, s.db.R(), f, id)
}

// Visible reports whether actor may see project id (PRJ-12).
func (s *Service) Visible(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
	ok, err := s.visible(ctx, actor, id)
	return ok, domain.Wrap("projects.Visible", err)
}

// visibleWhere is visible in SQL for the records of table (each with a
// project_id; "project" for projects themselves): the kinds of record's
// VisibleWhere, so that the requests bound to a project's records are
// listed to who sees the project (flow's subject_viewers, PRJ-12).
func (s *Service) visibleWhere(table string) func(domain.Actor, string, func(any) string) string {
	return func(actor domain.Actor, id string, arg func(any) string) string {
		return s.scope(actor).RecordVisibleWhere(table, id, arg)
	}
}

// named is a kind of record declared by name, for loading and linting
// definitions where nothing runs: it says who may see its records (nobody
// there), so that a definition may let who sees them see its requests.
func named(name string, title flow.Text) flow.SubjectKind {
	return flow.SubjectKind{Name: name, Title: title,
		Visible:      func(context.Context, domain.Actor, int64) (bool, error) { return false, nil },
		VisibleWhere: func(domain.Actor, string, func(any) string) string { return "1 = 0" }}
}

// load reads the project with code that actor may see; one they may not
// see is not found, as one that does not exist.
func (s *Service) load(ctx context.Context, op string, actor domain.Actor, code string) (store.Project, error) {
	p, err := store.ProjectByCode(ctx, s.db.R(), code)
	if err != nil {
		return p, domain.Wrap(op, err)
	}
	ok, err := s.visible(ctx, actor, p.ID)
	if err != nil {
		return p, domain.Wrap(op, err)
	}
	if !ok {
		return p, domain.NotFound(op, "entity.project")
	}
	return p, nil
}

// directs reports whether actor directs project p: its director, or the
// director of its lead department (who took the department over).
func directs(actor domain.Actor, p store.Project) bool {
	return actor.ID == p.DirectorID || actor.HasIn(domain.RoleDirector, p.DepartmentID)
}
