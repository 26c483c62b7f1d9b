package projects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Initiation (立项调研, SPEC DIR-2): a project created in its initiation
// stage starts, in the same transaction, its initiation record and the
// project-initiation process. Each involved department's director files a
// feasibility report (one task per department: the engine's fan-out) and
// the GM decides go or no-go, signed. Go moves the project on to its routes
// and plan (routes may be filed from then on); no-go closes it with the
// reason. The reports are
// the rows of the process's form; who sees the project sees them (PRJ-12).

// The kinds of record of the initiation and records part, and the
// processes that govern them.
const (
	// SubjectInitiation is a project's initiation: the record the
	// project-initiation process governs.
	SubjectInitiation = "projects.initiation"
	// SubjectKickoff is a kick-off report (开题报告), signed by its director.
	SubjectKickoff = "projects.kickoff"
	// SubjectRecord is an entry of the register of original records,
	// reviewed and signed by the director of its department.
	SubjectRecord = "projects.original_record"
	// DefinitionInitiation, DefinitionKickoff and DefinitionRecord are the
	// keys of their processes.
	DefinitionInitiation = "project-initiation"
	DefinitionKickoff    = "kickoff-report"
	DefinitionRecord     = "original-records"
)

// The states of an initiation.
const (
	InitiationReporting = "reporting"
	InitiationGo        = "go"
	InitiationNoGo      = "no_go"
	InitiationWithdrawn = "withdrawn"
)

// initiationNames declares the initiation part's kinds of record by name.
func initiationNames(reg *flow.Registry) {
	reg.RegisterSubjectKind(named(SubjectInitiation, flow.Text{ZH: "立项调研", EN: "Initiation"}))
	reg.RegisterSubjectKind(named(SubjectKickoff, flow.Text{ZH: "开题报告", EN: "Kick-off report"}))
	reg.RegisterSubjectKind(named(SubjectRecord, flow.Text{ZH: "原始记录", EN: "Original records"}))
}

// registerInitiation declares the initiation part's kinds of record with
// their behaviour: each is seen by who sees its project (PRJ-12), its
// canonical content is what a signature on its process covers, and its
// state follows its process.
func (s *Service) registerInitiation(reg *flow.Registry) {
	project := func(get func(context.Context, store.Reader, int64) (int64, error)) func(context.Context, domain.Actor, int64) (bool, error) {
		return func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			pid, err := get(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, pid)
		}
	}
	describe := func(get func(context.Context, store.Reader, int64) (int64, error), what, anchor string) func(context.Context, int64) (string, string, error) {
		return func(ctx context.Context, id int64) (string, string, error) {
			pid, err := get(ctx, s.db.R(), id)
			if err != nil {
				return "", "", err
			}
			p, err := store.GetProject(ctx, s.db.R(), pid)
			return p.Code + " " + what, "/projects/" + url.PathEscape(p.Code) + "#" + anchor, err
		}
	}
	initProject := func(ctx context.Context, r store.Reader, id int64) (int64, error) {
		i, err := store.GetInitiation(ctx, r, id)
		return i.ProjectID, err
	}
	kickProject := func(ctx context.Context, r store.Reader, id int64) (int64, error) {
		k, err := store.GetKickoff(ctx, r, id)
		return k.ProjectID, err
	}
	recProject := func(ctx context.Context, r store.Reader, id int64) (int64, error) {
		o, err := store.GetOriginalRecord(ctx, r, id)
		return o.ProjectID, err
	}
	reg.RegisterSubjectKind(flow.SubjectKind{Name: SubjectInitiation, Title: flow.Text{ZH: "立项调研", EN: "Initiation"},
		Describe: describe(initProject, "立项调研", "initiation"), Visible: project(initProject), VisibleWhere: s.visibleWhere("project_initiation"), On: s.followInitiation})
	reg.RegisterSubjectKind(flow.SubjectKind{Name: SubjectKickoff, Title: flow.Text{ZH: "开题报告", EN: "Kick-off report"},
		Content: s.kickoffContent, Describe: describe(kickProject, "开题报告", "kickoff"), Visible: project(kickProject), VisibleWhere: s.visibleWhere("project_kickoff"), On: followKickoff})
	reg.RegisterSubjectKind(flow.SubjectKind{Name: SubjectRecord, Title: flow.Text{ZH: "原始记录", EN: "Original records"},
		Content: s.recordContent, Describe: describe(recProject, "原始记录", "records"), Visible: project(recProject), VisibleWhere: s.visibleWhere("project_record"), On: followRecord})
}

