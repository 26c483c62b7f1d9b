package projects

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Experiments (SPEC EXP-1..3; the seed's rule 4 of synthesis, formulation
// and analytical work): a step is recorded as started only under an
// approved pre-check form of its researcher, one experiment per form; right
// after it the researcher reports the result to the director (EXP-2), who
// records the next-step decision — for a tested sample that passed, with
// the experience note researcher and director wrote down (EXP-3); for one
// that failed, with the cause analysis and the next plan, which a re-test
// (复检) must reference: a re-test of a failed experiment without them is
// refused. Tests used count against the node's planned tests.

// The states of an experiment.
const (
	ExperimentStarted  = "started"
	ExperimentReported = "reported"
	ExperimentDecided  = "decided"
)

// The results of an experiment's tested sample.
const (
	ResultPassed = "passed"
	ResultFailed = "failed"
)

// StartExperimentInput starts an experiment.
type StartExperimentInput struct {
	// PrecheckID is the researcher's approved pre-check form for the step.
	PrecheckID int64 `json:"precheck_id"`
	// RetestOf is the failed experiment this one re-tests (复检), whose
	// cause analysis it follows (0: not a re-test).
	RetestOf int64 `json:"retest_of,omitempty"`
}

// ReportInput is the result report right after the step (EXP-2).
type ReportInput struct {
	// Result is passed or failed for a tested sample, empty when no sample
	// was tested.
	Result string `json:"result,omitempty"`
	// TestsUsed is the number of tests used, counted against the node's
	// planned tests.
	TestsUsed int    `json:"tests_used"`
	Report    string `json:"report"`
}

// DecisionInput is the director's record of the next step (EXP-2, EXP-3).
type DecisionInput struct {
	// Decision is the next step.
	Decision string `json:"decision"`
	// Note is the experience note (a passed result) or the cause analysis
	// (a failed one); required for either.
	Note string `json:"note,omitempty"`
	// NextPlan is the plan after a failed result (required then).
	NextPlan string `json:"next_plan,omitempty"`
}

// nodeStarted starts the experiment's node on the day its first
// experiment starts (PRJ-4: the node's actual start), in the transaction
// that records the start.
func (s *Service) nodeStarted(ctx context.Context, tx *store.Tx, actor domain.Actor, projectID int64, node, day string) error {
	return s.NodeStarted(ctx, tx, actor, projectID, node, day)
}

// nodeTestsUsed counts the tests an experiment's result report used against
// its node's planned tests (PRJ-3), in the transaction that records the
// report. The node's end stays the director's to record: one step's report
// does not finish a node.
func (s *Service) nodeTestsUsed(ctx context.Context, tx *store.Tx, actor domain.Actor, projectID int64, node string, n int) error {
	if n <= 0 {
		return nil
	}
	return s.TestsUsed(ctx, tx, actor, projectID, node, n)
}

// experimentOf reads experiment id of project p (KindNotFound when it is
// another project's).
func (s *Service) experimentOf(ctx context.Context, op string, p store.Project, id int64) (store.Experiment, error) {
	x, err := store.GetExperiment(ctx, s.db.R(), id)
	if err != nil || x.ProjectID != p.ID {
		return store.Experiment{}, domain.NotFound(op, "entity.experiment")
	}
	return x, nil
}

// refuse is a refusal of kind k naming one field.
func refuse(k domain.Kind, op, field, key string, kv ...any) error {
	e := domain.E(k, op, key, kv...)
	e.Fields = map[string]domain.Msg{field: {Key: key, Args: e.Args}}
	return e
}

// StartExperiment records the start of the step an approved pre-check
// form of actor's allows (EXP-1). Who may: the form's filer, on the team
// on the day (KindForbidden). Without an approved form it is refused
// (projects.exp.no_approved_precheck: KindInvalid without one, KindConflict
// for one not approved), as is a form used already, a project whose plan
// is no longer signed (RequireSignedPlan's reason) or no longer has the
// form's node (projects.exp.unknown_node), and a re-test of an
// experiment that did not fail, or whose cause analysis is not recorded
// (projects.exp.no_analysis).
func (s *Service) StartExperiment(ctx context.Context, actor domain.Actor, code string, in StartExperimentInput) (store.Experiment, error) {
	const op = "projects.StartExperiment"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Experiment{}, err
	}
	today := s.today()
	if _, _, ok, err := s.onTeam(ctx, actor, p, today); err != nil {
		return store.Experiment{}, domain.Wrap(op, err)
	} else if !ok {
		return store.Experiment{}, notMember(op)
	}
	if in.PrecheckID == 0 {
		return store.Experiment{}, refuse(domain.KindInvalid, op, "precheck_id", "projects.exp.no_approved_precheck")
	}
	pc, err := store.GetPrecheck(ctx, s.db.R(), in.PrecheckID)
	if err != nil || pc.ProjectID != p.ID {
		return store.Experiment{}, refuse(domain.KindInvalid, op, "precheck_id", "projects.exp.no_approved_precheck")
	}
	if pc.ResearcherID != actor.ID {
		return store.Experiment{}, domain.E(domain.KindForbidden, op, "projects.exp.not_yours")
	}
	if pc.State != PrecheckApproved {
		return store.Experiment{}, refuse(domain.KindConflict, op, "precheck_id", "projects.exp.no_approved_precheck")
	}
	rev, plan, err := s.RequireSignedPlan(ctx, p.ID)
	if err != nil {
		return store.Experiment{}, err
	}
	if !slices.ContainsFunc(plan.Nodes, func(n Node) bool { return n.Name == pc.Node }) {
		// A revision signed since the form removed or renamed its node.
		return store.Experiment{}, refuse(domain.KindConflict, op, "precheck_id", "projects.exp.unknown_node", "revision", rev.Revision)
	}
	xs, err := store.Experiments(ctx, s.db.R(), p.ID)
	if err != nil {
		return store.Experiment{}, domain.Wrap(op, err)
	}
	if slices.ContainsFunc(xs, func(x store.Experiment) bool { return x.PrecheckID == pc.ID }) {
		return store.Experiment{}, refuse(domain.KindConflict, op, "precheck_id", "projects.exp.precheck_used")
	}
	if in.RetestOf != 0 {
		i := slices.IndexFunc(xs, func(x store.Experiment) bool { return x.ID == in.RetestOf })
		switch {
		case i < 0:
			return store.Experiment{}, refuse(domain.KindInvalid, op, "retest_of", "projects.exp.bad_retest")
		case xs[i].Result != ResultFailed:
			return store.Experiment{}, refuse(domain.KindInvalid, op, "retest_of", "projects.exp.retest_not_failed")
		case xs[i].State != ExperimentDecided || xs[i].Note == "":
			return store.Experiment{}, refuse(domain.KindConflict, op, "retest_of", "projects.exp.no_analysis")
		case xs[i].Node != pc.Node:
			return store.Experiment{}, refuse(domain.KindInvalid, op, "retest_of", "projects.exp.retest_other_node", "node", xs[i].Node)
		}
	}
	var x store.Experiment
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		x, err = tx.InsertExperiment(store.Experiment{ProjectID: p.ID, Node: pc.Node, PrecheckID: pc.ID, RetestOf: in.RetestOf, ResearcherID: actor.ID,
			ResearcherName: actorName(actor), DepartmentID: pc.DepartmentID, State: ExperimentStarted, StartedOn: today})
		if err != nil {
			if store.IsUnique(err) {
				return refuse(domain.KindConflict, op, "precheck_id", "projects.exp.precheck_used")
			}
			return err
		}
		if err := s.nodeStarted(ctx, tx, actor, p.ID, pc.Node, today); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.experiment_start", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "experiment_id", New: strconv.FormatInt(x.ID, 10)},
				{Field: "node", New: pc.Node}, {Field: "precheck_id", New: strconv.FormatInt(pc.ID, 10)},
				{Field: "retest_of", New: strconv.FormatInt(in.RetestOf, 10)}, {Field: "started_on", New: today}}})
	})
	if err != nil {
		return store.Experiment{}, domain.Wrap(op, err)
	}
	return x, nil
}

