package flow

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// base is a valid definition; each case below breaks one line of it.
const base = `key: sample
title: {zh: 样例, en: Sample}
subject: form
initiators: [researcher]
form:
  - key: amount
    label: {zh: 金额, en: Amount}
    type: money
  - key: kind
    label: {zh: 类别, en: Kind}
    type: select
    options:
      - {value: a, label: {zh: 甲, en: A}}
  - key: items
    label: {zh: 明细, en: Items}
    type: table
    columns:
      - {key: qty, label: {zh: 数量, en: Qty}, type: number}
  - key: who
    label: {zh: 人员, en: Person}
    type: person
checks:
  - expr: "amount > 0"
    field: amount
    message: {zh: 金额须大于零, en: Must be positive}
steps:
  - id: first
    title: {zh: 第一步, en: First}
    assignee: {role: director, department: initiator}
    when: "!initiator_is_director"
  - id: second
    title: {zh: 第二步, en: Second}
    assignee: {relative: previous}
    mode: single
    signature: approve
    sla: {due: 48h, remind: 4h}
    branches:
      - {when: "amount > 100", to: third}
    next: end
  - id: third
    title: {zh: 第三步, en: Third}
    assignee: {committee: true}
    mode: quorum
    quorum: "2/3"
`

func TestParseBase(t *testing.T) {
	d, err := Parse("base.yaml", []byte(base), NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if d.Step("second") == nil || d.First().ID != "first" || d.Step("nope") != nil {
		t.Error("Step/First")
	}
	if len(d.Hash) != 64 || d.File != "base.yaml" {
		t.Error("hash/file not set")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name      string
		old, new  string // replace old with new in base
		line      int
		field, in string // the error's field and a piece of its message
	}{
		{"unknown top key", "subject: form", "subject: form\ncolour: red", 4, "colour", "unknown field"},
		{"unknown nested key", "    mode: single", "    mode: single\n    asignee: x", 35, "steps[1].asignee", "unknown field"},
		{"unknown key in text", "title: {zh: 样例, en: Sample}", "title: {zh: 样例, en: Sample, fr: x}", 2, "title.fr", "unknown field"},
		{"version is not in YAML", "subject: form", "subject: form\nversion: 2", 4, "version", "unknown field"},
		{"missing key", "key: sample", "", 1, "key", "required"},
		{"bad key", "key: sample", "key: Sample!", 1, "key", "lowercase"},
		{"missing title en", "title: {zh: 样例, en: Sample}", "title: {zh: 样例}", 2, "title.en", "required"},
		{"missing step title", "    title: {zh: 第三步, en: Third}", "", 40, "steps[2].title.zh", "required"},
		{"duplicate step id", "  - id: third", "  - id: second", 40, "steps[2].id", "duplicate step id"},
		{"duplicate field key", "  - key: who", "  - key: kind", 19, "form[3].key", "duplicate field key"},
		{"unknown step kind", "    mode: quorum", "    mode: quorum\n    kind: vote", 44, "steps[2].kind", "unknown step kind"},
		{"unknown mode", "    mode: single", "    mode: majority", 34, "steps[1].mode", "unknown mode"},
		{"unknown action", "    mode: single", "    mode: single\n    actions: [approve, shred]", 35, "steps[1].actions[1]", "unknown action"},
		{"unknown meaning", "    signature: approve", "    signature: disapproval", 35, "steps[1].signature", "unknown signature meaning"},
		{"unknown field type", "    type: person", "    type: human", 21, "form[3].type", "unknown field type"},
		{"next to nowhere", "    next: end", "    next: fourth", 39, "steps[1].next", `no step "fourth"`},
		{"branch to nowhere", `      - {when: "amount > 100", to: third}`, `      - {when: "amount > 100", to: nowhere}`, 38, "steps[1].branches[0].to", `no step "nowhere"`},
		{"unreachable", "      - {when: \"amount > 100\", to: third}", "      - {when: \"amount > 100\", to: end}", 40, "steps[2].id", "unreachable"},
		{"dead end", "      - {when: \"amount > 100\", to: third}\n    next: end", "      - {when: \"amount > 100\", to: first}\n    next: first", 31, "steps[1].id", "dead end"},
		{"no selector", "    assignee: {relative: previous}", "", 31, "steps[1].assignee", "exactly one"},
		{"several selectors", "    assignee: {committee: true}", "    assignee: {committee: true, role: gm}", 42, "steps[2].assignee", "several selectors (role, committee)"},
		{"unknown role", "    assignee: {role: director, department: initiator}", "    assignee: {role: dean, department: initiator}", 29, "steps[0].assignee.role", `unknown role "dean"`},
		{"unknown initiator role", "initiators: [researcher]", "initiators: [researcher, wizard]", 4, "initiators[1]", "unknown role"},
		{"unknown relative", "    assignee: {relative: previous}", "    assignee: {relative: boss}", 33, "steps[1].assignee.relative", "unknown relative"},
		{"approval by the initiator (four eyes)", "    assignee: {relative: previous}", "    assignee: {relative: initiator}", 33, "steps[1].assignee", "four eyes"},
		{"quorum malformed", `    quorum: "2/3"`, `    quorum: "3/2"`, 44, "steps[2].quorum", "ratio"},
		{"quorum without mode quorum", "    mode: single", "    mode: single\n    quorum: \"2\"", 35, "steps[1].quorum", "mode quorum only"},
		{"quorum missing", `    quorum: "2/3"`, "", 40, "steps[2].quorum", "needs a quorum"},
		{"unknown guard", "    mode: single", "    mode: single\n    guards: [hr.nope]", 35, "steps[1].guards[0]", `unknown guard "hr.nope"`},
		{"unknown effect", "    mode: single", "    mode: single\n    effects: [x.y]", 35, "steps[1].effects[0]", `unknown effect "x.y"`},
		{"unknown subject", "subject: form", "subject: batch", 3, "subject", "unknown subject"},
		{"condition does not compile", `    when: "!initiator_is_director"`, `    when: "initiator_is_director =="`, 30, "steps[0].when", "bad expression"},
		{"condition names unknown field", `      - {when: "amount > 100", to: third}`, `      - {when: "amout > 100", to: third}`, 38, "steps[1].branches[0].when", `unknown field "amout"`},
		{"check names unknown field", `  - expr: "amount > 0"`, `  - expr: "sum(items.quantity) > 0"`, 23, "checks[0].expr", `unknown field "items.quantity"`},
		{"select without options", "      - {value: a, label: {zh: 甲, en: A}}", "      []", 12, "form[1].options", "needs options"},
		{"table without columns", "      - {key: qty, label: {zh: 数量, en: Qty}, type: number}", "      []", 17, "form[2].columns", "needs columns"},
		{"bad SLA due", "    sla: {due: 48h, remind: 4h}", "    sla: {due: 2 days}", 36, "steps[1].sla.due", "not a positive duration"},
		{"bad SLA remind", "    sla: {due: 48h, remind: 4h}", "    sla: {due: 48h, remind: 72h}", 36, "steps[1].sla.remind", "shorter than due"},
		{"unknown escalation", "    sla: {due: 48h, remind: 4h}", "    sla: {due: 48h, escalate_to: pope}", 36, "steps[1].sla.escalate_to", "unknown role"},
		{"department without role", "    assignee: {relative: previous}", "    assignee: {relative: previous, department: qa}", 33, "steps[1].assignee.department", "set role too"},
		{"assignee field not a person", "    assignee: {committee: true}", "    assignee: {field: kind}", 42, "steps[2].assignee.field", "not a person field"},
		{"assignee column of a non-table", "    assignee: {committee: true}", "    assignee: {field: kind.x}", 42, "steps[2].assignee.field", "not a table"},
		{"assignee column unknown", "    assignee: {committee: true}", "    assignee: {field: items.nope}", 42, "steps[2].assignee.field", "no column"},
		{"assignee column not a person", "    assignee: {committee: true}", "    assignee: {field: items.qty}", 42, "steps[2].assignee.field", "not a person column"},
		{"type error", "    type: money", "    type: [money]", 8, "form[0].type", ""},
		{"bad computed", "    type: money", "    type: money\n    computed: \"qty *\"", 9, "form[0].computed", "bad expression"},
		{"computed on text", "    type: person", "    type: person\n    computed: \"1\"", 22, "form[3].computed", "number and money fields only"},
		{"bad pattern", "    type: money", "    type: text\n    pattern: \"(\"", 9, "form[0].pattern", "bad regular expression"},
		{"bad bound", "    type: money", "    type: money\n    min: abc", 9, "form[0].min", "not a valid bound"},
		{"reserved field key", "  - key: who", "  - key: in", 19, "form[3].key", "reserved"},
		{"editable unknown", "    mode: single", "    mode: single\n    editable: [nope]", 35, "steps[1].editable[0]", "unknown field"},
		{"parallel without join", "    assignee: {committee: true}", "    kind: parallel\n    parallel: [first, second]", 40, "steps[2].join", "needs a join"},
		{"syntax error", "steps:", "steps: [", 26, "", ""},
		{"anchors refused", "subject: form", "subject: &s form", 1, "", "aliases"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(base, c.old+"\n", c.new+"\n", 1)
			if c.new == "" {
				src = strings.Replace(base, c.old+"\n", "", 1)
			}
			if src == base {
				t.Fatalf("replacement %q not found", c.old)
			}
			_, err := Parse("def.yaml", []byte(src), NewRegistry())
			if err == nil {
				t.Fatal("no error")
			}
			errs := LoadErrors(err)
			if len(errs) == 0 {
				t.Fatalf("not a LoadError: %v", err)
			}
			for _, e := range errs {
				if e.Field == c.field && strings.Contains(e.Msg, c.in) {
					if e.Line != c.line {
						t.Errorf("line = %d, want %d (%v)", e.Line, c.line, e)
					}
					if e.File != "def.yaml" || !strings.HasPrefix(e.Error(), "def.yaml:") {
						t.Errorf("file not named: %v", e)
					}
					return
				}
			}
			t.Errorf("no error on %q containing %q; got:\n%v", c.field, c.in, err)
		})
	}
}

