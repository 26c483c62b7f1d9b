package projects

import (
	"context"
	"errors"
	"slices"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// ExperimentsView is a project's experiments by node, as its page's panel
// and the API show them: per node of the plan in force its pre-checks and
// experiments with their state, the director's decision and the result,
// and the tests used against those planned; and what the viewer may do.
type ExperimentsView struct {
	Nodes []NodeExperiments `json:"nodes"`
	// Other holds records of nodes no longer in the plan in force (a
	// revision renamed or removed them).
	Other *NodeExperiments `json:"other,omitempty"`
	// PlanSigned reports whether the project has a signed plan; Refusal is
	// why not, as RequireSignedPlan says it.
	PlanSigned bool        `json:"plan_signed"`
	Refusal    *domain.Msg `json:"refusal,omitempty"`
	// MayFile reports whether the viewer, on the team today, may file a
	// form; FormKind is which (precheck or analytical_change) and Items
	// the items it confirms.
	MayFile  bool     `json:"may_file"`
	FormKind string   `json:"form_kind,omitempty"`
	Items    []string `json:"items,omitempty"`
	// Startable are the viewer's approved forms with no experiment yet.
	Startable []store.Precheck `json:"startable"`
	// Reportable are the viewer's started experiments.
	Reportable []store.Experiment `json:"reportable"`
	// Decidable are reported experiments whose decision is the viewer's.
	Decidable []store.Experiment `json:"decidable"`
	// Retestable are failed experiments with their cause analysis, which a
	// re-test may reference.
	Retestable []store.Experiment `json:"retestable"`
}

// NodeExperiments are one node's pre-checks and experiments.
type NodeExperiments struct {
	Node string `json:"node"`
	// TestsPlanned is the node's planned number of tests; TestsUsed the
	// tests its experiments' reports used.
	TestsPlanned int                `json:"tests_planned"`
	TestsUsed    int                `json:"tests_used"`
	Prechecks    []PrecheckRow      `json:"prechecks"`
	Experiments  []store.Experiment `json:"experiments"`
}

// PrecheckRow is a pre-check form in the panel.
type PrecheckRow struct {
	store.Precheck
	// MayOpen reports whether the viewer may open its approval request,
	// as the engine decides (its definitions let who sees the project see
	// it, PRJ-12).
	MayOpen bool `json:"may_open"`
}

// Experiments returns the experiments of project code by node, as actor
// may see them (who sees the project sees them, PRJ-12).
func (s *Service) Experiments(ctx context.Context, actor domain.Actor, code string) (ExperimentsView, error) {
	const op = "projects.Experiments"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return ExperimentsView{}, err
	}
	pcs, err := store.Prechecks(ctx, s.db.R(), p.ID)
	if err != nil {
		return ExperimentsView{}, domain.Wrap(op, err)
	}
	xs, err := store.Experiments(ctx, s.db.R(), p.ID)
	if err != nil {
		return ExperimentsView{}, domain.Wrap(op, err)
	}
	v := ExperimentsView{Nodes: []NodeExperiments{}, Startable: []store.Precheck{}, Reportable: []store.Experiment{},
		Decidable: []store.Experiment{}, Retestable: []store.Experiment{}}
	var plan Plan
	if _, pl, err := s.RequireSignedPlan(ctx, p.ID); err != nil {
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindConflict {
			return v, err
		}
		v.Refusal = &domain.Msg{Key: de.Key, Args: de.Args}
	} else {
		v.PlanSigned, plan = true, pl
	}
	at := map[string]int{}
	for _, n := range plan.Nodes {
		at[n.Name] = len(v.Nodes)
		v.Nodes = append(v.Nodes, NodeExperiments{Node: n.Name, TestsPlanned: n.nodeTests(), Prechecks: []PrecheckRow{}, Experiments: []store.Experiment{}})
	}
	node := func(name string) *NodeExperiments {
		if i, ok := at[name]; ok {
			return &v.Nodes[i]
		}
		if v.Other == nil {
			v.Other = &NodeExperiments{Prechecks: []PrecheckRow{}, Experiments: []store.Experiment{}}
		}
		return v.Other
	}
	used := map[int64]bool{}
	for _, x := range xs {
		n := node(x.Node)
		n.Experiments = append(n.Experiments, x)
		n.TestsUsed += x.TestsUsed
		used[x.PrecheckID] = true
		switch {
		case x.State == ExperimentStarted && x.ResearcherID == actor.ID:
			v.Reportable = append(v.Reportable, x)
		case x.State == ExperimentReported && actor.HasIn(domain.RoleDirector, x.DepartmentID):
			v.Decidable = append(v.Decidable, x)
		case x.State == ExperimentDecided && x.Result == ResultFailed && x.Note != "":
			v.Retestable = append(v.Retestable, x)
		}
	}
	for _, pc := range pcs {
		n := node(pc.Node)
		open, err := s.mayOpenBound(ctx, actor, SubjectPrecheck, pc.ID, pc.InstanceID)
		if err != nil {
			return v, domain.Wrap(op, err)
		}
		n.Prechecks = append(n.Prechecks, PrecheckRow{Precheck: pc, MayOpen: open})
		if pc.State == PrecheckApproved && pc.ResearcherID == actor.ID && !used[pc.ID] {
			v.Startable = append(v.Startable, pc)
		}
	}
	if v.PlanSigned {
		role, _, ok, err := s.onTeam(ctx, actor, p, s.today())
		if err != nil {
			return v, domain.Wrap(op, err)
		}
		if ok {
			v.MayFile, v.FormKind = true, PrecheckKind
			if role == string(domain.RoleAnalyst) {
				v.FormKind = AnalyticalChangeKind
			}
			v.Items = PrecheckItems[v.FormKind]
		}
	}
	return v, nil
}

// mayOpenBound reports whether actor may open request id, bound to the record
// kind/subject: the engine decides, as on the request's page (a request
// is one of the record's processes actor may see).
func (s *Service) mayOpenBound(ctx context.Context, actor domain.Actor, kind string, subject, id int64) (bool, error) {
	if id == 0 || s.flow == nil {
		return false, nil
	}
	ins, err := s.flow.Bound(ctx, actor, kind, subject)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ins, func(in *flow.Instance) bool { return in.ID == id }), nil
}
