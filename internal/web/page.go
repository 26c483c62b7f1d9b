package web

import (
	"net/http"

	"labflow/internal/domain"
)

// Every page's data is a struct of its own (inboxPage, instancePage, …)
// that embeds Page, what the layout shows around the content, and names
// its template. render fills Page in; a template that asks for a field its
// page does not have fails the test that renders every page.

// Page is what every page has: the language, where it is (for the
// language switch), who is signed in and the counts in the navigation.
type Page struct {
	Lang     string
	Path     string
	Query    string
	Actor    domain.Actor
	SignedIn bool
	Counts   navCounts
}

// base returns the page's common part (pageData).
func (p *Page) base() *Page { return p }

// pageData is a page's data: it embeds Page and names its template.
type pageData interface {
	base() *Page
	template() string
}

// formState is what a page with forms shows after an action: a message
// for the whole form, messages per field, and a notice of what was done.
type formState struct {
	Error  string
	Errors map[string]string
	Notice string
}

// failed returns the form state of a failed action: the general message
// and the messages by field.
func failed(fe map[string]string, msg string) formState {
	return formState{Errors: fe, Error: msg}
}

// navCounts are the sizes of the boxes shown in the navigation.
type navCounts struct {
	Todo, Done, Started, CC int
	// Known is false when the counts could not be read (the navigation
	// shows no number then).
	Known bool
}

// navCounts returns the counts shown in the navigation bar; a failure to
// read them is logged and shows none.
func (s *Server) navCounts(r *http.Request) navCounts {
	a, ok := domain.ActorFrom(r.Context())
	if !ok || a.ID == 0 {
		return navCounts{}
	}
	c, err := s.Flow.Counts(r.Context(), a)
	if err != nil {
		s.log.Warn("nav counts", "err", err)
		return navCounts{}
	}
	return navCounts{Todo: c["todo"], Done: c["done"], Started: c["started"], CC: c["cc"], Known: true}
}
