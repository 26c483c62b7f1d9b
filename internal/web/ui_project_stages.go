package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/i18n"
	"labflow/internal/projects"
)

// A project's stages on its page (the panel) and on their own page,
// /projects/{code}/stages (issue 10; PRJ-5..9): the current stage's gate
// with what it still lacks, in the reader's language, the batches with
// their results, the closure applications, the stage bonuses, the dossier
// sections and the inspection checklist.

// stagesPanel is the stages' part of a page.
type stagesPanel struct {
	V projects.StagesView
	// Lacks are the gate's reasons, translated.
	Lacks []string
}

// stagesPanelOf reads project code's stages for the page; a project the
// viewer may not see has none (nil).
func (s *Server) stagesPanelOf(r *http.Request, code string) (*stagesPanel, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	a, _ := actor(r)
	v, err := svc.Stages(r.Context(), a, code)
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return nil, nil
		}
		return nil, err
	}
	lang := s.lang(r)
	p := &stagesPanel{V: v}
	for _, m := range v.Gate.Lacks {
		p.Lacks = append(p.Lacks, i18n.T(lang, m.Key, m.Args))
	}
	return p, nil
}

func (s *Server) uiProjectStages(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	p, err := s.stagesPanelOf(r, code)
	if err != nil {
		return err
	}
	if p == nil {
		return domain.NotFound("web.uiProjectStages", "entity.project")
	}
	s.render(w, r, &projectStagesPage{Code: code, Stages: p})
	return nil
}

// projectStagesPage is a project's stages on their own page.
type projectStagesPage struct {
	Page
	Code   string
	Stages *stagesPanel
}

func (*projectStagesPage) template() string { return "project_stages" }
