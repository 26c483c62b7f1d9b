package projects

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Batches and their results (PRJ-5, PRJ-6): a batch of the project's
// current stage belongs to a node of the signed plan, whose test items
// are the results it needs; each result is recorded by the director or a
// team member and verified by a second person, never its recorder
// (COMPLIANCE R10); a failed result waits for the director's decision
// (re-test, or what else), which a re-test batch references.

// BatchInput is a new batch.
type BatchInput struct {
	// Node is the name of the plan node the batch belongs to.
	Node  string `json:"node"`
	Label string `json:"label"`
	// Kind is scale_up (default) or stability.
	Kind string `json:"kind,omitempty"`
	// Site is in_house (default) or outside; SiteInstanceID is then the
	// approved site-loan process.
	Site           string `json:"site,omitempty"`
	SiteInstanceID int64  `json:"site_instance_id,omitempty"`
	// StudyEnd is the day a stability study ends (required for one).
	StudyEnd string `json:"study_end,omitempty"`
	// RetestOf is the failed batch this one re-tests.
	RetestOf int64 `json:"retest_of,omitempty"`
}

// ResultInput is a batch's result for one test item.
type ResultInput struct {
	Item   string `json:"item"`
	Value  string `json:"value"`
	Passed *bool  `json:"passed"`
}

// ResultDecisionInput is the director's decision on a failed result.
type ResultDecisionInput struct {
	Decision string `json:"decision"`
}

// stageWork loads project code for work by actor (its director or a team
// member today: KindForbidden otherwise) and requires its signed plan
// (PRJ-2).
func (s *Service) stageWork(ctx context.Context, op string, actor domain.Actor, code string) (store.Project, Plan, int, error) {
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return p, Plan{}, 0, err
	}
	ok, err := s.works(ctx, actor, p)
	if err != nil {
		return p, Plan{}, 0, domain.Wrap(op, err)
	}
	if !ok {
		return p, Plan{}, 0, domain.Forbidden(op)
	}
	rev, plan, err := s.RequireSignedPlan(ctx, p.ID)
	if err != nil {
		return p, Plan{}, 0, err
	}
	return p, plan, rev.Revision, nil
}

// planNode is the node of plan named name, or nil.
func planNode(plan Plan, name string) *Node {
	for i := range plan.Nodes {
		if plan.Nodes[i].Name == name {
			return &plan.Nodes[i]
		}
	}
	return nil
}

