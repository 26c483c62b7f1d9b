package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"

	"github.com/xuri/excelize/v2"

	"labflow/internal/i18n"
	"labflow/internal/projects"
)

// A node plan printed on A4 with its signatures, and the Excel exports of
// a node plan and of the project register (issue 10). Who may see the
// project or the plan decides, as on their pages (PRJ-12).

func (s *Server) uiPlanPrint(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	rev, err := planRev(r)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	v, sigs, err := svc.PlanSignatures(r.Context(), a, code, rev)
	if err != nil {
		return err
	}
	p := &planPrintPage{Code: code, V: v, Signatures: sigs}
	if d, err := svc.Get(r.Context(), a, code); err == nil {
		p.Name = d.Name
	}
	s.render(w, r, p)
	return nil
}

// planPrintPage is a node plan revision on A4, with its signatures.
type planPrintPage struct {
	Page
	Code, Name string
	V          projects.PlanView
	Signatures []projects.PlanSignature
}

func (*planPrintPage) template() string { return "project_plan_print" }

// writeXLSX sends f as the attachment name.
func writeXLSX(w http.ResponseWriter, f *excelize.File, name string) error {
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	_, err := w.Write(b.Bytes())
	return err
}

// sheetRows writes rows from A1 on the first sheet, named sheet.
func sheetRows(sheet string, rows [][]any) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return nil, err
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// uiPlanXLSX exports a node plan revision: per node its dates and tests,
// with what happened for the plan in force.
func (s *Server) uiPlanXLSX(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	rev, err := planRev(r)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	v, err := svc.Plan(r.Context(), a, code, rev)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	t := func(k string) string { return i18n.T(lang, k, nil) }
	actual := map[string]projects.NodeFigure{}
	if v.InForce && v.ProjectVisible {
		if x, err := svc.ExecutionOf(r.Context(), a, code); err == nil {
			for _, n := range x.Nodes {
				actual[n.Name] = n
			}
		}
	}
	rows := [][]any{{t("projects.node"), t("projects.node.start"), t("projects.node.end"), t("pnodes.xlsx.items"), t("pnodes.xlsx.planned_tests"),
		t("pnodes.actual.start"), t("pnodes.actual.end"), t("pnodes.tests_used"), t("pnodes.xlsx.late_days")}}
	for _, n := range v.Plan.Nodes {
		items, total := "", 0
		for i, it := range n.Tests {
			if i > 0 {
				items += "; "
			}
			items += it.Item + " ×" + strconv.Itoa(it.Count)
			total += it.Count
		}
		f := actual[n.Name]
		rows = append(rows, []any{n.Name, n.Start, n.End, items, total, f.ActualStart, f.ActualEnd, f.TestsUsed, f.LateDays})
	}
	rows = append(rows, []any{t("projects.total_tests"), "", "", "", v.Plan.TotalTests})
	f, err := sheetRows("plan", rows)
	if err != nil {
		return err
	}
	return writeXLSX(w, f, code+"-plan-"+strconv.Itoa(rev)+".xlsx")
}

// uiProjectsXLSX exports the project register: the projects the viewer
// may see that the list's filters select, with stage, plan and health.
func (s *Server) uiProjectsXLSX(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	f, err := projectFilter(r)
	if err != nil {
		return err
	}
	f.Limit = 1000
	lang := s.lang(r)
	t := func(k string, args ...any) string {
		m := map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			m[args[i].(string)] = args[i+1]
		}
		return i18n.T(lang, k, m)
	}
	names, _, err := s.deptNames(r)
	if err != nil {
		return err
	}
	rows := [][]any{{t("projects.code"), t("projects.name"), t("projects.kind"), t("projects.rld"), t("projects.departments"), t("projects.director"),
		t("projects.stage"), t("projects.plan"), t("pnodes.health"), t("pnodes.next_due")}}
	for f.Offset = 0; ; f.Offset += f.Limit {
		ps, _, err := svc.List(r.Context(), a, f)
		if err != nil {
			return err
		}
		for _, p := range ps {
			depts := ""
			for i, d := range p.Departments {
				if i > 0 {
					depts += "、"
				}
				depts += names[d]
			}
			director := ""
			if per, err := s.People.Person(r.Context(), p.DirectorID); err == nil {
				director = per.Name
			}
			h := p.Health
			health := t("pnodes.health." + h.State)
			switch h.State {
			case projects.HealthLate:
				health = t("pnodes.health.late", "node", h.Node, "n", h.LateDays)
			case projects.HealthBlocked:
				health = t("pnodes.health.blocked."+h.Reason, "rev", h.Revision)
			}
			next := ""
			if h.NextDue != nil {
				next = h.NextDue.Name + " " + h.NextDue.End
			}
			plan := ""
			if p.PlanRevision > 0 {
				plan = t("projects.plan.in_force", "rev", p.PlanRevision)
			}
			rows = append(rows, []any{p.Code, p.Name, t("projects.kind." + p.Kind), p.RLD, depts, director, t("projects.stage." + p.Stage), plan, health, next})
		}
		if len(ps) < f.Limit {
			break
		}
	}
	x, err := sheetRows("projects", rows)
	if err != nil {
		return err
	}
	return writeXLSX(w, x, "projects.xlsx")
}
