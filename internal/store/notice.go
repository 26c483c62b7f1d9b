package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// Notices that reach people (issue 9 item 4): the administrator's settings
// (the SMTP server, the address of LabFlow for links), the departments'
// group robots, each person's channels, and the deliveries the notify
// worker fans the outbox out to. Settings, robots and channels are sealed
// (their changes are audited), but for the secrets (the SMTP password, a
// robot's signing secret); deliveries are the worker's bookkeeping.

// NoticeSettings are the administrator's notice settings.
type NoticeSettings struct {
	// BaseURL is the address people reach LabFlow at, for the links in
	// e-mail and chat ("" leaves them out).
	BaseURL      string
	SMTPEnabled  bool
	SMTPHost     string
	SMTPPort     int
	SMTPTLS      string // "starttls", "tls" (implicit) or "none"
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string
	UpdatedAt    time.Time
	UpdatedBy    int64
}

// NoticeRobot is a department's group robot.
type NoticeRobot struct {
	ID           int64
	DepartmentID int64
	Platform     string // dingtalk, wecom, feishu
	Webhook      string
	Secret       string
	Enabled      bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NoticePrefs are the channels a person wants besides in-app.
type NoticePrefs struct {
	PersonID  int64
	Email     bool
	Chat      bool
	UpdatedAt time.Time
}

// The states of a delivery.
const (
	DeliveryPending = "pending" // to send at NextAt
	DeliverySending = "sending" // claimed by a worker until LeaseUntil
	DeliverySent    = "sent"
	DeliveryFailed  = "failed" // given up; the administrator may retry
)

// Delivery is one notice on one channel to one target.
type Delivery struct {
	ID            int64
	OutboxID      int64
	Channel       string // email, dingtalk, wecom, feishu
	Target        string // the e-mail address, or "department/ID" for a robot
	RecipientID   int64
	RecipientName string
	InstanceID    int64
	Subject       string
	Body          string
	State         string
	Attempts      int
	NextAt        time.Time
	LeaseUntil    time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        time.Time
}

// NoticeSettingsOf reads the notice settings (zero until first saved).
func NoticeSettingsOf(ctx context.Context, r Reader) (NoticeSettings, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var s NoticeSettings
	var enabled int
	err := r.QueryRowContext(ctx, `SELECT base_url, smtp_enabled, smtp_host, smtp_port, smtp_tls, smtp_from, smtp_username, smtp_password,
		updated_at, updated_by FROM notice_settings WHERE id = 1`).Scan(&s.BaseURL, &enabled, &s.SMTPHost, &s.SMTPPort, &s.SMTPTLS, &s.SMTPFrom,
		&s.SMTPUsername, &s.SMTPPassword, timeCol{&s.UpdatedAt}, &s.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return NoticeSettings{}, nil
	}
	s.SMTPEnabled = enabled != 0
	return s, mapErr("store.NoticeSettings", err)
}

// SetNoticeSettings writes the notice settings.
func (t *Tx) SetNoticeSettings(s NoticeSettings, by int64) error {
	_, err := t.Exec(`INSERT INTO notice_settings (id, base_url, smtp_enabled, smtp_host, smtp_port, smtp_tls, smtp_from, smtp_username, smtp_password, updated_at, updated_by)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, smtp_enabled = excluded.smtp_enabled, smtp_host = excluded.smtp_host,
			smtp_port = excluded.smtp_port, smtp_tls = excluded.smtp_tls, smtp_from = excluded.smtp_from, smtp_username = excluded.smtp_username,
			smtp_password = excluded.smtp_password, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		s.BaseURL, boolInt(s.SMTPEnabled), s.SMTPHost, s.SMTPPort, s.SMTPTLS, s.SMTPFrom, s.SMTPUsername, s.SMTPPassword, TimeText(t.now), by)
	if err != nil {
		return mapErr("store.SetNoticeSettings", err)
	}
	t.touch("notice_settings", 1)
	return nil
}

const robotCols = "id, department_id, platform, webhook, secret, enabled, created_at, updated_at"

func scanRobot(s scanner) (NoticeRobot, error) {
	var r NoticeRobot
	var enabled int
	err := s.Scan(&r.ID, &r.DepartmentID, &r.Platform, &r.Webhook, &r.Secret, &enabled, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	r.Enabled = enabled != 0
	return r, err
}

// FindNoticeRobots lists the departments' robots (disabled ones too), by department.
func FindNoticeRobots(ctx context.Context, r Reader) ([]NoticeRobot, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, "SELECT "+robotCols+" FROM notice_robot ORDER BY department_id")
	if err != nil {
		return nil, mapErr("store.FindNoticeRobots", err)
	}
	defer rows.Close()
	var out []NoticeRobot
	for rows.Next() {
		x, err := scanRobot(rows)
		if err != nil {
			return nil, mapErr("store.FindNoticeRobots", err)
		}
		out = append(out, x)
	}
	return out, mapErr("store.FindNoticeRobots", rows.Err())
}

// NoticeRobotOf reads a department's robot; KindNotFound when it has none.
func NoticeRobotOf(ctx context.Context, r Reader, departmentID int64) (NoticeRobot, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	x, err := scanRobot(r.QueryRowContext(ctx, "SELECT "+robotCols+" FROM notice_robot WHERE department_id = $1", departmentID))
	if err != nil {
		return x, notFound("store.NoticeRobot", "entity.robot", err)
	}
	return x, nil
}

// PutNoticeRobot writes a department's robot (one per department),
// replacing the one it had; a robot is disabled, never deleted.
func (t *Tx) PutNoticeRobot(x NoticeRobot) (NoticeRobot, error) {
	now := TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO notice_robot (department_id, platform, webhook, secret, enabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (department_id) DO UPDATE SET platform = excluded.platform, webhook = excluded.webhook, secret = excluded.secret,
			enabled = excluded.enabled, updated_at = excluded.updated_at
		RETURNING `+robotCols, x.DepartmentID, x.Platform, x.Webhook, x.Secret, boolInt(x.Enabled), now).Scan(
		&x.ID, &x.DepartmentID, &x.Platform, &x.Webhook, &x.Secret, new(int), timeCol{&x.CreatedAt}, timeCol{&x.UpdatedAt})
	if err != nil {
		return x, mapErr("store.PutNoticeRobot", err)
	}
	t.touch("notice_robot", x.ID)
	return x, nil
}

// NoticePrefsOf reads a person's channels; both on when never set.
func NoticePrefsOf(ctx context.Context, r Reader, personID int64) (NoticePrefs, error) {
	m, err := NoticePrefsFor(ctx, r, []int64{personID})
	return m[personID], err
}

// NoticePrefsFor reads the channels of several people; both on for those
// who never set them.
func NoticePrefsFor(ctx context.Context, r Reader, ids []int64) (map[int64]NoticePrefs, error) {
	out := map[int64]NoticePrefs{}
	for _, id := range ids {
		out[id] = NoticePrefs{PersonID: id, Email: true, Chat: true}
	}
	if len(ids) == 0 {
		return out, nil
	}
	ctx, cancel := bound(ctx, r)
	defer cancel()
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i], ph[i] = id, "$"+itoa(i+1)
	}
	rows, err := r.QueryContext(ctx, "SELECT person_id, email, chat, updated_at FROM notice_pref WHERE person_id IN ("+strings.Join(ph, ", ")+")", args...)
	if err != nil {
		return nil, mapErr("store.NoticePrefs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p NoticePrefs
		var email, chat int
		if err := rows.Scan(&p.PersonID, &email, &chat, timeCol{&p.UpdatedAt}); err != nil {
			return nil, mapErr("store.NoticePrefs", err)
		}
		p.Email, p.Chat = email != 0, chat != 0
		out[p.PersonID] = p
	}
	return out, mapErr("store.NoticePrefs", rows.Err())
}

