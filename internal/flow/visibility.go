package flow

import (
	"context"
	"maps"
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
//   - when the definition says `subject_viewers: true`, whoever may see
//     the record the request is bound to (the subject kind's Visible, and
//     VisibleWhere in SQL);
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
	// Subjects are the requests the viewer sees because they may see the
	// record each is bound to (Definition.SubjectViewers): one scope for
	// each kind of record.
	Subjects []SubjectScope
}

// SubjectScope is the part of a viewer's rule that comes from a kind of
// record: the requests of Definitions bound to a record of Kind that Where
// (the kind's VisibleWhere for the viewer) selects.
type SubjectScope struct {
	Kind        string
	Definitions []string
	Where       func(subjectID string, arg func(any) string) string
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
	// Only a request bound to a record pays for this (never a purchase).
	if in.SubjectKind != "" {
		if ok, err := e.seesSubject(ctx, actor, in); err != nil || ok {
			return ok, err
		}
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
	v := ViewerOf(actor)
	if !v.All {
		v.Subjects = e.subjectScopes(actor)
	}
	return e.st.VisibleInstances(ctx, v, f)
}

// subjectViewerKeys maps the definitions that let who sees their record
// see their requests (SubjectViewers) to their kind of record.
func subjectViewerKeys(current map[string]*Definition) map[string]string {
	out := map[string]string{}
	for k, d := range current {
		if d.SubjectViewers && d.Subject != "" && d.Subject != "form" {
			out[k] = d.Subject
		}
	}
	return out
}

// seesSubject reports whether actor sees in because they may see the
// record it is bound to and its definition (the current version, as in
// subjectScopes) says so.
func (e *Engine) seesSubject(ctx context.Context, actor domain.Actor, in *Instance) (bool, error) {
	if in.SubjectID == 0 || e.seenBySubject[in.DefinitionKey] != in.SubjectKind {
		return false, nil
	}
	k, ok := e.reg.SubjectKind(in.SubjectKind)
	if !ok || k.Visible == nil || k.VisibleWhere == nil {
		return false, nil
	}
	return k.Visible(ctx, actor, in.SubjectID)
}

// subjectScopes is the subject part of actor's rule for lists, one scope
// per kind of record, by kind.
func (e *Engine) subjectScopes(actor domain.Actor) []SubjectScope {
	if len(e.seenBySubject) == 0 {
		return nil
	}
	byKind := map[string][]string{}
	for key, kind := range e.seenBySubject {
		byKind[kind] = append(byKind[kind], key)
	}
	kinds := slices.Sorted(maps.Keys(byKind))
	out := make([]SubjectScope, 0, len(kinds))
	for _, kind := range kinds {
		k, ok := e.reg.SubjectKind(kind)
		if !ok || k.Visible == nil || k.VisibleWhere == nil {
			continue
		}
		where := k.VisibleWhere
		keys := byKind[kind]
		slices.Sort(keys)
		out = append(out, SubjectScope{Kind: kind, Definitions: keys, Where: func(id string, arg func(any) string) string {
			return where(actor, id, arg)
		}})
	}
	return out
}

// subjectViewers lints subject_viewers: only a definition that governs a
// kind of record that says who may see it, in Go and in SQL.
func (v *vctx) subjectViewers() {
	k, ok := v.reg.SubjectKind(v.d.Subject)
	switch {
	case v.d.Subject == "" || v.d.Subject == "form":
		v.add("subject_viewers", "a free form is bound to no record: name a kind of record in subject")
	case !ok || k.Visible == nil || k.VisibleWhere == nil:
		v.add("subject_viewers", "the kind of record %q does not say who may see it (SubjectKind.Visible and VisibleWhere)", v.d.Subject)
	}
}
