package web

import (
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// The 代理 page (standing proxies, issue 8 §4), for everyone: one's own
// proxies, those one stands in for, those to approve as a director, and
// what was done on one's behalf; the administrator sets one for someone
// else there and sees them all.

// proxyForm is the standing proxy form's values, kept to redisplay after an error.
type proxyForm struct {
	PersonID, ProxyID       int64
	From, To, Reason        string
	Definitions             []string
	DefinitionSet           map[string]bool
	PersonValue, ProxyValue string
}

func (s *Server) uiProxies(w http.ResponseWriter, r *http.Request) error {
	return s.renderProxies(w, r, &proxiesPage{})
}

func (s *Server) renderProxies(w http.ResponseWriter, r *http.Request, p *proxiesPage) error {
	if p == nil {
		p = &proxiesPage{}
	}
	a, _ := actor(r)
	if !a.IsAdmin() && !a.HasBusinessRole() {
		return domain.Forbidden("web.proxies")
	}
	xs, err := s.People.Proxies(r.Context(), a, people.ProxyFilter{})
	if err != nil {
		return err
	}
	var mine, forOthers, toApprove, others []domain.Proxy
	for _, x := range xs {
		switch {
		case x.ApproverID == a.ID && x.Status == domain.ProxyPending:
			toApprove = append(toApprove, x)
		case x.PersonID == a.ID:
			mine = append(mine, x)
		case x.ProxyID == a.ID:
			forOthers = append(forOthers, x)
		default:
			others = append(others, x)
		}
	}
	opts, err := s.businessOptions(r)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	var defs []optionView
	for _, d := range s.Flow.Definitions() {
		defs = append(defs, optionView{Value: d.Key, Label: d.Title.In(lang)})
	}
	onBehalf, err := s.Flow.OnBehalf(r.Context(), a, 100)
	if err != nil {
		return err
	}
	p.Mine, p.ForOthers, p.ToApprove, p.Others = mine, forOthers, toApprove, others
	p.People, p.Processes, p.OnBehalf, p.IsAdmin = opts, defs, onBehalf, a.IsAdmin()
	if p.Form == nil {
		p.Form = &proxyForm{DefinitionSet: map[string]bool{}}
	}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiSetProxy(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	f := proxyForm{From: r.PostFormValue("from"), To: r.PostFormValue("to"), Reason: r.PostFormValue("reason"),
		Definitions: r.PostForm["definitions"], DefinitionSet: map[string]bool{},
		PersonValue: r.PostFormValue("person_id"), ProxyValue: r.PostFormValue("proxy_id")}
	f.PersonID, _ = strconv.ParseInt(f.PersonValue, 10, 64)
	f.ProxyID, _ = strconv.ParseInt(f.ProxyValue, 10, 64)
	for _, d := range f.Definitions {
		f.DefinitionSet[d] = true
	}
	in := people.ProxyInput{PersonID: f.PersonID, ProxyID: f.ProxyID, From: f.From, To: f.To, Definitions: f.Definitions, Reason: f.Reason}
	if _, err := s.People.SetProxy(r.Context(), a, in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderProxies(w, r, &proxiesPage{formState: failed(fe, msg), Form: &f})
		})
	}
	http.Redirect(w, r, "/proxies", http.StatusSeeOther)
	return nil
}

func (s *Server) uiDecideProxy(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.proxy")
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch r.PathValue("decision") {
	case "approve":
		_, err = s.People.ApproveProxy(r.Context(), a, id)
	case "refuse":
		_, err = s.People.RefuseProxy(r.Context(), a, id, reason)
	case "cancel":
		_, err = s.People.CancelProxy(r.Context(), a, id, reason)
	default:
		return domain.NotFound("web.proxy", "entity.page")
	}
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderProxies(w, r, &proxiesPage{formState: failed(fe, msg), Acting: id})
		})
	}
	http.Redirect(w, r, "/proxies", http.StatusSeeOther)
	return nil
}

// proxiedAssignees names the people acting on a current step when a
// standing proxy is among them ("李华（代 陈志强）"), or "" when none is.
func proxiedAssignees(lang string, v *flow.InstanceView, st flow.StepView) string {
	if st.State != "current" {
		return ""
	}
	var names []string
	proxied := false
	for _, t := range v.Tasks {
		if t.StepID != st.ID || t.AssigneeID == 0 || t.State != flow.TaskOpen && t.State != flow.TaskWaiting {
			continue
		}
		n := t.AssigneeName
		if t.OnBehalfName != "" {
			proxied = true
			n += i18n.T(lang, "org.on_behalf_suffix", map[string]any{"name": t.OnBehalfName})
		}
		names = append(names, n)
	}
	if !proxied {
		return ""
	}
	return strings.Join(names, "、")
}

// proxiesPage is the standing proxies one is party to, those awaiting one's
// approval, and the form to set one; Acting is the proxy an error belongs to.
type proxiesPage struct {
	Page
	formState
	Mine, ForOthers, ToApprove, Others []domain.Proxy
	People, Processes                  []optionView
	OnBehalf                           []flow.OnBehalfItem
	IsAdmin                            bool
	Form                               *proxyForm
	Acting                             int64
}

func (*proxiesPage) template() string { return "proxies" }