// SetNoticePrefs writes a person's channels.
func (t *Tx) SetNoticePrefs(p NoticePrefs) error {
	var id int64
	err := t.QueryRowContext(t.ctx, `INSERT INTO notice_pref (person_id, email, chat, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (person_id) DO UPDATE SET email = excluded.email, chat = excluded.chat, updated_at = excluded.updated_at
		RETURNING id`, p.PersonID, boolInt(p.Email), boolInt(p.Chat), TimeText(t.now)).Scan(&id)
	if err != nil {
		return mapErr("store.SetNoticePrefs", err)
	}
	t.touch("notice_pref", id)
	return nil
}

// UndispatchedNotices lists, oldest first, outbox rows not yet fanned out
// to their deliveries.
func (db *DB) UndispatchedNotices(ctx context.Context, limit int) ([]flow.Notification, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.R().QueryContext(ctx, `SELECT id, channel, recipient_id, kind, instance_id, task_id, args, created_at FROM flow_outbox
		WHERE dispatched = 0 ORDER BY id LIMIT `+itoa(max(limit, 1)))
	if err != nil {
		return nil, mapErr("store.UndispatchedNotices", err)
	}
	defer rows.Close()
	var out []flow.Notification
	for rows.Next() {
		var n flow.Notification
		var args string
		if err := rows.Scan(&n.ID, &n.Channel, &n.RecipientID, &n.Kind, &n.InstanceID, &n.TaskID, &args, timeCol{&n.CreatedAt}); err != nil {
			return nil, mapErr("store.UndispatchedNotices", err)
		}
		if err := flow.DecodeJSON([]byte(args), &n.Args); err != nil {
			return nil, mapErr("store.UndispatchedNotices", err)
		}
		out = append(out, n)
	}
	return out, mapErr("store.UndispatchedNotices", rows.Err())
}

