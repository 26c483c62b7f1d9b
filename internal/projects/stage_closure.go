package projects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The closure application (结题申请单, PRJ-5, PRJ-6, PRJ-9): the project's
// director files it for the current stage with the stage summary report
// and the records (original records; for analytical work, instrument-use
// and temperature/humidity records); the Technical Committee confirms it
// (the stage-closure process: a quorum with the chair, never its author).
// It is refused while the stage's gate does not hold, naming what is
// missing. The committee's confirmation creates the stage bonus from the
// signed reward plan and moves the project to the next stage, in the
// transaction of the last signature — refused, then, if the gate no
// longer holds.

// The states of a closure application.
const (
	ClosureApplied   = "applied"
	ClosureReturned  = "returned"
	ClosureConfirmed = "confirmed"
	ClosureRejected  = "rejected"
	ClosureWithdrawn = "withdrawn"
)

// ClosureInput is a closure application as the director files it. The
// files are attachments (SHA-256 of uploaded files).
type ClosureInput struct {
	// Summary is the stage summary report (阶段总结报告).
	Summary           string   `json:"summary"`
	OriginalRecords   []string `json:"original_records"`
	InstrumentRecords []string `json:"instrument_records,omitempty"`
	ClimateRecords    []string `json:"climate_records,omitempty"`
}

// closureFiles is the files column of a closure.
type closureFiles struct {
	OriginalRecords   []string `json:"original_records"`
	InstrumentRecords []string `json:"instrument_records"`
	ClimateRecords    []string `json:"climate_records"`
}

// gateError is the refusal of a closure while the gate does not hold:
// each reason a field of its own (gate.1, gate.2, …).
func gateError(op, stage string, lacks []domain.Msg) error {
	e := domain.Conflict(op, "projects.gate.open", "stage", stage, "count", len(lacks))
	e.Fields = map[string]domain.Msg{}
	for i, m := range lacks {
		e.Fields["gate."+strconv.Itoa(i+1)] = m
	}
	return e
}

// stageGate returns what project p's current stage still lacks (PRJ-5..9).
func (s *Service) stageGate(ctx context.Context, r store.Reader, p store.Project) (GateView, error) {
	g := GateView{Stage: p.Stage}
	analytical, err := s.analytical(ctx, p)
	if err != nil {
		return g, err
	}
	sr, err := readStage(ctx, r, p.ID)
	if err != nil {
		return g, err
	}
	_, plan, err := s.RequireSignedPlan(ctx, p.ID)
	var de *domain.Error
	if errors.As(err, &de) && de.Kind == domain.KindConflict {
		// No signed plan: that is what the gate lacks.
		g.Lacks = []domain.Msg{{Key: de.Key, Args: de.Args}}
		return g, nil
	}
	if err != nil {
		return g, err
	}
	g.Lacks = gate(p, p.Stage, plan, sr, analytical, s.today())
	g.Holds = len(g.Lacks) == 0
	return g, nil
}

