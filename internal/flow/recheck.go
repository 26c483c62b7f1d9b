package flow

import (
	"regexp"
	"strings"

	"labflow/internal/audit"
)

// recheck runs after a step changed the form (edit; editing is nil for a
// resubmission): it finds what the
// change bears on and queues it to run before the process goes on
// (State.Detour, entered when the editing step completes):
//
//   - every step of this pass whose signature the change invalidated is
//     signed again (COMPLIANCE R9): a value present when signed changed, or
//     a ceiling rose above what was approved ("合计由 X 元增至 Y 元");
//   - every step passed over by its condition whose condition now holds
//     runs (the committee chair's signature once the total passes 50,000).
//
// Each is recorded on the timeline and in the audit trail with its reason.
func (w *work) recheck(editing *Step) ([]audit.Change, error) {
	s := &w.inst.State
	queued := map[string]bool{}
	for _, id := range s.Detour {
		queued[id] = true
	}
	for _, a := range s.Active {
		queued[a.Step] = true
	}
	var changes []audit.Change
	var add []string
	if err := w.e.loadSubject(w.ctx, w.inst); err != nil {
		return nil, err
	}
	sigs, err := w.e.st.Signatures(w.ctx, w.inst.ID)
	if err != nil {
		return nil, err
	}
	latest := map[string]Signature{}
	for _, g := range sigs {
		if g.Meaning != MeaningDisapprove { // a dissent is not signed again
			latest[g.StepID] = g // oldest first: the last one wins
		}
	}
	seen := map[string]bool{}
	for _, h := range s.History {
		g, ok := latest[h.Step]
		if h.Step == "" || editing != nil && h.Step == editing.ID || seen[h.Step] || !ok {
			continue
		}
		seen[h.Step] = true
		if err := checkSignature(&g, w.def, w.inst); err != nil {
			return nil, err
		}
		if g.Valid || queued[h.Step] {
			continue
		}
		queued[h.Step] = true
		add = append(add, h.Step)
		reason := w.invalidation(g)
		w.record(ActionRecord{StepID: h.Step, Action: "resign", Comment: reason})
		changes = append(changes, audit.Change{Field: "resign", New: h.Step}, audit.Change{Field: "resign_reason", New: reason})
	}
	for _, k := range s.Skipped {
		st := stepOf(w.def, k.Step)
		if st == nil || queued[k.Step] {
			continue
		}
		ok, err := w.cond(st.When, "steps."+k.Step+".when")
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		queued[k.Step] = true
		add = append(add, k.Step)
		reason := "条件「" + w.conditionText(st.When) + "」现已成立，须办理此步骤"
		w.record(ActionRecord{StepID: k.Step, Action: "required", Comment: reason})
		changes = append(changes, audit.Change{Field: "required_step", New: k.Step}, audit.Change{Field: "required_reason", New: reason})
	}
	s.Detour = append(s.Detour, add...)
	return changes, nil
}

// conditionText is a condition with its field keys replaced by their
// labels ("合计（元） > 50000"), for a reason people read.
func (w *work) conditionText(src string) string {
	e, err := w.def.expr(src, placeCond, "")
	if err != nil {
		return src
	}
	out := src
	for _, id := range e.Idents() {
		if f := w.def.field(id); f != nil {
			out = identRE(id).ReplaceAllString(out, f.Label.ZH)
		}
	}
	return out
}

func identRE(id string) *regexp.Regexp {
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(id) + `\b`)
}

// invalidation says, in Chinese as the audit trail keeps it, what changed
// in the values a signature covered: "合计（元）由 0.00 元增至 9000000.00 元".
func (w *work) invalidation(g Signature) string {
	var parts []string
	for _, c := range g.Diff {
		if c.Kind != ChangeChanged {
			continue
		}
		f := w.def.field(c.Field)
		if f != nil && f.Type == FieldTable && c.Path == c.Field {
			parts = append(parts, f.Label.ZH+"行数由 "+describeValue(nil, c.Was, "zh")+" 改为 "+describeValue(nil, c.Now, "zh"))
			continue
		}
		col := f
		if f != nil && f.Type == FieldTable {
			if _, key, ok := strings.Cut(strings.TrimPrefix(c.Path, c.Field+"."), "."); ok {
				for i := range f.Columns {
					if f.Columns[i].Key == key {
						col = &f.Columns[i]
					}
				}
			}
		}
		was := describeValue(col, c.Was, "zh")
		verb := "改为 "
		if decimalCmp(c.Now, c.Was) > 0 && !isEmpty(c.Was) {
			verb = "增至 "
		}
		if !strings.HasSuffix(was, "元") {
			verb = " " + verb
		}
		parts = append(parts, PathLabel(w.def, c.Path, "zh")+"由 "+was+verb+describeValue(col, c.Now, "zh"))
	}
	step := g.StepID
	if st := stepOf(w.def, g.StepID); st != nil {
		step = st.Title.ZH
	}
	return strings.Join(parts, "；") + "，「" + step + "」须重新签名"
}
