package web

import (
	"net/http"

	"labflow/internal/projects"
)

// The dashboards (issue 10): /dashboards/director (a director's
// departments' projects, lateness, open tasks by process, the load of the
// people on them) and /dashboards/business (the Business Dean's: every
// project, what is late and why).

func (s *Server) uiDirectorDashboard(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	d, err := svc.DirectorDashboard(r.Context(), a)
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(r)
	if err != nil {
		return err
	}
	s.render(w, r, &directorDashboardPage{D: d, DeptNames: names, Titles: s.definitionTitles(r)})
	return nil
}

func (s *Server) uiBusinessDashboard(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	d, err := svc.BusinessDashboard(r.Context(), a)
	if err != nil {
		return err
	}
	s.render(w, r, &businessDashboardPage{D: d})
	return nil
}

// definitionTitles maps each process key to its title in the viewer's
// language.
func (s *Server) definitionTitles(r *http.Request) map[string]string {
	out := map[string]string{}
	if s.Flow == nil {
		return out
	}
	lang := s.lang(r)
	for _, d := range s.Flow.Definitions() {
		out[d.Key] = d.Title.In(lang)
	}
	return out
}

// directorDashboardPage is a director's dashboard.
type directorDashboardPage struct {
	Page
	D         projects.DirectorDashboard
	DeptNames map[int64]string
	Titles    map[string]string
}

func (*directorDashboardPage) template() string { return "dashboard_director" }

// businessDashboardPage is the Business Dean's dashboard.
type businessDashboardPage struct {
	Page
	D projects.BusinessDashboard
}

func (*businessDashboardPage) template() string { return "dashboard_business" }
