package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Sealing: the audit trail holds not only what changed but the state of
// every record each change wrote. Each writer's records (instances, tasks,
// signatures, people, role grants, departments, rank entries, definition
// versions, attachments, external links) are digested — the SHA-256 of the record's
// canonical content, its columns in a fixed order — and the digests go
// into the writer's last audit event (audit.Event.Records), which is
// hash-chained with the rest. `labflow verify` (VerifyRecords) digests
// every record again and names each one that is not what its trail says:
// edited, inserted or deleted behind the trail's back.
//
// A writer's own flow rows are digested from the values it wrote (no
// read-back on the hot path); other records are read back at the end of
// the writer's function (touch), so that a later statement of the same
// writer is included.

// sealedTable is a table whose rows are sealed: its id column is "id" and
// cols are digested in order. Columns left out change without an audit
// event on purpose (a person's failed-login counter; an instance's search
// text, which is derived from its form).
type sealedTable struct {
	name string
	cols []string
	// kind is the record kind as verify names it; code is its short name
	// in an event's records ("t/12": task 12).
	kind, code string
	// hashed are the columns (by index in cols) that enter the digest as
	// their own SHA-256 (hex), not their text: large JSON (a form, the
	// engine state, signed content, a definition body), whose hash a writer
	// computes before its write reaches the group commit.
	hashed []int
}

var sealedTables = []sealedTable{
	{"flow_instance", instanceSealCols, "instance", "i", []int{8, 9}},
	{"flow_task", strings.Split(taskCols, ", "), "task", "t", nil},
	{"flow_signature", strings.Split(signatureCols, ", "), "signature", "s", []int{9}},
	{"person", []string{"id", "username", "name", "email", "phone", "department_id", "hired_on", "lang", "active", "password_hash",
		"password_changed_at", "password_temporary", "created_at", "updated_at"}, "person", "p", nil},
	{"role_grant", []string{"id", "person_id", "role", "department_id", "granted_at", "granted_by", "revoked_at", "revoked_by"}, "role", "r", nil},
	{"department", []string{"id", "code", "name_zh", "name_en", "active", "created_at", "updated_at"}, "department", "d", nil},
	{"rank_history", []string{"id", "person_id", "rank", "since", "note", "created_at"}, "rank", "k", nil},
	{"flow_definition", []string{"id", "key", "version", "hash", "body", "created_at"}, "definition", "f", []int{4}},
	{"attachment", strings.Split(attachmentCols, ", "), "attachment", "a", nil},
	{"person_attribute", []string{"id", "person_id", "attribute", "value", "instance_id", "note", "created_at", "created_by"}, "person_attribute", "e", nil},
	// Roles, committees and standing proxies as data (issue 8 §4).
	{"role_def", strings.Split(roleDefCols, ", "), "role definition", "rd", nil},
	{"committee", strings.Split(committeeCols, ", "), "committee", "cm", nil},
	{"committee_member", []string{"id", "committee_id", "person_id", "chair", "added_at", "added_by", "removed_at", "removed_by"},
		"committee member", "cmm", nil},
	{"person_proxy", []string{"id", "person_id", "proxy_id", "starts_at", "ends_at", "definitions", "status", "reason", "created_by",
		"created_at", "approver_id", "decided_by", "decided_at", "decision_reason", "updated_at"}, "proxy", "px", nil},
	{"flow_task_proxy", []string{"id", "instance_id", "on_behalf_of", "on_behalf_name", "proxy_rule"}, "task proxy", "tp", nil},
	{"calendar_day", strings.Split(calendarCols, ", "), "calendar_day", "cal", nil}, // issue 8: the working-day calendar
	{"flow_external_link", strings.Split(externalLinkCols, ", "), "external link", "xl", nil},
	// Notice settings, robots and channels (issue 9), but for their
	// secrets (the SMTP password, a robot's signing secret).
	{"notice_settings", []string{"id", "base_url", "smtp_enabled", "smtp_host", "smtp_port", "smtp_tls", "smtp_from", "smtp_username",
		"updated_at", "updated_by"}, "notice settings", "ns", nil},
	{"notice_robot", []string{"id", "department_id", "platform", "webhook", "enabled", "created_at", "updated_at"}, "robot", "nr", nil},
	{"notice_pref", []string{"id", "person_id", "email", "chat", "updated_at"}, "notice channels", "np", nil},
	// Issue 10: projects, their teams and node plan revisions (the plan's
	// content, the record a committee signature covers, enters by its hash).
	{"project", strings.Split(projectCols, ", "), "project", "pj", nil},
	{"project_member", strings.Split(projectMemberCols, ", "), "project member", "pjm", nil},
	{"project_plan", strings.Split(planCols, ", "), "plan revision", "pjp", []int{4}},
	// Issue 10, experiments (EXP-1..4): pre-checks and experiments.
	{"experiment_precheck", strings.Split(precheckCols, ", "), "pre-check", "exc", nil},
	{"experiment", strings.Split(experimentCols, ", "), "experiment", "exr", nil},
	// Issue 10, initiation and records: a project's initiation, candidate
	// routes, kick-off reports and register of original records.
	{"project_initiation", strings.Split(initiationCols, ", "), "initiation", "in", nil},
	{"project_route", strings.Split(routeCols, ", "), "route", "inr", nil},
	{"project_kickoff", strings.Split(kickoffCols, ", "), "kick-off report", "ink", nil},
	{"project_record", strings.Split(recordCols, ", "), "original record", "ino", nil},
	// Issue 10, supplementary requests (发补) and escalations.
	{"supplement", strings.Split(supplementCols, ", "), "supplement notice", "sr", nil},
	{"supplement_question", strings.Split(supplementQuestionCols, ", "), "supplement question", "srq", nil},
	{"supplement_link", strings.Split(supplementLinkCols, ", "), "supplement link", "srl", nil},
	{"project_escalation", strings.Split(escalationCols, ", "), "escalation", "sre", nil},
	// Issue 10, stages (PRJ-5..9): batches, results, closure applications,
	// bonuses, dossier sections and the inspection checklist.
	{"project_batch", strings.Split(batchCols, ", "), "batch", "stb", nil},
	{"project_result", strings.Split(resultCols, ", "), "batch result", "str", nil},
	{"project_closure", strings.Split(closureCols, ", "), "closure application", "stc", nil},
	{"project_bonus", strings.Split(bonusCols, ", "), "stage bonus", "stn", nil},
	{"project_dossier", strings.Split(dossierCols, ", "), "dossier section", "std", nil},
	{"project_inspection", strings.Split(inspectionCols, ", "), "inspection check", "sti", nil},
	// Issue 10, nodes: a signed plan's nodes, planned against actual, and
	// the materials confirmation that starts the execution clock.
	{"project_node", strings.Split(projectNodeCols, ", "), "project node", "pn", nil},
	{"project_materials", strings.Split(projectMaterialsCols, ", "), "materials confirmation", "pnm", nil},
}

