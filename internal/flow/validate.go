package flow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
)

// The load-time checks of a definition. Each problem is a LoadError whose
// Field is the path of the offending YAML field; Parse fills in the file,
// line and column.

var (
	defKeyRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,63}$`)
	idRE       = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	ruleRE     = regexp.MustCompile(`^[A-Z]+-?[0-9]+$`)
	deptRE     = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	usernameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,39}$`)
)

// reservedWords cannot be field keys: the expression language reads them otherwise.
var reservedWords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "true": true, "false": true, "today": true}

var (
	fieldTypes = map[FieldType]bool{FieldText: true, FieldLongText: true, FieldNumber: true, FieldMoney: true,
		FieldDate: true, FieldDateTime: true, FieldSelect: true, FieldMultiSelect: true, FieldPerson: true,
		FieldDepartment: true, FieldFiles: true, FieldTable: true, FieldReference: true}
	stepKinds = map[StepKind]bool{"": true, StepApproval: true, StepTask: true, StepParallel: true,
		StepJoin: true, StepSubprocess: true, StepEnd: true, StepAwait: true, StepWait: true}
	modes   = map[Mode]bool{"": true, ModeSingle: true, ModeSequential: true, ModeAll: true, ModeAny: true, ModeQuorum: true}
	actions = map[Action]bool{ActApprove: true, ActReject: true, ActReturn: true, ActWithdraw: true,
		ActTakeBack: true, ActTransfer: true, ActDelegate: true, ActAddSigner: true, ActRemove: true,
		ActUrge: true, ActCopy: true, ActComment: true, ActResubmit: true, ActDissent: true}
	meanings = map[Meaning]bool{"": true, MeaningAuthorship: true, MeaningReview: true, MeaningApprove: true, MeaningConfirm: true,
		MeaningResponsibility: true}
	relatives = map[string]bool{"initiator": true, "initiator_director": true, "previous": true}
)

// EndStep is the pseudo step id that ends an instance (Next or a branch's To).
const EndStep = "end"

type vctx struct {
	d    *Definition
	reg  *Registry
	errs []*LoadError
	// identifier scopes for expressions
	formIdents map[string]bool // top-level keys and "table.column"
	fields     map[string]*Field
	// each is the table of the fan-out step whose assignee is checked.
	each string
}

func (v *vctx) add(field, format string, a ...any) {
	v.errs = append(v.errs, &LoadError{Field: field, Msg: fmt.Sprintf(format, a...)})
}

func validate(d *Definition, reg *Registry) []*LoadError {
	v := &vctx{d: d, reg: reg, formIdents: map[string]bool{}, fields: map[string]*Field{}}
	switch {
	case d.Key == "":
		v.add("key", "required")
	case !defKeyRE.MatchString(d.Key):
		v.add("key", "%q: use 2–64 lowercase letters, digits and dashes, starting with a letter", d.Key)
	}
	v.text("title", d.Title, true)
	if d.Subject == "" {
		d.Subject = "form"
	} else if !reg.HasSubject(d.Subject) {
		v.add("subject", "unknown subject %q (register it with RegisterSubject)", d.Subject)
	}
	for i, r := range d.Rules {
		if !ruleRE.MatchString(r) {
			v.add(fmt.Sprintf("rules[%d]", i), "%q is not a rule id such as PUR-1", r)
		}
	}
	for i, r := range d.Initiators {
		if !reg.HasRole(r) {
			v.add(fmt.Sprintf("initiators[%d]", i), "unknown role %q", r)
		} else if r == "sysadmin" {
			v.add(fmt.Sprintf("initiators[%d]", i), "the system administrator has no business rights")
		}
	}
	// Field keys first, so that expressions anywhere can be checked against them.
	for i := range d.Form {
		f := &d.Form[i]
		if f.Key == "" {
			continue
		}
		if _, dup := v.fields[f.Key]; dup {
			v.add(fmt.Sprintf("form[%d].key", i), "duplicate field key %q", f.Key)
			continue
		}
		v.fields[f.Key] = f
		v.formIdents[f.Key] = true
		for _, c := range f.Columns {
			if c.Key != "" {
				v.formIdents[f.Key+"."+c.Key] = true
			}
		}
	}
	for i := range d.Form {
		v.field(fmt.Sprintf("form[%d]", i), &d.Form[i], nil)
	}
	for i, a := range d.Viewers {
		v.assignee(fmt.Sprintf("viewers[%d]", i), a)
	}
	if d.SubjectViewers {
		v.subjectViewers()
	}
	for i, g := range d.Guards {
		if _, ok := v.reg.Guard(g); !ok {
			v.add(fmt.Sprintf("guards[%d]", i), "unknown guard %q", g)
		}
	}
	for i, c := range d.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if c.Expr == "" {
			v.add(p+".expr", "required")
		} else {
			v.expr(p+".expr", c.Expr, placeCheck, "")
		}
		if c.When != "" {
			v.expr(p+".when", c.When, placeCheck, "")
		}
		if c.Field == "" {
			v.add(p+".field", "required")
		} else if v.fields[c.Field] == nil {
			v.add(p+".field", "unknown field %q", c.Field)
		}
		v.text(p+".message", c.Message, true)
	}
	v.outcomes()
	v.display()
	switch d.Resubmit {
	case "", ResubmitResume, ResubmitRestart:
	default:
		v.add("resubmit", "%q: use resume or restart", d.Resubmit)
	}
	v.steps()
	v.timeRules() // deadlines, wait steps, schedules (validate_time.go)
	return v.errs
}

