package projects

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The register of original records (原始记录, SPEC DIR-6, PRJ-8): a member
// of a project's team enters a notebook's pages — the experiment or node
// they record, the dates, the scanned files by SHA-256 — and the director
// of their department reviews and signs the entry through the
// original-records process (the entry and its signing are created in one
// transaction). A signed entry is never changed: a correction is a new
// entry that supersedes it. The inspection package draws on ListRecords.

// RecordInput is an entry of the register as its author files it.
type RecordInput struct {
	Notebook string `json:"notebook"`
	PageFrom int    `json:"page_from"`
	PageTo   int    `json:"page_to"`
	// Node is the node of the plan the pages record, Experiment the
	// experiment (at least one of them).
	Node       string   `json:"node,omitempty"`
	Experiment string   `json:"experiment,omitempty"`
	StartedOn  string   `json:"started_on"`
	EndedOn    string   `json:"ended_on"`
	Files      []string `json:"files"`
	// Supersedes is the entry this one corrects (0: none).
	Supersedes int64  `json:"supersedes,omitempty"`
	Note       string `json:"note,omitempty"`
}

// RecordEntry is an entry of the register with its signature state.
type RecordEntry struct {
	store.OriginalRecord
	Author string `json:"author"`
	// Signed reports whether the director's signature stands; SignedBy
	// and SignedAt name it.
	Signed   bool   `json:"signed"`
	SignedBy string `json:"signed_by,omitempty"`
	SignedAt string `json:"signed_at,omitempty"`
	// SupersededBy is the signed entry that corrects this one (0: none).
	SupersededBy int64 `json:"superseded_by,omitempty"`
}

// Records is a project's register as pages show it.
type Records struct {
	Entries []RecordEntry `json:"entries"`
	// MayFile reports whether the viewer may enter records (a current
	// member of the team).
	MayFile bool `json:"may_file"`
}

// Records returns project code's register of original records as actor
// may see it (KindNotFound when they may not see the project).
func (s *Service) Records(ctx context.Context, actor domain.Actor, code string) (Records, error) {
	const op = "projects.Records"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return Records{}, err
	}
	es, err := s.entries(ctx, p.ID)
	return Records{Entries: es, MayFile: s.onTeamToday(ctx, actor, p)}, domain.Wrap(op, err)
}

// ListRecords returns the register of original records of project id, every
// entry with its signature state, in the order entered — what the
// inspection package draws on (PRJ-8). It decides who may see it as the
// project's other records: actor must see the project (KindNotFound).
func (s *Service) ListRecords(ctx context.Context, actor domain.Actor, projectID int64) ([]RecordEntry, error) {
	const op = "projects.ListRecords"
	ok, err := s.visible(ctx, actor, projectID)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	if !ok {
		return nil, domain.NotFound(op, "entity.project")
	}
	es, err := s.entries(ctx, projectID)
	return es, domain.Wrap(op, err)
}

// entries reads a project's register with names and signatures.
func (s *Service) entries(ctx context.Context, projectID int64) ([]RecordEntry, error) {
	rs, err := store.OriginalRecords(ctx, s.db.R(), projectID)
	if err != nil {
		return nil, err
	}
	out := make([]RecordEntry, len(rs))
	by := map[int64]int{}
	for i, r := range rs {
		out[i] = RecordEntry{OriginalRecord: r, Author: s.personName(ctx, r.AuthorID)}
		by[r.ID] = i
		if r.InstanceID == 0 {
			continue
		}
		sigs, err := s.db.Flow().Signatures(ctx, r.InstanceID)
		if err != nil {
			return nil, err
		}
		for _, g := range sigs {
			if g.StepID == "review" && r.State == SignedSigned {
				out[i].Signed, out[i].SignedBy, out[i].SignedAt = true, g.SignerName, g.SignedAt.Format("2006-01-02 15:04")
			}
		}
	}
	for _, e := range out {
		if j, ok := by[e.Supersedes]; ok && e.Supersedes != 0 && e.Signed {
			out[j].SupersededBy = e.ID
		}
	}
	return out, nil
}

// personName is a person's name, or their number.
func (s *Service) personName(ctx context.Context, id int64) string {
	if p, err := s.ppl.Person(ctx, id); err == nil {
		return p.Name
	}
	return "#" + strconv.FormatInt(id, 10)
}

