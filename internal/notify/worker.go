package notify

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/store"
)

// Round is what one round of the worker did.
type Round struct {
	Dispatched int // outbox rows fanned out
	Sent       int // deliveries sent
	Retrying   int // deliveries that failed and wait to be tried again
	Failed     int // deliveries given up (or interrupted while sending)
}

// Run delivers notices until ctx ends: a round at once, then one every
// Interval. It never holds up anyone's request: it runs beside them, and
// its writes are small.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		r, err := s.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.cfg.Log.Error("notices", "err", err)
		case r.Sent+r.Failed > 0:
			s.cfg.Log.Info("notices delivered", "sent", r.Sent, "retrying", r.Retrying, "failed", r.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dispatchBatch is how many outbox rows one fan-out reads.
const dispatchBatch = 200

// RunOnce runs one round: it fails the deliveries whose server stopped
// while sending them, fans new outbox rows out to their deliveries, and
// sends the deliveries that are due, by the store's clock.
func (s *Service) RunOnce(ctx context.Context) (Round, error) {
	var r Round
	n, err := s.expire(ctx)
	r.Failed += n
	if err != nil {
		return r, err
	}
	n, err = s.Dispatch(ctx)
	r.Dispatched += n
	if err != nil {
		return r, err
	}
	for {
		ds, err := s.db.ClaimDeliveries(ctx, s.cfg.Owner, s.db.Now(), s.db.Now().Add(s.cfg.Lease), s.cfg.Batch)
		if err != nil || len(ds) == 0 {
			return r, err
		}
		for _, d := range ds {
			if err := s.deliver(ctx, d, &r); err != nil {
				return r, err
			}
		}
		if len(ds) < s.cfg.Batch {
			return r, nil
		}
	}
}

// interrupted is the error of a delivery whose lease ended while it was
// being sent.
const interrupted = "interrupted while sending (the server stopped); it may or may not have arrived, so it is not sent again unless retried"

// expire fails the deliveries whose lease ended mid-send, and audits each.
func (s *Service) expire(ctx context.Context) (int, error) {
	now := s.db.Now()
	stale, err := store.FindDeliveries(ctx, s.db.R(), store.DeliveryFilter{States: []string{store.DeliverySending}, Limit: 1000})
	if err != nil {
		return 0, err
	}
	due := false
	for _, d := range stale {
		if d.LeaseUntil.Before(now) {
			due = true
		}
	}
	if !due {
		return 0, nil // the usual round: only a read
	}
	var ids []int64
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if ids, err = tx.ExpireDeliveries(interrupted); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.Audit(systemEntry("notice.failed", "notice_delivery", idText(id),
				[]audit.Change{{Field: "state", Old: store.DeliverySending, New: store.DeliveryFailed}}, interrupted)); err != nil {
				return err
			}
		}
		return nil
	})
	return len(ids), err
}

// Dispatch fans the outbox rows not yet fanned out to their deliveries
// (RunOnce does, before sending) and returns how many rows it read.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.dispatch(ctx)
		total += n
		if err != nil || n < dispatchBatch {
			return total, err
		}
	}
}

// dispatch fans one batch of outbox rows out to their deliveries: e-mail
// when the administrator set up SMTP and the reader wants it and has an
// address; the robot of the reader's department when it is enabled and the
// reader wants chat. The work — whom, what text — is done before the
// write, which only inserts.
func (s *Service) dispatch(ctx context.Context) (int, error) {
	ns, err := s.db.UndispatchedNotices(ctx, dispatchBatch)
	if err != nil || len(ns) == 0 {
		return 0, err
	}
	st, err := store.NoticeSettingsOf(ctx, s.db.R())
	if err != nil {
		return 0, err
	}
	robots, err := s.enabledRobots(ctx)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, 0, len(ns))
	var who []int64
	seen := map[int64]bool{}
	for _, n := range ns {
		ids = append(ids, n.ID)
		if !seen[n.RecipientID] {
			seen[n.RecipientID] = true
			who = append(who, n.RecipientID)
		}
	}
	prefs, err := store.NoticePrefsFor(ctx, s.db.R(), who)
	if err != nil {
		return 0, err
	}
	people := map[int64]domain.Person{}
	for _, id := range who {
		p, err := s.dir.Person(ctx, id)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return 0, err
		}
		people[id] = p
	}
	var ds []store.Delivery
	for _, n := range ns {
		p := people[n.RecipientID]
		if n.Channel != flow.ChannelInApp || !p.Active {
			continue
		}
		lang := p.Lang
		if lang == "" {
			lang = i18n.ZH
		}
		pr := prefs[p.ID]
		if st.SMTPEnabled && pr.Email && p.Email != "" {
			m := Render(lang, n, "", st.BaseURL)
			ds = append(ds, store.Delivery{OutboxID: n.ID, Channel: ChannelEmail, Target: p.Email, RecipientID: p.ID, InstanceID: n.InstanceID,
				Subject: m.Subject, Body: m.Body})
		}
		if r, ok := robots[p.DepartmentID]; ok && pr.Chat && p.DepartmentID != 0 {
			m := Render(lang, n, p.Name, st.BaseURL)
			ds = append(ds, store.Delivery{OutboxID: n.ID, Channel: r.Platform, Target: robotTarget(p.DepartmentID), RecipientID: p.ID,
				InstanceID: n.InstanceID, Subject: m.Subject, Body: m.Body})
		}
	}
	return len(ns), s.db.DispatchNotices(ctx, ids, ds)
}

