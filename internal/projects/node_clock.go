package projects

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// The execution clock (PRJ-4): purchase requests name their project (the
// purchase-request definition's project field refers to a project); a
// researcher on the team confirms the day the materials no longer block
// the work, naming those requests; the execution time counts from there.

// DefinitionPurchase is the key of the purchase request process, whose
// project field names the project it buys for.
const DefinitionPurchase = "purchase-request"

// MaterialsInput is a researcher's confirmation that materials no longer
// block the project's work.
type MaterialsInput struct {
	// ReadyOn is the day the materials stopped blocking (today or before).
	ReadyOn string `json:"ready_on"`
	// Requests are the purchase requests (ids) that brought the materials:
	// each must name this project.
	Requests []int64 `json:"requests"`
	Note     string  `json:"note,omitempty"`
}

// ConfirmMaterials records, once per project, the day its materials no
// longer block its work, with the purchase requests that brought them
// (PRJ-4); audited. Only a current member of the project's team may
// (KindForbidden; who may not see the project: KindNotFound). A request
// that is not a purchase request for this project the confirmer may see
// is refused naming requests.N; a second confirmation is KindConflict.
func (s *Service) ConfirmMaterials(ctx context.Context, actor domain.Actor, code string, in MaterialsInput) (store.ProjectMaterials, error) {
	const op = "projects.ConfirmMaterials"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.ProjectMaterials{}, err
	}
	ms, err := store.ProjectMembers(ctx, s.db.R(), p.ID)
	if err != nil {
		return store.ProjectMaterials{}, domain.Wrap(op, err)
	}
	today := s.today()
	if !slices.ContainsFunc(ms, func(m store.ProjectMember) bool {
		return m.PersonID == actor.ID && m.From <= today && (m.To == "" || m.To >= today)
	}) {
		return store.ProjectMaterials{}, domain.Forbidden(op)
	}
	in.ReadyOn, in.Note = strings.TrimSpace(in.ReadyOn), strings.TrimSpace(in.Note)
	var c domain.Checker
	c.Date("ready_on", in.ReadyOn, true)
	if !c.Has("ready_on") && in.ReadyOn > today {
		c.Add("ready_on", "pnodes.future")
	}
	c.Text("note", in.Note, false, 2000)
	if len(in.Requests) > 50 {
		c.Add("requests", "projects.plan.too_many", "max", 50)
	}
	var reqs []int64
	for i, id := range in.Requests {
		f := "requests." + strconv.Itoa(i+1)
		if slices.Contains(reqs, id) {
			c.Add(f, "pnodes.materials.request_twice")
			continue
		}
		if !s.requestFor(ctx, actor, id, p.ID) {
			c.Add(f, "pnodes.materials.bad_request")
			continue
		}
		reqs = append(reqs, id)
	}
	if err := c.Err(op); err != nil {
		return store.ProjectMaterials{}, err
	}
	m := store.ProjectMaterials{ProjectID: p.ID, ReadyOn: in.ReadyOn, Requests: reqs, Note: in.Note, ConfirmedBy: actor.ID, ConfirmedName: actorName(actor)}
	if m.Requests == nil {
		m.Requests = []int64{}
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if m, err = tx.InsertMaterials(m); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.materials_ready", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Reason: in.Note, Changes: []audit.Change{{Field: "ready_on", New: m.ReadyOn},
				{Field: "requests", New: deptText(m.Requests)}}})
	})
	if store.IsUnique(err) {
		return m, domain.Conflict(op, "pnodes.materials.confirmed")
	}
	return m, domain.Wrap(op, err)
}

// requestFor reports whether instance id is a purchase request actor may
// see whose project field names project projectID.
func (s *Service) requestFor(ctx context.Context, actor domain.Actor, id, projectID int64) bool {
	if s.flow == nil || id <= 0 {
		return false
	}
	v, err := s.flow.Instance(ctx, actor, id)
	if err != nil || v.Instance.DefinitionKey != DefinitionPurchase {
		return false
	}
	return formID(v.Instance.Form["project"]) == projectID
}

// formID reads an id a form holds (a number, as stored or decoded).
func formID(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
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

// ExecutionOf returns the execution figures of project code as actor may
// see it (PRJ-4).
func (s *Service) ExecutionOf(ctx context.Context, actor domain.Actor, code string) (Execution, error) {
	const op = "projects.ExecutionOf"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return Execution{}, err
	}
	x, _, err := s.execution(ctx, p)
	return x, domain.Wrap(op, err)
}

// execution reads the figures and the health of project p.
func (s *Service) execution(ctx context.Context, p store.Project) (Execution, Health, error) {
	nodes, err := store.CurrentNodes(ctx, s.db.R(), p.ID)
	if err != nil {
		return Execution{}, Health{}, err
	}
	ms, err := store.MaterialsOf(ctx, s.db.R(), p.ID)
	if err != nil {
		return Execution{}, Health{}, err
	}
	revs, err := store.PlanRevisions(ctx, s.db.R(), p.ID)
	if err != nil {
		return Execution{}, Health{}, err
	}
	var m *store.ProjectMaterials
	if len(ms) > 0 {
		m = &ms[0]
	}
	x := s.figures(s.counter(s.calendar()), nodes, m, s.today())
	return x, health(p, revs, x), nil
}
