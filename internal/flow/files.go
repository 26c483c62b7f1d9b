package flow

import (
	"context"
	"slices"

	"labflow/internal/domain"
)

// Files says whether someone may reference a file in a record: they
// uploaded it, or they may see a record that holds it already
// (internal/attach implements it). Without that check, naming someone
// else's file hash in a request of one's own would open the file to one.
type Files interface {
	MayAttach(ctx context.Context, actor domain.Actor, sha string) (bool, error)
}

// UseFiles sets the file checker; until it is set, references to files
// are checked for their form only.
func (e *Engine) UseFiles(f Files) { e.files = f }

// checkFiles refuses files in norm that actor may not reference; with old
// (an edit or a resubmission), only files not there before are checked.
func (e *Engine) checkFiles(ctx context.Context, actor domain.Actor, d *Definition, norm, old map[string]any) error {
	if e.files == nil {
		return nil
	}
	had := formFiles(d, old)
	var c domain.Checker
	check := func(field string, v any) error {
		list, _ := stringList(v)
		for _, sha := range list {
			if slices.Contains(had, sha) {
				continue
			}
			ok, err := e.files.MayAttach(ctx, actor, sha)
			if err != nil {
				return err
			}
			if !ok {
				c.Add(field, "flow.field.bad_file")
			}
		}
		return nil
	}
	for i := range d.Form {
		f := &d.Form[i]
		switch f.Type {
		case FieldFiles:
			if err := check(f.Key, norm[f.Key]); err != nil {
				return err
			}
		case FieldTable:
			rows, _ := tableRows(norm[f.Key])
			for ri, r := range rows {
				for _, col := range f.Columns {
					if col.Type == FieldFiles {
						if err := check(f.Key+"."+itoa(ri+1)+"."+col.Key, r[col.Key]); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return c.Err("flow.checkFiles")
}

// checkAttachments refuses comment attachments actor may not reference.
func (e *Engine) checkAttachments(ctx context.Context, actor domain.Actor, shas []string) error {
	if e.files == nil {
		return nil
	}
	for _, sha := range shas {
		ok, err := e.files.MayAttach(ctx, actor, sha)
		if err != nil {
			return err
		}
		if !ok {
			return &domain.Error{Kind: domain.KindInvalid, Op: "flow.checkAttachments", Key: "error.invalid",
				Fields: map[string]domain.Msg{"attachments": {Key: "flow.field.bad_file"}}}
		}
	}
	return nil
}