// FileClosure files the closure application of project code's current
// stage and starts its confirmation by the Technical Committee, in one
// transaction. Only the project's director may (KindForbidden). While the
// gate does not hold it is KindConflict naming each thing missing; an
// application without original records (or, for analytical work, its
// instrument-use and temperature/humidity records) is KindInvalid naming
// the field; one application of a stage is decided at a time.
func (s *Service) FileClosure(ctx context.Context, actor domain.Actor, code string, in ClosureInput) (store.Closure, *flow.Instance, error) {
	const op = "projects.FileClosure"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Closure{}, nil, err
	}
	if !directs(actor, p) {
		return store.Closure{}, nil, domain.Forbidden(op)
	}
	if !closable(p.Stage) {
		return store.Closure{}, nil, domain.Conflict(op, "projects.gate.not_closable", "stage", p.Stage)
	}
	in.Summary = strings.TrimSpace(in.Summary)
	analytical, err := s.analytical(ctx, p)
	if err != nil {
		return store.Closure{}, nil, domain.Wrap(op, err)
	}
	var c domain.Checker
	c.Text("summary", in.Summary, true, 20000)
	if len(in.OriginalRecords) == 0 {
		c.Add("original_records", "projects.closure.original_records_required")
	}
	if analytical && hasBatches(p.Stage) {
		if len(in.InstrumentRecords) == 0 {
			c.Add("instrument_records", "projects.closure.instrument_records_required")
		}
		if len(in.ClimateRecords) == 0 {
			c.Add("climate_records", "projects.closure.climate_records_required")
		}
	}
	if err := c.Err(op); err != nil {
		return store.Closure{}, nil, err
	}
	g, err := s.stageGate(ctx, s.db.R(), p)
	if err != nil {
		return store.Closure{}, nil, domain.Wrap(op, err)
	}
	if !g.Holds {
		return store.Closure{}, nil, gateError(op, p.Stage, g.Lacks)
	}
	files := closureFiles{OriginalRecords: nonNil(in.OriginalRecords), InstrumentRecords: nonNil(in.InstrumentRecords), ClimateRecords: nonNil(in.ClimateRecords)}
	fj, err := json.Marshal(files)
	if err != nil {
		return store.Closure{}, nil, domain.Wrap(op, err)
	}
	var cl store.Closure
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		// One application of a stage at a time, settled in the transaction.
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM project_closure WHERE project_id = $1 AND state IN ('applied', 'returned')", p.ID).Scan(&open); err != nil {
			return 0, err
		}
		if open > 0 {
			return 0, domain.Conflict(op, "projects.closure.pending")
		}
		var err error
		cl, err = tx.InsertClosure(store.Closure{ProjectID: p.ID, Stage: p.Stage, Summary: in.Summary, Files: string(fj), AuthorID: actor.ID, State: ClosureApplied})
		if err != nil {
			return 0, err
		}
		return cl.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.closure_file", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "stage", New: p.Stage}, {Field: "summary", New: in.Summary},
				{Field: "files", New: string(fj)}}})
	}
	form := map[string]any{"stage": p.Stage, "summary": in.Summary, "original_records": files.OriginalRecords}
	if len(files.InstrumentRecords) > 0 {
		form["instrument_records"] = files.InstrumentRecords
	}
	if len(files.ClimateRecords) > 0 {
		form["climate_records"] = files.ClimateRecords
	}
	inst, err := s.flow.StartWith(ctx, actor, DefinitionClosure, flow.StartInput{Form: form, Subject: &flow.SubjectRef{Kind: SubjectClosure, Create: create}})
	if err != nil {
		return store.Closure{}, nil, err
	}
	cl.InstanceID = inst.ID
	return cl, inst, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// closureContent is what a committee signature on a closure covers: the
// project, the stage, the summary and the records attached.
func (s *Service) closureContent(ctx context.Context, id int64) ([]byte, error) {
	c, err := store.GetClosure(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), c.ProjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"project": p.Code, "stage": c.Stage, "summary": c.Summary, "files": json.RawMessage(c.Files)})
}

func (s *Service) describeClosure(ctx context.Context, id int64) (string, string, error) {
	c, err := store.GetClosure(ctx, s.db.R(), id)
	if err != nil {
		return "", "", err
	}
	p, err := store.GetProject(ctx, s.db.R(), c.ProjectID)
	if err != nil {
		return "", "", err
	}
	return p.Code + " 结题申请（" + c.Stage + "）", "/projects/" + url.PathEscape(p.Code) + "/stages", nil
}

// closureLife follows a closure's process in its transactions; on the
// committee's confirmation it checks the gate again, creates the stage
// bonus and moves the project to the next stage.
func (s *Service) closureLife(ctx context.Context, ev flow.LifeEvent) error {
	const op = "projects.closureLife"
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap(op, fmt.Errorf("transaction of type %T", ev.Tx))
	}
	var state string
	switch ev.Point {
	case flow.LifeStarted:
		if err := tx.SetClosureInstance(ev.SubjectID, ev.Instance.ID); err != nil {
			return err
		}
		state = ClosureApplied
	case flow.LifeReturned:
		state = ClosureReturned
	case flow.LifeApproved:
		state = ClosureConfirmed
	case flow.LifeRejected:
		state = ClosureRejected
	case flow.LifeWithdrawn:
		state = ClosureWithdrawn
	default:
		return nil
	}
	c, err := store.GetClosure(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	if err := tx.SetClosureState(c.ID, state, state != ClosureApplied && state != ClosureReturned); err != nil {
		return err
	}
	changes := []audit.Change{{Field: "stage", New: c.Stage}, {Field: "state", Old: c.State, New: state},
		{Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}
	if state == ClosureConfirmed {
		more, err := s.confirm(ctx, tx, c)
		if err != nil {
			return err
		}
		changes = append(changes, more...)
	}
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.closure_" + state, Entity: "project",
		EntityID: strconv.FormatInt(c.ProjectID, 10), Changes: changes})
}

