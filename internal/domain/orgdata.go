package domain

import "time"

// RoleDef is a role as the organisation defines it: the built-in roles
// (Roles) and those the administrator adds (客服专员, 人事专员, 办公室主任 …).
// A department-scoped role is granted for one department, as a director is.
type RoleDef struct {
	ID      int64  `json:"id"`
	Key     Role   `json:"key"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en"`
	Scoped  bool   `json:"scoped"`
	Builtin bool   `json:"builtin"`
	// Active is false for a role the administrator retired: it can no
	// longer be granted.
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Name returns the role's name in lang ("en" or Chinese).
func (r RoleDef) Name(lang string) string {
	if lang == "en" && r.NameEN != "" {
		return r.NameEN
	}
	if r.NameZH != "" {
		return r.NameZH
	}
	return string(r.Key)
}

// TechnicalCommittee is the key of the built-in Technical Committee
// (技术委员会, SPEC ORG-2), whose members are the holders of the committee
// and committee_chair roles.
const TechnicalCommittee = "technical"

// Committee is a body that reviews, signs and decides: the Technical
// Committee, a tender committee, a decision committee.
type Committee struct {
	ID      int64  `json:"id"`
	Key     string `json:"key"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en"`
	Builtin bool   `json:"builtin"`
	Active  bool   `json:"active"`
	// Members are the current members (the chair among them), filled by
	// the organisation service.
	Members   []CommitteeMember `json:"members"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	UpdatedAt time.Time         `json:"updated_at,omitzero"`
}

// Name returns the committee's name in lang.
func (c Committee) Name(lang string) string {
	if lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	if c.NameZH != "" {
		return c.NameZH
	}
	return c.Key
}

// Chair returns the committee's chair, if it has one.
func (c Committee) Chair() (CommitteeMember, bool) {
	for _, m := range c.Members {
		if m.Chair {
			return m, true
		}
	}
	return CommitteeMember{}, false
}

// CommitteeMember is one membership: a person on a committee, as chair or
// not, from when it was added until it was removed.
type CommitteeMember struct {
	ID          int64     `json:"id"`
	CommitteeID int64     `json:"committee_id"`
	PersonID    int64     `json:"person_id"`
	Name        string    `json:"name"`
	Chair       bool      `json:"chair"`
	AddedAt     time.Time `json:"added_at,omitzero"`
	AddedBy     int64     `json:"added_by,omitempty"`
	RemovedAt   time.Time `json:"removed_at,omitzero"`
	RemovedBy   int64     `json:"removed_by,omitempty"`
}

// ProxyStatus is where a standing proxy stands.
type ProxyStatus string

// The standing proxy statuses.
const (
	ProxyPending   ProxyStatus = "pending"   // set by the administrator; waits for the director's approval
	ProxyActive    ProxyStatus = "active"    // in effect during its period
	ProxyRefused   ProxyStatus = "refused"   // the director refused it
	ProxyCancelled ProxyStatus = "cancelled" // withdrawn or ended early
)

// Proxy is a standing proxy (出差/休假代理): while it is active, from Start
// to End, the tasks that arrive for Person in the listed processes (all,
// when Definitions is empty) go to Proxy, who acts in their own name on
// Person's behalf.
type Proxy struct {
	ID          int64       `json:"id"`
	PersonID    int64       `json:"person_id"`
	PersonName  string      `json:"person_name"`
	ProxyID     int64       `json:"proxy_id"`
	ProxyName   string      `json:"proxy_name"`
	Start       time.Time   `json:"start"`
	End         time.Time   `json:"end"`
	Definitions []string    `json:"definitions"`
	Status      ProxyStatus `json:"status"`
	Reason      string      `json:"reason,omitempty"`
	CreatedBy   int64       `json:"created_by"`
	CreatedAt   time.Time   `json:"created_at"`
	// ApproverID is who must approve a proxy the administrator set (the
	// person's director); 0 for one the person set themself.
	ApproverID     int64     `json:"approver_id,omitempty"`
	ApproverName   string    `json:"approver_name,omitempty"`
	DecidedBy      int64     `json:"decided_by,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	DecisionReason string    `json:"decision_reason,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Covers reports whether the proxy sends a task of definition key arriving at t.
func (p Proxy) Covers(key string, t time.Time) bool {
	if p.Status != ProxyActive || t.Before(p.Start) || !t.Before(p.End) {
		return false
	}
	if len(p.Definitions) == 0 {
		return true
	}
	for _, d := range p.Definitions {
		if d == key {
			return true
		}
	}
	return false
}
