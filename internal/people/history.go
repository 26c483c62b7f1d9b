package people

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// maxHistory is how many events History returns, newest first.
const maxHistory = 1000

// businessActions are the action prefixes of a person's business history:
// what the organization did to the record (profile, roles, ranks). Every
// other event about a person — sign-ins and failed sign-ins with their
// addresses and browsers, lockouts, sign-outs, password changes and resets,
// API tokens (auth.*, token.*), and anything added later — is a security
// event.
var businessActions = []string{"person.", "role.", "rank."}

// securityActions are the action prefixes of security events.
var securityActions = []string{"auth.", "token."}

// ScopeTrail narrows a query of the whole audit trail to what actor may
// read of it: the security events (sign-ins with their addresses and
// browsers, lockouts, passwords, tokens) are the administrator's only; the
// deans and the GM review the rest.
func ScopeTrail(actor domain.Actor, f *store.AuditFilter) {
	if !isSystem(actor) && !actor.IsAdmin() {
		f.Without = append(f.Without, securityActions...)
	}
}

// maySeeSecurityEvents reports whether actor may read personID's security
// events: the person themself, the system administrator (who answers for
// accounts), and in-process work.
func maySeeSecurityEvents(actor domain.Actor, personID int64) bool {
	return isSystem(actor) || actor.IsAdmin() || actor.ID > 0 && actor.ID == personID
}

// History returns the audit history of a person, newest first (at most
// 1000 events). Anyone signed in may see a person, and with it the
// business history (person.*, role.*, rank.*: R13). The security events —
// sign-ins, failed sign-ins, lockouts, sign-outs, password changes and
// resets, token events, with the IP addresses and user agents they record —
// are the person's own and the administrator's only: to anyone else they
// are left out. It returns KindUnauthenticated without an actor and
// KindNotFound for an unknown person.
func (s *Service) History(ctx context.Context, actor domain.Actor, personID int64) ([]audit.Event, error) {
	const op = "people.History"
	if actor.ID <= 0 && !isSystem(actor) {
		return nil, domain.E(domain.KindUnauthenticated, op, "error.unauthenticated")
	}
	if _, err := store.GetPerson(ctx, s.db.R(), personID); err != nil {
		return nil, domain.Wrap(op, err)
	}
	id := strconv.FormatInt(personID, 10)
	if maySeeSecurityEvents(actor, personID) {
		evs, err := s.db.FindAudit(ctx, store.AuditFilter{Entity: "person", EntityID: id, Limit: maxHistory, Desc: true})
		return evs, domain.Wrap(op, err)
	}
	// One query per business prefix, so that a long sign-in history cannot
	// push the business events out of the limit.
	var out []audit.Event
	for _, prefix := range businessActions {
		evs, err := s.db.FindAudit(ctx, store.AuditFilter{Entity: "person", EntityID: id, Action: prefix, Limit: maxHistory, Desc: true})
		if err != nil {
			return nil, domain.Wrap(op, err)
		}
		out = append(out, evs...)
	}
	slices.SortFunc(out, func(a, b audit.Event) int { return cmp.Compare(b.Seq, a.Seq) })
	if len(out) > maxHistory {
		out = out[:maxHistory]
	}
	return out, nil
}
