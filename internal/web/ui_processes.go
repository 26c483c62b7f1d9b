package web

import (
	"net/http"
	"sort"

	"labflow/internal/flow"
)

// The /processes page: the processes one may start.

type processView struct {
	Key, Title, Description string
	Version                 int
	CanStart                bool
	Steps                   []string
}

func (s *Server) uiProcesses(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	lang := s.lang(r)
	var list []processView
	for _, d := range e.Definitions() {
		pv := processView{Key: d.Key, Title: d.Title.In(lang), Description: d.Description.In(lang), Version: d.Version, CanStart: mayStartDef(a, d)}
		for _, st := range d.Steps {
			if st.Kind == flow.StepApproval || st.Kind == "" || st.Kind == flow.StepTask {
				pv.Steps = append(pv.Steps, st.Title.In(lang))
			}
		}
		list = append(list, pv)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].CanStart && !list[j].CanStart })
	s.render(w, r, &processesPage{Processes: list})
	return nil
}

// processesPage lists the processes, those one may start first.
type processesPage struct {
	Page
	Processes []processView
}

func (*processesPage) template() string { return "processes" }