func TestLoadErrorFormat(t *testing.T) {
	e := &LoadError{File: "a.yaml", Line: 3, Column: 5, Field: "steps[3].assignee.role", Msg: "unknown role"}
	if e.Error() != "a.yaml:3:5: steps[3].assignee.role: unknown role" {
		t.Error(e.Error())
	}
}

func TestRegistryGuardsEffects(t *testing.T) {
	reg := NewRegistry()
	reg.RegisterSubject("batch")
	reg.RegisterGuard("x.allow", nil)
	reg.RegisterEffect("x.do", nil)
	src := strings.Replace(base, "subject: form", "subject: batch", 1)
	src = strings.Replace(src, "    mode: single\n", "    mode: single\n    guards: [x.allow]\n    effects: [x.do]\n", 1)
	if _, err := Parse("d.yaml", []byte(src), reg); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Guard("x.allow"); !ok {
		t.Error("guard")
	}
	if _, ok := reg.Effect("x.nope"); ok {
		t.Error("effect")
	}
}

func TestLoadFSDuplicateKeysAndJoinedErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"defs/a.yaml": {Data: []byte(base)},
		"defs/b.yml":  {Data: []byte(base)},
		"defs/c.yaml": {Data: []byte(strings.Replace(base, "key: sample", "key: other\nbogus: 1", 1))},
		"defs/readme": {Data: []byte("not yaml")},
		"defs/d.yaml": {Data: []byte(strings.Replace(base, "key: sample", "key: third", 1))},
	}
	defs, err := LoadFS(fsys, "defs", NewRegistry())
	if len(defs) != 2 {
		t.Errorf("loaded %d definitions, want 2", len(defs))
	}
	errs := LoadErrors(err)
	if len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	if !strings.Contains(err.Error(), "defs/b.yml:1:") || !strings.Contains(err.Error(), "also defined") {
		t.Errorf("duplicate key error: %v", err)
	}
	if !strings.Contains(err.Error(), "defs/c.yaml:2:") {
		t.Errorf("unknown key error: %v", err)
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Error("errors.As")
	}
}

func TestLoadOverride(t *testing.T) {
	dir := t.TempDir()
	reg := testRegistry()
	builtin, err := Load(reg, "")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := Builtin.ReadFile("definitions/seal-use.yaml")
	changed := strings.Replace(string(src), "title:", "# institute override\ntitle:", 1)
	if err := writeFile(dir+"/seal.yaml", changed); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/new.yaml", base); err != nil {
		t.Fatal(err)
	}
	defs, err := Load(reg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != len(builtin)+1 {
		t.Errorf("got %d definitions, want %d", len(defs), len(builtin)+1)
	}
	for _, d := range defs {
		if d.Key == "seal-use" && !strings.HasPrefix(d.File, dir) {
			t.Errorf("seal-use not overridden: %s", d.File)
		}
	}
	if err := writeFile(dir+"/bad.yaml", "key: x\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(reg, dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("want an error naming the override file, got %v", err)
	}
}