func (s *Service) enabledRobots(ctx context.Context) (map[int64]store.NoticeRobot, error) {
	rs, err := store.FindNoticeRobots(ctx, s.db.R())
	if err != nil {
		return nil, err
	}
	out := map[int64]store.NoticeRobot{}
	for _, r := range rs {
		if r.Enabled {
			out[r.DepartmentID] = r
		}
	}
	return out, nil
}

func robotTarget(departmentID int64) string { return "department/" + idText(departmentID) }

func robotDepartment(target string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(target, "department/"), 10, 64)
	return id, err == nil && strings.HasPrefix(target, "department/")
}

// permanent marks a failure that trying again cannot mend (the server
// refused the address or the credentials; the channel is gone).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// deliver sends one claimed delivery and records the result: sent; or,
// failed, due again after the back-off, or failed for good after Attempts
// tries or a permanent refusal (audited as "notice.failed").
func (s *Service) deliver(ctx context.Context, d store.Delivery, r *Round) error {
	sctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	sendErr := s.send(sctx, d)
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // stopping: the lease runs out, and the delivery fails as interrupted
	}
	// The function may run again if its batch is retried: it sets the
	// outcome, counted once the write has committed.
	var outcome *int
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		outcome = nil
		if sendErr == nil {
			ok, err := tx.DeliverySent(d.ID, s.cfg.Owner)
			if ok {
				outcome = &r.Sent
			}
			return err
		}
		msg := sendErr.Error()
		var next time.Time
		final := isPermanent(sendErr) || d.Attempts >= s.cfg.Attempts
		if !final {
			next = tx.Now().Add(s.backoff(d.Attempts))
		}
		ok, err := tx.DeliveryFailed(d.ID, s.cfg.Owner, msg, next)
		if err != nil || !ok {
			return err
		}
		if !final {
			outcome = &r.Retrying
			return nil
		}
		outcome = &r.Failed
		return tx.Audit(systemEntry("notice.failed", "notice_delivery", idText(d.ID), []audit.Change{
			{Field: "channel", New: d.Channel}, {Field: "target", New: d.Target}, {Field: "attempts", New: d.Attempts},
			{Field: "state", Old: store.DeliverySending, New: store.DeliveryFailed}}, truncate(msg, 1000)))
	})
	if err == nil && outcome != nil {
		*outcome++
	}
	return err
}

// backoff is the wait after the attempts-th failed try: Backoff, doubled
// for each try before, at most MaxBackoff.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < attempts && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// send sends one delivery on its channel, with the settings as they are now.
func (s *Service) send(ctx context.Context, d store.Delivery) error {
	switch d.Channel {
	case ChannelEmail:
		st, err := store.NoticeSettingsOf(ctx, s.db.R())
		if err != nil {
			return err
		}
		if !st.SMTPEnabled || st.SMTPHost == "" {
			return permanent{errors.New("e-mail is not set up (any more)")}
		}
		return s.sendMail(ctx, st, d.Target, d.Subject, d.Body, mailID(d))
	case ChannelDingTalk, ChannelWeCom, ChannelFeishu:
		dept, ok := robotDepartment(d.Target)
		if !ok {
			return permanent{errors.New("no such robot: " + d.Target)}
		}
		rb, err := store.NoticeRobotOf(ctx, s.db.R(), dept)
		if domain.IsKind(err, domain.KindNotFound) || err == nil && (!rb.Enabled || rb.Platform != d.Channel) {
			return permanent{errors.New("the department's " + d.Channel + " robot is not set up (any more)")}
		}
		if err != nil {
			return err
		}
		return s.postRobot(ctx, rb, d.Body)
	}
	return permanent{errors.New("unknown channel " + d.Channel)}
}

// mailID is the Message-ID of a delivery's e-mail: the same for every try,
// so that a receiving server that got it already may drop a repeat.
func mailID(d store.Delivery) string {
	return "<notice-" + idText(d.OutboxID) + "-" + idText(d.ID) + "@labflow>"
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
