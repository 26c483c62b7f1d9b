package projects

import (
	"context"
	"encoding/json"
	"strconv"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Stage bonuses (PRJ-5, PRJ-6, PRJ-9): created by a confirmed closure
// (stage_closure.go), never by hand. Who sees them: who sees the project
// (PRJ-12), and finance, who pays them and sees every bonus record (with
// its project's code and name, not the project); finance records the
// payment.

// BonusView is a bonus record with its project and its shares.
type BonusView struct {
	store.Bonus
	ProjectCode string       `json:"project_code"`
	ProjectName string       `json:"project_name"`
	Recipients  []BonusShare `json:"recipients"`
}

// mayPay reports whether actor is finance (pays bonuses).
func mayPay(actor domain.Actor) bool { return actor.Has(domain.RoleFinance) }

func (s *Service) bonusView(ctx context.Context, b store.Bonus, p store.Project) BonusView {
	v := BonusView{Bonus: b, ProjectCode: p.Code, ProjectName: p.Name, Recipients: []BonusShare{}}
	_ = json.Unmarshal([]byte(b.Shares), &v.Recipients)
	return v
}

// Bonuses lists the bonus records actor may see: every one for finance,
// the GM and the Business Dean; otherwise those of the projects actor
// sees (PRJ-12).
func (s *Service) Bonuses(ctx context.Context, actor domain.Actor) ([]BonusView, error) {
	const op = "projects.Bonuses"
	f := s.scope(actor)
	if mayPay(actor) {
		f = store.ProjectFilter{All: true}
	}
	f.Limit = 1000
	ps, _, err := store.FindProjects(ctx, s.db.R(), f)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	out := []BonusView{}
	for _, p := range ps {
		bs, err := store.ProjectBonuses(ctx, s.db.R(), p.ID)
		if err != nil {
			return nil, domain.Wrap(op, err)
		}
		for _, b := range bs {
			out = append(out, s.bonusView(ctx, b, p))
		}
	}
	return out, nil
}

// PayBonus records that finance paid bonus id (KindForbidden for anyone
// else; one paid already is KindConflict).
func (s *Service) PayBonus(ctx context.Context, actor domain.Actor, id int64) (BonusView, error) {
	const op = "projects.PayBonus"
	if !mayPay(actor) {
		return BonusView{}, domain.Forbidden(op)
	}
	b, err := store.GetBonus(ctx, s.db.R(), id)
	if err != nil {
		return BonusView{}, domain.Wrap(op, err)
	}
	if b.PaidAt != "" {
		return BonusView{}, domain.Conflict(op, "projects.bonus.paid_already")
	}
	p, err := store.GetProject(ctx, s.db.R(), b.ProjectID)
	if err != nil {
		return BonusView{}, domain.Wrap(op, err)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.PayBonus(b.ID, actor.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.bonus_pay", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "bonus_id", New: strconv.FormatInt(b.ID, 10)},
				{Field: "stage", New: b.Stage}, {Field: "amount", New: b.Amount}}})
	})
	if err != nil {
		return BonusView{}, domain.Wrap(op, err)
	}
	b, err = store.GetBonus(ctx, s.db.R(), id)
	return s.bonusView(ctx, b, p), domain.Wrap(op, err)
}
