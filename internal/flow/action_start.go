package flow

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// StartInput is what the initiator files.
type StartInput struct {
	Form map[string]any
	// Chosen names, per step whose assignee is chosen_by: initiator, the
	// holder of the step's role the initiator picks.
	Chosen  map[string]int64
	IdemKey string
	// Subject binds the instance to a record, for a definition that
	// governs a kind of record (Definition.Subject).
	Subject *SubjectRef
}

// Start starts an instance of the current version of definition key with
// form (validated and normalized by ValidateForm). A repeated call with the
// same idemKey returns the instance the first call started.
func (e *Engine) Start(ctx context.Context, actor domain.Actor, key string, form map[string]any, idemKey string) (*Instance, error) {
	return e.StartWith(ctx, actor, key, StartInput{Form: form, IdemKey: idemKey})
}

// StartWith starts an instance as Start does, with the initiator's choices
// of assignees. Only the start fields may carry values (a field a later
// step fills is refused, naming it); person fields must name active holders
// of their role; the definition's guards must allow filing.
func (e *Engine) StartWith(ctx context.Context, actor domain.Actor, key string, in StartInput) (*Instance, error) {
	const op = "flow.Start"
	form, idemKey := in.Form, in.IdemKey
	if idemKey != "" {
		if in, ok, err := e.byIdem(ctx, actor, "start:"+idemKey); ok || err != nil {
			return in, err
		}
	}
	def, ok := e.Definition(key)
	if !ok {
		return nil, domain.NotFound(op, "entity.definition")
	}
	if !mayStart(actor, def) {
		return nil, domain.Forbidden(op)
	}
	if err := e.bindSubject(ctx, actor, def, in.Subject); err != nil {
		return nil, err
	}
	if err := checkStartKeys(def, form, nil); err != nil {
		return nil, err
	}
	norm, err := validateFormAt(def, form, nil, e.exprRT(nil))
	if err != nil {
		return nil, err
	}
	if err := e.checkPeople(ctx, def, norm, nil); err != nil {
		return nil, err
	}
	if err := e.checkRefs(ctx, actor, def, norm, nil); err != nil {
		return nil, err
	}
	if err := e.checkFiles(ctx, actor, def, norm, nil); err != nil {
		return nil, err
	}
	me, err := e.dir.Person(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	// A department has one director (ORG-2), so the initiator is its
	// director exactly when they hold that grant for their own department.
	isDirector := me.DepartmentID != 0 && slices.Contains(me.Grants, domain.Grant{Role: domain.RoleDirector, DepartmentID: me.DepartmentID})
	vars := map[string]any{"initiator_id": actor.ID, "initiator_department": me.DepartmentID, "initiator_is_director": isDirector}
	title := def.Title.ZH
	if s, ok := norm["title"].(string); ok && s != "" {
		title = s
	}
	for attempt := 0; ; attempt++ {
		inst := &Instance{DefinitionKey: def.Key, DefinitionVersion: def.Version, Title: title, InitiatorID: actor.ID, InitiatorName: actor.Name,
			InitiatorDept: me.DepartmentID, Status: StatusRunning, Form: norm,
			State: State{Vars: vars, History: []StepRecord{{Step: "", Last: actor.ID}}}}
		if in.Subject != nil {
			inst.SubjectKind, inst.SubjectID = in.Subject.Kind, in.Subject.ID
		}
		w := e.newWork(ctx, actor, def, inst, nil)
		if in.Subject != nil {
			w.create = in.Subject.Create
		}
		w.life(LifeStarted, "")
		if attempt == 0 {
			if err := w.guards(def.Guards, ""); err != nil {
				return nil, err
			}
		}
		if err := w.choose(in.Chosen); err != nil {
			return nil, err
		}
		for _, a := range def.Viewers {
			ps, err := w.resolveOne(&Step{}, a)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				w.parties = append(w.parties, p.ID)
			}
		}
		if idemKey != "" {
			w.idem = "start:" + idemKey
		}
		// The trail holds every value filed (R1): the instance can be
		// rebuilt from it alone (AsOf).
		w.audit("flow.start", append([]audit.Change{{Field: "definition", New: def.Key + "@" + strconv.Itoa(def.Version)},
			{Field: "title", New: title}, {Field: "status", New: string(StatusRunning)}}, formChanges(nil, norm)...), "")
		w.record(ActionRecord{Action: "start"})
		if len(def.Steps) == 0 {
			return nil, domain.Wrap(op, errString("definition "+def.Key+" has no steps"))
		}
		if err := w.enter(def.Steps[0].ID, ""); err != nil {
			return nil, err
		}
		err := e.commit(ctx, w)
		if err != nil && idemKey != "" {
			if in, ok, err2 := e.byIdem(ctx, actor, "start:"+idemKey); ok && err2 == nil {
				return in, nil
			}
		}
		if errors.Is(err, errStale) && attempt < 5 { // a parent resumed by a subprocess changed
			continue
		}
		if err != nil {
			return nil, err
		}
		return inst, nil
	}
}

func mayStart(actor domain.Actor, def *Definition) bool {
	if len(def.Initiators) == 0 {
		return actor.HasBusinessRole()
	}
	for _, r := range def.Initiators {
		if actor.Has(domain.Role(r)) {
			return true
		}
	}
	return false
}

func (e *Engine) byIdem(ctx context.Context, actor domain.Actor, key string) (*Instance, bool, error) {
	id, ok, err := e.st.Idem(ctx, actor.ID, key)
	if err != nil || !ok {
		return nil, false, err
	}
	in, err := e.st.Instance(ctx, id)
	return in, true, err
}
