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

// The pages of supplementary requests (发补, PRJ-10) and escalations
// (PRJ-11): the panels of the project page, a notice's page (questions,
// answers, links, the one submission) and an escalation's page.

// psuppPanel is the 发补 and escalations panels of a project's page.
type psuppPanel struct {
	Code string
	projects.SupplementsPanel
	Rows []psuppRow
	formState
	// Form holds what a failed form sent.
	Form psuppForm
}

// psuppRow is a notice as the panel lists it.
type psuppRow struct {
	projects.SupplementView
	Answered int
	// Unanswered names the open questions ("2, 3").
	Unanswered string
	Clock      psuppClock
}

// psuppClock is a notice's clock in words: days left, or days overdue.
type psuppClock struct {
	Left, Overdue int
	Running       bool
}

func clockOf(v projects.SupplementView) psuppClock {
	c := psuppClock{Running: v.Supplement.State == projects.SupplementOpen}
	if v.DaysLeft < 0 {
		c.Overdue = -v.DaysLeft
	} else {
		c.Left = v.DaysLeft
	}
	return c
}

func intList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// questionErrors folds the errors of the questions' rows into the
// questions field, for the panel's one text box.
func questionErrors(fe map[string]string) map[string]string {
	for k, v := range fe {
		if strings.HasPrefix(k, "questions.") {
			n, _, _ := strings.Cut(strings.TrimPrefix(k, "questions."), ".")
			fe["questions"] = strings.TrimSpace(fe["questions"] + " " + n + ": " + v)
		}
	}
	return fe
}

// psuppForm is the panels' forms as sent.
type psuppForm struct {
	Kind, Number, Title, NoticeDate, Questions    string
	EscTitle, Node, Difficulty, HeldAt, Attendees string
	Minutes, Decision                             string
	Resolved                                      bool
}

// psuppPanelOf builds the panels for project code (nil when the service
// is missing or the viewer may not see them).
func (s *Server) psuppPanelOf(r *http.Request, code string) *psuppPanel {
	svc, err := s.projectService()
	if err != nil {
		return nil
	}
	a, _ := actor(r)
	p, err := svc.Panel(r.Context(), a, code)
	if err != nil {
		return nil
	}
	out := &psuppPanel{Code: code, SupplementsPanel: p}
	for _, v := range p.Supplements {
		out.Rows = append(out.Rows, psuppRow{SupplementView: v, Answered: len(v.Questions) - len(v.Unanswered), Unanswered: intList(v.Unanswered), Clock: clockOf(v)})
	}
	return out
}

// psuppFormPage re-shows a panel's form with what went wrong.
type psuppFormPage struct {
	Page
	P *psuppPanel
}

func (*psuppFormPage) template() string { return "psupp_form" }

func (s *Server) uiRecordSupplement(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	code := r.PathValue("code")
	r.ParseForm()
	f := psuppForm{Kind: r.PostFormValue("kind"), Number: r.PostFormValue("number"), Title: r.PostFormValue("title"),
		NoticeDate: r.PostFormValue("notice_date"), Questions: r.PostFormValue("questions")}
	in := projects.SupplementInput{Kind: f.Kind, Number: f.Number, Title: f.Title, NoticeDate: f.NoticeDate}
	again := func(fe map[string]string, msg string) error {
		p := s.psuppPanelOf(r, code)
		if p == nil {
			p = &psuppPanel{Code: code}
		}
		p.formState, p.Form = failed(questionErrors(fe), msg), f
		s.render(w, r, &psuppFormPage{P: p})
		return nil
	}
	for i, line := range strings.Split(strings.ReplaceAll(f.Questions, "\r", ""), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(strings.ReplaceAll(line, "｜", "|"), "|")
		var owner int64
		if len(parts) == 3 {
			if per, err := s.People.PersonByUsername(r.Context(), strings.TrimSpace(parts[1])); err == nil {
				owner = per.ID
			}
		}
		if len(parts) != 3 || owner == 0 {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return again(map[string]string{"questions": i18n.T(s.lang(r), "psupp.bad_line", map[string]any{"line": i + 1})}, "")
		}
		in.Questions = append(in.Questions, projects.QuestionInput{Question: parts[0], OwnerID: owner, DueOn: strings.TrimSpace(parts[2])})
	}
	sup, _, err := svc.RecordSupplement(r.Context(), a, code, in)
	if err != nil {
		return s.formError(w, r, err, again)
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(code)+"/supplements/"+strconv.FormatInt(sup.ID, 10), http.StatusSeeOther)
	return nil
}

// supplementPage is one 发补 notice.
type supplementPage struct {
	Page
	formState
	Code string
	V    projects.SupplementView
	// Answered counts the questions answered or closed.
	Answered   int
	Unanswered string
	Clock      psuppClock
}

func (*supplementPage) template() string { return "supplement" }

