package flow

import (
	"context"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// Reference fields (type reference) point at another request or at a
// record of a registered kind: a purchase request names its project, a
// re-test names the failed result. The value is the id. A reference is
// accepted only to something the writer may see, and the choice offered
// is filtered the same way (Choices); guards see the id like any value.

// RefInstance prefixes a reference to requests of a definition: "instance:KEY".
const RefInstance = "instance:"

// checkRefs checks every reference field of a normalized form that
// changed (all of them when old is nil): it must name an existing request
// of the right definition, or an existing record of the right kind, that
// actor may see.
func (e *Engine) checkRefs(ctx context.Context, actor domain.Actor, d *Definition, norm, old map[string]any) error {
	var c domain.Checker
	for i := range d.Form {
		f := &d.Form[i]
		if f.Type != FieldReference {
			continue
		}
		id := personID(norm[f.Key])
		if id == 0 || old != nil && personID(old[f.Key]) == id {
			continue
		}
		ok, err := e.mayReference(ctx, actor, f.Ref, id)
		if err != nil {
			return err
		}
		if !ok {
			c.Add(f.Key, "flow.field.bad_reference")
		}
	}
	return c.Err("flow.checkRefs")
}

// mayReference reports whether id is something ref points at that actor
// may see.
func (e *Engine) mayReference(ctx context.Context, actor domain.Actor, ref string, id int64) (bool, error) {
	if key, ok := strings.CutPrefix(ref, RefInstance); ok {
		in, err := e.st.Instance(ctx, id)
		if domain.IsKind(err, domain.KindNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if in.DefinitionKey != key {
			return false, nil
		}
		return e.CanView(ctx, actor, in)
	}
	k, ok := e.reg.SubjectKind(ref)
	if !ok || k.Visible == nil {
		return false, nil
	}
	ok, err := k.Visible(ctx, actor, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return false, nil
	}
	return ok, err
}

// Choices lists what a reference field may point at for actor, matching
// q: the requests of the definition actor may see, or the records of the
// kind its Choices offers. An unknown ref is KindInvalid.
func (e *Engine) Choices(ctx context.Context, actor domain.Actor, ref, q string, limit int) ([]Choice, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	if key, ok := strings.CutPrefix(ref, RefInstance); ok {
		if _, ok := e.Definition(key); !ok {
			return nil, domain.E(domain.KindInvalid, "flow.Choices", "flow.field.bad_reference")
		}
		ins, _, err := e.Visible(ctx, actor, VisibleFilter{Definition: key, Query: q, Limit: limit})
		if err != nil {
			return nil, err
		}
		out := make([]Choice, 0, len(ins))
		for _, in := range ins {
			out = append(out, Choice{ID: in.ID, Label: "#" + strconv.FormatInt(in.ID, 10) + " " + in.Title})
		}
		return out, nil
	}
	k, ok := e.reg.SubjectKind(ref)
	if !ok {
		return nil, domain.E(domain.KindInvalid, "flow.Choices", "flow.field.bad_reference")
	}
	if k.Choices == nil {
		return []Choice{}, nil
	}
	return k.Choices(ctx, actor, q, limit)
}

// ReferenceLabel names what a reference value points at, for pages: the
// request's number and title, or the record's label.
func (e *Engine) ReferenceLabel(ctx context.Context, ref string, id int64) string {
	label := "#" + strconv.FormatInt(id, 10)
	if _, ok := strings.CutPrefix(ref, RefInstance); ok {
		if in, err := e.st.Instance(ctx, id); err == nil {
			label += " " + in.Title
		}
		return label
	}
	if k, ok := e.reg.SubjectKind(ref); ok && k.Describe != nil {
		if l, _, err := k.Describe(ctx, id); err == nil && l != "" {
			return l
		}
	}
	return label
}