// DispatchNotices records the deliveries of outbox rows and marks the rows
// fanned out, in one write. A delivery recorded already (the same row,
// channel and target: another server fanned the row out at the same time)
// is left as it is, so each is sent once.
func (db *DB) DispatchNotices(ctx context.Context, outboxIDs []int64, ds []Delivery) error {
	if len(outboxIDs) == 0 {
		return nil
	}
	err := db.Write(ctx, func(tx *Tx) error {
		now := TimeText(tx.Now())
		for _, d := range ds {
			if _, err := tx.Exec(`INSERT INTO notice_delivery (outbox_id, channel, target, recipient_id, instance_id, subject, body, state, next_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $8) ON CONFLICT (outbox_id, channel, target) DO NOTHING`,
				d.OutboxID, d.Channel, d.Target, d.RecipientID, d.InstanceID, d.Subject, d.Body, now); err != nil {
				return err
			}
		}
		args := make([]any, len(outboxIDs))
		ph := make([]string, len(outboxIDs))
		for i, id := range outboxIDs {
			args[i], ph[i] = id, "$"+itoa(i+1)
		}
		_, err := tx.Exec("UPDATE flow_outbox SET dispatched = 1 WHERE dispatched = 0 AND id IN ("+strings.Join(ph, ", ")+")", args...)
		return err
	})
	return mapErr("store.DispatchNotices", err)
}

const deliveryCols = "d.id, d.outbox_id, d.channel, d.target, d.recipient_id, COALESCE(p.name, ''), d.instance_id, d.subject, d.body, d.state, d.attempts, " +
	"d.next_at, d.lease_until, d.last_error, d.created_at, d.updated_at, d.sent_at"

const deliveryFrom = " FROM notice_delivery d LEFT JOIN person p ON p.id = d.recipient_id"

func scanDelivery(s scanner) (Delivery, error) {
	var d Delivery
	err := s.Scan(&d.ID, &d.OutboxID, &d.Channel, &d.Target, &d.RecipientID, &d.RecipientName, &d.InstanceID, &d.Subject, &d.Body, &d.State,
		&d.Attempts, timeCol{&d.NextAt}, timeCol{&d.LeaseUntil}, &d.LastError, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, timeCol{&d.SentAt})
	return d, err
}