// confirm creates closure c's bonus and moves its project on, in tx.
func (s *Service) confirm(ctx context.Context, tx *store.Tx, c store.Closure) ([]audit.Change, error) {
	const op = "projects.ConfirmClosure"
	p, err := store.GetProject(ctx, tx, c.ProjectID)
	if err != nil {
		return nil, err
	}
	if p.Stage != c.Stage {
		return nil, domain.Conflict(op, "projects.closure.stage_moved", "stage", p.Stage)
	}
	g, err := s.stageGate(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	if !g.Holds {
		return nil, gateError(op, p.Stage, g.Lacks)
	}
	rev, plan, err := s.RequireSignedPlan(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	next := nextStage(p.Stage)
	if err := tx.SetProjectStage(p.ID, p.Stage, next); err != nil {
		return nil, err
	}
	changes := []audit.Change{{Field: "project_stage", Old: p.Stage, New: next}}
	for _, rw := range plan.Rewards {
		if rw.Stage != c.Stage {
			continue
		}
		shares, err := splitShares(rw, p.DirectorID)
		if err != nil {
			return nil, err
		}
		sj, err := json.Marshal(shares)
		if err != nil {
			return nil, err
		}
		b, err := tx.InsertBonus(store.Bonus{ProjectID: p.ID, ClosureID: c.ID, Stage: c.Stage, PlanRevision: rev.Revision, Amount: rw.Amount,
			Shares: string(sj), ReleaseDate: tx.Now().In(s.loc).Format(time.DateOnly)})
		if err != nil {
			return nil, err
		}
		changes = append(changes, audit.Change{Field: "bonus_amount", New: b.Amount}, audit.Change{Field: "bonus_shares", New: b.Shares},
			audit.Change{Field: "bonus_release_date", New: b.ReleaseDate}, audit.Change{Field: "plan_revision", New: strconv.Itoa(rev.Revision)})
	}
	return changes, nil
}

// BonusShare is a recipient's share of a stage bonus.
type BonusShare struct {
	PersonID int64  `json:"person_id"`
	Percent  int    `json:"percent"`
	Amount   string `json:"amount"`
}

// splitShares divides a stage's reward among its recipients by their
// percentages (the last takes what rounding leaves, so that the shares add
// up to the amount); a reward without shares goes to the director, who
// splits it.
func splitShares(rw Reward, director int64) ([]BonusShare, error) {
	total, ok := new(big.Rat).SetString(rw.Amount)
	if !ok {
		return nil, fmt.Errorf("projects: bad reward amount %q", rw.Amount)
	}
	shares := rw.Shares
	if len(shares) == 0 {
		shares = []Share{{PersonID: director, Percent: 100}}
	}
	out := make([]BonusShare, len(shares))
	left := new(big.Rat).Set(total)
	for i, sh := range shares {
		amt := new(big.Rat).Mul(total, big.NewRat(int64(sh.Percent), 100))
		// Round down to the fen.
		fen := new(big.Int).Quo(new(big.Int).Mul(amt.Num(), big.NewInt(100)), amt.Denom())
		a := new(big.Rat).SetFrac(fen, big.NewInt(100))
		if i == len(shares)-1 {
			a = left
		}
		left = new(big.Rat).Sub(left, a)
		out[i] = BonusShare{PersonID: sh.PersonID, Percent: sh.Percent, Amount: a.FloatString(2)}
	}
	return out, nil
}
