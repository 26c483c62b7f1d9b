package projects

import (
	"context"
	"slices"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// The gate of a stage (COMPLIANCE §4.1's checkable exit criteria): what a
// stage still lacks before its closure application may be filed and
// confirmed, as translatable reasons. Lab and pilot: three passed batches;
// every batch passed with verified results for its node's planned test
// items, or its failure decided by the director; for a project with
// analytical work, the pilot's stability study ended with verified passed
// results. Stability: its studies ended and passed. Dossier: every
// section approved. Inspection: every checklist item checked. The
// attachments a closure needs are checked when it is filed.

// stageRecords are what a gate reads.
type stageRecords struct {
	batches []store.Batch
	results []store.Result
	dossier []store.DossierSection
	checks  []store.InspectionCheck
}

// readStage reads a project's stage records through r (a transaction, or
// the database).
func readStage(ctx context.Context, r store.Reader, projectID int64) (stageRecords, error) {
	var sr stageRecords
	var err error
	if sr.batches, err = store.ProjectBatches(ctx, r, projectID); err != nil {
		return sr, err
	}
	if sr.results, err = store.ProjectResults(ctx, r, projectID); err != nil {
		return sr, err
	}
	if sr.dossier, err = store.ProjectDossier(ctx, r, projectID); err != nil {
		return sr, err
	}
	sr.checks, err = store.ProjectInspection(ctx, r, projectID)
	return sr, err
}

// BatchState is a batch with its results and where it stands.
type BatchState struct {
	store.Batch
	Results []store.Result `json:"results"`
	// State is passed (every planned item verified and passed), failed (a
	// result failed), pending (results missing or unverified).
	State string `json:"state"`
	// Missing are the planned test items without a result.
	Missing []string `json:"missing"`
}

// batchStates evaluates each batch against its node's planned test items.
func batchStates(plan Plan, sr stageRecords) []BatchState {
	out := make([]BatchState, 0, len(sr.batches))
	for _, b := range sr.batches {
		bs := BatchState{Batch: b, Results: []store.Result{}, Missing: []string{}}
		for _, r := range sr.results {
			if r.BatchID == b.ID {
				bs.Results = append(bs.Results, r)
			}
		}
		failed, unverified := false, false
		for _, r := range bs.Results {
			failed = failed || !r.Passed
			unverified = unverified || r.VerifiedAt == ""
		}
		if n := planNode(plan, b.Node); n != nil {
			for _, t := range n.Tests {
				if !slices.ContainsFunc(bs.Results, func(r store.Result) bool { return r.Item == t.Item }) {
					bs.Missing = append(bs.Missing, t.Item)
				}
			}
		}
		switch {
		case failed:
			bs.State = "failed"
		case unverified || len(bs.Missing) > 0 || planNode(plan, b.Node) == nil:
			bs.State = "pending"
		default:
			bs.State = "passed"
		}
		out = append(out, bs)
	}
	return out
}

// reason is one thing a gate lacks.
func reason(key string, kv ...any) domain.Msg {
	return domain.Msg{Key: key, Args: domain.E(domain.KindConflict, "", key, kv...).Args}
}

// gate lists what stage of project p still lacks under plan, as of today
// (empty: the gate holds).
func gate(p store.Project, stage string, plan Plan, sr stageRecords, analytical bool, today string) []domain.Msg {
	out := []domain.Msg{}
	if !closable(stage) {
		return append(out, reason("projects.gate.not_closable", "stage", stage))
	}
	switch stage {
	case "lab", "pilot", "stability":
		states := batchStates(plan, sr)
		passed, studies := 0, 0
		for _, bs := range states {
			if bs.Stage != stage {
				continue
			}
			if bs.Kind == BatchStability {
				studies++
				if bs.StudyEnd > today {
					out = append(out, reason("projects.gate.study_running", "batch", bs.Label, "end", bs.StudyEnd))
				}
			} else if bs.State == "passed" {
				passed++
			}
			if planNode(plan, bs.Node) == nil {
				out = append(out, reason("projects.gate.node_gone", "batch", bs.Label, "node", bs.Node))
			}
			for _, item := range bs.Missing {
				out = append(out, reason("projects.gate.result_missing", "batch", bs.Label, "item", item))
			}
			for _, r := range bs.Results {
				switch {
				case r.VerifiedAt == "":
					out = append(out, reason("projects.gate.result_unverified", "batch", bs.Label, "item", r.Item))
				case !r.Passed && r.DecidedAt == "":
					out = append(out, reason("projects.gate.failed_open", "batch", bs.Label, "item", r.Item))
				}
			}
		}
		if stage != "stability" && passed < BatchesPerStage {
			out = append(out, reason("projects.gate.batches_passed", "passed", passed, "needed", BatchesPerStage))
		}
		if studies == 0 && (stage == "stability" || stage == "pilot" && analytical) {
			out = append(out, reason("projects.gate.study_missing"))
		}
	case "dossier":
		if len(sr.dossier) == 0 {
			out = append(out, reason("projects.gate.dossier_empty"))
		}
		for _, d := range sr.dossier {
			if d.State != DossierApproved {
				out = append(out, reason("projects.gate.dossier_open", "title", d.Title))
			}
		}
	case "inspection":
		for _, item := range InspectionItems {
			if !slices.ContainsFunc(sr.checks, func(c store.InspectionCheck) bool { return c.Item == item }) {
				out = append(out, reason("projects.gate.unchecked."+item))
			}
		}
	}
	return out
}

// GateView is a stage's gate as the project page shows it.
type GateView struct {
	Stage string `json:"stage"`
	// Holds reports whether the stage may close.
	Holds bool `json:"holds"`
	// Lacks are what it still lacks, translatable.
	Lacks []domain.Msg `json:"lacks"`
}