// outcomes checks the declared outcomes and the field that may name one.
func (v *vctx) outcomes() {
	d := v.d
	seen := map[string]bool{}
	for i, o := range d.Outcomes {
		p := fmt.Sprintf("outcomes[%d]", i)
		switch {
		case o.Key == "":
			v.add(p+".key", "required")
		case !idRE.MatchString(o.Key):
			v.add(p+".key", "%q: use lowercase letters, digits and underscores, starting with a letter", o.Key)
		case seen[o.Key]:
			v.add(p+".key", "duplicate outcome %q", o.Key)
		}
		seen[o.Key] = true
		v.text(p+".label", o.Label, true)
		if o.Status != "" && o.Status != StatusApproved && o.Status != StatusRejected {
			v.add(p+".status", "%q: an outcome goes with approved or rejected", o.Status)
		}
	}
	if d.OutcomeFrom == "" {
		return
	}
	f := v.fields[d.OutcomeFrom]
	switch {
	case f == nil:
		v.add("outcome_from", "unknown field %q", d.OutcomeFrom)
	case f.Type != FieldSelect:
		v.add("outcome_from", "field %q is not a select field", d.OutcomeFrom)
	default:
		for _, o := range f.Options {
			if out, ok := d.OutcomeOf(o.Value); !ok || out.Status != StatusApproved {
				v.add("outcome_from", "option %q of field %q is not an outcome that goes with approved", o.Value, f.Key)
			}
		}
	}
}

// stepOutcome checks a step's outcome and rejection route.
func (v *vctx) stepOutcome(p string, s *Step, target func(p, to string)) {
	if s.Outcome != "" {
		if o, ok := v.d.OutcomeOf(s.Outcome); !ok {
			v.add(p+".outcome", "unknown outcome %q (declare it under outcomes)", s.Outcome)
		} else if o.Status != StatusApproved && s.Kind != StepEnd {
			v.add(p+".outcome", "outcome %q goes with %s: a step that completes ends the process approved (only an end step ends it %s)", s.Outcome, o.Status, o.Status)
		}
		if s.Kind == StepParallel || s.Kind == StepJoin {
			v.add(p+".outcome", "a %s step does not complete: name the outcome on a step that does", s.Kind)
		}
	}
	if s.OnReject == "" {
		return
	}
	switch {
	case s.Kind != "" && s.Kind != StepApproval:
		v.add(p+".on_reject", "applies to approval steps only (a %s step is not rejected)", s.Kind)
	case s.OnReject == EndStep:
		v.add(p+".on_reject", "a rejection cannot end the process approved: name an end step with an outcome, or leave on_reject out")
	case s.OnReject == s.ID:
		v.add(p+".on_reject", "a rejected step cannot route to itself")
	default:
		target(p+".on_reject", s.OnReject)
	}
}

func (v *vctx) text(p string, t Text, required bool) {
	if !required {
		return
	}
	if strings.TrimSpace(t.ZH) == "" {
		v.add(p+".zh", "required")
	}
	if strings.TrimSpace(t.EN) == "" {
		v.add(p+".en", "required")
	}
}

// expr compiles src and type-checks it against the form at place (table:
// the table of a computed column), as the engine will run it (expr_def.go).
func (v *vctx) expr(p, src string, place exprPlace, table string) {
	if _, err := Compile(src); err != nil {
		v.add(p, "bad expression %q: %v", src, err)
		return
	}
	if _, err := v.d.compileIn(src, place, table); err != nil {
		v.add(p, "%s", describe(src, err))
	}
}