// textHash is the SHA-256 (hex) of a text, as a hashed column enters a digest.
func textHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// digestRow digests a row read back as text: hashed columns by their hash.
func (st *sealedTable) digestRow(vals []string) string {
	for _, i := range st.hashed {
		vals[i] = textHash(vals[i])
	}
	return digestRecord(st.name, vals)
}

// instanceSealCols are an instance's columns but its search text.
var instanceSealCols = []string{"id", "def_key", "def_version", "title", "initiator_id", "initiator_name", "initiator_dept", "status",
	"form", "state", "parent_id", "parent_step", "version", "created_at", "updated_at", "ended_at", "outcome", "subject_kind", "subject_id"}

const signatureCols = "id, instance_id, task_id, step_id, signer_id, signer_name, meaning, signed_at, content_hash, content"

func sealedTableNamed(name string) *sealedTable {
	for i := range sealedTables {
		if sealedTables[i].name == name {
			return &sealedTables[i]
		}
	}
	return nil
}

func sealedTableCoded(code string) *sealedTable {
	for i := range sealedTables {
		if sealedTables[i].code == code {
			return &sealedTables[i]
		}
	}
	return nil
}

type recordKey struct {
	table string
	id    int64
}

// String is the key as an event's records write it: the table's code and
// the id ("t/12").
func (k recordKey) String() string {
	code := k.table
	if st := sealedTableNamed(k.table); st != nil {
		code = st.code
	}
	return code + "/" + strconv.FormatInt(k.id, 10)
}

type sealedRecord struct {
	key    recordKey
	digest string
}

// digestRecord is the SHA-256 (unpadded base64url, 43 characters) of a
// record's canonical content: the table name and each column's text
// (integers in decimal; hashed columns as their hash), each written as its
// length, a colon and its bytes.
func digestRecord(table string, vals []string) string {
	n := len(table) + 8
	for _, v := range vals {
		n += len(v) + 8
	}
	b := make([]byte, 0, n)
	put := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	put(table)
	for _, v := range vals {
		put(v)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// colText is a column value as digested: integers in decimal, text as is.
func colText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case nil:
		return ""
	}
	// Every sealed column is INTEGER or TEXT; anything else is a bug in
	// the caller (the write batch reports the panic as an internal error).
	panic(fmt.Sprintf("store: cannot digest a column of type %T", v))
}

