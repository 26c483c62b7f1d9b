package store

import (
	"context"

	"labflow/internal/domain"
)

// Supplementary requests (发补, SPEC PRJ-10) and escalations (PRJ-11) of a
// project: the notice, its tracked questions and what each answer rests
// on; a difficulty's topic meeting and committee decision. Every row but
// the kinds is sealed (seal.go). The rules are the projects package's;
// these are its queries.

// SupplementKind is a kind of notice and the calendar days it gives.
type SupplementKind struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Days   int    `json:"days"`
}

// Supplement is a supplementary-request notice (发补通知).
type Supplement struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	Kind       string `json:"kind"`
	Number     string `json:"number,omitempty"`
	Title      string `json:"title"`
	NoticeDate string `json:"notice_date"`
	Days       int    `json:"days"`
	// DueOn is the last day to submit the response: the notice's date
	// plus Days calendar days.
	DueOn        string `json:"due_on"`
	FileHash     string `json:"file_hash,omitempty"`
	FileName     string `json:"file_name,omitempty"`
	State        string `json:"state"`
	Response     string `json:"response,omitempty"`
	RecordedBy   int64  `json:"recorded_by"`
	RecordedName string `json:"recorded_name"`
	CreatedAt    string `json:"created_at"`
	InstanceID   int64  `json:"instance_id"`
	SubmittedBy  int64  `json:"submitted_by,omitempty"`
	SubmittedAt  string `json:"submitted_at,omitempty"`
	DecidedAt    string `json:"decided_at,omitempty"`
}

// SupplementQuestion is one question of a notice, tracked.
type SupplementQuestion struct {
	ID           int64  `json:"id"`
	SupplementID int64  `json:"supplement_id"`
	ProjectID    int64  `json:"project_id"`
	Seq          int    `json:"seq"`
	Question     string `json:"question"`
	OwnerID      int64  `json:"owner_id"`
	DueOn        string `json:"due_on"`
	State        string `json:"state"`
	Answer       string `json:"answer,omitempty"`
	AnsweredBy   int64  `json:"answered_by,omitempty"`
	AnsweredAt   string `json:"answered_at,omitempty"`
	ClosedAt     string `json:"closed_at,omitempty"`
}

// SupplementLink is what a question's answer rests on: a process or a file.
type SupplementLink struct {
	ID           int64  `json:"id"`
	SupplementID int64  `json:"supplement_id"`
	QuestionID   int64  `json:"question_id"`
	Kind         string `json:"kind"` // instance or file
	// Ref is the process's id or the file's SHA-256.
	Ref     string `json:"ref"`
	Label   string `json:"label"`
	AddedBy int64  `json:"added_by"`
	AddedAt string `json:"added_at"`
}

// Escalation is a major difficulty taken to a topic meeting and, if
// unresolved, to the Technical Committee.
type Escalation struct {
	ID                  int64  `json:"id"`
	ProjectID           int64  `json:"project_id"`
	Node                string `json:"node,omitempty"`
	Title               string `json:"title"`
	Difficulty          string `json:"difficulty"`
	DepartmentID        int64  `json:"department_id"`
	State               string `json:"state"`
	MeetingInstanceID   int64  `json:"meeting_instance_id"`
	CommitteeInstanceID int64  `json:"committee_instance_id,omitempty"`
	Decision            string `json:"decision,omitempty"`
	OpenedBy            int64  `json:"opened_by"`
	OpenedName          string `json:"opened_name"`
	CreatedAt           string `json:"created_at"`
	DecidedAt           string `json:"decided_at,omitempty"`
}