func (v *vctx) field(p string, f *Field, table *Field) {
	switch {
	case f.Key == "":
		v.add(p+".key", "required")
	case !idRE.MatchString(f.Key):
		v.add(p+".key", "%q: use lowercase letters, digits and underscores, starting with a letter", f.Key)
	case reservedWords[f.Key] || contains(EngineVars, f.Key):
		v.add(p+".key", "%q is a reserved word", f.Key)
	}
	v.text(p+".label", f.Label, true)
	if !fieldTypes[f.Type] {
		v.add(p+".type", "unknown field type %q", f.Type)
		return
	}
	isText := f.Type == FieldText || f.Type == FieldLongText
	if f.MaxLen < 0 || f.MaxLen != 0 && !isText {
		v.add(p+".max_len", "applies to text fields only, and must be positive")
	}
	if f.Pattern != "" {
		if !isText {
			v.add(p+".pattern", "applies to text fields only")
		} else if _, err := regexp.Compile(f.Pattern); err != nil {
			v.add(p+".pattern", "bad regular expression: %v", err)
		}
	}
	v.bounds(p, f)
	switch {
	case f.Type == FieldReference && f.Ref == "":
		v.add(p+".ref", "a reference field names what it points at: instance:KEY or a kind of record")
	case f.Type != FieldReference && f.Ref != "":
		v.add(p+".ref", "applies to reference fields only")
	case f.Type == FieldReference && strings.HasPrefix(f.Ref, RefInstance):
		if !defKeyRE.MatchString(strings.TrimPrefix(f.Ref, RefInstance)) {
			v.add(p+".ref", "%q: instance: is followed by a definition key", f.Ref)
		}
	case f.Type == FieldReference && !v.reg.HasSubject(f.Ref):
		v.add(p+".ref", "unknown kind of record %q (register it with RegisterSubjectKind)", f.Ref)
	}
	hasOptions := f.Type == FieldSelect || f.Type == FieldMultiSelect
	switch {
	case hasOptions && len(f.Options) == 0:
		v.add(p+".options", "a %s field needs options", f.Type)
	case !hasOptions && len(f.Options) > 0:
		v.add(p+".options", "applies to select and multiselect fields only")
	}
	seen := map[string]bool{}
	for i, o := range f.Options {
		op := fmt.Sprintf("%s.options[%d]", p, i)
		if o.Value == "" {
			v.add(op+".value", "required")
		} else if seen[o.Value] {
			v.add(op+".value", "duplicate option %q", o.Value)
		}
		seen[o.Value] = true
		v.text(op+".label", o.Label, true)
	}
	if f.Role != "" {
		if f.Type != FieldPerson {
			v.add(p+".role", "applies to person fields only")
		} else if !v.reg.HasRole(f.Role) {
			v.add(p+".role", "unknown role %q", f.Role)
		}
	}
	if f.Type == FieldTable {
		if table != nil {
			v.add(p+".type", "a table cannot contain a table")
			return
		}
		if len(f.Columns) == 0 {
			v.add(p+".columns", "a table needs columns")
		}
		cols := map[string]bool{}
		for i := range f.Columns {
			c := &f.Columns[i]
			cp := fmt.Sprintf("%s.columns[%d]", p, i)
			if c.Key != "" && cols[c.Key] {
				v.add(cp+".key", "duplicate column key %q", c.Key)
			}
			cols[c.Key] = true
			v.field(cp, c, f)
			if c.Computed != "" && (c.Type == FieldNumber || c.Type == FieldMoney) {
				v.expr(cp+".computed", c.Computed, placeComputed, f.Key)
			}
		}
		if f.MinRows < 0 || f.MaxRows < 0 || f.MaxRows > 0 && f.MinRows > f.MaxRows {
			v.add(p+".min_rows", "min_rows and max_rows must be ≥ 0 and min_rows ≤ max_rows")
		}
	} else {
		if len(f.Columns) > 0 {
			v.add(p+".columns", "applies to table fields only")
		}
		if f.MinRows != 0 || f.MaxRows != 0 {
			v.add(p+".min_rows", "applies to table fields only")
		}
	}
	if f.Computed != "" {
		switch {
		case f.Type != FieldNumber && f.Type != FieldMoney:
			v.add(p+".computed", "applies to number and money fields only")
		case table == nil:
			v.expr(p+".computed", f.Computed, placeComputed, "")
		}
	}
}

func (v *vctx) bounds(p string, f *Field) {
	parse := func(s string) (any, bool) {
		switch f.Type {
		case FieldNumber, FieldMoney:
			r, err := ParseDecimal(s)
			return r, err == nil
		case FieldDate:
			t, err := time.Parse(time.DateOnly, s)
			return t, err == nil
		}
		return nil, false
	}
	var lo, hi any
	for _, b := range []struct {
		name, s string
		out     *any
	}{{"min", f.Min, &lo}, {"max", f.Max, &hi}} {
		if b.s == "" {
			continue
		}
		x, ok := parse(b.s)
		if !ok {
			v.add(p+"."+b.name, "%q is not a valid bound for a %s field", b.s, f.Type)
			continue
		}
		*b.out = x
	}
	if lo != nil && hi != nil {
		if c, ok := compareBound(lo, hi); ok && c > 0 {
			v.add(p+".max", "max is below min")
		}
	}
}

