package web

import (
	"labflow/internal/projects"
	"labflow/internal/store"
)

// sampleExpPanel is an experiments panel with every part filled: a node
// with a form and experiments in each state, the viewer's forms, a
// refusal and a failed form's errors.
func sampleExpPanel() *expPanel {
	pc := projects.PrecheckRow{Precheck: store.Precheck{ID: 1, Kind: projects.PrecheckKind, State: projects.PrecheckApproved, InstanceID: 2}, MayOpen: true}
	xs := []store.Experiment{
		{ID: 1, State: projects.ExperimentDecided, Result: projects.ResultFailed, Note: "n", NextPlan: "p", DecidedName: "d"},
		{ID: 2, RetestOf: 1, State: projects.ExperimentReported, Result: projects.ResultPassed, Report: "r"},
		{ID: 3, State: projects.ExperimentStarted},
	}
	node := projects.NodeExperiments{Node: "n", TestsPlanned: 3, TestsUsed: 1, Prechecks: []projects.PrecheckRow{pc}, Experiments: xs}
	return &expPanel{Code: "P", Refusal: "r", Which: "report-3", Form: map[string]string{}, Checked: map[string]bool{"materials": true},
		formState: formState{Error: "e", Errors: map[string]string{"node": "x"}},
		V: projects.ExperimentsView{Nodes: []projects.NodeExperiments{node}, Other: &node, MayFile: true, FormKind: projects.PrecheckKind,
			Items: projects.PrecheckItems[projects.PrecheckKind], Startable: []store.Precheck{pc.Precheck}, Reportable: xs[2:],
			Decidable: xs[1:2], Retestable: xs[:1]}}
}