// startInitiation creates project p (insert writes it with its audit
// event), its initiation record and the initiation process, in one
// transaction: one feasibility report for each department p involves.
func (s *Service) startInitiation(ctx context.Context, actor domain.Actor, p *store.Project, insert func(*store.Tx) error) error {
	rows := make([]any, len(p.Departments))
	for i, d := range p.Departments {
		rows[i] = map[string]any{"department": d}
	}
	_, err := s.flow.StartWith(ctx, actor, DefinitionInitiation, flow.StartInput{
		Form: map[string]any{"project": p.Code + " " + p.Name, "departments": rows},
		Subject: &flow.SubjectRef{Kind: SubjectInitiation, Create: func(ctx context.Context, t any) (int64, error) {
			tx := t.(*store.Tx)
			if err := insert(tx); err != nil {
				return 0, err
			}
			in, err := tx.InsertInitiation(store.Initiation{ProjectID: p.ID, State: InitiationReporting})
			if err != nil {
				return 0, err
			}
			return in.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.initiation_start", Entity: "project",
				EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "initiation_id", New: strconv.FormatInt(in.ID, 10)},
					{Field: "departments", New: deptText(p.Departments)}}})
		}},
	})
	return err
}

// followInitiation follows the initiation process: it records the process
// when it starts and, when the GM's signed decision ends it, the decision
// with its reason — go opens the project's routes and plan (its stage
// moves on with its stage gates), no-go closes it.
func (s *Service) followInitiation(ctx context.Context, ev flow.LifeEvent) error {
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap("projects.followInitiation", fmt.Errorf("transaction of type %T", ev.Tx))
	}
	in, err := store.GetInitiation(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	var state, stage string
	switch ev.Point {
	case flow.LifeStarted:
		return tx.SetInitiationInstance(in.ID, ev.Instance.ID)
	case flow.LifeApproved:
		state = InitiationGo
		if ev.Outcome == InitiationNoGo {
			state, stage = InitiationNoGo, "closed"
		}
	case flow.LifeRejected, flow.LifeWithdrawn:
		state = InitiationWithdrawn
	default:
		return nil
	}
	reason, _ := ev.Instance.Form["reason"].(string)
	if err := tx.DecideInitiation(in.ID, state, reason, ev.Actor.ID); err != nil {
		return err
	}
	changes := []audit.Change{{Field: "state", Old: in.State, New: state}, {Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}
	if stage != "" {
		moved, err := tx.MoveProjectFromInitiation(in.ProjectID, stage)
		if err != nil {
			return err
		}
		if moved {
			changes = append(changes, audit.Change{Field: "stage", Old: Stages[0], New: stage})
		}
	}
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.initiation_" + state, Entity: "project",
		EntityID: strconv.FormatInt(in.ProjectID, 10), Reason: reason, Changes: changes})
}

// Report is one department's feasibility report (DIR-2).
type Report struct {
	DepartmentID int64 `json:"department_id"`
	// Conclusion is feasible, feasible_with_risks or not_feasible ("" until
	// filed).
	Conclusion  string `json:"conclusion,omitempty"`
	Feasibility string `json:"feasibility,omitempty"`
	// Difficulty is, for the analytical department, the analytical
	// difficulty.
	Difficulty string `json:"difficulty,omitempty"`
	Timeliness string `json:"timeliness,omitempty"`
	// Methods are the analytical methods (the analytical department).
	Methods string `json:"methods,omitempty"`
	// Filed reports whether the director has filed it; FiledBy who.
	Filed   bool   `json:"filed"`
	FiledBy string `json:"filed_by,omitempty"`
	// Mine reports whether the viewer is the one to file it now.
	Mine bool `json:"mine"`
}