const (
	supplementCols = "id, project_id, kind, number, title, notice_date, days, due_on, file_hash, file_name, state, response, recorded_by, " +
		"recorded_name, created_at, instance_id, submitted_by, submitted_at, decided_at"
	supplementQuestionCols = "id, supplement_id, project_id, seq, question, owner_id, due_on, state, answer, answered_by, answered_at, closed_at"
	supplementLinkCols     = "id, supplement_id, question_id, kind, ref, label, added_by, added_at"
	escalationCols         = "id, project_id, node, title, difficulty, department_id, state, meeting_instance_id, committee_instance_id, " +
		"decision, opened_by, opened_name, created_at, decided_at"
)

func scanSupplement(s scanner) (Supplement, error) {
	var x Supplement
	err := s.Scan(&x.ID, &x.ProjectID, &x.Kind, &x.Number, &x.Title, &x.NoticeDate, &x.Days, &x.DueOn, &x.FileHash, &x.FileName, &x.State,
		&x.Response, &x.RecordedBy, &x.RecordedName, &x.CreatedAt, &x.InstanceID, &x.SubmittedBy, &x.SubmittedAt, &x.DecidedAt)
	return x, err
}

func scanQuestion(s scanner) (SupplementQuestion, error) {
	var q SupplementQuestion
	err := s.Scan(&q.ID, &q.SupplementID, &q.ProjectID, &q.Seq, &q.Question, &q.OwnerID, &q.DueOn, &q.State, &q.Answer, &q.AnsweredBy,
		&q.AnsweredAt, &q.ClosedAt)
	return q, err
}

func scanLink(s scanner) (SupplementLink, error) {
	var l SupplementLink
	err := s.Scan(&l.ID, &l.SupplementID, &l.QuestionID, &l.Kind, &l.Ref, &l.Label, &l.AddedBy, &l.AddedAt)
	return l, err
}

func scanEscalation(s scanner) (Escalation, error) {
	var e Escalation
	err := s.Scan(&e.ID, &e.ProjectID, &e.Node, &e.Title, &e.Difficulty, &e.DepartmentID, &e.State, &e.MeetingInstanceID,
		&e.CommitteeInstanceID, &e.Decision, &e.OpenedBy, &e.OpenedName, &e.CreatedAt, &e.DecidedAt)
	return e, err
}

// SupplementKinds lists the kinds of notice, in their order.
func SupplementKinds(ctx context.Context, r Reader) ([]SupplementKind, error) {
	return queryAll(ctx, r, "store.SupplementKinds", "SELECT code, name_zh, name_en, days FROM supplement_kind ORDER BY position, code",
		func(s scanner) (SupplementKind, error) {
			var k SupplementKind
			err := s.Scan(&k.Code, &k.NameZH, &k.NameEN, &k.Days)
			return k, err
		})
}

// Supplements lists a project's notices, newest first.
func Supplements(ctx context.Context, r Reader, projectID int64) ([]Supplement, error) {
	return queryAll(ctx, r, "store.Supplements", "SELECT "+supplementCols+" FROM supplement WHERE project_id = $1 ORDER BY id DESC", scanSupplement, projectID)
}

// GetSupplement reads one notice; a missing one is KindNotFound.
func GetSupplement(ctx context.Context, r Reader, id int64) (Supplement, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	x, err := scanSupplement(r.QueryRowContext(ctx, "SELECT "+supplementCols+" FROM supplement WHERE id = $1", id))
	if err != nil {
		return x, notFound("store.GetSupplement", "entity.supplement", err)
	}
	return x, nil
}

// SupplementQuestions lists a notice's questions in order.
func SupplementQuestions(ctx context.Context, r Reader, supplementID int64) ([]SupplementQuestion, error) {
	return queryAll(ctx, r, "store.SupplementQuestions", "SELECT "+supplementQuestionCols+" FROM supplement_question WHERE supplement_id = $1 ORDER BY seq",
		scanQuestion, supplementID)
}

// SupplementLinks lists what a notice's answers rest on, in the order added.
func SupplementLinks(ctx context.Context, r Reader, supplementID int64) ([]SupplementLink, error) {
	return queryAll(ctx, r, "store.SupplementLinks", "SELECT "+supplementLinkCols+" FROM supplement_link WHERE supplement_id = $1 ORDER BY id",
		scanLink, supplementID)
}

