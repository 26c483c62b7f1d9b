package web

// flowRoutes registers the process engine's API and pages (inbox, instances).
func (s *Server) flowRoutes() {}
