package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labflow/internal/projects"
)

// The initiation part's panel on the project page (issue 10; DIR-2,
// PRJ-1, DIR-6, PRJ-8): the feasibility reports with the decision, the
// candidate routes with the kick-off report, and the register of original
// records, each with the form of who may act; and the forms' handlers,
// which redirect back to the panel or show the page again with the
// problem beside the form.

// initPanel is the panel's data.
type initPanel struct {
	formState
	Code        string
	Feasibility projects.Feasibility
	Routes      projects.Routes
	Records     projects.Records
	DeptNames   map[int64]string
	// Form names the form that failed (report, route, choose, kickoff,
	// record).
	Form string
	// Open are the requests the viewer may open (the others are named
	// without a link).
	Open map[int64]bool
}

// initFormKey carries a failed form's state to the page shown again.
type initFormKey struct{}

type initFailed struct {
	formState
	form string
}

// initPanel reads the panel of project code for the request's viewer (nil
// when it cannot be read: the page shows the rest).
func (s *Server) initPanel(r *http.Request, code string, names map[int64]string) *initPanel {
	svc, err := s.projectService()
	if err != nil {
		return nil
	}
	a, _ := actor(r)
	p := &initPanel{Code: code, DeptNames: names}
	if p.Feasibility, err = svc.Feasibility(r.Context(), a, code); err != nil {
		return nil
	}
	if p.Routes, err = svc.Routes(r.Context(), a, code); err != nil {
		return nil
	}
	if p.Records, err = svc.Records(r.Context(), a, code); err != nil {
		return nil
	}
	p.Open = map[int64]bool{}
	ids := []int64{}
	if in := p.Feasibility.Initiation; in != nil {
		ids = append(ids, in.InstanceID)
	}
	for _, k := range p.Routes.Kickoffs {
		ids = append(ids, k.InstanceID)
	}
	for _, e := range p.Records.Entries {
		ids = append(ids, e.InstanceID)
	}
	for _, id := range ids {
		if id == 0 {
			continue
		}
		if inst, err := s.DB.Flow().Instance(r.Context(), id); err == nil {
			p.Open[id], _ = s.Flow.CanView(r.Context(), a, inst)
		}
	}
	if f, ok := r.Context().Value(initFormKey{}).(*initFailed); ok {
		p.formState, p.Form = f.formState, f.form
	}
	return p
}

// initiationPages registers the panel's form handlers.
func (s *Server) initiationPages() {
	m := s.mux
	m.HandleFunc("POST /projects/{code}/feasibility", s.page(s.uiFileReport))
	m.HandleFunc("POST /projects/{code}/routes", s.page(s.uiAddRoute))
	m.HandleFunc("POST /projects/{code}/routes/{id}/choose", s.page(s.uiChooseRoute))
	m.HandleFunc("POST /projects/{code}/kickoff", s.page(s.uiFileKickoff))
	m.HandleFunc("POST /projects/{code}/records", s.page(s.uiAddRecord))
}

// initDone redirects to the panel's section, or shows the project page
// again with the problem beside form.
func (s *Server) initDone(w http.ResponseWriter, r *http.Request, form, anchor string, err error) error {
	if err == nil {
		http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("code"))+"#"+anchor, http.StatusSeeOther)
		return nil
	}
	return s.formError(w, r, err, func(fe map[string]string, msg string) error {
		ctx := context.WithValue(r.Context(), initFormKey{}, &initFailed{formState: failed(fe, msg), form: form})
		return s.uiProject(w, r.WithContext(ctx))
	})
}

// hashes reads SHA-256 values from a text field (separated by spaces,
// commas or new lines).
func hashes(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (s *Server) uiFileReport(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	dept, _ := strconv.ParseInt(r.PostFormValue("department"), 10, 64)
	in := projects.FeasibilityInput{Department: dept, Conclusion: r.PostFormValue("conclusion"), Feasibility: r.PostFormValue("feasibility"),
		Difficulty: r.PostFormValue("difficulty"), Timeliness: r.PostFormValue("timeliness"), Methods: r.PostFormValue("methods")}
	_, err = svc.FileReport(r.Context(), a, r.PathValue("code"), in)
	return s.initDone(w, r, "report", "initiation", err)
}

func (s *Server) uiAddRoute(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	in := projects.RouteInput{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Description: r.PostFormValue("description"),
		Literature: r.PostFormValue("literature"), Patents: r.PostFormValue("patents"), Files: hashes(r.PostFormValue("files"))}
	_, err = svc.AddRoute(r.Context(), a, r.PathValue("code"), in)
	return s.initDone(w, r, "route", "routes", err)
}

func (s *Server) uiChooseRoute(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.route")
	if err != nil {
		return err
	}
	r.ParseForm()
	_, err = svc.ChooseRoute(r.Context(), a, r.PathValue("code"), id, projects.ChooseInput{Reason: r.PostFormValue("reason")})
	return s.initDone(w, r, "choose", "routes", err)
}

func (s *Server) uiFileKickoff(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	route, _ := strconv.ParseInt(r.PostFormValue("route_id"), 10, 64)
	_, inst, err := svc.FileKickoff(r.Context(), a, r.PathValue("code"), projects.KickoffInput{RouteID: route, Summary: r.PostFormValue("summary"),
		Files: hashes(r.PostFormValue("files"))})
	if err == nil {
		// The director signs it next, on its request.
		http.Redirect(w, r, "/instances/"+strconv.FormatInt(inst.ID, 10), http.StatusSeeOther)
		return nil
	}
	return s.initDone(w, r, "kickoff", "routes", err)
}

// uiAddRecord enters original records with their scans, uploaded with
// the form (multipart), as the author.
func (s *Server) uiAddRecord(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		r.ParseForm()
	}
	in := projects.RecordInput{Notebook: r.FormValue("notebook"), Node: r.FormValue("node"), Experiment: r.FormValue("experiment"),
		StartedOn: r.FormValue("started_on"), EndedOn: r.FormValue("ended_on"), Note: r.FormValue("note"), Files: hashes(r.FormValue("hashes"))}
	in.PageFrom, _ = strconv.Atoi(r.FormValue("page_from"))
	in.PageTo, _ = strconv.Atoi(r.FormValue("page_to"))
	in.Supersedes, _ = strconv.ParseInt(r.FormValue("supersedes"), 10, 64)
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			f, err := fh.Open()
			if err != nil {
				return err
			}
			att, err := s.Attach.Upload(r.Context(), a, fh.Filename, f, "", "")
			f.Close()
			if err != nil {
				return s.initDone(w, r, "record", "records", err)
			}
			in.Files = append(in.Files, att.SHA256)
		}
	}
	_, _, err = svc.AddRecord(r.Context(), a, r.PathValue("code"), in)
	return s.initDone(w, r, "record", "records", err)
}
