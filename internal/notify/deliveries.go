package notify

import (
	"context"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Delivery is one notice on one channel as the administrator sees it.
type Delivery struct {
	ID            int64     `json:"id"`
	Channel       string    `json:"channel"`
	Target        string    `json:"target"` // the address, or the department whose robot
	RecipientID   int64     `json:"recipient_id"`
	RecipientName string    `json:"recipient_name"`
	InstanceID    int64     `json:"instance_id,omitempty"`
	Subject       string    `json:"subject"`
	State         string    `json:"state"`
	Attempts      int       `json:"attempts"`
	NextAt        time.Time `json:"next_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	SentAt        time.Time `json:"sent_at,omitzero"`
}

// DeliveryList is a page of deliveries with the count of each state.
type DeliveryList struct {
	Deliveries []Delivery     `json:"deliveries"`
	Counts     map[string]int `json:"counts"`
}

func deliveryOut(d store.Delivery) Delivery {
	out := Delivery{ID: d.ID, Channel: d.Channel, Target: d.Target, RecipientID: d.RecipientID, RecipientName: d.RecipientName,
		InstanceID: d.InstanceID, Subject: d.Subject, State: d.State, Attempts: d.Attempts, LastError: d.LastError,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, SentAt: d.SentAt}
	if d.State == store.DeliveryPending {
		out.NextAt = d.NextAt
	}
	return out
}

// DeliveryStates are the states a delivery list may be narrowed to.
var DeliveryStates = []string{store.DeliveryPending, store.DeliverySending, store.DeliverySent, store.DeliveryFailed}

// Deliveries lists deliveries in states (all when none), newest first, with
// the count of each state; KindForbidden but for the administrator.
func (s *Service) Deliveries(ctx context.Context, actor domain.Actor, states []string, limit int) (DeliveryList, error) {
	const op = "notify.Deliveries"
	if !actor.IsAdmin() {
		return DeliveryList{}, domain.Forbidden(op)
	}
	var c domain.Checker
	for _, st := range states {
		c.OneOf("state", st, DeliveryStates...)
	}
	if err := c.Err(op); err != nil {
		return DeliveryList{}, err
	}
	ds, err := store.FindDeliveries(ctx, s.db.R(), store.DeliveryFilter{States: states, Limit: limit})
	if err != nil {
		return DeliveryList{}, err
	}
	counts, err := store.DeliveryCounts(ctx, s.db.R())
	if err != nil {
		return DeliveryList{}, err
	}
	out := DeliveryList{Deliveries: make([]Delivery, 0, len(ds)), Counts: counts}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, deliveryOut(d))
	}
	return out, nil
}

// Retry makes a failed (or waiting) delivery due now with its tries
// counted afresh (administrator; audited as "notice.retry"). A delivery
// sent, or being sent, is KindConflict: nothing is sent twice.
func (s *Service) Retry(ctx context.Context, actor domain.Actor, id int64, reason string) (Delivery, error) {
	const op = "notify.Retry"
	if !actor.IsAdmin() {
		return Delivery{}, domain.Forbidden(op)
	}
	var c domain.Checker
	c.Text("reason", reason, false, maxReason)
	if err := c.Err(op); err != nil {
		return Delivery{}, err
	}
	var d store.Delivery
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = tx.RetryDelivery(id); err != nil {
			return err
		}
		return tx.Audit(entry(actor, "notice.retry", "notice_delivery", idText(id), []audit.Change{
			{Field: "state", Old: d.State, New: store.DeliveryPending}, {Field: "attempts", Old: d.Attempts, New: 0},
			{Field: "last_error", Old: d.LastError, New: nil}}, reason))
	})
	if err != nil {
		return Delivery{}, domain.Wrap(op, err)
	}
	d.State, d.Attempts, d.NextAt = store.DeliveryPending, 0, s.db.Now()
	return deliveryOut(d), nil
}

// TestInput names where the administrator sends a test notice: an e-mail
// address, or a department whose robot.
type TestInput struct {
	Email        string `json:"email,omitempty"`
	DepartmentID int64  `json:"department_id,omitempty"`
}

// TestResult says whether a test notice went, and if not, why.
type TestResult struct {
	Sent  bool   `json:"sent"`
	Error string `json:"error,omitempty"`
}

// Test sends a test notice now, with the settings as saved, and says
// whether it went and what the server answered (administrator; audited as
// "notice.test").
func (s *Service) Test(ctx context.Context, actor domain.Actor, in TestInput) (TestResult, error) {
	const op = "notify.Test"
	if !actor.IsAdmin() {
		return TestResult{}, domain.Forbidden(op)
	}
	var c domain.Checker
	if (in.Email == "") == (in.DepartmentID == 0) {
		c.Add("email", "notice.test_target")
	} else if in.Email != "" {
		c.Email("email", in.Email)
	}
	if err := c.Err(op); err != nil {
		return TestResult{}, err
	}
	d := store.Delivery{Channel: ChannelEmail, Target: in.Email, Subject: textFor(actor.Lang, "notice.test_subject"),
		Body: textFor(actor.Lang, "notice.test_body")}
	if in.DepartmentID != 0 {
		r, err := store.NoticeRobotOf(ctx, s.db.R(), in.DepartmentID)
		if err != nil {
			return TestResult{}, err
		}
		d.Channel, d.Target = r.Platform, robotTarget(in.DepartmentID)
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	sendErr := s.send(sctx, d)
	cancel()
	out := TestResult{Sent: sendErr == nil}
	if sendErr != nil {
		out.Error = truncate(sendErr.Error(), 1000)
	}
	result := "sent"
	if !out.Sent {
		result = out.Error
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(entry(actor, "notice.test", "notice_settings", "1", []audit.Change{
			{Field: "channel", New: d.Channel}, {Field: "target", New: d.Target}, {Field: "result", New: result}}, ""))
	})
	return out, domain.Wrap(op, err)
}
