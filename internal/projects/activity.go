package projects

import (
	"context"
	"strconv"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// What is happening on a project (issue 10, the project page): the open
// tasks on the processes of its records — who holds which step since when
// — and its history, the audit trail of everything done to it.

// historyLimit is how many events of a project's history a page shows.
const historyLimit = 100

// OpenTasks lists the open tasks on the processes bound to project code's
// records, oldest first, as far as actor may see those processes (the
// engine's rule decides, instance by instance). A project actor may not
// see is KindNotFound.
func (s *Service) OpenTasks(ctx context.Context, actor domain.Actor, code string) ([]store.ProjectOpenTask, error) {
	const op = "projects.OpenTasks"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return nil, err
	}
	ts, err := store.ProjectOpenTasks(ctx, s.db.R(), s.recordTables(), p.ID)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	out := []store.ProjectOpenTask{}
	seen := map[int64]bool{}
	for _, t := range ts {
		ok, known := seen[t.InstanceID]
		if !known && s.flow != nil {
			in, err := s.db.Flow().Instance(ctx, t.InstanceID)
			if err != nil {
				return nil, domain.Wrap(op, err)
			}
			if ok, err = s.flow.CanView(ctx, actor, in); err != nil {
				return nil, domain.Wrap(op, err)
			}
			seen[t.InstanceID] = ok
		}
		if ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// History lists the audit trail of project code, newest first (at most a
// hundred events): to whoever may see the project (PRJ-12), KindNotFound
// to anyone else.
func (s *Service) History(ctx context.Context, actor domain.Actor, code string) ([]audit.Event, error) {
	const op = "projects.History"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return nil, err
	}
	evs, err := s.db.FindAudit(ctx, store.AuditFilter{Entity: "project", EntityID: strconv.FormatInt(p.ID, 10), Desc: true, Limit: historyLimit})
	return evs, domain.Wrap(op, err)
}

// CodeOf is the code of project id, to name it in the audit trail (whose
// readers see every event of it already), or "" when there is none.
func (s *Service) CodeOf(ctx context.Context, id int64) string {
	p, err := store.GetProject(ctx, s.db.R(), id)
	if err != nil {
		return ""
	}
	return p.Code
}
