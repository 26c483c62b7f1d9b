package projects

import (
	"context"
	"slices"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// StagesView is a project's stage work as its page and the API show it:
// the current stage's gate, the batches with their results, the closure
// applications, the bonuses, the dossier sections and the inspection
// checklist.
type StagesView struct {
	Code  string `json:"code"`
	Stage string `json:"stage"`
	// Gate is what the current stage still lacks.
	Gate       GateView               `json:"gate"`
	Batches    []BatchState           `json:"batches"`
	Closures   []store.Closure        `json:"closures"`
	Bonuses    []BonusView            `json:"bonuses"`
	Dossier    []store.DossierSection `json:"dossier"`
	Inspection []InspectionItem       `json:"inspection"`
	// Processes are the closure and dossier processes the viewer may see.
	Processes []*flow.Instance `json:"processes"`
	// MayDirect: the viewer directs the project (files closures, decides
	// failed results); MayWork: the viewer records batches and results.
	MayDirect bool `json:"may_direct"`
	MayWork   bool `json:"may_work"`
}

// InspectionItem is an item of the inspection checklist and its check,
// if made.
type InspectionItem struct {
	Item  string                 `json:"item"`
	Check *store.InspectionCheck `json:"check,omitempty"`
}

// Stages returns project code's stage work as actor may see it
// (KindNotFound when they may not see the project).
func (s *Service) Stages(ctx context.Context, actor domain.Actor, code string) (StagesView, error) {
	const op = "projects.Stages"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return StagesView{}, err
	}
	v := StagesView{Code: p.Code, Stage: p.Stage, MayDirect: directs(actor, p), Processes: []*flow.Instance{}}
	if v.MayWork, err = s.works(ctx, actor, p); err != nil {
		return v, domain.Wrap(op, err)
	}
	if v.Gate, err = s.stageGate(ctx, s.db.R(), p); err != nil {
		return v, domain.Wrap(op, err)
	}
	sr, err := readStage(ctx, s.db.R(), p.ID)
	if err != nil {
		return v, domain.Wrap(op, err)
	}
	plan := Plan{}
	if _, pl, err := s.RequireSignedPlan(ctx, p.ID); err == nil {
		plan = pl
	}
	v.Batches = batchStates(plan, sr)
	v.Dossier = sr.dossier
	for _, item := range InspectionItems {
		it := InspectionItem{Item: item}
		if i := slices.IndexFunc(sr.checks, func(c store.InspectionCheck) bool { return c.Item == item }); i >= 0 {
			it.Check = &sr.checks[i]
		}
		v.Inspection = append(v.Inspection, it)
	}
	if v.Closures, err = store.ProjectClosures(ctx, s.db.R(), p.ID); err != nil {
		return v, domain.Wrap(op, err)
	}
	bs, err := store.ProjectBonuses(ctx, s.db.R(), p.ID)
	if err != nil {
		return v, domain.Wrap(op, err)
	}
	v.Bonuses = []BonusView{}
	for _, b := range bs {
		v.Bonuses = append(v.Bonuses, s.bonusView(ctx, b, p))
	}
	if s.flow != nil {
		for i := len(v.Closures) - 1; i >= 0; i-- {
			ins, err := s.flow.Bound(ctx, actor, SubjectClosure, v.Closures[i].ID)
			if err != nil {
				return v, err
			}
			v.Processes = append(v.Processes, ins...)
		}
		for _, d := range v.Dossier {
			ins, err := s.flow.Bound(ctx, actor, SubjectDossier, d.ID)
			if err != nil {
				return v, err
			}
			v.Processes = append(v.Processes, ins...)
		}
	}
	return v, nil
}