func compareBound(a, b any) (int, bool) {
	switch x := a.(type) {
	case time.Time:
		return x.Compare(b.(time.Time)), true
	default:
		ra, ok1 := num(a)
		rb, ok2 := num(b)
		if ok1 && ok2 {
			return ra.Cmp(rb), true
		}
	}
	return 0, false
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (v *vctx) steps() {
	d := v.d
	if len(d.Steps) == 0 {
		v.add("steps", "a definition needs at least one step")
		return
	}
	index := map[string]int{}
	for i, s := range d.Steps {
		p := fmt.Sprintf("steps[%d].id", i)
		switch {
		case s.ID == "":
			v.add(p, "required")
		case !idRE.MatchString(s.ID):
			v.add(p, "%q: use lowercase letters, digits and underscores, starting with a letter", s.ID)
		case s.ID == EndStep:
			v.add(p, "%q is reserved", s.ID)
		default:
			if _, dup := index[s.ID]; dup {
				v.add(p, "duplicate step id %q", s.ID)
			} else {
				index[s.ID] = i
			}
		}
	}
	target := func(p, to string) {
		if to == "" {
			v.add(p, "required")
		} else if _, ok := index[to]; !ok && to != EndStep {
			v.add(p, "no step %q", to)
		}
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		p := fmt.Sprintf("steps[%d]", i)
		v.text(p+".title", s.Title, true)
		if !stepKinds[s.Kind] {
			v.add(p+".kind", "unknown step kind %q", s.Kind)
			continue
		}
		people := s.Kind == "" || s.Kind == StepApproval || s.Kind == StepTask
		if people && isExternal(s) {
			v.externalStep(p, s) // a person outside the institute (external.go)
		} else if people {
			v.each = s.Each
			v.assignee(p+".assignee", s.Assignee)
			v.each = ""
			// Four eyes (R10) keeps the initiator off approval steps, so an
			// approval step for the initiator would always fall back to the
			// administrator: the initiator's own work is a task step.
			if (s.Kind == "" || s.Kind == StepApproval) && s.Assignee.Relative == "initiator" && !d.AllowSelfApproval {
				v.add(p+".assignee", "an approval step cannot go to the initiator (four eyes); make it kind task")
			}
		} else if isExternal(s) {
			v.add(p+".assignee.external", "a person outside the institute acts on task and approval steps only, not on a %s step", s.Kind)
		} else if s.Assignee != (Assignee{}) {
			v.add(p+".assignee", "a %s step has no assignee", s.Kind)
		}
		if !modes[s.Mode] {
			v.add(p+".mode", "unknown mode %q", s.Mode)
		} else if s.Mode != "" && !people {
			v.add(p+".mode", "a %s step has no mode", s.Kind)
		}
		switch {
		case s.Mode == ModeQuorum && s.Quorum == "":
			v.add(p+".quorum", "mode quorum needs a quorum such as \"2\", \"60%%\" or \"2/3\"")
		case s.Quorum != "" && s.Mode != ModeQuorum:
			v.add(p+".quorum", "quorum applies to mode quorum only (mode is %q)", s.Mode)
		case s.Quorum != "" && !validQuorum(s.Quorum):
			v.add(p+".quorum", "%q: use a count (\"2\"), a percentage (\"60%%\") or a ratio (\"2/3\")", s.Quorum)
		}
		for j, a := range s.Actions {
			if !actions[a] {
				v.add(fmt.Sprintf("%s.actions[%d]", p, j), "unknown action %q", a)
			}
		}
		if !meanings[s.Signature] {
			v.add(p+".signature", "unknown signature meaning %q (authorship, review, approve, confirm or responsibility)", s.Signature)
		} else if s.Signature != "" && !people {
			v.add(p+".signature", "a %s step cannot be signed", s.Kind)
		}
		for j, e := range s.Editable {
			if !v.formIdents[e] {
				v.add(fmt.Sprintf("%s.editable[%d]", p, j), "unknown field %q", e)
			} else if f := v.fields[e]; f != nil && f.Computed != "" {
				v.add(fmt.Sprintf("%s.editable[%d]", p, j), "field %q is computed; edit its inputs", e)
			}
		}
		for j, r := range s.Required {
			rp := fmt.Sprintf("%s.required[%d]", p, j)
			table, _, isColumn := strings.Cut(r, ".")
			switch {
			case !v.formIdents[r]:
				v.add(rp, "unknown field %q", r)
			case !contains(s.Editable, r) && !(isColumn && contains(s.Editable, table)):
				v.add(rp, "%q is not editable at this step: a step requires values it records", r)
			}
		}
		for j, c := range s.Ceilings {
			cp := fmt.Sprintf("%s.ceilings[%d]", p, j)
			switch f := v.fields[c]; {
			case f == nil:
				v.add(cp, "unknown field %q", c)
			case f.Type != FieldNumber && f.Type != FieldMoney:
				v.add(cp, "field %q is not a number or money field", c)
			case s.Signature == "":
				v.add(cp, "ceilings bound what a signature approves: the step needs a signature")
			}
		}
		if s.When != "" {
			v.expr(p+".when", s.When, placeCond, "")
		}
		if s.Next != "" {
			target(p+".next", s.Next)
			if s.Next == s.ID {
				v.add(p+".next", "a step cannot follow itself")
			}
		}
		v.stepOutcome(p, s, target)
		v.committeeVote(p, s)
		if s.Each != "" {
			switch f := v.fields[s.Each]; {
			case !people:
				v.add(p+".each", "a %s step has no tasks to fan out", s.Kind)
			case f == nil:
				v.add(p+".each", "unknown field %q", s.Each)
			case f.Type != FieldTable:
				v.add(p+".each", "field %q is not a table: each makes one task per row", s.Each)
			case s.Mode != "" && s.Mode != ModeAll && s.Mode != ModeQuorum && s.Mode != ModeAny:
				v.add(p+".mode", "a step with each completes when all rows (mode all), a quorum or any is done, not %q", s.Mode)
			}
		}
		for j, x := range s.Exclude {
			xp := fmt.Sprintf("%s.exclude[%d]", p, j)
			k, ok := index[x]
			switch {
			case !people:
				v.add(xp, "a %s step has no assignee to keep off", s.Kind)
			case x == ExcludeInitiator:
			case !ok:
				v.add(xp, "no step %q (name earlier steps, or initiator)", x)
			case x == s.ID:
				v.add(xp, "a step cannot exclude its own assignees")
			case d.Steps[k].Kind != "" && d.Steps[k].Kind != StepApproval && d.Steps[k].Kind != StepTask:
				v.add(xp, "step %q is a %s step: nobody acts on it", x, d.Steps[k].Kind)
			}
		}
		for j, b := range s.Branches {
			bp := fmt.Sprintf("%s.branches[%d]", p, j)
			if b.When == "" {
				v.add(bp+".when", "required")
			} else {
				v.expr(bp+".when", b.When, placeCond, "")
			}
			target(bp+".to", b.To)
		}
		if s.Kind == StepParallel {
			if len(s.Parallel) < 2 {
				v.add(p+".parallel", "a parallel step needs at least two branches")
			}
			for j, to := range s.Parallel {
				target(fmt.Sprintf("%s.parallel[%d]", p, j), to)
			}
			if s.Join == "" {
				v.add(p+".join", "a parallel step needs a join step")
			} else if k, ok := index[s.Join]; !ok {
				v.add(p+".join", "no step %q", s.Join)
			} else if d.Steps[k].Kind != StepJoin {
				v.add(p+".join", "step %q is not of kind join", s.Join)
			}
		} else {
			if len(s.Parallel) > 0 {
				v.add(p+".parallel", "applies to parallel steps only")
			}
			if s.Join != "" {
				v.add(p+".join", "applies to parallel steps only")
			}
		}
		v.awaitAndReturns(p, s)
		v.builtinEffects(p, s, people || s.Kind == StepEnd)
		if s.Kind == StepSubprocess && s.Subprocess == "" {
			v.add(p+".subprocess", "a subprocess step names a definition key")
		} else if s.Kind != StepSubprocess && s.Subprocess != "" {
			v.add(p+".subprocess", "applies to subprocess steps only")
		}
		for j, a := range s.CC {
			v.assignee(fmt.Sprintf("%s.cc[%d]", p, j), a)
		}
		for j, a := range s.Notify {
			v.assignee(fmt.Sprintf("%s.notify[%d]", p, j), a)
		}
		if s.SLA != nil {
			v.sla(p+".sla", s.SLA)
		}
		for j, g := range s.Guards {
			if _, ok := v.reg.Guard(g); !ok {
				v.add(fmt.Sprintf("%s.guards[%d]", p, j), "unknown guard %q", g)
			}
		}
		for j, e := range s.Effects {
			if _, ok := v.reg.Effect(e); !ok {
				v.add(fmt.Sprintf("%s.effects[%d]", p, j), "unknown effect %q", e)
			}
		}
	}
	if len(v.errs) == 0 {
		v.graph(index)
	}
}

func validQuorum(q string) bool {
	if a, b, ok := strings.Cut(q, "/"); ok {
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		return err1 == nil && err2 == nil && x > 0 && y > 0 && x <= y
	}
	if p, ok := strings.CutSuffix(q, "%"); ok {
		x, err := strconv.Atoi(p)
		return err == nil && x > 0 && x <= 100
	}
	n, err := strconv.Atoi(q)
	return err == nil && n > 0
}

func (v *vctx) assignee(p string, a Assignee) {
	var set []string
	if a.Person != "" {
		set = append(set, "person")
	}
	if a.Role != "" {
		set = append(set, "role")
	}
	if a.Relative != "" {
		set = append(set, "relative")
	}
	if a.Committee != "" {
		set = append(set, "committee")
	}
	if a.Field != "" {
		set = append(set, "field")
	}
	if a.External != nil {
		v.add(p+".external", "only a task or approval step's assignee can be a person outside the institute")
		return
	}
	switch len(set) {
	case 0:
		v.add(p, "set exactly one of person, role, relative, committee, field (or, for a step, external)")
		return
	case 1:
	default:
		v.add(p, "several selectors (%s): set exactly one", strings.Join(set, ", "))
		return
	}
	if a.Person != "" && !usernameRE.MatchString(a.Person) {
		v.add(p+".person", "%q is not a username", a.Person)
	}
	if a.Role != "" && !v.reg.HasRole(a.Role) {
		v.add(p+".role", "unknown role %q", a.Role)
	}
	if a.Committee != "" && !v.reg.HasCommittee(string(a.Committee)) {
		v.add(p+".committee", "unknown committee %q", string(a.Committee))
	}
	if a.Department != "" {
		if a.Role == "" {
			v.add(p+".department", "department narrows a role; set role too")
		} else if !deptRE.MatchString(a.Department) {
			v.add(p+".department", "%q is not a department code or \"initiator\"", a.Department)
		}
	}
	if a.Relative != "" && !relatives[a.Relative] {
		v.add(p+".relative", "unknown relative %q (initiator, initiator_director or previous)", a.Relative)
	}
	if a.Field != "" {
		table, col, isColumn := strings.Cut(a.Field, ".")
		switch f := v.fields[table]; {
		case f == nil:
			v.add(p+".field", "unknown field %q", table)
		case isColumn && f.Type != FieldTable:
			v.add(p+".field", "field %q is not a table", table)
		case isColumn:
			var c *Field
			for i := range f.Columns {
				if f.Columns[i].Key == col {
					c = &f.Columns[i]
				}
			}
			if c == nil {
				v.add(p+".field", "table %q has no column %q", table, col)
			} else if c.Type != FieldPerson {
				v.add(p+".field", "column %q is not a person column", a.Field)
			}
		case f.Type != FieldPerson:
			v.add(p+".field", "field %q is not a person field", a.Field)
		}
	}
	if table, col, isColumn := strings.Cut(a.DepartmentFrom, "."); isColumn {
		// A column of the table a fan-out step runs over: each row's own.
		var c *Field
		if f := v.fields[table]; f != nil {
			for i := range f.Columns {
				if f.Columns[i].Key == col {
					c = &f.Columns[i]
				}
			}
		}
		switch {
		case a.Role == "":
			v.add(p+".department_from", "department_from narrows a role; set role too")
		case table != v.each:
			v.add(p+".department_from", "%q is a column: only a step with each: %s takes the department from a row", a.DepartmentFrom, table)
		case c == nil:
			v.add(p+".department_from", "table %q has no column %q", table, col)
		case c.Type != FieldPerson && c.Type != FieldDepartment:
			v.add(p+".department_from", "column %q is not a person or department column", a.DepartmentFrom)
		}
	} else if a.DepartmentFrom != "" {
		switch f := v.fields[a.DepartmentFrom]; {
		case a.Role == "":
			v.add(p+".department_from", "department_from narrows a role; set role too")
		case a.Department != "":
			v.add(p+".department_from", "set department or department_from, not both")
		case f == nil:
			v.add(p+".department_from", "unknown field %q", a.DepartmentFrom)
		case f.Type != FieldPerson && f.Type != FieldDepartment:
			v.add(p+".department_from", "field %q is not a person or department field", a.DepartmentFrom)
		}
	}
	if a.ChosenBy != "" {
		if a.Role == "" {
			v.add(p+".chosen_by", "chosen_by picks a holder of role; set role too")
		} else if a.ChosenBy != "previous" && a.ChosenBy != "initiator" {
			v.add(p+".chosen_by", "unknown chooser %q (previous or initiator)", a.ChosenBy)
		}
	}
}

func (v *vctx) sla(p string, s *SLA) { v.slaRules(p, s) } // validate_time.go

// Successors returns the ids a step may lead to: its branches, its
// parallel branches and join, and its Next (or the following step in the
// list, or "end" after the last step). An end step has none.
func Successors(d *Definition, i int) []string {
	s := d.Steps[i]
	if s.Kind == StepEnd {
		return nil
	}
	var out []string
	for _, b := range s.Branches {
		out = append(out, b.To)
	}
	if s.OnReject != "" {
		out = append(out, s.OnReject)
	}
	if s.Kind == StepParallel {
		out = append(out, s.Parallel...)
		out = append(out, s.Join)
		return out
	}
	switch {
	case s.Next != "":
		out = append(out, s.Next)
	case i+1 < len(d.Steps):
		out = append(out, d.Steps[i+1].ID)
	default:
		out = append(out, EndStep)
	}
	return out
}

// graph reports steps unreachable from the first and dead ends (steps
// from which no end can be reached).
func (v *vctx) graph(index map[string]int) {
	d := v.d
	n := len(d.Steps)
	succ := make([][]int, n)
	terminal := make([]bool, n)
	for i := range d.Steps {
		if d.Steps[i].Kind == StepEnd {
			terminal[i] = true
		}
		for _, to := range Successors(d, i) {
			if to == EndStep {
				terminal[i] = true
			} else if k, ok := index[to]; ok {
				succ[i] = append(succ[i], k)
			}
		}
	}
	reach := make([]bool, n)
	stack := []int{0}
	reach[0] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, k := range succ[i] {
			if !reach[k] {
				reach[k] = true
				stack = append(stack, k)
			}
		}
	}
	ends := append([]bool(nil), terminal...)
	for changed := true; changed; {
		changed = false
		for i := range n {
			if ends[i] {
				continue
			}
			for _, k := range succ[i] {
				if ends[k] {
					ends[i], changed = true, true
					break
				}
			}
		}
	}
	for i, s := range d.Steps {
		p := fmt.Sprintf("steps[%d].id", i)
		if !reach[i] {
			v.add(p, "step %q is unreachable from the first step %q", s.ID, d.Steps[0].ID)
		} else if !ends[i] {
			v.add(p, "dead end: no way from step %q to an end", s.ID)
		}
	}
	v.idleLoops(index)
}