// Feasibility is a project's initiation as pages show it: the reports,
// the decision and the process.
type Feasibility struct {
	Initiation *store.Initiation `json:"initiation,omitempty"`
	Reports    []Report          `json:"reports"`
	// Decision is go or no_go once decided.
	Decision string `json:"decision,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Instance is the initiation process (nil for a project taken over in
	// a later stage).
	Instance *flow.Instance `json:"instance,omitempty"`
}

// FeasibilityInput is a feasibility report as a director files it.
type FeasibilityInput struct {
	// Department is the department the report is for (one the filer
	// directs; default: the only one they may file).
	Department  int64  `json:"department,omitempty"`
	Conclusion  string `json:"conclusion"`
	Feasibility string `json:"feasibility,omitempty"`
	Difficulty  string `json:"difficulty"`
	Timeliness  string `json:"timeliness,omitempty"`
	Methods     string `json:"methods,omitempty"`
}

// reportCols are the columns of a report row a director writes.
var reportCols = []string{"conclusion", "feasibility", "difficulty", "timeliness", "methods"}

// Feasibility returns the initiation of project code as actor may see it
// (KindNotFound when they may not see the project).
func (s *Service) Feasibility(ctx context.Context, actor domain.Actor, code string) (Feasibility, error) {
	const op = "projects.Feasibility"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return Feasibility{}, err
	}
	f, _, err := s.feasibility(ctx, actor, p)
	return f, domain.Wrap(op, err)
}

// feasibility builds the view of p's latest initiation, with the process
// page as actor sees it (nil without an initiation).
func (s *Service) feasibility(ctx context.Context, actor domain.Actor, p store.Project) (Feasibility, *initiationView, error) {
	f := Feasibility{Reports: []Report{}}
	ins, err := store.Initiations(ctx, s.db.R(), p.ID)
	if err != nil || len(ins) == 0 || s.flow == nil {
		return f, nil, err
	}
	in := ins[len(ins)-1]
	f.Initiation = &in
	if in.State == InitiationGo || in.State == InitiationNoGo {
		f.Decision, f.Reason = in.State, in.Reason
	}
	if in.InstanceID == 0 {
		return f, nil, nil
	}
	// Who sees the project sees its reports (PRJ-12): the process is read
	// as the project's record, not through the engine's request rule.
	v := &initiationView{}
	if v.Instance, err = s.db.Flow().Instance(ctx, in.InstanceID); err != nil {
		return f, nil, err
	}
	if v.Tasks, err = s.db.Flow().Tasks(ctx, in.InstanceID); err != nil {
		return f, nil, err
	}
	f.Instance = v.Instance
	rows, _ := v.Instance.Form["departments"].([]any)
	done := map[int]string{}
	mine := map[int]bool{}
	for _, t := range v.Tasks {
		if t.StepID != "reports" {
			continue
		}
		switch t.State {
		case flow.TaskOpen:
			if t.AssigneeID == actor.ID {
				mine[t.Slot] = true
			}
		case flow.TaskDone:
			done[t.Slot] = t.AssigneeName
		}
	}
	for i, r := range rows {
		row, _ := r.(map[string]any)
		rep := Report{DepartmentID: jsonInt(row["department"]), Mine: mine[i]}
		rep.Conclusion, _ = row["conclusion"].(string)
		rep.Feasibility, _ = row["feasibility"].(string)
		rep.Difficulty, _ = row["difficulty"].(string)
		rep.Timeliness, _ = row["timeliness"].(string)
		rep.Methods, _ = row["methods"].(string)
		rep.FiledBy, rep.Filed = done[i]
		f.Reports = append(f.Reports, rep)
	}
	return f, v, nil
}

// initiationView is an initiation process with its tasks.
type initiationView struct {
	Instance *flow.Instance
	Tasks    []*flow.Task
}

// jsonInt reads a form's integer value.
func jsonInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case int:
		return int64(x)
	case json.Number:
		n, _ := x.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// FileReport files actor's feasibility report on project code: it
// completes their task of the initiation process for the department's row
// (the engine refuses anyone else, and a row not theirs). A director with
// no report to file gets KindForbidden; bad values are KindInvalid naming
// the field.
func (s *Service) FileReport(ctx context.Context, actor domain.Actor, code string, in FeasibilityInput) (Feasibility, error) {
	const op = "projects.FileReport"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return Feasibility{}, err
	}
	f, v, err := s.feasibility(ctx, actor, p)
	if err != nil {
		return f, domain.Wrap(op, err)
	}
	if v == nil || f.Initiation.State != InitiationReporting {
		return f, domain.Conflict(op, "projects.init.not_reporting")
	}
	row := -1
	for i, r := range f.Reports {
		if r.Mine && (in.Department == 0 || in.Department == r.DepartmentID) {
			row = i
			break
		}
	}
	if row < 0 {
		if in.Department != 0 && !slices.ContainsFunc(f.Reports, func(r Report) bool { return r.DepartmentID == in.Department }) {
			return f, invalid(op, "department", "projects.bad_department")
		}
		return f, domain.Forbidden(op)
	}
	var task *flow.Task
	for _, t := range v.Tasks {
		if t.StepID == "reports" && t.State == flow.TaskOpen && t.AssigneeID == actor.ID && t.Slot == row {
			task = t
		}
	}
	if task == nil {
		return f, domain.Forbidden(op)
	}
	rows, _ := v.Instance.Form["departments"].([]any)
	next := make([]any, len(rows))
	copy(next, rows)
	mine := map[string]any{}
	for k, val := range rows[row].(map[string]any) {
		mine[k] = val
	}
	vals := map[string]string{"conclusion": in.Conclusion, "feasibility": in.Feasibility, "difficulty": in.Difficulty,
		"timeliness": in.Timeliness, "methods": in.Methods}
	for _, c := range reportCols {
		if t := strings.TrimSpace(vals[c]); t != "" {
			mine[c] = t
		} else {
			delete(mine, c)
		}
	}
	next[row] = mine
	_, err = s.flow.Act(ctx, actor, task.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"departments": next}, Version: task.Version})
	if err != nil {
		return f, reportFields(err, row)
	}
	return s.Feasibility(ctx, actor, code)
}

// reportFields names a refusal's fields as the report's (departments.2.
// difficulty becomes difficulty).
func reportFields(err error, row int) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	prefix := "departments." + strconv.Itoa(row+1) + "."
	out := *de
	out.Fields = map[string]domain.Msg{}
	for k, m := range de.Fields {
		out.Fields[strings.TrimPrefix(k, prefix)] = m
	}
	return &out
}