func (s *Server) renderSupplement(w http.ResponseWriter, r *http.Request, fs formState) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.supplement")
	if err != nil {
		return err
	}
	v, err := svc.Supplement(r.Context(), a, r.PathValue("code"), id)
	if err != nil {
		return err
	}
	p := &supplementPage{formState: fs, Code: r.PathValue("code"), V: v, Answered: len(v.Questions) - len(v.Unanswered),
		Unanswered: intList(v.Unanswered), Clock: clockOf(v)}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiSupplement(w http.ResponseWriter, r *http.Request) error {
	return s.renderSupplement(w, r, formState{})
}

// supplementAct runs one action of a notice's page and shows the page
// again: after a redirect when it worked, with what went wrong when not.
func (s *Server) supplementAct(w http.ResponseWriter, r *http.Request, act func(svc *projects.Service, a domain.Actor, id int64) error) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.supplement")
	if err != nil {
		return err
	}
	r.ParseForm()
	if err := act(svc, a, id); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderSupplement(w, r, failed(fe, msg))
		})
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("code"))+"/supplements/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) uiAnswerQuestion(w http.ResponseWriter, r *http.Request) error {
	return s.supplementAct(w, r, func(svc *projects.Service, a domain.Actor, id int64) error {
		qid, err := pathID(r, "qid", "entity.supplement_question")
		if err != nil {
			return err
		}
		_, err = svc.AnswerQuestion(r.Context(), a, r.PathValue("code"), id, qid, projects.AnswerInput{Answer: r.PostFormValue("answer")})
		return err
	})
}

func (s *Server) uiLinkQuestion(w http.ResponseWriter, r *http.Request) error {
	return s.supplementAct(w, r, func(svc *projects.Service, a domain.Actor, id int64) error {
		qid, err := pathID(r, "qid", "entity.supplement_question")
		if err != nil {
			return err
		}
		_, err = svc.LinkQuestion(r.Context(), a, r.PathValue("code"), id, qid, projects.LinkInput{Kind: r.PostFormValue("kind"), Ref: r.PostFormValue("ref")})
		return err
	})
}

func (s *Server) uiSubmitResponse(w http.ResponseWriter, r *http.Request) error {
	return s.supplementAct(w, r, func(svc *projects.Service, a domain.Actor, id int64) error {
		_, err := svc.SubmitResponse(r.Context(), a, r.PathValue("code"), id, projects.SubmitInput{Response: r.PostFormValue("response")})
		return err
	})
}

func (s *Server) uiOpenEscalation(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	code := r.PathValue("code")
	r.ParseForm()
	f := psuppForm{EscTitle: r.PostFormValue("title"), Node: r.PostFormValue("node"), Difficulty: r.PostFormValue("difficulty"),
		HeldAt: r.PostFormValue("held_at"), Attendees: r.PostFormValue("attendees"), Minutes: r.PostFormValue("minutes"),
		Decision: r.PostFormValue("decision"), Resolved: r.PostFormValue("resolved") != ""}
	in := projects.EscalationInput{Title: f.EscTitle, Node: f.Node, Difficulty: f.Difficulty, HeldAt: f.HeldAt, Minutes: f.Minutes,
		Decision: f.Decision, Resolved: f.Resolved}
	again := func(fe map[string]string, msg string) error {
		p := s.psuppPanelOf(r, code)
		if p == nil {
			p = &psuppPanel{Code: code}
		}
		p.formState, p.Form = failed(fe, msg), f
		s.render(w, r, &psuppFormPage{P: p})
		return nil
	}
	for _, name := range strings.FieldsFunc(f.Attendees, func(c rune) bool { return c == ',' || c == '，' || c == '、' || c == ' ' }) {
		per, err := s.People.PersonByUsername(r.Context(), name)
		if err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return again(map[string]string{"attendees": i18n.T(s.lang(r), "psupp.bad_attendee", map[string]any{"name": name})}, "")
		}
		in.Attendees = append(in.Attendees, per.ID)
	}
	e, _, err := svc.OpenEscalation(r.Context(), a, code, in)
	if err != nil {
		return s.formError(w, r, err, again)
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(code)+"/escalations/"+strconv.FormatInt(e.ID, 10), http.StatusSeeOther)
	return nil
}

// escalationPage is one escalation.
type escalationPage struct {
	Page
	formState
	Code string
	V    projects.EscalationView
}

func (*escalationPage) template() string { return "escalation" }

func (s *Server) renderEscalation(w http.ResponseWriter, r *http.Request, fs formState) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.escalation")
	if err != nil {
		return err
	}
	v, err := svc.Escalation(r.Context(), a, r.PathValue("code"), id)
	if err != nil {
		return err
	}
	s.render(w, r, &escalationPage{formState: fs, Code: r.PathValue("code"), V: v})
	return nil
}

func (s *Server) uiEscalation(w http.ResponseWriter, r *http.Request) error {
	return s.renderEscalation(w, r, formState{})
}

func (s *Server) uiToCommittee(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.escalation")
	if err != nil {
		return err
	}
	r.ParseForm()
	if _, err := svc.ToCommittee(r.Context(), a, r.PathValue("code"), id, projects.CommitteeInput{Question: r.PostFormValue("question")}); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderEscalation(w, r, failed(fe, msg))
		})
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("code"))+"/escalations/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