// seal records the digest of a row this writer wrote, from the values it
// wrote (in the table's sealed column order; hashed columns given as
// their textHash).
func (t *Tx) seal(table string, id int64, vals ...any) {
	texts := make([]string, len(vals))
	for i, v := range vals {
		texts[i] = colText(v)
	}
	t.sealed = append(t.sealed, sealedRecord{recordKey{table, id}, digestRecord(table, texts)})
}

// touch marks a row this writer changed, to be read back and sealed when
// the writer's function ends.
func (t *Tx) touch(table string, id int64) {
	t.touched = append(t.touched, recordKey{table, id})
}

// Seal marks a row of a sealed table that this writer changed by its own
// statement (a domain package's effect, a test fixture): its state is read
// back when the writer's function ends and recorded in the writer's last
// audit event. The store's own write methods seal what they write.
func (t *Tx) Seal(table string, id int64) error {
	if sealedTableNamed(table) == nil {
		return domain.Wrap("store.Seal", errString("not a sealed table: "+table))
	}
	t.touch(table, id)
	return nil
}

// sealShare puts the digests of the records this writer changed into its
// last audit event. A writer that changed sealed records without writing an
// audit event fails: every state change goes with its audit event.
func (t *Tx) sealShare(m txMark) error {
	if len(t.touched) == 0 && len(t.sealed) == 0 {
		return nil
	}
	recs := map[string]string{}
	for _, s := range t.sealed {
		recs[s.key.String()] = s.digest
	}
	for _, k := range t.touched {
		d, err := t.readDigest(k)
		if err != nil {
			return err
		}
		recs[k.String()] = d
	}
	if len(t.audits) == m.audits {
		keys := make([]string, 0, len(recs))
		for k := range recs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return domain.Wrap("store.seal", errString("records changed without an audit event: "+strings.Join(keys, ", ")))
	}
	t.audits[len(t.audits)-1].Records = recordsJSON(recs)
	t.touched, t.sealed = t.touched[:0], t.sealed[:0]
	return nil
}

// readDigest reads a row back within the transaction and digests it.
func (t *Tx) readDigest(k recordKey) (string, error) {
	st := sealedTableNamed(k.table)
	if st == nil {
		return "", domain.Wrap("store.seal", errString("not a sealed table: "+k.table))
	}
	vals, err := scanTexts(t.tx.QueryRowContext(t.ctx, "SELECT "+strings.Join(st.cols, ", ")+" FROM "+st.name+" WHERE id = $1", k.id), len(st.cols))
	if err != nil {
		return "", err
	}
	return st.digestRow(vals), nil
}

// scanTexts scans n columns as text (NULL as "").
func scanTexts(s interface{ Scan(...any) error }, n int) ([]string, error) {
	raw := make([]sql.NullString, n)
	dest := make([]any, n)
	for i := range raw {
		dest[i] = &raw[i]
	}
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i, r := range raw {
		out[i] = r.String
	}
	return out, nil
}