// ReportExperiment records the result report of a started experiment
// right after the step (EXP-2): only its researcher may (KindForbidden);
// a result of a tested sample needs the tests used; once reported it is
// not reported again (KindConflict).
func (s *Service) ReportExperiment(ctx context.Context, actor domain.Actor, code string, id int64, in ReportInput) (store.Experiment, error) {
	const op = "projects.ReportExperiment"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Experiment{}, err
	}
	x, err := s.experimentOf(ctx, op, p, id)
	if err != nil {
		return x, err
	}
	if x.ResearcherID != actor.ID {
		return x, domain.E(domain.KindForbidden, op, "projects.exp.not_yours")
	}
	if x.State != ExperimentStarted {
		return x, domain.Conflict(op, "projects.exp.not_started")
	}
	in.Result, in.Report = strings.TrimSpace(in.Result), strings.TrimSpace(in.Report)
	var c domain.Checker
	if in.Result != "" {
		c.OneOf("result", in.Result, ResultPassed, ResultFailed)
	}
	switch {
	case in.TestsUsed < 0 || in.TestsUsed > 10000:
		c.Add("tests_used", "projects.exp.bad_tests")
	case in.Result != "" && in.TestsUsed == 0:
		c.Add("tests_used", "projects.exp.tests_required")
	}
	c.Text("report", in.Report, true, 5000)
	if err := c.Err(op); err != nil {
		return x, err
	}
	today := s.today()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ReportExperiment(x.ID, today, in.Result, in.TestsUsed, in.Report); err != nil {
			return err
		}
		if err := s.nodeTestsUsed(ctx, tx, actor, p.ID, x.Node, in.TestsUsed); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.experiment_report", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "experiment_id", New: strconv.FormatInt(x.ID, 10)},
				{Field: "result", New: in.Result}, {Field: "tests_used", New: strconv.Itoa(in.TestsUsed)}, {Field: "report", New: in.Report},
				{Field: "finished_on", New: today}}})
	})
	if err != nil {
		return x, domain.Wrap(op, err)
	}
	x.State, x.FinishedOn, x.Result, x.TestsUsed, x.Report = ExperimentReported, today, in.Result, in.TestsUsed, in.Report
	return x, nil
}