// claimSkipLocked is the suffix of a claim's inner SELECT: on PostgreSQL,
// rows another server is claiming right now are skipped rather than
// waited for, so that servers claim different rows; SQLite has one writer.
func claimSkipLocked(d Dialect) string {
	if d == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ClaimDeliveries leases to owner, until until, up to limit pending
// deliveries due at or before now, oldest first: they are "sending" and
// count one more attempt. The claim is bookkeeping (no audit event).
func (db *DB) ClaimDeliveries(ctx context.Context, owner string, now, until time.Time, limit int) ([]Delivery, error) {
	var ids []int64
	err := db.Write(ctx, func(tx *Tx) error {
		ids = ids[:0]
		rows, err := tx.QueryContext(tx.ctx, `UPDATE notice_delivery SET state = 'sending', owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3
			WHERE id IN (SELECT id FROM notice_delivery WHERE state = 'pending' AND next_at <= $3 ORDER BY next_at, id LIMIT `+itoa(max(limit, 1))+
			claimSkipLocked(tx.Dialect())+`) RETURNING id`, owner, TimeText(until), TimeText(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil || len(ids) == 0 {
		return nil, mapErr("store.ClaimDeliveries", err)
	}
	return db.deliveriesByID(ctx, ids)
}

func (db *DB) deliveriesByID(ctx context.Context, ids []int64) ([]Delivery, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i], ph[i] = id, "$"+itoa(i+1)
	}
	rows, err := db.R().QueryContext(ctx, "SELECT "+deliveryCols+deliveryFrom+" WHERE d.id IN ("+strings.Join(ph, ", ")+") ORDER BY d.next_at, d.id", args...)
	if err != nil {
		return nil, mapErr("store.Deliveries", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, mapErr("store.Deliveries", err)
		}
		out = append(out, d)
	}
	return out, mapErr("store.Deliveries", rows.Err())
}

// DeliverySent marks a delivery owner holds sent; false when owner no
// longer holds it.
func (t *Tx) DeliverySent(id int64, owner string) (bool, error) {
	return t.changed(t.Exec(`UPDATE notice_delivery SET state = 'sent', sent_at = $1, updated_at = $1, last_error = '', owner = '', lease_until = ''
		WHERE id = $2 AND owner = $3 AND state = 'sending'`, TimeText(t.now), id, owner))
}

// DeliveryFailed records why a delivery owner holds failed: it is pending
// again at next, or failed for good when next is zero. False when owner no
// longer holds it.
func (t *Tx) DeliveryFailed(id int64, owner, msg string, next time.Time) (bool, error) {
	state := DeliveryPending
	if next.IsZero() {
		state = DeliveryFailed
	}
	return t.changed(t.Exec(`UPDATE notice_delivery SET state = $1, next_at = $2, last_error = $3, updated_at = $4, owner = '', lease_until = ''
		WHERE id = $5 AND owner = $6 AND state = 'sending'`, state, TimeText(next), truncateText(msg, 1000), TimeText(t.now), id, owner))
}

// ExpireDeliveries marks failed the deliveries whose lease ended before
// now while they were being sent (their server stopped mid-send): whether
// they reached anyone is unknown, so they are not sent again unless the
// administrator retries them. It returns them.
func (t *Tx) ExpireDeliveries(msg string) ([]int64, error) {
	now := TimeText(t.now)
	rows, err := t.QueryContext(t.ctx, `UPDATE notice_delivery SET state = 'failed', last_error = $1, updated_at = $2, owner = '', lease_until = ''
		WHERE state = 'sending' AND lease_until < $2 RETURNING id`, msg, now)
	if err != nil {
		return nil, mapErr("store.ExpireDeliveries", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr("store.ExpireDeliveries", err)
		}
		ids = append(ids, id)
	}
	return ids, mapErr("store.ExpireDeliveries", rows.Err())
}

// RetryDelivery makes a failed or waiting delivery due now with a fresh
// count of attempts. A delivery sent or being sent is KindConflict: it is
// never sent twice.
func (t *Tx) RetryDelivery(id int64) (Delivery, error) {
	d, err := scanDelivery(t.QueryRowContext(t.ctx, "SELECT "+deliveryCols+deliveryFrom+" WHERE d.id = $1", id))
	if err != nil {
		return d, notFound("store.RetryDelivery", "entity.delivery", err)
	}
	if d.State != DeliveryFailed && d.State != DeliveryPending {
		return d, domain.Conflict("store.RetryDelivery", "notice.retry_not_failed")
	}
	ok, err := t.changed(t.Exec(`UPDATE notice_delivery SET state = 'pending', next_at = $1, attempts = 0, updated_at = $1
		WHERE id = $2 AND state = $3`, TimeText(t.now), id, d.State))
	if err != nil {
		return d, err
	}
	if !ok {
		return d, domain.Conflict("store.RetryDelivery", "error.conflict")
	}
	return d, nil
}

func (t *Tx) changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, mapErr("store.Delivery", err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr("store.Delivery", err)
}

// DeliveryFilter narrows FindDeliveries; zero fields do not filter.
type DeliveryFilter struct {
	States []string
	Limit  int // default 100, at most 1000
}

// FindDeliveries lists deliveries, newest first.
func FindDeliveries(ctx context.Context, r Reader, f DeliveryFilter) ([]Delivery, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	q := "SELECT " + deliveryCols + deliveryFrom
	var args []any
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, s := range f.States {
			args, ph[i] = append(args, s), "$"+itoa(i+1)
		}
		q += " WHERE d.state IN (" + strings.Join(ph, ", ") + ")"
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := r.QueryContext(ctx, q+" ORDER BY d.id DESC LIMIT "+itoa(limit), args...)
	if err != nil {
		return nil, mapErr("store.FindDeliveries", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, mapErr("store.FindDeliveries", err)
		}
		out = append(out, d)
	}
	return out, mapErr("store.FindDeliveries", rows.Err())
}

// DeliveryCounts counts deliveries by state.
func DeliveryCounts(ctx context.Context, r Reader) (map[string]int, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, "SELECT state, COUNT(*) FROM notice_delivery GROUP BY state")
	if err != nil {
		return nil, mapErr("store.DeliveryCounts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, mapErr("store.DeliveryCounts", err)
		}
		out[s] = n
	}
	return out, mapErr("store.DeliveryCounts", rows.Err())
}

// truncateText cuts s to at most n bytes of valid UTF-8.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
