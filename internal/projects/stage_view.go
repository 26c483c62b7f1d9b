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
	// ProjectVisible reports whether the viewer sees the project itself
	// (PRJ-12), not only its stage work.
	ProjectVisible bool `json:"project_visible"`
	// Visible marks the processes the records link to that the viewer
	// may see, by id.
	Visible map[int64]bool `json:"visible"`
	// Names are the names of the people the records name (recorders,
	// verifiers, writers, recipients), by id.
	Names map[int64]string `json:"names"`
}

// InspectionItem is an item of the inspection checklist and its check,
// if made.
type InspectionItem struct {
	Item  string                 `json:"item"`
	Check *store.InspectionCheck `json:"check,omitempty"`
}

// Stages returns project code's stage work as actor may see it: who sees
// the project (PRJ-12); a registration specialist, a project in its
// dossier or inspection stage (PRJ-8: they assist); and who may see a
// process bound to its closures or dossier sections (a committee member
// confirming a closure, the reviewer of a section), which is how the
// process's page links to it. Anyone else gets KindNotFound.
func (s *Service) Stages(ctx context.Context, actor domain.Actor, code string) (StagesView, error) {
	const op = "projects.Stages"
	p, err := store.ProjectByCode(ctx, s.db.R(), code)
	if err != nil {
		return StagesView{}, domain.Wrap(op, err)
	}
	seen, err := s.visible(ctx, actor, p.ID)
	if err != nil {
		return StagesView{}, domain.Wrap(op, err)
	}
	projectSeen := seen
	if !seen && actor.Has(domain.RoleRegistration) && slices.Contains([]string{"dossier", "inspection"}, p.Stage) {
		seen = true
	}
	v := StagesView{Code: p.Code, Stage: p.Stage, Processes: []*flow.Instance{}, Visible: map[int64]bool{}, ProjectVisible: projectSeen}
	if seen {
		v.MayDirect = directs(actor, p)
		if v.MayWork, err = s.works(ctx, actor, p); err != nil {
			return v, domain.Wrap(op, err)
		}
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
	if err := s.bound(ctx, actor, &v); err != nil {
		return v, err
	}
	if !seen && len(v.Processes) == 0 {
		return StagesView{}, domain.NotFound(op, "entity.project")
	}
	v.Names = s.names(ctx, v)
	return v, nil
}

// bound adds to v the processes of its closures and dossier sections, and
// marks each process v links to (those and the batches' site-loans) that
// actor may see.
func (s *Service) bound(ctx context.Context, actor domain.Actor, v *StagesView) error {
	if s.flow == nil {
		return nil
	}
	for i := len(v.Closures) - 1; i >= 0; i-- {
		ins, err := s.flow.Bound(ctx, actor, SubjectClosure, v.Closures[i].ID)
		if err != nil {
			return err
		}
		v.Processes = append(v.Processes, ins...)
	}
	for _, d := range v.Dossier {
		ins, err := s.flow.Bound(ctx, actor, SubjectDossier, d.ID)
		if err != nil {
			return err
		}
		v.Processes = append(v.Processes, ins...)
	}
	for _, in := range v.Processes {
		v.Visible[in.ID] = true
	}
	for _, b := range v.Batches {
		if id := b.SiteInstanceID; id != 0 {
			if _, done := v.Visible[id]; !done {
				_, err := s.flow.Instance(ctx, actor, id)
				v.Visible[id] = err == nil
			}
		}
	}
	return nil
}

// names names the people v's records name.
func (s *Service) names(ctx context.Context, v StagesView) map[int64]string {
	out := map[int64]string{}
	add := func(id int64) {
		if _, ok := out[id]; ok || id == 0 {
			return
		}
		if p, err := s.ppl.Person(ctx, id); err == nil {
			out[id] = p.Name
		}
	}
	for _, b := range v.Batches {
		for _, r := range b.Results {
			add(r.RecordedBy)
			add(r.VerifiedBy)
		}
	}
	for _, d := range v.Dossier {
		add(d.WriterID)
	}
	for _, b := range v.Bonuses {
		for _, r := range b.Recipients {
			add(r.PersonID)
		}
	}
	return out
}