// AddRecord enters original records on project code and starts their
// review by the director of the author's department, in one transaction.
// Only a current member of the team may (KindForbidden): they are the
// author. Bad input is KindInvalid naming each field; a superseded entry
// must be one of the project's, signed and not corrected yet.
func (s *Service) AddRecord(ctx context.Context, actor domain.Actor, code string, in RecordInput) (RecordEntry, *flow.Instance, error) {
	const op = "projects.AddRecord"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return RecordEntry{}, nil, err
	}
	if !s.onTeamToday(ctx, actor, p) {
		return RecordEntry{}, nil, domain.Forbidden(op)
	}
	me, err := s.ppl.Person(ctx, actor.ID)
	if err != nil {
		return RecordEntry{}, nil, domain.Wrap(op, err)
	}
	o := store.OriginalRecord{ProjectID: p.ID, DepartmentID: me.DepartmentID, Notebook: strings.TrimSpace(in.Notebook), PageFrom: in.PageFrom,
		PageTo: in.PageTo, Node: strings.TrimSpace(in.Node), Experiment: strings.TrimSpace(in.Experiment), AuthorID: actor.ID,
		StartedOn: strings.TrimSpace(in.StartedOn), EndedOn: strings.TrimSpace(in.EndedOn), Supersedes: in.Supersedes,
		Note: strings.TrimSpace(in.Note), State: SignedSigning, CreatedBy: actor.ID}
	var c domain.Checker
	c.Name("notebook", o.Notebook, true, 100)
	if o.PageFrom <= 0 {
		c.Add("page_from", "projects.init.bad_page")
	}
	if o.PageTo <= 0 || o.PageTo > 100000 {
		c.Add("page_to", "projects.init.bad_page")
	} else if o.PageFrom > 0 && o.PageTo < o.PageFrom {
		c.Add("page_to", "projects.init.pages_order", "from", o.PageFrom)
	}
	c.Text("node", o.Node, false, 200)
	c.Text("experiment", o.Experiment, false, 200)
	if o.Node == "" && o.Experiment == "" {
		c.Add("experiment", "projects.init.node_or_experiment")
	}
	if o.Node != "" && !c.Has("node") {
		known, err := s.planNodes(ctx, p.ID)
		if err != nil {
			return RecordEntry{}, nil, domain.Wrap(op, err)
		}
		if !known[o.Node] {
			c.Add("node", "projects.init.unknown_node")
		}
	}
	c.Date("started_on", o.StartedOn, true)
	c.Date("ended_on", o.EndedOn, true)
	if !c.Has("started_on") && !c.Has("ended_on") && o.EndedOn < o.StartedOn {
		c.Add("ended_on", "projects.plan.end_before_start", "start", o.StartedOn)
	}
	if !c.Has("ended_on") && o.EndedOn > s.today() {
		c.Add("ended_on", "projects.init.future")
	}
	if len(in.Files) == 0 {
		c.Add("files", "projects.init.files_required")
	}
	o.Files = s.checkFiles(ctx, &c, actor, "files", in.Files)
	c.Text("note", o.Note, o.Supersedes != 0, 2000)
	if o.Supersedes != 0 {
		old, err := s.entries(ctx, p.ID)
		if err != nil {
			return RecordEntry{}, nil, domain.Wrap(op, err)
		}
		i := slices.IndexFunc(old, func(e RecordEntry) bool { return e.ID == o.Supersedes })
		if i < 0 || !old[i].Signed || old[i].SupersededBy != 0 {
			c.Add("supersedes", "projects.init.bad_supersedes")
		}
	}
	if err := c.Err(op); err != nil {
		return RecordEntry{}, nil, err
	}
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		var err error
		if o, err = tx.InsertOriginalRecord(o); err != nil {
			return 0, err
		}
		return o.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.record_add", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Reason: o.Note, Changes: []audit.Change{{Field: "record_id", New: strconv.FormatInt(o.ID, 10)},
				{Field: "notebook", New: o.Notebook}, {Field: "pages", New: strconv.Itoa(o.PageFrom) + "-" + strconv.Itoa(o.PageTo)},
				{Field: "files", New: strings.Join(o.Files, ",")}, {Field: "supersedes", New: strconv.FormatInt(o.Supersedes, 10)}}})
	}
	summary := p.Code + " 记录本 " + o.Notebook + " 第" + strconv.Itoa(o.PageFrom) + "–" + strconv.Itoa(o.PageTo) + "页"
	inst, err := s.flow.StartWith(ctx, actor, DefinitionRecord, flow.StartInput{
		Form:    map[string]any{"summary": summary, "department": o.DepartmentID, "files": anyList(o.Files)},
		Subject: &flow.SubjectRef{Kind: SubjectRecord, Create: create},
	})
	if err != nil {
		return RecordEntry{}, nil, err
	}
	o.InstanceID = inst.ID
	return RecordEntry{OriginalRecord: o, Author: actorName(actor)}, inst, nil
}

// recordContent is what the director's signature on an entry covers: the
// entry as filed, with its files' hashes.
func (s *Service) recordContent(ctx context.Context, id int64) ([]byte, error) {
	o, err := store.GetOriginalRecord(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), o.ProjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"project": p.Code, "notebook": o.Notebook, "page_from": o.PageFrom, "page_to": o.PageTo,
		"node": o.Node, "experiment": o.Experiment, "author_id": o.AuthorID, "started_on": o.StartedOn, "ended_on": o.EndedOn,
		"files": o.Files, "supersedes": o.Supersedes, "note": o.Note})
}

var followRecord = followSigned("projects.followRecord", "project.record_", (*store.Tx).SetOriginalRecordState)

// anyList is a list of files as a form holds it.
func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}

// planNodes are the names of the nodes of every plan revision of a
// project (a record may belong to a node of an earlier revision).
func (s *Service) planNodes(ctx context.Context, projectID int64) (map[string]bool, error) {
	revs, err := store.PlanRevisions(ctx, s.db.R(), projectID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range revs {
		if plan, err := decodePlan(r.Content); err == nil {
			for _, n := range plan.Nodes {
				out[n.Name] = true
			}
		}
	}
	return out, nil
}
