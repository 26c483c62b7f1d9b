package projects

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// On-site inspection preparation (研制现场核查, PRJ-8): the director is
// responsible and the registration specialist assists; each record the
// inspection will ask for (InspectionItems: original records,
// instrument-use records, temperature/humidity records,
// structure-confirmation spectra, electronic spectra, and their
// consistency with the dossier) is checked by a named person, audited.
// The inspection stage's gate holds when every item is checked.

// CheckInput checks one item of the inspection checklist.
type CheckInput struct {
	Item string `json:"item"`
	Note string `json:"note,omitempty"`
}

// CheckInspection records that actor checked an item of project code's
// inspection checklist. Who may: the project's director, or a
// registration specialist (who sees the projects in their dossier and
// inspection stages for this); only in the dossier or inspection stage
// (KindConflict). An unknown item, or one checked already, is KindInvalid
// on item.
func (s *Service) CheckInspection(ctx context.Context, actor domain.Actor, code string, in CheckInput) (store.InspectionCheck, error) {
	const op = "projects.CheckInspection"
	p, err := s.inspectionProject(ctx, op, actor, code)
	if err != nil {
		return store.InspectionCheck{}, err
	}
	if !directs(actor, p) && !actor.Has(domain.RoleRegistration) {
		return store.InspectionCheck{}, domain.Forbidden(op)
	}
	if p.Stage != "dossier" && p.Stage != "inspection" {
		return store.InspectionCheck{}, domain.Conflict(op, "projects.inspection.not_yet", "stage", p.Stage)
	}
	in.Item, in.Note = strings.TrimSpace(in.Item), strings.TrimSpace(in.Note)
	var c domain.Checker
	if in.Item == "" {
		c.Add("item", "field.required")
	} else {
		c.OneOf("item", in.Item, InspectionItems...)
	}
	c.Text("note", in.Note, false, 1000)
	if err := c.Err(op); err != nil {
		return store.InspectionCheck{}, err
	}
	ic := store.InspectionCheck{ProjectID: p.ID, Item: in.Item, Note: in.Note, CheckedBy: actor.ID, CheckedName: actorName(actor)}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if ic, err = tx.InsertInspectionCheck(ic); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.inspection_check", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "item", New: ic.Item}, {Field: "note", New: ic.Note}}})
	})
	if store.IsUnique(err) {
		return ic, invalid(op, "item", "projects.inspection.checked_already")
	}
	return ic, domain.Wrap(op, err)
}

// inspectionProject loads project code for the inspection checklist: as
// actor sees it, or, for a registration specialist, any project in its
// dossier or inspection stage.
func (s *Service) inspectionProject(ctx context.Context, op string, actor domain.Actor, code string) (store.Project, error) {
	p, err := s.load(ctx, op, actor, code)
	if err == nil || !domain.IsKind(err, domain.KindNotFound) || !actor.Has(domain.RoleRegistration) {
		return p, err
	}
	p, err = store.ProjectByCode(ctx, s.db.R(), code)
	if err != nil || !slices.Contains([]string{"dossier", "inspection"}, p.Stage) {
		return p, domain.NotFound(op, "entity.project")
	}
	return p, nil
}