// recordsJSON writes an event's records as a JSON object with sorted keys
// (canonical text: keys and digests need no escaping).
func recordsJSON(recs map[string]string) string {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + k + `":"` + recs[k] + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

type errString string

func (e errString) Error() string { return string(e) }

// recordDigests is what the trail says every sealed record is: the digest
// of its latest state, by key.
type recordDigests map[recordKey]string

// addEvent takes the records of one event (later events overwrite earlier).
func (r recordDigests) addEvent(records string) error {
	if records == "" {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(records), &m); err != nil {
		return err
	}
	for k, d := range m {
		code, id, ok := strings.Cut(k, "/")
		n, err := strconv.ParseInt(id, 10, 64)
		st := sealedTableCoded(code)
		if !ok || err != nil || st == nil {
			return errString("bad record key " + k)
		}
		r[recordKey{st.name, n}] = d
	}
	return nil
}

// RecordProblem is a record that is not what its trail says.
type RecordProblem struct {
	Kind   string `json:"kind"` // instance, task, signature, person, role, department, rank, definition, attachment, role definition, committee, committee member, proxy, task proxy, external link
	Table  string `json:"table"`
	ID     int64  `json:"id"`
	Reason string `json:"reason"` // "edited", "not in the trail", "removed"
}

func (p RecordProblem) String() string {
	return p.Kind + " " + strconv.FormatInt(p.ID, 10) + " (" + p.Table + "): " + p.Reason
}

// checkRecords digests every sealed record and compares it with the trail.
func checkRecords(ctx context.Context, r Reader, trail recordDigests) ([]RecordProblem, error) {
	var out []RecordProblem
	for _, st := range sealedTables {
		rows, err := r.QueryContext(ctx, "SELECT "+strings.Join(st.cols, ", ")+" FROM "+st.name+" ORDER BY id")
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			advance(ctx) // VerifyAudit's deadline follows its progress (deadline.go)
			vals, err := scanTexts(rows, len(st.cols))
			if err != nil {
				rows.Close()
				return nil, err
			}
			id, _ := strconv.ParseInt(vals[0], 10, 64)
			k := recordKey{st.name, id}
			want, ok := trail[k]
			switch {
			case !ok:
				out = append(out, RecordProblem{Kind: st.kind, Table: st.name, ID: id, Reason: "not in the trail"})
			case want != st.digestRow(vals):
				out = append(out, RecordProblem{Kind: st.kind, Table: st.name, ID: id, Reason: "edited"})
			}
			delete(trail, k)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	for k := range trail {
		kind := k.table
		if st := sealedTableNamed(k.table); st != nil {
			kind = st.kind
		}
		out = append(out, RecordProblem{Kind: kind, Table: k.table, ID: k.id, Reason: "removed"})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Table != out[j].Table {
			return out[i].Table < out[j].Table
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// baselineBatch bounds the records one baseline event carries.
const baselineBatch = 2000

// sealBaseline seals, once, the records that existed before sealing began
// (a database made by an earlier LabFlow): one or more
// "integrity.baseline" events record their state as they stand at the
// first start after the upgrade. Changes made to them after that are
// caught by verify; what was changed before it cannot be, and the
// baseline's time says from when the guarantee holds. It never runs twice:
// a database whose trail has a baseline already is left as it is.
func (db *DB) sealBaseline(ctx context.Context) error {
	var done int64
	if err := db.R().QueryRowContext(ctx, "SELECT baseline_records FROM integrity_state WHERE id = 1").Scan(&done); err != nil {
		return mapErr("store.sealBaseline", err)
	}
	if done >= 0 {
		return nil
	}
	// Reading and digesting every record of a large database may take
	// longer than the store's timeout: like a migration, it has none.
	err := db.writeUnbounded(ctx, func(tx *Tx) error {
		if err := tx.queryRow(tx.ctx, "SELECT baseline_records FROM integrity_state WHERE id = 1"+db.dialect.forUpdate()).Scan(&done); err != nil {
			return err
		}
		if done >= 0 {
			return nil // another server did it
		}
		var earlier int
		if err := tx.queryRow(tx.ctx, "SELECT COUNT(*) FROM audit_event WHERE entity = 'system' AND entity_id = 'baseline'").Scan(&earlier); err != nil {
			return err
		}
		if earlier > 0 {
			// The flag was reset behind the trail's back: sealing the
			// records as they stand now would vouch for any edit made
			// meanwhile. Leave them to verify.
			return nil
		}
		recs := map[string]string{}
		total := int64(0)
		flush := func() error {
			if len(recs) == 0 {
				return nil
			}
			b := recordsJSON(recs)
			if err := tx.Audit(audit.Entry{ActorName: "system", Action: "integrity.baseline", Entity: "system", EntityID: "baseline",
				Changes: []audit.Change{{Field: "records", New: len(recs)}},
				Reason:  "records that existed before the audit trail sealed record states"}); err != nil {
				return err
			}
			tx.audits[len(tx.audits)-1].Records = b
			total += int64(len(recs))
			recs = map[string]string{}
			return nil
		}
		for _, st := range sealedTables {
			rows, err := tx.QueryContext(tx.ctx, "SELECT "+strings.Join(st.cols, ", ")+" FROM "+st.name+" ORDER BY id")
			if err != nil {
				return err
			}
			var batch [][]string
			for rows.Next() {
				vals, err := scanTexts(rows, len(st.cols))
				if err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, vals)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return err
			}
			for _, vals := range batch {
				id, _ := strconv.ParseInt(vals[0], 10, 64)
				recs[recordKey{st.name, id}.String()] = st.digestRow(vals)
				if len(recs) == baselineBatch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		_, err := tx.Exec("UPDATE integrity_state SET baseline_records = $1 WHERE id = 1", total)
		return err
	})
	return mapErr("store.sealBaseline", err)
}
