package web

import (
	"net/http"
)

// The home page.

func (s *Server) uiHome(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, "home", nil)
	return nil
}