// InsertSupplement stores a notice and seals it.
func (t *Tx) InsertSupplement(x Supplement) (Supplement, error) {
	x.CreatedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO supplement (project_id, kind, number, title, notice_date, days, due_on, file_hash, file_name, state,
		response, recorded_by, recorded_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		x.ProjectID, x.Kind, x.Number, x.Title, x.NoticeDate, x.Days, x.DueOn, x.FileHash, x.FileName, x.State, x.Response, x.RecordedBy,
		x.RecordedName, x.CreatedAt).Scan(&x.ID)
	if err != nil {
		return x, mapErr("store.InsertSupplement", err)
	}
	t.touch("supplement", x.ID)
	return x, nil
}

// InsertSupplementQuestion stores a question and seals it.
func (t *Tx) InsertSupplementQuestion(q SupplementQuestion) (SupplementQuestion, error) {
	err := t.QueryRowContext(t.ctx, `INSERT INTO supplement_question (supplement_id, project_id, seq, question, owner_id, due_on, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, q.SupplementID, q.ProjectID, q.Seq, q.Question, q.OwnerID, q.DueOn, q.State).Scan(&q.ID)
	if err != nil {
		return q, mapErr("store.InsertSupplementQuestion", err)
	}
	t.touch("supplement_question", q.ID)
	return q, nil
}

// SetSupplementInstance records the process of a notice's response.
func (t *Tx) SetSupplementInstance(id, instanceID int64) error {
	if _, err := t.Exec("UPDATE supplement SET instance_id = $1 WHERE id = $2", instanceID, id); err != nil {
		return mapErr("store.SetSupplementInstance", err)
	}
	t.touch("supplement", id)
	return nil
}

// SetSupplementState records a notice's state: submitted (by, now, with
// the response), open again, or decided (now).
func (t *Tx) SetSupplementState(id int64, state string, by int64, response string, submitted, decided bool) error {
	const op = "store.SetSupplementState"
	var err error
	switch {
	case submitted:
		_, err = t.Exec("UPDATE supplement SET state = $1, submitted_by = $2, submitted_at = $3, response = $4 WHERE id = $5",
			state, by, TimeText(t.now), response, id)
	case decided:
		_, err = t.Exec("UPDATE supplement SET state = $1, decided_at = $2 WHERE id = $3", state, TimeText(t.now), id)
	default:
		_, err = t.Exec("UPDATE supplement SET state = $1 WHERE id = $2", state, id)
	}
	if err != nil {
		return mapErr(op, err)
	}
	t.touch("supplement", id)
	return nil
}

// AnswerSupplementQuestion records a question's answer; a closed (or
// missing) question is KindConflict.
func (t *Tx) AnswerSupplementQuestion(id int64, answer string, by int64) error {
	const op = "store.AnswerSupplementQuestion"
	res, err := t.Exec("UPDATE supplement_question SET state = 'answered', answer = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND state <> 'closed'",
		answer, by, TimeText(t.now), id)
	if err != nil {
		return mapErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict(op, "projects.supplement.question_closed")
	}
	t.touch("supplement_question", id)
	return nil
}

// SetSupplementQuestionsState moves every question of a notice in state
// from to state to (closing sets closed_at, reopening clears it) and
// returns how many moved.
func (t *Tx) SetSupplementQuestionsState(supplementID int64, from, to string) (int, error) {
	const op = "store.SetSupplementQuestionsState"
	at := ""
	if to == "closed" {
		at = TimeText(t.now)
	}
	ids, err := queryAll(t.ctx, t, op, "SELECT id FROM supplement_question WHERE supplement_id = $1 AND state = $2 ORDER BY id",
		func(s scanner) (int64, error) {
			var id int64
			err := s.Scan(&id)
			return id, err
		}, supplementID, from)
	if err != nil {
		return 0, err
	}
	if _, err := t.Exec("UPDATE supplement_question SET state = $1, closed_at = $2 WHERE supplement_id = $3 AND state = $4", to, at, supplementID, from); err != nil {
		return 0, mapErr(op, err)
	}
	for _, id := range ids {
		t.touch("supplement_question", id)
	}
	return len(ids), nil
}

// InsertSupplementLink stores what an answer rests on and seals it.
func (t *Tx) InsertSupplementLink(l SupplementLink) (SupplementLink, error) {
	l.AddedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO supplement_link (supplement_id, question_id, kind, ref, label, added_by, added_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, l.SupplementID, l.QuestionID, l.Kind, l.Ref, l.Label, l.AddedBy, l.AddedAt).Scan(&l.ID)
	if err != nil {
		return l, mapErr("store.InsertSupplementLink", err)
	}
	t.touch("supplement_link", l.ID)
	return l, nil
}

// Escalations lists a project's escalations, newest first.
func Escalations(ctx context.Context, r Reader, projectID int64) ([]Escalation, error) {
	return queryAll(ctx, r, "store.Escalations", "SELECT "+escalationCols+" FROM project_escalation WHERE project_id = $1 ORDER BY id DESC", scanEscalation, projectID)
}

// GetEscalation reads one escalation; a missing one is KindNotFound.
func GetEscalation(ctx context.Context, r Reader, id int64) (Escalation, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	e, err := scanEscalation(r.QueryRowContext(ctx, "SELECT "+escalationCols+" FROM project_escalation WHERE id = $1", id))
	if err != nil {
		return e, notFound("store.GetEscalation", "entity.escalation", err)
	}
	return e, nil
}

// InsertEscalation stores an escalation and seals it.
func (t *Tx) InsertEscalation(e Escalation) (Escalation, error) {
	e.CreatedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_escalation (project_id, node, title, difficulty, department_id, state, opened_by, opened_name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, e.ProjectID, e.Node, e.Title, e.Difficulty, e.DepartmentID, e.State, e.OpenedBy,
		e.OpenedName, e.CreatedAt).Scan(&e.ID)
	if err != nil {
		return e, mapErr("store.InsertEscalation", err)
	}
	t.touch("project_escalation", e.ID)
	return e, nil
}

// SetEscalationMeeting records an escalation's topic meeting process.
func (t *Tx) SetEscalationMeeting(id, instanceID int64) error {
	if _, err := t.Exec("UPDATE project_escalation SET meeting_instance_id = $1 WHERE id = $2", instanceID, id); err != nil {
		return mapErr("store.SetEscalationMeeting", err)
	}
	t.touch("project_escalation", id)
	return nil
}

// SetEscalationCommittee records an escalation's committee process and
// moves it to state committee; one not unresolved (or missing) is
// KindConflict.
func (t *Tx) SetEscalationCommittee(id, instanceID int64) error {
	const op = "store.SetEscalationCommittee"
	res, err := t.Exec("UPDATE project_escalation SET committee_instance_id = $1, state = 'committee' WHERE id = $2 AND state = 'unresolved'", instanceID, id)
	if err != nil {
		return mapErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict(op, "projects.escalation.not_unresolved")
	}
	t.touch("project_escalation", id)
	return nil
}

// SetEscalationState records an escalation's state and the decision that
// stands (the meeting's, then the committee's) and, with decided, its time.
func (t *Tx) SetEscalationState(id int64, state, decision string, decided bool) error {
	const op = "store.SetEscalationState"
	at := ""
	if decided {
		at = TimeText(t.now)
	}
	if _, err := t.Exec("UPDATE project_escalation SET state = $1, decision = $2, decided_at = $3 WHERE id = $4", state, decision, at, id); err != nil {
		return mapErr(op, err)
	}
	t.touch("project_escalation", id)
	return nil
}
