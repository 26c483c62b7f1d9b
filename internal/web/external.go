package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
)

// The pages and API of a step that a person outside the institute
// completes by a one-time link (flow/external.go): /x/{token} for the
// outsider, with no sign-in; GET and POST /api/v1/external/{token} for
// programs; and, for the initiator, re-issuing and revoking the link from
// the request page. The rules — which link is open, what the outsider may
// write, who may re-issue — are the engine's; these handlers decode and
// encode.

func (s *Server) externalRoutes() {
	m := s.mux
	// The token is the permission: these answer the same to everyone,
	// signed in or not, and a link that is not open gets one neutral answer.
	s.api("GET /api/v1/external/{token}", s.apiExternalForm, doc{Public: true, Out: flow.ExternalForm{},
		Summary: "What the holder of a one-time link sees: the request's title, the step and its fields (no sign-in; the token is the permission)"})
	s.api("POST /api/v1/external/{token}", s.apiExternalSubmit, doc{Public: true, In: flow.ExternalInput{}, Out: flow.ExternalReceipt{},
		Summary: "Submit the step of a one-time link: its fields only, once (no sign-in); recorded with the name, address and browser"})
	s.api("POST /api/v1/instances/{id}/external/reissue", s.apiExternalReissue, doc{In: flow.ExternalAction{}, Out: flow.IssuedLink{}, Status: http.StatusCreated,
		Summary: "Issue a new link for a waiting external step (the initiator; the old link is revoked; the token is shown once)"})
	s.api("POST /api/v1/instances/{id}/external/revoke", s.apiExternalRevoke, doc{In: flow.ExternalAction{}, Status: http.StatusNoContent,
		Summary: "Revoke the link of a waiting external step (the initiator; comment is the reason)"})

	m.HandleFunc("GET /x/{token}", s.uiExternalForm)
	m.HandleFunc("POST /x/{token}", s.uiExternalSubmit)
	m.HandleFunc("POST /instances/{id}/external/reissue", s.page(s.uiExternalReissue))
	m.HandleFunc("POST /instances/{id}/external/revoke", s.page(s.uiExternalRevoke))
}

// ---------- the outsider ----------