// DecideExperiment records the director's next-step decision on a
// reported experiment (EXP-2): only the director of the researcher's
// department may (KindForbidden). A passed result needs the experience
// note (EXP-3); a failed one the cause analysis and the next plan, the
// basis of the re-test. Decided once (KindConflict).
func (s *Service) DecideExperiment(ctx context.Context, actor domain.Actor, code string, id int64, in DecisionInput) (store.Experiment, error) {
	const op = "projects.DecideExperiment"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Experiment{}, err
	}
	x, err := s.experimentOf(ctx, op, p, id)
	if err != nil {
		return x, err
	}
	if !actor.HasIn(domain.RoleDirector, x.DepartmentID) {
		return x, domain.E(domain.KindForbidden, op, "projects.exp.not_director")
	}
	if x.State != ExperimentReported {
		return x, domain.Conflict(op, "projects.exp.not_reported")
	}
	in.Decision, in.Note, in.NextPlan = strings.TrimSpace(in.Decision), strings.TrimSpace(in.Note), strings.TrimSpace(in.NextPlan)
	var c domain.Checker
	c.Text("decision", in.Decision, true, 2000)
	switch x.Result {
	case ResultPassed:
		if in.Note == "" {
			c.Add("note", "projects.exp.experience_required")
		}
	case ResultFailed:
		if in.Note == "" {
			c.Add("note", "projects.exp.analysis_required")
		}
		if in.NextPlan == "" {
			c.Add("next_plan", "projects.exp.next_plan_required")
		}
	}
	c.Text("note", in.Note, false, 5000)
	c.Text("next_plan", in.NextPlan, false, 5000)
	if err := c.Err(op); err != nil {
		return x, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DecideExperiment(x.ID, in.Decision, in.Note, in.NextPlan, actor.ID, actorName(actor)); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.experiment_decide", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "experiment_id", New: strconv.FormatInt(x.ID, 10)},
				{Field: "decision", New: in.Decision}, {Field: "note", New: in.Note}, {Field: "next_plan", New: in.NextPlan}}})
	})
	if err != nil {
		return x, domain.Wrap(op, err)
	}
	x.State, x.Decision, x.Note, x.NextPlan, x.DecidedBy, x.DecidedName = ExperimentDecided, in.Decision, in.Note, in.NextPlan, actor.ID, actorName(actor)
	return x, nil
}

// Experiment returns experiment id of project code as actor may see it.
func (s *Service) Experiment(ctx context.Context, actor domain.Actor, code string, id int64) (store.Experiment, error) {
	const op = "projects.Experiment"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Experiment{}, err
	}
	return s.experimentOf(ctx, op, p, id)
}