// AddBatch records a new batch of the project's current stage (a lab,
// pilot or stability stage) by its director or a team member, once the
// plan is signed. Bad input is KindInvalid naming the field: a node not in
// the signed plan, an outside site without its site-loan process, a
// stability study without its end, a re-test of a batch that did not fail.
func (s *Service) AddBatch(ctx context.Context, actor domain.Actor, code string, in BatchInput) (store.Batch, error) {
	const op = "projects.AddBatch"
	p, plan, _, err := s.stageWork(ctx, op, actor, code)
	if err != nil {
		return store.Batch{}, err
	}
	if !hasBatches(p.Stage) {
		return store.Batch{}, domain.Conflict(op, "projects.stage.no_batches", "stage", p.Stage)
	}
	in.Node, in.Label, in.Kind, in.Site = strings.TrimSpace(in.Node), strings.TrimSpace(in.Label), strings.TrimSpace(in.Kind), strings.TrimSpace(in.Site)
	in.StudyEnd = strings.TrimSpace(in.StudyEnd)
	if in.Kind == "" {
		in.Kind = BatchScaleUp
	}
	if in.Site == "" {
		in.Site = SiteInHouse
	}
	var c domain.Checker
	c.Name("label", in.Label, true, 100)
	if in.Node == "" {
		c.Add("node", "field.required")
	} else if planNode(plan, in.Node) == nil {
		c.Add("node", "projects.stage.bad_node")
	}
	c.OneOf("kind", in.Kind, BatchScaleUp, BatchStability)
	if in.Kind == BatchStability && p.Stage == "lab" {
		c.Add("kind", "projects.stage.stability_not_in_lab")
	}
	if in.Kind == BatchStability {
		c.Date("study_end", in.StudyEnd, true)
	} else if in.StudyEnd != "" {
		c.Add("study_end", "projects.stage.study_end_stability_only")
	}
	c.OneOf("site", in.Site, SiteInHouse, SiteOutside)
	switch {
	case in.Site == SiteOutside && in.SiteInstanceID == 0:
		c.Add("site_instance_id", "projects.stage.site_loan_required")
	case in.Site == SiteOutside:
		if ok, err := s.siteLoan(ctx, actor, in.SiteInstanceID); err != nil {
			return store.Batch{}, err
		} else if !ok {
			c.Add("site_instance_id", "projects.stage.bad_site_loan")
		}
	case in.SiteInstanceID != 0:
		c.Add("site_instance_id", "projects.stage.site_loan_outside_only")
	}
	if in.RetestOf != 0 {
		ok, err := s.failedBatch(ctx, p.ID, in.RetestOf)
		if err != nil {
			return store.Batch{}, domain.Wrap(op, err)
		}
		if !ok {
			c.Add("retest_of", "projects.stage.bad_retest")
		}
	}
	if err := c.Err(op); err != nil {
		return store.Batch{}, err
	}
	b := store.Batch{ProjectID: p.ID, Stage: p.Stage, Node: in.Node, Label: in.Label, Kind: in.Kind, Site: in.Site,
		SiteInstanceID: in.SiteInstanceID, StudyEnd: in.StudyEnd, RetestOf: in.RetestOf, CreatedBy: actor.ID}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if b, err = tx.InsertBatch(b); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.batch_add", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "batch", New: b.Label}, {Field: "stage", New: b.Stage},
				{Field: "node", New: b.Node}, {Field: "kind", New: b.Kind}, {Field: "site", New: b.Site},
				{Field: "site_instance_id", New: strconv.FormatInt(b.SiteInstanceID, 10)}, {Field: "study_end", New: b.StudyEnd},
				{Field: "retest_of", New: strconv.FormatInt(b.RetestOf, 10)}}})
	})
	if store.IsUnique(err) {
		return b, invalid(op, "label", "projects.stage.label_taken")
	}
	return b, domain.Wrap(op, err)
}

// siteLoan reports whether id is a site-loan process actor may see that
// is approved or under way (the GM's approval leads to the director's
// steps on site), not rejected, returned or withdrawn.
func (s *Service) siteLoan(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
	if s.flow == nil {
		return false, nil
	}
	v, err := s.flow.Instance(ctx, actor, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	st := v.Instance.Status
	return v.Instance.DefinitionKey == "site-loan" && (st == flow.StatusApproved || st == flow.StatusRunning), nil
}

// failedBatch reports whether batch id of project has a failed result.
func (s *Service) failedBatch(ctx context.Context, projectID, id int64) (bool, error) {
	b, err := store.GetBatch(ctx, s.db.R(), id)
	if domain.IsKind(err, domain.KindNotFound) || err == nil && b.ProjectID != projectID {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rs, err := store.ProjectResults(ctx, s.db.R(), projectID)
	return slices.ContainsFunc(rs, func(r store.Result) bool { return r.BatchID == id && !r.Passed }), err
}

// projectBatch reads batch id of project p (KindNotFound for another's).
func (s *Service) projectBatch(ctx context.Context, op string, p store.Project, id int64) (store.Batch, error) {
	b, err := store.GetBatch(ctx, s.db.R(), id)
	if err != nil || b.ProjectID != p.ID {
		return b, domain.NotFound(op, "entity.batch")
	}
	return b, nil
}

// projectResult reads result id of project p (KindNotFound for another's).
func (s *Service) projectResult(ctx context.Context, op string, p store.Project, id int64) (store.Result, error) {
	r, err := store.GetResult(ctx, s.db.R(), id)
	if err != nil || r.ProjectID != p.ID {
		return r, domain.NotFound(op, "entity.result")
	}
	return r, nil
}

// RecordResult records batch id's result for one of its node's test items
// (the director or a team member). An item the node does not plan, or one
// recorded already, is KindInvalid on item.
func (s *Service) RecordResult(ctx context.Context, actor domain.Actor, code string, batchID int64, in ResultInput) (store.Result, error) {
	const op = "projects.RecordResult"
	p, plan, _, err := s.stageWork(ctx, op, actor, code)
	if err != nil {
		return store.Result{}, err
	}
	b, err := s.projectBatch(ctx, op, p, batchID)
	if err != nil {
		return store.Result{}, err
	}
	if b.Stage != p.Stage {
		return store.Result{}, domain.Conflict(op, "projects.stage.batch_closed", "stage", b.Stage)
	}
	in.Item, in.Value = strings.TrimSpace(in.Item), strings.TrimSpace(in.Value)
	var c domain.Checker
	if in.Item == "" {
		c.Add("item", "field.required")
	} else if n := planNode(plan, b.Node); n == nil || !slices.ContainsFunc(n.Tests, func(t TestItem) bool { return t.Item == in.Item }) {
		c.Add("item", "projects.stage.item_not_planned", "node", b.Node)
	}
	c.Text("value", in.Value, true, 500)
	if in.Passed == nil {
		c.Add("passed", "field.required")
	}
	if err := c.Err(op); err != nil {
		return store.Result{}, err
	}
	r := store.Result{BatchID: b.ID, ProjectID: p.ID, Item: in.Item, Value: in.Value, Passed: *in.Passed, RecordedBy: actor.ID}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.InsertResult(r); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.result_record", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "batch", New: b.Label}, {Field: "item", New: r.Item},
				{Field: "value", New: r.Value}, {Field: "passed", New: strconv.FormatBool(r.Passed)}}})
	})
	if store.IsUnique(err) {
		return r, invalid(op, "item", "projects.stage.result_twice")
	}
	return r, domain.Wrap(op, err)
}