func (s *Server) apiExternalForm(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Flow.ExternalFormFor(r.Context(), r.PathValue("token"), clientIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) apiExternalSubmit(w http.ResponseWriter, r *http.Request) error {
	var in flow.ExternalInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	in.IP, in.UserAgent = clientIP(r), r.UserAgent()
	rc, err := s.Flow.SubmitExternal(r.Context(), r.PathValue("token"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rc)
	return nil
}

// externalPage is the data of templates/external.html.
// externalPageData is the outsider's page: the template reads it as .X.
type externalPageData struct {
	Page
	X *externalPage
}

func (*externalPageData) template() string { return "external" }

type externalPage struct {
	Token     string
	Form      *flow.ExternalForm
	DefTitle  string
	StepTitle string
	Fields    []fieldView
	Name      string
	Errors    map[string]string
	Error     string
	Receipt   *flow.ExternalReceipt
	// Refused is the one message for a link that is not open (or an
	// address refused for too many of those).
	Refused string
}

func (s *Server) uiExternalForm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	f, err := s.Flow.ExternalFormFor(r.Context(), token, clientIP(r))
	if err != nil {
		s.externalRefused(w, r, err)
		return
	}
	s.renderExternal(w, r, http.StatusOK, &externalPage{Token: token, Form: f, Name: f.Name}, f.Values)
}

func (s *Server) uiExternalSubmit(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if err := parseAnyForm(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.Flow.ExternalFormFor(r.Context(), token, clientIP(r))
	if err != nil {
		s.externalRefused(w, r, err)
		return
	}
	keys := make([]string, len(f.Fields))
	for i, fd := range f.Fields {
		keys[i] = fd.Key
	}
	// The step's fields only: the form holds nothing else, and no upload.
	values, _, err := s.readForm(r, domain.Actor{}, &flow.Definition{Form: f.Fields}, keys)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PostFormValue("name")
	rc, err := s.Flow.SubmitExternal(r.Context(), token, flow.ExternalInput{Form: values, Name: name, IP: clientIP(r), UserAgent: r.UserAgent()})
	switch {
	case err == nil:
		s.renderExternal(w, r, http.StatusOK, &externalPage{Token: token, Receipt: rc}, nil)
	case domain.IsKind(err, domain.KindInvalid):
		fe, msg := s.formMessages(r, err)
		p := &externalPage{Token: token, Form: f, Name: name, Errors: fe}
		if len(fe) == 0 {
			p.Error = msg
		}
		s.renderExternal(w, r, http.StatusUnprocessableEntity, p, values)
	default:
		s.externalRefused(w, r, err)
	}
}

// externalRefused answers a link that is not open — or an address that
// tried too many — with the outsider's page and one message; anything else
// is the server's own error page.
func (s *Server) externalRefused(w http.ResponseWriter, r *http.Request, err error) {
	k := domain.ErrorKind(err)
	if k != domain.KindNotFound && k != domain.KindTooMany && k != domain.KindConflict {
		s.writeError(w, r, err)
		return
	}
	_, msg := s.fieldErrors(r, err)
	if k == domain.KindConflict { // another submission of the same link won meanwhile
		_, msg = s.fieldErrors(r, domain.E(domain.KindNotFound, "web.external", "flow.external.link_invalid"))
		k = domain.KindNotFound
	}
	s.renderExternal(w, r, statusOf[k], &externalPage{Refused: msg}, nil)
}

func (s *Server) renderExternal(w http.ResponseWriter, r *http.Request, status int, p *externalPage, values map[string]any) {
	lang := s.lang(r)
	if p.Form != nil {
		p.DefTitle, p.StepTitle = p.Form.Definition.In(lang), p.Form.Step.In(lang)
		fc := &formCtx{lang: lang, values: values, errs: p.Errors, people: map[string][]optionView{}}
		if fc.values == nil {
			fc.values = map[string]any{}
		}
		if fc.errs == nil {
			fc.errs = map[string]string{}
		}
		p.Fields = fc.fields(&flow.Definition{Form: p.Form.Fields}, nil, nil)
		for i := range p.Fields {
			if containsStr(p.Form.Required, p.Fields[i].Key) {
				p.Fields[i].Required = true
			}
		}
	}
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	// The link is a secret: no cache keeps the page, and no Referer
	// carries it anywhere (not even to this site's own assets).
	w.Header().Set("Referrer-Policy", "no-referrer")
	b, err := s.renderBytes(r, lang, &externalPageData{X: p})
	if err != nil {
		s.writeError(w, r, domain.Wrap("web.external", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// ---------- the initiator ----------

func (s *Server) externalAction(w http.ResponseWriter, r *http.Request) (int64, flow.ExternalAction, error) {
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return 0, flow.ExternalAction{}, err
	}
	var in flow.ExternalAction
	if err := decodeJSON(w, r, &in); err != nil {
		return 0, in, err
	}
	return id, in, nil
}

func (s *Server) apiExternalReissue(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, in, err := s.externalAction(w, r)
	if err != nil {
		return err
	}
	l, err := s.Flow.ReissueExternal(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) apiExternalRevoke(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, in, err := s.externalAction(w, r)
	if err != nil {
		return err
	}
	if err := s.Flow.RevokeExternal(r.Context(), a, id, in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) uiExternalReissue(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	l, err := s.Flow.ReissueExternal(r.Context(), a, id, flow.ExternalAction{Step: r.PostFormValue("step"), Comment: r.PostFormValue("comment")})
	if err != nil {
		return s.externalActError(w, r, err)
	}
	return s.renderInstance(w, r, &instancePage{IssuedURLs: []string{s.origin(r) + l.Path}})
}

func (s *Server) uiExternalRevoke(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	if err := s.Flow.RevokeExternal(r.Context(), a, id, flow.ExternalAction{Step: r.PostFormValue("step"), Comment: r.PostFormValue("comment")}); err != nil {
		return s.externalActError(w, r, err)
	}
	http.Redirect(w, r, "/instances/"+r.PathValue("id")+"#external", http.StatusSeeOther)
	return nil
}

// renderIssued answers the filing of a request that issued a link to an
// outsider with the request page showing the link once (not a redirect:
// the token is not kept to be shown again).
func (s *Server) renderIssued(w http.ResponseWriter, r *http.Request, inst *flow.Instance) error {
	r.SetPathValue("id", strconv.FormatInt(inst.ID, 10))
	var urls []string
	for _, l := range inst.Issued {
		urls = append(urls, s.origin(r)+l.Path)
	}
	return s.renderInstance(w, r, &instancePage{IssuedURLs: urls})
}

// externalActError shows a refusal the initiator can act on (a reason
// missing, no link to revoke) on the request page; others go to the error page.
func (s *Server) externalActError(w http.ResponseWriter, r *http.Request, err error) error {
	k := domain.ErrorKind(err)
	if k != domain.KindInvalid && k != domain.KindConflict {
		return err
	}
	fe, msg := s.fieldErrors(r, err)
	if m, ok := fe["comment"]; ok {
		msg = m
	}
	w.WriteHeader(statusOf[k])
	return s.renderInstance(w, r, &instancePage{ExternalError: msg})
}

// origin is the scheme and host the request came to, for links shown to
// be passed on.
func (s *Server) origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ---------- on the request page ----------

// externalLinkView is one link on the request page.
type externalLinkView struct {
	flow.ExternalLink
	Step, StateText string
	// Entered lists, for a used link, what the outsider entered, by field label.
	Entered []valueView
}

// externalView is the request page's section on its external steps.
type externalView struct {
	Links []externalLinkView
	// Waiting lists the steps waiting for an outsider that the viewer (the
	// initiator) may re-issue or revoke the link of.
	Waiting []optionView
	// CanRevoke: some waiting step has an open link.
	CanRevoke bool
}

// externalSection builds the request page's section on external links
// (nil when the definition has no external step).
func (s *Server) externalSection(r *http.Request, a domain.Actor, v *flow.InstanceView, rd *reader) *externalView {
	if len(v.External) == 0 {
		return nil
	}
	lang := s.lang(r)
	d := v.Definition
	stepTitle := stepTitler(d, lang)
	xv := &externalView{}
	for _, l := range v.External {
		lv := externalLinkView{ExternalLink: l, Step: stepTitle(l.StepID), StateText: i18n.T(lang, "external.state."+l.State, nil)}
		if l.State == flow.LinkUsed {
			lv.Entered = rd.formValues(d, l.Values)
		}
		xv.Links = append(xv.Links, lv)
	}
	if a.ID != v.Instance.InitiatorID || v.Instance.Status != flow.StatusRunning {
		return xv
	}
	for _, t := range v.Tasks {
		if t.Kind != flow.TaskExternal || t.State != flow.TaskOpen {
			continue
		}
		xv.Waiting = append(xv.Waiting, optionView{Value: t.StepID, Label: stepTitle(t.StepID)})
		for _, l := range v.External {
			if l.TaskID == t.ID && l.State == flow.LinkOpen {
				xv.CanRevoke = true
			}
		}
	}
	return xv
}

// externalWho is whom a current external step waits for: 外部人员 (name),
// with the expiry of its open link; "" for other steps.
func (s *Server) externalWho(lang string, v *flow.InstanceView, stepID string) string {
	for _, t := range v.Tasks {
		if t.StepID != stepID || t.Kind != flow.TaskExternal || t.State != flow.TaskOpen {
			continue
		}
		who := i18n.T(lang, "external.waiting_for", map[string]any{"name": t.AssigneeName})
		for _, l := range v.External {
			if l.TaskID == t.ID && l.State == flow.LinkOpen {
				who += " · " + i18n.T(lang, "external.until", map[string]any{"time": fmtTimeLayout(l.ExpiresAt, s.zone(), timeLayout)})
			}
		}
		return who
	}
	return ""
}

// externalEntryText is an outsider's entry on the timeline: who (marked
// external), from which address and browser.
func externalEntryText(lang string, e *flow.ExternalEntry) string {
	if e == nil {
		return ""
	}
	return i18n.T(lang, "external.entry", map[string]any{"ip": e.IP, "user_agent": e.UserAgent})
}

// redactPath hides the token of a one-time link in what is logged: the
// access log must not keep a usable link.
func redactPath(p string) string {
	for _, prefix := range []string{"/x/", "/api/v1/external/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" {
			return prefix + "…"
		}
	}
	return p
}

// zone is where pages show times (UTC when none was configured).
func (s *Server) zone() *time.Location {
	if s.TimeZone == nil {
		return time.UTC
	}
	return s.TimeZone
}