// idleLoops reports cycles the engine could go round without anyone
// acting: through parallel and join steps, and through people steps that
// their condition may pass over (a passed-over step does not branch: it
// goes to its next). A loop through a step someone always acts on is a
// loop of work (a test repeated until it passes), not an error.
func (v *vctx) idleLoops(index map[string]int) {
	d := v.d
	n := len(d.Steps)
	idle := make([]bool, n)
	succ := make([][]int, n)
	for i, s := range d.Steps {
		people := s.Kind == "" || s.Kind == StepApproval || s.Kind == StepTask
		switch {
		case people && s.When != "":
			idle[i] = true
			next := s.Next
			if next == "" && i+1 < n {
				next = d.Steps[i+1].ID
			}
			if k, ok := index[next]; ok {
				succ[i] = append(succ[i], k)
			}
		case s.Kind == StepParallel || s.Kind == StepJoin:
			idle[i] = true
			for _, to := range Successors(d, i) {
				if k, ok := index[to]; ok {
					succ[i] = append(succ[i], k)
				}
			}
		}
	}
	// Depth-first search for a back edge among idle steps.
	state := make([]int, n) // 0 new, 1 on the path, 2 done
	var path []int
	reported := false
	var visit func(i int)
	visit = func(i int) {
		state[i] = 1
		path = append(path, i)
		for _, k := range succ[i] {
			if !idle[k] || reported {
				continue
			}
			if state[k] == 1 {
				var ids []string
				for j := len(path) - 1; j >= 0; j-- {
					ids = append([]string{d.Steps[path[j]].ID}, ids...)
					if path[j] == k {
						break
					}
				}
				ids = append(ids, d.Steps[k].ID)
				v.add(fmt.Sprintf("steps[%d].id", k), "steps %s can loop without anyone acting", strings.Join(ids, " → "))
				reported = true
				return
			}
			if state[k] == 0 {
				visit(k)
			}
		}
		path = path[:len(path)-1]
		state[i] = 2
	}
	for i := range n {
		if idle[i] && state[i] == 0 && !reported {
			visit(i)
		}
	}
}