// VerifyResult records a second person's verification of result id (the
// director or a team member; never its recorder: KindForbidden, R10). One
// verified already is KindConflict.
func (s *Service) VerifyResult(ctx context.Context, actor domain.Actor, code string, id int64) (store.Result, error) {
	const op = "projects.VerifyResult"
	p, _, _, err := s.stageWork(ctx, op, actor, code)
	if err != nil {
		return store.Result{}, err
	}
	r, err := s.projectResult(ctx, op, p, id)
	if err != nil {
		return r, err
	}
	if r.RecordedBy == actor.ID {
		return r, domain.E(domain.KindForbidden, op, "projects.stage.self_verify")
	}
	if r.VerifiedAt != "" {
		return r, domain.Conflict(op, "projects.stage.verified_already")
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.VerifyResult(r.ID, actor.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.result_verify", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "result_id", New: strconv.FormatInt(r.ID, 10)},
				{Field: "item", New: r.Item}, {Field: "verified_by", New: strconv.FormatInt(actor.ID, 10)}}})
	})
	if err != nil {
		return r, domain.Wrap(op, err)
	}
	return store.GetResult(ctx, s.db.R(), r.ID)
}

// DecideResult records the director's decision on failed result id (what
// happens next: a re-test, a new route). Only the project's director
// decides (KindForbidden); a passed result, or one decided already, is
// KindConflict.
func (s *Service) DecideResult(ctx context.Context, actor domain.Actor, code string, id int64, in ResultDecisionInput) (store.Result, error) {
	const op = "projects.DecideResult"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Result{}, err
	}
	if !directs(actor, p) {
		return store.Result{}, domain.Forbidden(op)
	}
	r, err := s.projectResult(ctx, op, p, id)
	if err != nil {
		return r, err
	}
	if r.Passed || r.DecidedAt != "" {
		return r, domain.Conflict(op, "projects.stage.no_decision_needed")
	}
	in.Decision = strings.TrimSpace(in.Decision)
	var c domain.Checker
	c.Text("decision", in.Decision, true, 2000)
	if err := c.Err(op); err != nil {
		return r, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DecideResult(r.ID, actor.ID, in.Decision); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.result_decide", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "result_id", New: strconv.FormatInt(r.ID, 10)},
				{Field: "item", New: r.Item}, {Field: "decision", New: in.Decision}}})
	})
	if err != nil {
		return r, domain.Wrap(op, err)
	}
	return store.GetResult(ctx, s.db.R(), r.ID)
}
