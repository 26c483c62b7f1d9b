package flow

import (
	"context"
	"slices"

	"labflow/internal/domain"
)

// Who may see an instance (SPEC PRJ-12, COMPLIANCE R13) is decided here,
// once; the instance page, the actions, lists and searches
// (Store.VisibleInstances encodes the same rule in SQL, and a test holds
// the two together) and file downloads (MaySeeFile) all ask it. May see:
//
//   - the initiator;
//   - everyone who was assigned a task on it or added someone to it,
//     copied on it, or told about it (a step's notify);
//   - everyone named in its person fields (and person columns of tables);
//   - the people a definition's `viewers:` selectors name;
//   - the deans and the GM: everything;
//   - a director: the requests of their department's people;
//   - for a subprocess, whoever may see its parent.
//
// Nobody else, and not the system administrator, who has no business
// rights (R12): they see the steps waiting for someone to act, not the
// requests.

// Viewer is who asks, as the visibility rule needs it.
type Viewer struct {
	PersonID int64
	// All: the deans and the GM see every request.
	All bool
	// Departments whose people's requests the viewer sees as their director.
	Departments []int64
}

// ViewerOf describes actor for the visibility rule.
func ViewerOf(a domain.Actor) Viewer {
	v := Viewer{PersonID: a.ID}
	for _, g := range a.Grants {
		switch g.Role {
		case domain.RoleGM, domain.RoleBusinessDean, domain.RoleAdminDean:
			v.All = true
		case domain.RoleDirector:
			if g.DepartmentID != 0 {
				v.Departments = append(v.Departments, g.DepartmentID)
			}
		}
	}
	return v
}

// CanView reports whether actor may see the instance.
func (e *Engine) CanView(ctx context.Context, actor domain.Actor, in *Instance) (bool, error) {
	return e.canView(ctx, actor, in, 0)
}

func (e *Engine) canView(ctx context.Context, actor domain.Actor, in *Instance, depth int) (bool, error) {
	if actor.ID <= 0 || actor.IsAdmin() || !actor.HasBusinessRole() {
		return false, nil
	}
	v := ViewerOf(actor)
	if v.All || in.InitiatorID == actor.ID || in.InitiatorDept != 0 && slices.Contains(v.Departments, in.InitiatorDept) {
		return true, nil
	}
	if def, err := e.definition(ctx, in.DefinitionKey, in.DefinitionVersion); err == nil {
		if slices.Contains(formPeople(def, in.Form), actor.ID) {
			return true, nil
		}
	} else {
		return false, err
	}
	ts, err := e.st.Tasks(ctx, in.ID)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.AssigneeID == actor.ID || t.AddedBy == actor.ID {
			return true, nil
		}
	}
	ok, err := e.st.IsParty(ctx, in.ID, actor.ID)
	if err != nil || ok {
		return ok, err
	}
	if ok, err := e.st.IsCopied(ctx, in.ID, actor.ID); err != nil || ok {
		return ok, err
	}
	if in.ParentID != 0 && depth < 8 {
		p, err := e.st.Instance(ctx, in.ParentID)
		if err != nil {
			return false, ignoreNotFound(err)
		}
		return e.canView(ctx, actor, p, depth+1)
	}
	return false, nil
}

// formPeople lists the people named in the form's person fields and the
// person columns of its tables.
func formPeople(d *Definition, form map[string]any) []int64 {
	var out []int64
	add := func(v any) {
		if id := personID(v); id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for i := range d.Form {
		f := &d.Form[i]
		switch f.Type {
		case FieldPerson:
			add(form[f.Key])
		case FieldTable:
			rows, _ := tableRows(form[f.Key])
			for _, c := range f.Columns {
				if c.Type != FieldPerson {
					continue
				}
				for _, r := range rows {
					add(r[c.Key])
				}
			}
		}
	}
	return out
}

// formFiles lists the files (SHA-256) the form's file fields and file
// columns reference.
func formFiles(d *Definition, form map[string]any) []string {
	var out []string
	add := func(v any) {
		list, _ := stringList(v)
		for _, s := range list {
			if sha256RE.MatchString(s) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	for i := range d.Form {
		f := &d.Form[i]
		switch f.Type {
		case FieldFiles:
			add(form[f.Key])
		case FieldTable:
			rows, _ := tableRows(form[f.Key])
			for _, c := range f.Columns {
				if c.Type == FieldFiles {
					for _, r := range rows {
						add(r[c.Key])
					}
				}
			}
		}
	}
	return out
}

// MaySeeFile reports whether actor may download the file with this
// SHA-256 as part of a process record: some instance that references it
// (in its form or in a comment) is one actor may see.
func (e *Engine) MaySeeFile(ctx context.Context, actor domain.Actor, sha string) (bool, error) {
	ids, err := e.st.InstancesWithFile(ctx, sha)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		in, err := e.st.Instance(ctx, id)
		if err != nil {
			if domain.IsKind(err, domain.KindNotFound) {
				continue
			}
			return false, err
		}
		ok, err := e.CanView(ctx, actor, in)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// VisibleFilter narrows a list of the instances a viewer may see.
type VisibleFilter struct {
	Definition string `json:"definition,omitempty"`
	Status     Status `json:"status,omitempty"`
	Query      string `json:"q,omitempty"`
	Limit      int    `json:"limit,omitempty"` // default 50, at most 500
	Offset     int    `json:"offset,omitempty"`
	// SubjectKind and SubjectID keep the instances bound to one record.
	SubjectKind string `json:"subject_kind,omitempty"`
	SubjectID   int64  `json:"subject_id,omitempty"`
}

// Visible lists the instances actor may see (the same rule as CanView),
// newest first, with the total number of matches.
func (e *Engine) Visible(ctx context.Context, actor domain.Actor, f VisibleFilter) ([]*Instance, int, error) {
	if actor.ID <= 0 || actor.IsAdmin() || !actor.HasBusinessRole() {
		return nil, 0, nil
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	return e.st.VisibleInstances(ctx, ViewerOf(actor), f)
}
