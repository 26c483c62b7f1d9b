package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/i18n"
	"labflow/internal/projects"
)

// The experiments panel of a project's page and the /projects/{code}/
// experiments page (EXP-1..4): pre-checks and experiments per node, with
// the forms to file a pre-check, record a start, report a result and
// record the director's decision. A form that fails comes back on the
// experiments page with its errors; one that succeeds returns to the
// project page's panel.

// expPanel is the experiments panel: the view and the forms' state.
type expPanel struct {
	Code string
	V    projects.ExperimentsView
	// Refusal says why no pre-check can be filed (no signed plan).
	Refusal string
	formState
	// Form is the form sent that failed, by field; Checked its items.
	Form    map[string]string
	Checked map[string]bool
	// Which names the form that failed (precheck, start, report-ID,
	// decision-ID).
	Which string
	Today string
}

// experimentsPanel builds the panel of project code for the viewer.
func (s *Server) experimentsPanel(r *http.Request, code string) (*expPanel, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	a, _ := actor(r)
	v, err := svc.Experiments(r.Context(), a, code)
	if err != nil {
		return nil, err
	}
	p := &expPanel{Code: code, V: v, Form: map[string]string{}, Checked: map[string]bool{}, Today: s.DB.Now().In(s.TimeZone).Format("2006-01-02")}
	if v.Refusal != nil {
		p.Refusal = i18n.T(s.lang(r), v.Refusal.Key, v.Refusal.Args)
	}
	return p, nil
}

// experimentsPage is the experiments of one project with their forms.
type experimentsPage struct {
	Page
	Exp *expPanel
}

func (*experimentsPage) template() string { return "project_experiments" }

func (s *Server) uiExperiments(w http.ResponseWriter, r *http.Request) error {
	p, err := s.experimentsPanel(r, r.PathValue("code"))
	if err != nil {
		return err
	}
	s.render(w, r, &experimentsPage{Exp: p})
	return nil
}

// expDone returns to the project page's panel after a form succeeded.
func expDone(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("code"))+"#experiments", http.StatusSeeOther)
}

// expFailed shows the experiments page again with the form's errors.
func (s *Server) expFailed(w http.ResponseWriter, r *http.Request, err error, which string) error {
	return s.formError(w, r, err, func(fe map[string]string, msg string) error {
		p, perr := s.experimentsPanel(r, r.PathValue("code"))
		if perr != nil {
			return perr
		}
		p.formState, p.Which = failed(fe, msg), which
		for k, vs := range r.PostForm {
			if len(vs) > 0 {
				p.Form[k] = vs[0]
			}
		}
		for _, c := range r.PostForm["checks"] {
			p.Checked[c] = true
		}
		s.render(w, r, &experimentsPage{Exp: p})
		return nil
	})
}

// formInt reads an integer form value (0 when empty or not a number: the
// service names the field).
func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	return n
}

func (s *Server) uiFilePrecheck(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	in := projects.PrecheckInput{Node: r.PostFormValue("node"), Step: r.PostFormValue("step"), PlannedOn: r.PostFormValue("planned_on"),
		Materials: r.PostFormValue("materials"), Checks: r.PostForm["checks"], Note: r.PostFormValue("note")}
	if _, _, err := svc.FilePrecheck(r.Context(), a, r.PathValue("code"), in); err != nil {
		return s.expFailed(w, r, err, "precheck")
	}
	expDone(w, r)
	return nil
}

func (s *Server) uiStartExperiment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	in := projects.StartExperimentInput{PrecheckID: formInt(r, "precheck_id"), RetestOf: formInt(r, "retest_of")}
	if _, err := svc.StartExperiment(r.Context(), a, r.PathValue("code"), in); err != nil {
		return s.expFailed(w, r, err, "start")
	}
	expDone(w, r)
	return nil
}

func (s *Server) uiReportExperiment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.experiment")
	if err != nil {
		return err
	}
	r.ParseForm()
	tests := strings.TrimSpace(r.PostFormValue("tests_used"))
	n, nerr := strconv.Atoi(tests)
	if tests != "" && nerr != nil {
		e := domain.E(domain.KindInvalid, "web.report", "error.invalid")
		e.Fields = map[string]domain.Msg{"tests_used": {Key: "projects.exp.bad_tests"}}
		return s.expFailed(w, r, e, "report-"+r.PathValue("id"))
	}
	in := projects.ReportInput{Result: r.PostFormValue("result"), TestsUsed: n, Report: r.PostFormValue("report")}
	if _, err := svc.ReportExperiment(r.Context(), a, r.PathValue("code"), id, in); err != nil {
		return s.expFailed(w, r, err, "report-"+r.PathValue("id"))
	}
	expDone(w, r)
	return nil
}

func (s *Server) uiDecideExperiment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.experiment")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := projects.DecisionInput{Decision: r.PostFormValue("decision"), Note: r.PostFormValue("note"), NextPlan: r.PostFormValue("next_plan")}
	if _, err := svc.DecideExperiment(r.Context(), a, r.PathValue("code"), id, in); err != nil {
		return s.expFailed(w, r, err, "decision-"+r.PathValue("id"))
	}
	expDone(w, r)
	return nil
}
