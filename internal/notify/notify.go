// Package notify delivers the engine's notices beyond the app (issue 9
// item 4): by e-mail over SMTP and to the departments' DingTalk, WeCom and
// Feishu group robots, each in the format and with the signing its
// platform documents.
//
// The engine writes every notice to the outbox (flow_outbox) in the
// transaction of the change it tells of; that row is the in-app notice.
// Nothing on the approval path waits for delivery: a background worker
// (Run) fans each outbox row out, once, into deliveries — one per channel
// the reader chose on their account page and the administrator configured
// — then claims due deliveries with a lease, sends them, and records the
// result. A failure is retried with exponential back-off; after Attempts
// tries, or at once when the server refuses for good, the delivery fails
// and the administrator sees it (Deliveries) with its error and may retry
// it (Retry). A delivery is sent at most once per channel, even with
// several servers on one database: a claim takes rows no other server
// holds (FOR UPDATE SKIP LOCKED on PostgreSQL), only the holder of a lease
// records its result, and a delivery whose server stopped while sending it
// is not sent again on its own (whether it arrived is unknown): it fails,
// and the administrator decides.
//
// The settings — the SMTP server, the address of LabFlow for links, the
// robots — are the administrator's; each person chooses their channels.
// Every change is audited (and sealed, but for the secrets, which are
// never shown again).
package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Directory finds the people notices go to; internal/people.Service
// implements it.
type Directory interface {
	Person(ctx context.Context, id int64) (domain.Person, error)
	Department(ctx context.Context, id int64) (domain.Department, error)
}

// Config tunes the worker; zero fields take the defaults noted.
type Config struct {
	Interval   time.Duration // how often Run looks for work; default 2s
	Lease      time.Duration // how long a claimed delivery is one server's; default 2m
	Attempts   int           // tries before a delivery fails; default 8
	Backoff    time.Duration // the wait before the first retry, doubled each time; default 30s
	MaxBackoff time.Duration // the longest wait between tries; default 1h
	Timeout    time.Duration // one send; default 30s
	Batch      int           // deliveries claimed per round; default 20
	// TLS is the base of the SMTP client's TLS configuration (tests give
	// their own root certificates); nil uses the system's roots.
	TLS *tls.Config
	// HTTP is the client webhooks are posted with; nil makes one with Timeout.
	HTTP *http.Client
	Log  *slog.Logger
	// Owner names this server in the leases it takes; default host, process
	// and a random part.
	Owner string
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, 2*time.Second)
	def(&c.Lease, 2*time.Minute)
	def(&c.Backoff, 30*time.Second)
	def(&c.MaxBackoff, time.Hour)
	def(&c.Timeout, 30*time.Second)
	if c.Attempts <= 0 {
		c.Attempts = 8
	}
	if c.Batch <= 0 {
		c.Batch = 20
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: c.Timeout}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		c.Owner = host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b)
	}
	return c
}

// Service holds the notice settings and delivers notices.
type Service struct {
	db  *store.DB
	dir Directory
	cfg Config
}

// New returns the notice service on db.
func New(db *store.DB, dir Directory, cfg Config) *Service {
	return &Service{db: db, dir: dir, cfg: cfg.withDefaults()}
}

// The channels besides in-app.
const (
	ChannelEmail    = "email"
	ChannelDingTalk = "dingtalk"
	ChannelWeCom    = "wecom"
	ChannelFeishu   = "feishu"
)

// Platforms are the group robots a department may have.
var Platforms = []string{ChannelDingTalk, ChannelWeCom, ChannelFeishu}

func actorName(a domain.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Username
}

func entry(a domain.Actor, action, entity, id string, changes []audit.Change, reason string) audit.Entry {
	return audit.Entry{ActorID: a.ID, ActorName: actorName(a), Action: action, Entity: entity, EntityID: id, Changes: changes, Reason: reason}
}

// systemEntry is an event of the worker itself.
func systemEntry(action, entity, id string, changes []audit.Change, reason string) audit.Entry {
	return audit.Entry{ActorName: "system", Action: action, Entity: entity, EntityID: id, Changes: changes, Reason: reason}
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }
