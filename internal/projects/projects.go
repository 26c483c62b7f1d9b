// Package projects holds the institute's drug-development projects (issue
// 10; SPEC DIR, PRJ): a project with its kind, reference listed drug,
// departments, director and stage; its team with the dates each person was
// on it (DIR-3, PRJ-1); and its node plan, whose revisions the Technical
// Committee signs (PRJ-2, PRJ-3) through the node-plan process, each
// revision created together with its signing, in one transaction.
//
// The service owns the records and the rules: who may see a project
// (PRJ-12, decided once, in visibility.go, and used by every list, page
// and reference), who may change it, and what a plan must hold. Until a
// plan revision is signed the project refuses the work that needs it
// (RequireSignedPlan).
package projects

import (
	"sync"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/store"
)

// The kinds of record the package registers with the process engine.
const (
	// SubjectPlan is a node plan revision: the record the node-plan
	// process signs.
	SubjectPlan = "projects.node_plan"
	// SubjectProject is a project, as a reference field points at it
	// (ref: projects.project).
	SubjectProject = "projects.project"
	// DefinitionPlan is the key of the process that signs a plan revision.
	DefinitionPlan = "node-plan"
)

// The kinds of project.
const (
	KindAPI         = "api"         // 原料药
	KindFormulation = "formulation" // 制剂
	KindBoth        = "both"        // 原料药与制剂
)

// Stages are a project's stages, in order (PRJ-5..9).
var Stages = []string{"initiation", "lab", "pilot", "stability", "dossier", "inspection", "closed"}

// The states of a plan revision.
const (
	PlanSigning   = "signing"
	PlanSigned    = "signed"
	PlanRejected  = "rejected"
	PlanWithdrawn = "withdrawn"
)

// Service keeps projects.
type Service struct {
	db   *store.DB
	ppl  *people.Service
	flow *flow.Engine
	loc  *time.Location

	// mu guards tables: the kinds of record whose processes belong to a
	// project, with their tables (RecordTable; dashboard.go).
	mu     sync.Mutex
	tables map[string]string
}

// New returns the service over db; loc is the institute's zone, in which
// membership dates are days (nil: UTC+8). Call UseFlow before filing plans.
func New(db *store.DB, ppl *people.Service, loc *time.Location) *Service {
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &Service{db: db, ppl: ppl, loc: loc}
}

// UseFlow gives the service the process engine that signs plans.
func (s *Service) UseFlow(e *flow.Engine) { s.flow = e }

// today is the current day in the institute's zone.
func (s *Service) today() string { return s.db.Now().In(s.loc).Format(time.DateOnly) }

// Today is the current day in the institute's zone (YYYY-MM-DD).
func (s *Service) Today() string { return s.today() }

func actorName(a domain.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Username
}

// invalid is a refusal naming one field.
func invalid(op, field, key string, kv ...any) error {
	e := domain.E(domain.KindInvalid, op, "error.invalid")
	m := domain.E(domain.KindInvalid, op, key, kv...)
	e.Fields = map[string]domain.Msg{field: {Key: key, Args: m.Args}}
	return e
}
