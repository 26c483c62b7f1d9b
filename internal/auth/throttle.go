package auth

import (
	"context"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// Throttle limits failing attempts other than sign-ins — uses of external
// links that are unknown, used or expired — per key (the caller's address
// under a prefix of the caller's choosing), with the limits of sign-ins:
// Config.IPMaxFailures failures within Config.IPWindow lock the key for
// IPWindow. Its counts live beside the sign-ins' under their own keys, so
// that failed links and failed sign-ins do not use up each other's
// allowance. It implements flow.Throttle.
type Throttle struct{ s *Service }

// Throttle returns the service's throttle for attempts other than sign-ins.
func (s *Service) Throttle() Throttle { return Throttle{s} }

// Allow returns KindTooMany "auth.throttled" (argument "until") while key
// is locked.
func (t Throttle) Allow(ctx context.Context, key string) error {
	th, err := t.s.db.IPThrottle(ctx, truncate(key, 80))
	if err != nil {
		return err
	}
	if th.LockedUntil.After(t.s.db.Now()) {
		return domain.E(domain.KindTooMany, "auth.Throttle", "auth.throttled", "until", t.s.untilText(th.LockedUntil))
	}
	return nil
}

// Fail counts one failure for key. It writes no audit event: the refused
// attempts of a flood must not flood the trail (as with throttled sign-ins).
func (t Throttle) Fail(ctx context.Context, key string) error {
	return t.s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.RecordIPFailure(truncate(key, 80), t.s.cfg.IPWindow, t.s.cfg.IPMaxFailures)
		return err
	})
}
