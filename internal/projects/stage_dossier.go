package projects

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Dossier writing (PRJ-7): while the project is on stability or in its
// dossier stage, each involved department's director assigns the
// department's sections (a section shared between departments is split:
// one section per department, each assigned by its own director, who is
// recorded); the writer submits the section, which the registration
// department reviews and the Business Dean approves (the dossier-section
// process). The dossier stage's gate holds when every section is approved.

// The states of a dossier section.
const (
	DossierWriting  = "writing"
	DossierReview   = "review"
	DossierApproved = "approved"
	DossierRejected = "rejected"
)

// DossierInput assigns a section of the dossier.
type DossierInput struct {
	Title        string `json:"title"`
	DepartmentID int64  `json:"department_id"`
	// WriterID is who writes it: the director or a person of the department.
	WriterID int64 `json:"writer_id"`
}

// SectionInput submits a written section for review.
type SectionInput struct {
	Summary string   `json:"summary"`
	Files   []string `json:"files"`
}

// AssignSection records a section of project code's dossier for
// department in.DepartmentID, written by in.WriterID. Only the director of
// that department, which the project involves, may (KindForbidden);
// before the stability stage it is KindConflict.
func (s *Service) AssignSection(ctx context.Context, actor domain.Actor, code string, in DossierInput) (store.DossierSection, error) {
	const op = "projects.AssignSection"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.DossierSection{}, err
	}
	if !slices.Contains(p.Departments, in.DepartmentID) || !actor.HasIn(domain.RoleDirector, in.DepartmentID) {
		return store.DossierSection{}, domain.Forbidden(op)
	}
	if p.Stage != "stability" && p.Stage != "dossier" {
		return store.DossierSection{}, domain.Conflict(op, "projects.dossier.not_yet", "stage", p.Stage)
	}
	in.Title = strings.TrimSpace(in.Title)
	var c domain.Checker
	c.Name("title", in.Title, true, 200)
	if per, err := s.ppl.Person(ctx, in.WriterID); err != nil || !per.Active || per.DepartmentID != in.DepartmentID {
		c.Add("writer_id", "projects.dossier.bad_writer")
	}
	if err := c.Err(op); err != nil {
		return store.DossierSection{}, err
	}
	d := store.DossierSection{ProjectID: p.ID, Title: in.Title, DepartmentID: in.DepartmentID, WriterID: in.WriterID, AssignedBy: actor.ID, State: DossierWriting}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = tx.InsertDossierSection(d); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.dossier_assign", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "title", New: d.Title},
				{Field: "department_id", New: strconv.FormatInt(d.DepartmentID, 10)}, {Field: "writer_id", New: strconv.FormatInt(d.WriterID, 10)}}})
	})
	return d, domain.Wrap(op, err)
}

// SubmitSection starts the review of section id of project code by the
// registration department and the Business Dean. Only its writer may
// (KindForbidden); a section under review or approved is KindConflict.
func (s *Service) SubmitSection(ctx context.Context, actor domain.Actor, code string, id int64, in SectionInput) (*flow.Instance, error) {
	const op = "projects.SubmitSection"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return nil, err
	}
	d, err := store.GetDossierSection(ctx, s.db.R(), id)
	if err != nil || d.ProjectID != p.ID {
		return nil, domain.NotFound(op, "entity.dossier_section")
	}
	if d.WriterID != actor.ID {
		return nil, domain.Forbidden(op)
	}
	if d.State == DossierReview || d.State == DossierApproved {
		return nil, domain.Conflict(op, "projects.dossier.in_review")
	}
	in.Summary = strings.TrimSpace(in.Summary)
	var c domain.Checker
	c.Text("summary", in.Summary, true, 5000)
	if len(in.Files) == 0 {
		c.Add("files", "field.required")
	}
	if err := c.Err(op); err != nil {
		return nil, err
	}
	return s.flow.StartWith(ctx, actor, DefinitionDossier, flow.StartInput{
		Form:    map[string]any{"title": d.Title, "summary": in.Summary, "files": in.Files},
		Subject: &flow.SubjectRef{Kind: SubjectDossier, ID: d.ID},
	})
}

func (s *Service) dossierContent(ctx context.Context, id int64) ([]byte, error) {
	d, err := store.GetDossierSection(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), d.ProjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"project": p.Code, "title": d.Title, "department_id": d.DepartmentID, "writer_id": d.WriterID})
}

func (s *Service) describeDossier(ctx context.Context, id int64) (string, string, error) {
	d, err := store.GetDossierSection(ctx, s.db.R(), id)
	if err != nil {
		return "", "", err
	}
	p, err := store.GetProject(ctx, s.db.R(), d.ProjectID)
	if err != nil {
		return "", "", err
	}
	return p.Code + " 申报资料：" + d.Title, "/projects/" + url.PathEscape(p.Code) + "/stages", nil
}

// dossierLife sets a section's state as its review goes.
func dossierLife(ctx context.Context, ev flow.LifeEvent) error {
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap("projects.dossierLife", fmt.Errorf("transaction of type %T", ev.Tx))
	}
	var state string
	switch ev.Point {
	case flow.LifeStarted:
		state = DossierReview
	case flow.LifeApproved:
		state = DossierApproved
	case flow.LifeRejected:
		state = DossierRejected
	case flow.LifeWithdrawn, flow.LifeReturned:
		state = DossierWriting
	default:
		return nil
	}
	d, err := store.GetDossierSection(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	if err := tx.SetDossierSection(d.ID, ev.Instance.ID, state); err != nil {
		return err
	}
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.dossier_" + state, Entity: "project",
		EntityID: strconv.FormatInt(d.ProjectID, 10), Changes: []audit.Change{{Field: "title", New: d.Title}, {Field: "state", Old: d.State, New: state},
			{Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}})
}
