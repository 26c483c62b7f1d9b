package projects

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Candidate routes and the kick-off report (SPEC PRJ-1, DIR-3): once a
// project is past initiation, its director and team file candidate routes
// (a synthesis route; a formulation's prescription and process; an
// analytical method option) with their literature and patent-search notes
// and files; two or more may stay open; the director chooses one with a
// reason and files the kick-off report (开题报告), which they sign. Node
// plans may be filed only after that (FilePlan calls requireKickoff).

// The kinds of route, and which a project's kind may have.
const (
	RouteSynthesis   = "synthesis"
	RouteFormulation = "formulation"
	RouteAnalytical  = "analytical"
)

// The states of a route and of a signed record (kick-off report, entry of
// the register of original records).
const (
	RouteOpen     = "open"
	RouteChosen   = "chosen"
	RouteSetAside = "set_aside"

	SignedSigning   = "signing"
	SignedSigned    = "signed"
	SignedRejected  = "rejected"
	SignedWithdrawn = "withdrawn"
)

// routeKinds are the kinds of route a project of kind may have.
func routeKinds(kind string) []string {
	switch kind {
	case KindAPI:
		return []string{RouteSynthesis, RouteAnalytical}
	case KindFormulation:
		return []string{RouteFormulation, RouteAnalytical}
	}
	return []string{RouteSynthesis, RouteFormulation, RouteAnalytical}
}