// committeeVote checks dissent and require_chair: both belong to a step
// whose people vote (mode quorum or any); the chair is a committee's.
func (v *vctx) committeeVote(p string, s *Step) {
	voting := s.Mode == ModeQuorum || s.Mode == ModeAny || s.Mode == ""
	if contains(s.Actions, ActDissent) && !voting {
		v.add(p+".actions", "dissent is a vote against while others decide: the step needs mode quorum or any (mode is %q)", s.Mode)
	}
	if !s.RequireChair {
		return
	}
	switch {
	case !s.Assignee.IsCommittee():
		v.add(p+".require_chair", "applies to a committee's step (assignee committee)")
	case !voting:
		v.add(p+".require_chair", "applies to steps that decide by quorum or any (mode is %q)", s.Mode)
	}
}

// awaitAndReturns checks an await step's reference field and a
// sub-process step's returns (the sub-process's own fields are checked
// when the engine has every definition: see checkReturns).
func (v *vctx) awaitAndReturns(p string, s *Step) {
	switch {
	case s.Kind == StepAwait && s.Await == "":
		v.add(p+".await", "an await step names a reference field (ref: instance:KEY)")
	case s.Kind != StepAwait && s.Await != "":
		v.add(p+".await", "applies to await steps only")
	case s.Kind == StepAwait:
		f := v.fields[s.Await]
		if f == nil {
			v.add(p+".await", "unknown field %q", s.Await)
		} else if f.Type != FieldReference || !strings.HasPrefix(f.Ref, RefInstance) {
			v.add(p+".await", "field %q is not a reference to a request (ref: instance:KEY)", s.Await)
		}
	}
	if len(s.Returns) > 0 && s.Kind != StepSubprocess {
		v.add(p+".returns", "applies to subprocess steps only")
	}
	for to := range s.Returns {
		if f := v.fields[to]; f == nil {
			v.add(p+".returns", "unknown field %q", to)
		} else if f.Computed != "" {
			v.add(p+".returns", "field %q is computed", to)
		}
	}
}

