package projects

import (
	"context"
	"slices"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// A project's stages (SPEC PRJ-5..9; COMPLIANCE §4.1): lab scale (小试,
// three scale-up batches), pilot (中试, three batches, optionally at an
// outside site; for a project with analytical work, its method study and
// stability study, which must have ended), stability, dossier (each
// department's section reviewed by registration and the Business Dean),
// on-site inspection preparation (a checklist of the records PRJ-8 names)
// and closed. A stage closes by a closure application the Technical
// Committee confirms (the stage-closure process), refused while the
// stage's gate does not hold; the confirmation creates the stage's bonus
// from the signed reward plan and moves the project to the next stage, in
// the same transaction.

// The kinds of record of the stages, and the processes that govern them.
const (
	// SubjectClosure is a closure application (结题申请单).
	SubjectClosure = "projects.closure"
	// SubjectDossier is a section of the registration dossier.
	SubjectDossier = "projects.dossier_section"
	// DefinitionClosure decides a closure application.
	DefinitionClosure = "stage-closure"
	// DefinitionDossier reviews a dossier section.
	DefinitionDossier = "dossier-section"
)

// The kinds of batch and the sites of a batch.
const (
	BatchScaleUp   = "scale_up"
	BatchStability = "stability"
	SiteInHouse    = "in_house"
	SiteOutside    = "outside"
)

// BatchesPerStage is the number of passed batches a lab or pilot stage
// needs (PRJ-5, PRJ-6: three scale-up batches).
const BatchesPerStage = 3

// InspectionItems are the records the on-site inspection preparation
// checks (PRJ-8), in order.
var InspectionItems = []string{"original_records", "instrument_records", "climate_records", "structure_spectra", "electronic_spectra", "consistency"}

// closable reports whether stage ends by a closure application of this
// part (initiation ends by the go decision).
func closable(stage string) bool {
	return slices.Contains([]string{"lab", "pilot", "stability", "dossier", "inspection"}, stage)
}

// hasBatches reports whether a stage's work is batches.
func hasBatches(stage string) bool {
	return stage == "lab" || stage == "pilot" || stage == "stability"
}

// nextStage is the stage after stage.
func nextStage(stage string) string {
	i := slices.Index(Stages, stage)
	if i < 0 || i+1 >= len(Stages) {
		return stage
	}
	return Stages[i+1]
}

// analytical reports whether project p involves the analytical
// department (department code "analytical"): its pilot stage holds the
// method and stability studies, and its closures need instrument-use and
// temperature/humidity records.
func (s *Service) analytical(ctx context.Context, p store.Project) (bool, error) {
	ds, err := s.ppl.Departments(ctx, true)
	if err != nil {
		return false, err
	}
	for _, d := range ds {
		if d.Code == "analytical" && slices.Contains(p.Departments, d.ID) {
			return true, nil
		}
	}
	return false, nil
}

// stageOnTeam reports whether actor is on project p's team today.
func (s *Service) stageOnTeam(ctx context.Context, actor domain.Actor, p store.Project) (bool, error) {
	ms, err := store.ProjectMembers(ctx, s.db.R(), p.ID)
	if err != nil {
		return false, err
	}
	today := s.today()
	return slices.ContainsFunc(ms, func(m store.ProjectMember) bool {
		return m.PersonID == actor.ID && m.From <= today && (m.To == "" || m.To >= today)
	}), nil
}

// works reports whether actor does the project's work: its director or a
// team member today.
func (s *Service) works(ctx context.Context, actor domain.Actor, p store.Project) (bool, error) {
	if directs(actor, p) {
		return true, nil
	}
	return s.stageOnTeam(ctx, actor, p)
}

// registerStages declares the stages' kinds of record: closure
// applications, whose state follows their process and whose confirmation
// creates the bonus and moves the project on (closureLife), and dossier
// sections, whose state follows their review.
func (s *Service) registerStages(reg *flow.Registry) {
	reg.RegisterSubjectKind(flow.SubjectKind{
		Name:     SubjectClosure,
		Title:    flow.Text{ZH: "结题申请单", EN: "Closure application"},
		Content:  s.closureContent,
		Describe: s.describeClosure,
		Visible: func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			c, err := store.GetClosure(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, c.ProjectID)
		},
		VisibleWhere: s.visibleWhere("project_closure"),
		On:           s.closureLife,
	})
	reg.RegisterSubjectKind(flow.SubjectKind{
		Name:     SubjectDossier,
		Title:    flow.Text{ZH: "申报资料章节", EN: "Dossier section"},
		Content:  s.dossierContent,
		Describe: s.describeDossier,
		Visible: func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			d, err := store.GetDossierSection(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, d.ProjectID)
		},
		VisibleWhere: s.visibleWhere("project_dossier"),
		On:           dossierLife,
	})
}

// registerStageNames declares the stages' kinds of record by name only.
func registerStageNames(reg *flow.Registry) {
	reg.RegisterSubjectKind(named(SubjectClosure, flow.Text{ZH: "结题申请单", EN: "Closure application"}))
	reg.RegisterSubjectKind(named(SubjectDossier, flow.Text{ZH: "申报资料章节", EN: "Dossier section"}))
}