// RouteInput is a candidate route as it is filed.
type RouteInput struct {
	// Kind is synthesis, formulation or analytical (as the project's kind
	// allows).
	Kind        string `json:"kind"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Literature and Patents are the literature and patent-search notes
	// (文献、专利检索).
	Literature string `json:"literature,omitempty"`
	Patents    string `json:"patents,omitempty"`
	// Files are attachments by SHA-256, uploaded by the filer first.
	Files []string `json:"files,omitempty"`
}

// ChooseInput is the director's choice of a route.
type ChooseInput struct {
	Reason string `json:"reason"`
}

// KickoffInput is a kick-off report as the director files it.
type KickoffInput struct {
	RouteID int64    `json:"route_id"`
	Summary string   `json:"summary"`
	Files   []string `json:"files,omitempty"`
}

// Routes is a project's routes and kick-off reports as pages show them.
type Routes struct {
	Routes   []store.Route   `json:"routes"`
	Kickoffs []store.Kickoff `json:"kickoffs"`
	// Kinds are the kinds of route the project may have.
	Kinds []string `json:"kinds"`
	// Ready reports whether a node plan may be filed (a route chosen and a
	// kick-off report signed); Missing is why not (a message key).
	Ready   bool   `json:"ready"`
	Missing string `json:"missing,omitempty"`
	// MayFile reports whether the viewer may file routes (the director and
	// the current team); MayDirect whether they choose and file the report.
	MayFile   bool `json:"may_file"`
	MayDirect bool `json:"may_direct"`
}

// Routes returns project code's routes and kick-off reports as actor may
// see them (KindNotFound when they may not see the project).
func (s *Service) Routes(ctx context.Context, actor domain.Actor, code string) (Routes, error) {
	const op = "projects.Routes"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return Routes{}, err
	}
	out := Routes{Kinds: routeKinds(p.Kind), MayDirect: directs(actor, p)}
	if out.Routes, err = store.Routes(ctx, s.db.R(), p.ID); err != nil {
		return out, domain.Wrap(op, err)
	}
	if out.Kickoffs, err = store.Kickoffs(ctx, s.db.R(), p.ID); err != nil {
		return out, domain.Wrap(op, err)
	}
	out.MayFile = out.MayDirect || s.onTeamToday(ctx, actor, p)
	if err := readiness(out.Routes, out.Kickoffs); err != nil {
		out.Missing = err.Key
	} else {
		out.Ready = true
	}
	return out, nil
}

// onTeamToday reports whether actor is on p's team today.
func (s *Service) onTeamToday(ctx context.Context, actor domain.Actor, p store.Project) bool {
	ms, err := store.ProjectMembers(ctx, s.db.R(), p.ID)
	if err != nil {
		return false
	}
	today := s.today()
	return slices.ContainsFunc(ms, func(m store.ProjectMember) bool {
		return m.PersonID == actor.ID && m.From <= today && (m.To == "" || m.To >= today)
	})
}

// readiness is nil when a node plan may be filed: a route chosen and a
// kick-off report signed on a chosen route; otherwise the refusal.
func readiness(routes []store.Route, kickoffs []store.Kickoff) *domain.Error {
	chosen := map[int64]bool{}
	for _, r := range routes {
		if r.State == RouteChosen {
			chosen[r.ID] = true
		}
	}
	if len(chosen) == 0 {
		return domain.Conflict("projects.FilePlan", "projects.init.no_route")
	}
	for _, k := range kickoffs {
		if k.State == SignedSigned && chosen[k.RouteID] {
			return nil
		}
	}
	return domain.Conflict("projects.FilePlan", "projects.init.no_kickoff")
}

// requireKickoff refuses a node plan on project p before a route is
// chosen and its kick-off report signed (PRJ-1 before PRJ-2).
func (s *Service) requireKickoff(ctx context.Context, p store.Project) error {
	routes, err := store.Routes(ctx, s.db.R(), p.ID)
	if err != nil {
		return domain.Wrap("projects.FilePlan", err)
	}
	kickoffs, err := store.Kickoffs(ctx, s.db.R(), p.ID)
	if err != nil {
		return domain.Wrap("projects.FilePlan", err)
	}
	if e := readiness(routes, kickoffs); e != nil {
		return e
	}
	return nil
}

// routeStage refuses work on routes of a closed project, and of one whose
// initiation has not ended in go (a project taken over in a later stage
// had its initiation on paper).
func (s *Service) routeStage(ctx context.Context, op string, p store.Project) error {
	if p.Stage == "closed" {
		return domain.Conflict(op, "projects.closed")
	}
	ins, err := store.Initiations(ctx, s.db.R(), p.ID)
	if err != nil {
		return domain.Wrap(op, err)
	}
	if n := len(ins); n > 0 && ins[n-1].State != InitiationGo || n == 0 && p.Stage == Stages[0] {
		return domain.Conflict(op, "projects.init.not_approved")
	}
	return nil
}

// checkFiles checks attachments named by SHA-256: each well formed and
// uploaded by actor (field.N names a bad one).
func (s *Service) checkFiles(ctx context.Context, c *domain.Checker, actor domain.Actor, field string, files []string) []string {
	out := []string{}
	if len(files) > 50 {
		c.Add(field, "projects.plan.too_many", "max", 50)
		return out
	}
	for i, f := range files {
		f = strings.ToLower(strings.TrimSpace(f))
		name := field + "." + strconv.Itoa(i+1)
		if b, err := hex.DecodeString(f); err != nil || len(b) != 32 {
			c.Add(name, "projects.init.bad_file")
			continue
		}
		if ok, err := s.db.UploadedBy(ctx, f, actor.ID); err != nil || !ok {
			c.Add(name, "projects.init.bad_file")
			continue
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// AddRoute files a candidate route on project code: its director or a
// current member of its team may (KindForbidden otherwise), once the
// project is past initiation. Bad input is KindInvalid naming each field.
func (s *Service) AddRoute(ctx context.Context, actor domain.Actor, code string, in RouteInput) (store.Route, error) {
	const op = "projects.AddRoute"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Route{}, err
	}
	if !directs(actor, p) && !s.onTeamToday(ctx, actor, p) {
		return store.Route{}, domain.Forbidden(op)
	}
	if err := s.routeStage(ctx, op, p); err != nil {
		return store.Route{}, err
	}
	r := store.Route{ProjectID: p.ID, Kind: strings.TrimSpace(in.Kind), Title: strings.TrimSpace(in.Title),
		Description: strings.TrimSpace(in.Description), Literature: strings.TrimSpace(in.Literature), Patents: strings.TrimSpace(in.Patents),
		State: RouteOpen, CreatedBy: actor.ID}
	var c domain.Checker
	if r.Kind == "" {
		c.Add("kind", "field.required")
	} else {
		c.OneOf("kind", r.Kind, routeKinds(p.Kind)...)
	}
	c.Name("title", r.Title, true, 200)
	c.Text("description", r.Description, true, 10000)
	c.Text("literature", r.Literature, false, 10000)
	c.Text("patents", r.Patents, false, 10000)
	r.Files = s.checkFiles(ctx, &c, actor, "files", in.Files)
	if err := c.Err(op); err != nil {
		return store.Route{}, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.InsertRoute(r); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.route_add", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "route_id", New: strconv.FormatInt(r.ID, 10)},
				{Field: "kind", New: r.Kind}, {Field: "title", New: r.Title}, {Field: "files", New: strings.Join(r.Files, ",")}}})
	})
	return r, domain.Wrap(op, err)
}

// ChooseRoute records the director's choice of route id on project code,
// with the reason (audited): the route is chosen, the other open routes of
// its kind are set aside. Only the project's director may
// (KindForbidden); a route no longer open is KindConflict.
func (s *Service) ChooseRoute(ctx context.Context, actor domain.Actor, code string, id int64, in ChooseInput) (store.Route, error) {
	const op = "projects.ChooseRoute"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Route{}, err
	}
	if !directs(actor, p) {
		return store.Route{}, domain.Forbidden(op)
	}
	if err := s.routeStage(ctx, op, p); err != nil {
		return store.Route{}, err
	}
	routes, err := store.Routes(ctx, s.db.R(), p.ID)
	if err != nil {
		return store.Route{}, domain.Wrap(op, err)
	}
	i := slices.IndexFunc(routes, func(r store.Route) bool { return r.ID == id })
	if i < 0 {
		return store.Route{}, domain.NotFound(op, "entity.route")
	}
	r := routes[i]
	reason := strings.TrimSpace(in.Reason)
	var c domain.Checker
	c.Text("reason", reason, true, 2000)
	if err := c.Err(op); err != nil {
		return r, err
	}
	if r.State != RouteOpen {
		return r, domain.Conflict(op, "projects.init.route_not_open")
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		ok, err := tx.DecideRoute(r.ID, RouteChosen, reason, actor.ID)
		if err != nil {
			return err
		}
		if !ok {
			return domain.Conflict(op, "projects.init.route_not_open")
		}
		changes := []audit.Change{{Field: "route_id", New: strconv.FormatInt(r.ID, 10)}, {Field: "state", Old: RouteOpen, New: RouteChosen}}
		for _, o := range routes {
			if o.ID == r.ID || o.Kind != r.Kind || o.State != RouteOpen {
				continue
			}
			if _, err := tx.DecideRoute(o.ID, RouteSetAside, reason, actor.ID); err != nil {
				return err
			}
			changes = append(changes, audit.Change{Field: "set_aside", New: strconv.FormatInt(o.ID, 10)})
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.route_choose", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Reason: reason, Changes: changes})
	})
	if err != nil {
		return r, domain.Wrap(op, err)
	}
	r.State, r.Reason, r.DecidedBy = RouteChosen, reason, actor.ID
	return r, nil
}

// FileKickoff files the kick-off report on project code's chosen route and
// starts its signing by the director (the kickoff-report process), in one
// transaction. Only the project's director may (KindForbidden); the route
// must be chosen (KindInvalid on route_id); a report under signing must end
// first (KindConflict).
func (s *Service) FileKickoff(ctx context.Context, actor domain.Actor, code string, in KickoffInput) (store.Kickoff, *flow.Instance, error) {
	const op = "projects.FileKickoff"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Kickoff{}, nil, err
	}
	if !directs(actor, p) {
		return store.Kickoff{}, nil, domain.Forbidden(op)
	}
	if err := s.routeStage(ctx, op, p); err != nil {
		return store.Kickoff{}, nil, err
	}
	routes, err := store.Routes(ctx, s.db.R(), p.ID)
	if err != nil {
		return store.Kickoff{}, nil, domain.Wrap(op, err)
	}
	k := store.Kickoff{ProjectID: p.ID, RouteID: in.RouteID, Summary: strings.TrimSpace(in.Summary), State: SignedSigning, AuthorID: actor.ID}
	var c domain.Checker
	if !slices.ContainsFunc(routes, func(r store.Route) bool { return r.ID == in.RouteID && r.State == RouteChosen }) {
		c.Add("route_id", "projects.init.route_not_chosen")
	}
	c.Text("summary", k.Summary, true, 500)
	k.Files = s.checkFiles(ctx, &c, actor, "files", in.Files)
	if err := c.Err(op); err != nil {
		return store.Kickoff{}, nil, err
	}
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM project_kickoff WHERE project_id = $1 AND state = 'signing'", p.ID).Scan(&open); err != nil {
			return 0, err
		}
		if open > 0 {
			return 0, domain.Conflict(op, "projects.init.kickoff_signing")
		}
		var err error
		if k, err = tx.InsertKickoff(k); err != nil {
			return 0, err
		}
		return k.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.kickoff_file", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "kickoff_id", New: strconv.FormatInt(k.ID, 10)},
				{Field: "route_id", New: strconv.FormatInt(k.RouteID, 10)}, {Field: "summary", New: k.Summary}, {Field: "files", New: strings.Join(k.Files, ",")}}})
	}
	inst, err := s.flow.StartWith(ctx, actor, DefinitionKickoff, flow.StartInput{
		Form:    map[string]any{"summary": p.Code + " 开题报告：" + k.Summary, "files": anyList(k.Files)},
		Subject: &flow.SubjectRef{Kind: SubjectKickoff, Create: create},
	})
	if err != nil {
		return store.Kickoff{}, nil, err
	}
	k.InstanceID = inst.ID
	return k, inst, nil
}

// kickoffContent is what the director's signature on a kick-off report
// covers: the project, the route and the report as filed.
func (s *Service) kickoffContent(ctx context.Context, id int64) ([]byte, error) {
	k, err := store.GetKickoff(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), k.ProjectID)
	if err != nil {
		return nil, err
	}
	routes, err := store.Routes(ctx, s.db.R(), k.ProjectID)
	if err != nil {
		return nil, err
	}
	route := map[string]any{}
	for _, r := range routes {
		if r.ID == k.RouteID {
			route = map[string]any{"id": r.ID, "kind": r.Kind, "title": r.Title, "description": r.Description, "literature": r.Literature,
				"patents": r.Patents, "files": r.Files}
		}
	}
	return json.Marshal(map[string]any{"project": p.Code, "route": route, "summary": k.Summary, "files": k.Files})
}

// followSigned returns the follower of a signed record's process: set
// records the process when it starts and the record's state as it goes.
func followSigned(op, action string, set func(tx *store.Tx, id, instanceID int64, state string, decided bool) error) func(context.Context, flow.LifeEvent) error {
	return func(ctx context.Context, ev flow.LifeEvent) error {
		tx, ok := ev.Tx.(*store.Tx)
		if !ok {
			return domain.Wrap(op, fmt.Errorf("transaction of type %T", ev.Tx))
		}
		var state string
		var instanceID int64
		switch ev.Point {
		case flow.LifeStarted:
			state, instanceID = SignedSigning, ev.Instance.ID
		case flow.LifeApproved:
			state = SignedSigned
		case flow.LifeRejected:
			state = SignedRejected
		case flow.LifeWithdrawn:
			state = SignedWithdrawn
		default:
			return nil
		}
		if err := set(tx, ev.SubjectID, instanceID, state, state != SignedSigning); err != nil {
			return err
		}
		if state == SignedSigning {
			return nil
		}
		return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: action + state, Entity: "project",
			EntityID: projectOf(ctx, tx, ev), Changes: []audit.Change{{Field: "id", New: strconv.FormatInt(ev.SubjectID, 10)},
				{Field: "state", New: state}, {Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}})
	}
}

// projectOf names the project of the record ev's instance is bound to.
func projectOf(ctx context.Context, tx *store.Tx, ev flow.LifeEvent) string {
	var pid int64
	switch ev.Kind {
	case SubjectKickoff:
		k, _ := store.GetKickoff(ctx, tx, ev.SubjectID)
		pid = k.ProjectID
	case SubjectRecord:
		o, _ := store.GetOriginalRecord(ctx, tx, ev.SubjectID)
		pid = o.ProjectID
	}
	return strconv.FormatInt(pid, 10)
}

var followKickoff = followSigned("projects.followKickoff", "project.kickoff_", (*store.Tx).SetKickoffState)