// builtinEffects checks set_person, deactivate_person and start: they run
// when a step completes (or an end step is reached).
func (v *vctx) builtinEffects(p string, s *Step, completes bool) {
	if !completes && (len(s.SetPerson) > 0 || s.DeactivatePerson != "" || len(s.Start) > 0) {
		v.add(p, "a %s step does not complete: built-in effects belong on a step that does, or an end step", s.Kind)
		return
	}
	person := func(fp, key string) {
		if key == "initiator" {
			return
		}
		if f := v.fields[key]; f == nil {
			v.add(fp, "unknown field %q (a person field, or initiator)", key)
		} else if f.Type != FieldPerson {
			v.add(fp, "field %q is not a person field", key)
		}
	}
	for j, ch := range s.SetPerson {
		cp := fmt.Sprintf("%s.set_person[%d]", p, j)
		person(cp+".person", ch.Person)
		if _, ok := domain.Attributes[ch.Attribute]; !ok {
			v.add(cp+".attribute", "unknown attribute %q (employment_status, probation_ends_on, confirmed_on or rank)", ch.Attribute)
		}
		if ch.Value == "" {
			v.add(cp+".value", "required")
		} else {
			want, choices := attributeType(ch.Attribute)
			v.effectValue(cp+".value", ch.Value, want, choices...)
		}
	}
	if s.DeactivatePerson != "" {
		person(p+".deactivate_person", s.DeactivatePerson)
	}
	for j, sp := range s.Start {
		sp2 := fmt.Sprintf("%s.start[%d]", p, j)
		if !defKeyRE.MatchString(sp.Process) {
			v.add(sp2+".process", "%q is not a definition key", sp.Process)
		}
		if sp.As != "" {
			person(sp2+".as", sp.As)
		}
		for _, k := range sortedMapKeys(sp.Values) {
			v.effectValue(sp2+".values."+k, sp.Values[k], tAny) // against its form: Load (startRefErrors)
		}
	}
}

// effectValue checks the expression of a built-in effect's value, and that
// it yields want (any: decided at run time); a text literal must be one of
// choices when there are any.
func (v *vctx) effectValue(p, src string, want etype, choices ...string) {
	if _, err := Compile(src); err != nil {
		v.add(p, "bad expression %q: %v", src, err)
		return
	}
	e, err := v.d.compileIn(src, placeEffect, "")
	if err != nil {
		v.add(p, "%s", describe(src, err))
		return
	}
	if msg := effectTypeError(e, want, choices); msg != "" {
		v.add(p, "%q: %s", strings.TrimSpace(src), msg)
	}
}
