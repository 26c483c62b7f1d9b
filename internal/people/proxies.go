package people

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Standing proxies (出差/休假代理, issue 8 §4). A person names a proxy for a
// period — from and to, entered in the institute's zone — and for some or
// all processes; tasks arriving for them then go to the proxy (the process
// engine asks ProxyFor, flow/proxy.go), who acts in their own name on the
// person's behalf.
//
// Who sets one:
//
//   - the person themself, directly (event proxy.set): it is in effect at once;
//   - the administrator, for someone who cannot (event proxy.request): it
//     is pending until that person's director approves it (proxy.approve)
//     or refuses it (proxy.refuse). This is a direct service flow, not a
//     process definition: the administrator may not start processes (R12),
//     and a refusal must leave the proxy refused. The approver is the
//     director of the person's department; for a director themself, or
//     someone without a department, the GM; the GM sets their own. The
//     approver is told (a notice), and approves on the 代理 page or through
//     the API.
//
// The proxy must be an active person holding a business role (R12), not
// the person; two proxies of one person may not overlap in time for the
// same process. The person or the administrator may cancel one (proxy.cancel);
// the tasks it already sent stay with the proxy. Everything is audited, and
// the rows are sealed.

// maxProxyPeriod bounds a standing proxy's period.
const maxProxyPeriod = 366 * 24 * time.Hour

var definitionKeyRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,63}$`)

// ProxyInput is a standing proxy to set: for PersonID (0: the actor),
// ProxyID acts from From to To — a date (the whole day) or a date and time
// (YYYY-MM-DDTHH:MM), in the institute's zone — in the processes listed in
// Definitions (empty: all).
type ProxyInput struct {
	PersonID, ProxyID int64
	From, To          string
	Definitions       []string
	Reason            string
}

// parseMoment reads a date or a date and time in zone; end makes a bare
// date mean the end of that day (the next midnight).
func parseMoment(v string, zone *time.Location, end bool) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation(time.DateOnly, v, zone); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			return t.UTC(), true
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

func (s *Service) zone() *time.Location {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	return s.org.zone
}

func proxyEntry(a domain.Actor, action string, id int64, changes []audit.Change, reason string) audit.Entry {
	return audit.Entry{ActorID: a.ID, ActorName: actorName(a), Action: action, Entity: "proxy", EntityID: strconv.FormatInt(id, 10),
		Changes: changes, Reason: reason}
}

// SetProxy sets a standing proxy. The person sets their own directly; the
// administrator sets one for someone else, pending that person's
// director's approval. It returns KindForbidden (anyone else, or the
// administrator for themself), KindInvalid (bad input, naming the field)
// or KindConflict (org.proxy_overlap, org.proxy_no_approver).
func (s *Service) SetProxy(ctx context.Context, actor domain.Actor, in ProxyInput) (domain.Proxy, error) {
	const op = "people.SetProxy"
	if in.PersonID == 0 {
		in.PersonID = actor.ID
	}
	self := in.PersonID == actor.ID
	switch {
	case self && actor.HasBusinessRole() && !actor.IsAdmin():
	case !self && actor.IsAdmin():
	default:
		return domain.Proxy{}, domain.Forbidden(op)
	}
	zone := s.zone()
	var c domain.Checker
	start, ok := parseMoment(in.From, zone, false)
	if in.From == "" {
		c.Add("from", "field.required")
	} else if !ok {
		c.Add("from", "org.bad_moment")
	}
	end, ok2 := parseMoment(in.To, zone, true)
	if in.To == "" {
		c.Add("to", "field.required")
	} else if !ok2 {
		c.Add("to", "org.bad_moment")
	}
	now := s.db.Now()
	if ok && ok2 {
		switch {
		case !end.After(start):
			c.Add("to", "org.proxy_end_before_start")
		case !end.After(now):
			c.Add("to", "org.proxy_in_past")
		case end.Sub(start) > maxProxyPeriod:
			c.Add("to", "org.proxy_too_long")
		}
	}
	var defs []string
	_, _, known := s.hooks()
	for _, d := range in.Definitions {
		d = strings.TrimSpace(d)
		if d == "" || slices.Contains(defs, d) {
			continue
		}
		if !definitionKeyRE.MatchString(d) || known != nil && !known(d) {
			c.Add("definitions", "org.unknown_definition", "key", d)
		}
		defs = append(defs, d)
	}
	checkReason(&c, in.Reason, false)
	if in.ProxyID == 0 {
		c.Add("proxy_id", "field.required")
	} else if in.ProxyID == in.PersonID {
		c.Add("proxy_id", "org.proxy_self")
	}
	if err := c.Err(op); err != nil {
		return domain.Proxy{}, err
	}
	r := s.db.R()
	person, err := store.PersonFull(ctx, r, in.PersonID, "")
	if domain.IsKind(err, domain.KindNotFound) || err == nil && (!person.Active || !businessPerson(person)) {
		c.Add("person_id", "flow.bad_person")
		return domain.Proxy{}, c.Err(op)
	}
	if err != nil {
		return domain.Proxy{}, domain.Wrap(op, err)
	}
	proxy, err := store.PersonFull(ctx, r, in.ProxyID, "")
	if domain.IsKind(err, domain.KindNotFound) || err == nil && (!proxy.Active || !businessPerson(proxy)) {
		c.Add("proxy_id", "org.proxy_not_business")
		return domain.Proxy{}, c.Err(op)
	}
	if err != nil {
		return domain.Proxy{}, domain.Wrap(op, err)
	}
	x := domain.Proxy{PersonID: person.ID, PersonName: person.Name, ProxyID: proxy.ID, ProxyName: proxy.Name, Start: start, End: end,
		Definitions: defs, Status: domain.ProxyActive, Reason: strings.TrimSpace(in.Reason), CreatedBy: actor.ID}
	action := "proxy.set"
	if !self {
		approver, err := s.proxyApprover(ctx, person)
		if err != nil {
			return domain.Proxy{}, domain.Wrap(op, err)
		}
		if approver.ID == 0 {
			return domain.Proxy{}, domain.Conflict(op, "org.proxy_no_approver")
		}
		x.Status, x.ApproverID, x.ApproverName, action = domain.ProxyPending, approver.ID, approver.Name, "proxy.request"
	}
	if x.Definitions == nil {
		x.Definitions = []string{}
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := checkOverlap(tx, op, x, 0); err != nil {
			return err
		}
		id, err := tx.InsertProxy(x)
		if err != nil {
			return err
		}
		x.ID = id
		changes := []audit.Change{{Field: "person_id", New: x.PersonID}, {Field: "person_name", New: x.PersonName},
			{Field: "proxy_id", New: x.ProxyID}, {Field: "proxy_name", New: x.ProxyName},
			{Field: "start", New: store.TimeText(x.Start)}, {Field: "end", New: store.TimeText(x.End)},
			{Field: "definitions", New: x.Definitions}, {Field: "status", New: string(x.Status)}}
		if x.ApproverID != 0 {
			changes = append(changes, audit.Change{Field: "approver_id", New: x.ApproverID}, audit.Change{Field: "approver_name", New: x.ApproverName})
		}
		if err := tx.Audit(proxyEntry(actor, action, id, changes, x.Reason)); err != nil {
			return err
		}
		if x.Status == domain.ProxyPending {
			return tx.NotifyInApp(x.ApproverID, "proxy_request", proxyArgs(x))
		}
		return tx.NotifyInApp(x.ProxyID, "proxy_named", proxyArgs(x))
	})
	if err != nil {
		return domain.Proxy{}, domain.Wrap(op, err)
	}
	s.forgetProxies()
	return s.proxy(ctx, x.ID)
}

func proxyArgs(x domain.Proxy) map[string]any {
	return map[string]any{"person": x.PersonName, "proxy": x.ProxyName, "proxy_id": x.ID}
}

// proxyApprover is who approves a standing proxy the administrator set for
// person: the director of their department, or for a director (or someone
// without a department) the GM; nobody for the GM.
func (s *Service) proxyApprover(ctx context.Context, person domain.Person) (domain.Person, error) {
	if person.DepartmentID != 0 {
		d, err := s.DirectorOf(ctx, person.DepartmentID)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return domain.Person{}, err
		}
		if err == nil && d.ID != person.ID {
			return d, nil
		}
	}
	gms, err := s.WithRole(ctx, domain.RoleGM, 0)
	if err != nil {
		return domain.Person{}, err
	}
	for _, g := range gms {
		if g.ID != person.ID {
			return g, nil
		}
	}
	return domain.Person{}, nil
}

// checkOverlap refuses a proxy whose period meets another pending or
// active one of the same person for a common process.
func checkOverlap(tx *store.Tx, op string, x domain.Proxy, except int64) error {
	others, err := store.Proxies(tx.Context(), tx, store.ProxyFilter{PersonID: x.PersonID, EndsAfter: x.Start, All: true})
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID == except || o.Status != domain.ProxyActive && o.Status != domain.ProxyPending || !o.Start.Before(x.End) {
			continue
		}
		common := len(o.Definitions) == 0 || len(x.Definitions) == 0
		for _, d := range x.Definitions {
			common = common || slices.Contains(o.Definitions, d)
		}
		if common {
			return domain.Conflict(op, "org.proxy_overlap", "proxy", o.ProxyName)
		}
	}
	return nil
}

// mayView reports whether actor may see standing proxy x: the
// administrator, the person, the proxy, the approver and who set it.
func mayView(actor domain.Actor, x domain.Proxy) bool {
	return actor.IsAdmin() || actor.ID != 0 && (actor.ID == x.PersonID || actor.ID == x.ProxyID || actor.ID == x.ApproverID || actor.ID == x.CreatedBy)
}

func (s *Service) proxy(ctx context.Context, id int64) (domain.Proxy, error) {
	x, err := store.ProxyByID(ctx, s.db.R(), id)
	return x, domain.Wrap("people.Proxy", err)
}

// Proxy returns one standing proxy to whoever may see it (see mayView);
// to anyone else it is KindNotFound.
func (s *Service) Proxy(ctx context.Context, actor domain.Actor, id int64) (domain.Proxy, error) {
	x, err := s.proxy(ctx, id)
	if err != nil {
		return x, err
	}
	if !mayView(actor, x) {
		return domain.Proxy{}, domain.NotFound("people.Proxy", "entity.proxy")
	}
	return x, nil
}

// ProxyFilter selects standing proxies for a list.
type ProxyFilter struct {
	PersonID int64 // the absent person (the administrator's list)
	Status   domain.ProxyStatus
	// Current keeps those not yet over.
	Current bool
}

// Proxies lists standing proxies, newest first: every one to the
// administrator, and to anyone else those they are the person, the proxy
// or the approver of.
func (s *Service) Proxies(ctx context.Context, actor domain.Actor, f ProxyFilter) ([]domain.Proxy, error) {
	const op = "people.Proxies"
	sf := store.ProxyFilter{PersonID: f.PersonID, Status: f.Status, Limit: 500}
	if !actor.IsAdmin() {
		if actor.ID <= 0 {
			return nil, domain.Forbidden(op)
		}
		sf.Involving = actor.ID
	}
	if f.Current {
		sf.EndsAfter = s.db.Now()
	}
	xs, err := store.Proxies(ctx, s.db.R(), sf)
	if xs == nil {
		xs = []domain.Proxy{}
	}
	return xs, domain.Wrap(op, err)
}

// ApproveProxy is the director's approval of a standing proxy the
// administrator set (event proxy.approve): it is in effect from then on.
// Only the named approver may; it returns KindNotFound to who may not see
// it, KindForbidden to anyone else, KindConflict once decided.
func (s *Service) ApproveProxy(ctx context.Context, actor domain.Actor, id int64) (domain.Proxy, error) {
	return s.decide(ctx, actor, "people.ApproveProxy", id, true, "")
}

// RefuseProxy is the director's refusal (event proxy.refuse), with the
// reason required (R4).
func (s *Service) RefuseProxy(ctx context.Context, actor domain.Actor, id int64, reason string) (domain.Proxy, error) {
	return s.decide(ctx, actor, "people.RefuseProxy", id, false, reason)
}

func (s *Service) decide(ctx context.Context, actor domain.Actor, op string, id int64, approve bool, reason string) (domain.Proxy, error) {
	x, err := s.Proxy(ctx, actor, id)
	if err != nil {
		return x, err
	}
	if actor.ID != x.ApproverID || x.ApproverID == 0 || actor.IsAdmin() || !actor.HasBusinessRole() {
		return domain.Proxy{}, domain.Forbidden(op)
	}
	var c domain.Checker
	checkReason(&c, reason, !approve)
	if err := c.Err(op); err != nil {
		return domain.Proxy{}, err
	}
	if x.Status != domain.ProxyPending {
		return domain.Proxy{}, domain.Conflict(op, "org.proxy_not_pending")
	}
	to, action, notice := domain.ProxyActive, "proxy.approve", "proxy_approved"
	if !approve {
		to, action, notice = domain.ProxyRefused, "proxy.refuse", "proxy_refused"
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DecideProxy(id, domain.ProxyPending, to, actor.ID, strings.TrimSpace(reason), time.Time{}); err != nil {
			if domain.IsKind(err, domain.KindConflict) {
				return domain.Conflict(op, "org.proxy_not_pending")
			}
			return err
		}
		if err := tx.Audit(proxyEntry(actor, action, id, []audit.Change{{Field: "status", Old: string(x.Status), New: string(to)}},
			strings.TrimSpace(reason))); err != nil {
			return err
		}
		for _, who := range []int64{x.PersonID, x.CreatedBy} {
			if err := tx.NotifyInApp(who, notice, proxyArgs(x)); err != nil {
				return err
			}
		}
		if approve {
			return tx.NotifyInApp(x.ProxyID, "proxy_named", proxyArgs(x))
		}
		return nil
	})
	if err != nil {
		return domain.Proxy{}, domain.Wrap(op, err)
	}
	s.forgetProxies()
	return s.proxy(ctx, id)
}

// CancelProxy withdraws a standing proxy, or ends it early (event
// proxy.cancel): the person themself, or the administrator with a reason,
// may. Tasks it already sent stay with the proxy. It returns KindNotFound,
// KindForbidden, KindInvalid or KindConflict (org.proxy_closed).
func (s *Service) CancelProxy(ctx context.Context, actor domain.Actor, id int64, reason string) (domain.Proxy, error) {
	const op = "people.CancelProxy"
	x, err := s.Proxy(ctx, actor, id)
	if err != nil {
		return x, err
	}
	if actor.ID != x.PersonID && !actor.IsAdmin() {
		return domain.Proxy{}, domain.Forbidden(op)
	}
	var c domain.Checker
	checkReason(&c, reason, actor.ID != x.PersonID)
	if err := c.Err(op); err != nil {
		return domain.Proxy{}, err
	}
	if x.Status != domain.ProxyActive && x.Status != domain.ProxyPending || !x.End.After(s.db.Now()) {
		return domain.Proxy{}, domain.Conflict(op, "org.proxy_closed")
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DecideProxy(id, x.Status, domain.ProxyCancelled, actor.ID, strings.TrimSpace(reason), time.Time{}); err != nil {
			if domain.IsKind(err, domain.KindConflict) {
				return domain.Conflict(op, "org.proxy_closed")
			}
			return err
		}
		if err := tx.Audit(proxyEntry(actor, "proxy.cancel", id, []audit.Change{{Field: "status", Old: string(x.Status),
			New: string(domain.ProxyCancelled)}}, strings.TrimSpace(reason))); err != nil {
			return err
		}
		return tx.NotifyInApp(x.ProxyID, "proxy_cancelled", proxyArgs(x))
	})
	if err != nil {
		return domain.Proxy{}, domain.Wrap(op, err)
	}
	s.forgetProxies()
	return s.proxy(ctx, id)
}

// forgetProxies drops the cached proxies in effect after a change.
func (s *Service) forgetProxies() {
	s.org.mu.Lock()
	s.org.proxies = nil
	s.org.mu.Unlock()
}

// inEffect returns the active proxies not yet over, by person, from memory
// when fresh (see cacheFor): the engine asks on every task it creates.
func (s *Service) inEffect(ctx context.Context) (map[int64][]domain.Proxy, error) {
	s.org.mu.Lock()
	if s.org.proxies != nil && time.Since(s.org.proxiesAt) < cacheFor {
		m := s.org.proxies
		s.org.mu.Unlock()
		return m, nil
	}
	s.org.mu.Unlock()
	xs, err := store.Proxies(ctx, s.db.R(), store.ProxyFilter{Status: domain.ProxyActive, EndsAfter: s.db.Now(), All: true})
	if err != nil {
		return nil, err
	}
	m := map[int64][]domain.Proxy{}
	for _, x := range xs {
		m[x.PersonID] = append(m[x.PersonID], x)
	}
	s.org.mu.Lock()
	s.org.proxies, s.org.proxiesAt = m, time.Now()
	s.org.mu.Unlock()
	return m, nil
}

// ProxyFor returns the standing proxy who receives personID's tasks of
// definition arriving at at (flow.ProxyDirectory).
func (s *Service) ProxyFor(ctx context.Context, personID int64, definition string, at time.Time) (flow.StandingProxy, bool, error) {
	m, err := s.inEffect(ctx)
	if err != nil {
		return flow.StandingProxy{}, false, domain.Wrap("people.ProxyFor", err)
	}
	for _, x := range m[personID] {
		if !x.Covers(definition, at) {
			continue
		}
		p, err := s.Person(ctx, x.ProxyID)
		if domain.IsKind(err, domain.KindNotFound) {
			return flow.StandingProxy{}, false, nil
		}
		if err != nil {
			return flow.StandingProxy{}, false, err
		}
		return flow.StandingProxy{RuleID: x.ID, Proxy: p}, true, nil
	}
	return flow.StandingProxy{}, false, nil
}

var _ flow.ProxyDirectory = (*Service)(nil)
