package web

import (
	"net/http"
)

// The home page.

func (s *Server) uiHome(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, &homePage{})
	return nil
}

// homePage is the home page: tiles for what the person may do.
type homePage struct{ Page }

func (*homePage) template() string { return "home" }
