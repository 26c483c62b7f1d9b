package flow

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"unicode/utf8"
)

// This file is the small, safe expression language of definitions: step
// and branch conditions (when), cross-field checks (expr) and computed
// fields (computed). It has no loops, no assignment and no access to
// anything but the environment it is given. This file lexes and parses;
// expr_check.go gives every expression a type at load (against the
// definition's form), expr_eval.go evaluates, expr_func.go holds the
// functions and expr_time.go the clock, dates and times.
//
// Syntax:
//
//	literals     12  0.5  'text'  "text"  true  false  [1, 2, 'x'] (lists, for `in`)
//	identifiers  form field keys; "table.column" is the list of that column's values
//	operators    + - * /   == != < <= > >=   in   && || !   and or not   ( )
//	functions    see exprFuncs (docs/DEFINITIONS.md lists them with their types)
//
// Precedence, lowest first: || or; && and; ! not; comparisons and `in`;
// + -; * /; unary minus. So `!a == b` reads as `!(a == b)`.
//
// Values are exact decimals (*big.Rat), strings, booleans, times
// (time.Time), lists and nil (an absent or empty field). Numbers never go
// through float64, so 0.1 + 0.2 == 0.3 and 3 * 33.33 == 99.99.
//
// An expression compiled against a definition (Definition.expr, checked at
// load) is typed: every value has the type its field gives it, money is a
// number, `+` of two texts joins them and of two numbers adds them, and a
// mismatch is a load error. An expression compiled without a definition
// (Compile) is untyped and decides at run time as LabFlow always did: a
// string that reads as a decimal is a number ("10" + "5" is 15). Only
// definitions stored before expressions were typed, and which do not pass
// the check, still run untyped, so that their running instances finish as
// they started.
//
// Engine-provided variables: besides the form's field keys, the engine puts
// these into the environment of step `when` and branch `when` conditions
// (they are also accepted by the load-time identifier check):
//
//	initiator_id           the initiator's person id
//	initiator_is_director  true when the initiator is a director of their own department
//	initiator_department   the id of the initiator's department
//
// See EngineVars.

// EngineVars lists the variables the engine provides to step and branch
// conditions, in addition to the form fields.
var EngineVars = []string{"initiator_id", "initiator_is_director", "initiator_department"}

const (
	maxExprLen   = 4000
	maxExprDepth = 64
)

// ExprError is a syntax, type or evaluation error at a 1-based column of
// the expression. Msg is for lint and logs (English); an evaluation error
// also has Key, the message id people are shown (the expr catalog), and
// Field, the form field the failing part reads, if any.
type ExprError struct {
	Col   int
	Msg   string
	Key   string
	Field string
}

func (e *ExprError) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// Expr is a compiled expression.
type Expr struct {
	src    string
	root   *enode
	idents []string
	funcs  []string
	// typed: checked against a definition (expr_check.go); every node has
	// its type and evaluation follows the types. Untyped expressions
	// decide at run time (see the file comment).
	typed bool
	typ   etype // the type of the whole expression (typed only)
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Idents returns the sorted, distinct identifiers the expression reads.
func (e *Expr) Idents() []string { return e.idents }

// Funcs returns the sorted, distinct function names the expression calls.
func (e *Expr) Funcs() []string { return e.funcs }

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tStr
	tIdent
	tOp
)

type etoken struct {
	kind tokKind
	text string
	pos  int // 1-based column (in runes)
}

func lex(src string) ([]etoken, error) {
	var toks []etoken
	rs := []rune(src)
	i := 0
	for i < len(rs) {
		c := rs[i]
		col := i + 1
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			if j < len(rs) && rs[j] == '.' {
				j++
				if j >= len(rs) || rs[j] < '0' || rs[j] > '9' {
					return nil, &ExprError{Col: j + 1, Msg: "digit expected after the decimal point"}
				}
				for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
					j++
				}
			}
			if j-i > maxDecimalLen {
				return nil, &ExprError{Col: col, Msg: "number too long"}
			}
			toks = append(toks, etoken{tNum, string(rs[i:j]), col})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(rs) {
				if rs[j] == '\\' && j+1 < len(rs) {
					switch rs[j+1] {
					case 'n':
						b.WriteRune('\n')
					case 't':
						b.WriteRune('\t')
					default:
						b.WriteRune(rs[j+1])
					}
					j += 2
					continue
				}
				if rs[j] == c {
					closed = true
					j++
					break
				}
				b.WriteRune(rs[j])
				j++
			}
			if !closed {
				return nil, &ExprError{Col: col, Msg: "unterminated string"}
			}
			toks = append(toks, etoken{tStr, b.String(), col})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(rs) && (isIdentStart(rs[j]) || rs[j] >= '0' && rs[j] <= '9' || rs[j] == '.') {
				if rs[j] == '.' && (j+1 >= len(rs) || !isIdentStart(rs[j+1])) {
					return nil, &ExprError{Col: j + 1, Msg: "field name expected after '.'"}
				}
				j++
			}
			toks = append(toks, etoken{tIdent, string(rs[i:j]), col})
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				toks = append(toks, etoken{tOp, two, col})
				i += 2
				continue
			}
			switch c {
			case '+', '-', '*', '/', '<', '>', '!', '(', ')', '[', ']', ',':
				toks = append(toks, etoken{tOp, string(c), col})
				i++
			case '=':
				return nil, &ExprError{Col: col, Msg: "use == to compare"}
			case '&', '|':
				return nil, &ExprError{Col: col, Msg: fmt.Sprintf("use %c%c", c, c)}
			default:
				return nil, &ExprError{Col: col, Msg: fmt.Sprintf("unexpected character %q", c)}
			}
		}
	}
	toks = append(toks, etoken{tEOF, "", len(rs) + 1})
	return toks, nil
}

func isIdentStart(c rune) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// enode is a node of the expression tree.
type enode struct {
	op   string // "num", "str", "bool", "list", "ident", "call", "neg", "not", or a binary operator
	pos  int
	val  any // literal value, identifier or function name
	args []*enode
	// t is the node's type once checked (the zero etype, any, in an
	// untyped expression); row marks an identifier that names a column of
	// the row a count() condition is evaluated on.
	t   etype
	row bool
}

type eparser struct {
	toks   []etoken
	i      int
	depth  int
	idents map[string]bool
	funcs  map[string]bool
}

// funcSpec is what the parser knows of a function: how many arguments it
// takes (max -1: any number) and where it may be used.
type funcSpec struct {
	min, max int
	need     exprNeed
}

// exprNeed says what a function needs from where it is evaluated.
type exprNeed int

const (
	needNothing exprNeed = iota // pure: anywhere, computed fields included
	needClock                   // reads the clock: not in computed fields, whose value must not change by itself
	needEngine                  // looks up the organisation, other instances or the history: step and branch conditions only
)

// exprFuncs are the functions of the language; expr_check.go gives their
// types and expr_func.go evaluates them.
var exprFuncs = map[string]funcSpec{
	"sum": {1, 1, needNothing}, "len": {1, 1, needNothing}, "min": {1, -1, needNothing}, "max": {1, -1, needNothing},
	"abs": {1, 1, needNothing}, "round": {1, 2, needNothing}, "if": {3, 3, needNothing}, "count": {2, 2, needNothing},
	"empty": {1, 1, needNothing}, "date": {1, 1, needNothing},
	"days_between": {2, 2, needNothing}, "minutes_between": {2, 2, needNothing}, "workdays_between": {2, 2, needNothing},
	"add_days": {2, 2, needNothing}, "add_workdays": {2, 2, needNothing},
	"today": {0, 0, needClock}, "now": {0, 0, needClock},
	"completed_at":  {1, 1, needEngine},
	"department_of": {1, 1, needEngine}, "director_of": {1, 1, needEngine},
	"rank_of": {1, 1, needEngine}, "rank_since": {1, 1, needEngine}, "hired_on": {1, 1, needEngine},
	"count_instances": {4, 4, needEngine}, "in_use": {2, 2, needEngine},
}

// Compile parses src into an expression; the error names the column.
func Compile(src string) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, &ExprError{Col: 1, Msg: "expression too long"}
	}
	if !utf8.ValidString(src) {
		return nil, &ExprError{Col: 1, Msg: "not valid UTF-8"}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &ExprError{Col: 1, Msg: "empty expression"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &eparser{toks: toks, idents: map[string]bool{}, funcs: map[string]bool{}}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("unexpected %q", t.text)}
	}
	return &Expr{src: src, root: root, idents: sortedKeys(p.idents), funcs: sortedKeys(p.funcs)}, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *eparser) peek() etoken { return p.toks[p.i] }
func (p *eparser) next() etoken { t := p.toks[p.i]; p.i++; return t }

func (p *eparser) isOp(ops ...string) bool {
	t := p.peek()
	if t.kind == tOp || t.kind == tIdent {
		for _, o := range ops {
			if t.text == o {
				return true
			}
		}
	}
	return false
}

func (p *eparser) enter() error {
	p.depth++
	if p.depth > maxExprDepth {
		return &ExprError{Col: p.peek().pos, Msg: "expression nested too deeply"}
	}
	return nil
}

func (p *eparser) or() (*enode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isOp("||", "or") {
		t := p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &enode{op: "||", pos: t.pos, args: []*enode{l, r}}
	}
	return l, nil
}

func (p *eparser) and() (*enode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isOp("&&", "and") {
		t := p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &enode{op: "&&", pos: t.pos, args: []*enode{l, r}}
	}
	return l, nil
}

func (p *eparser) not() (*enode, error) {
	if p.isOp("!", "not") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		t := p.next()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &enode{op: "not", pos: t.pos, args: []*enode{x}}, nil
	}
	return p.cmp()
}

func (p *eparser) cmp() (*enode, error) {
	l, err := p.add()
	if err != nil {
		return nil, err
	}
	if p.isOp("==", "!=", "<", "<=", ">", ">=", "in") {
		t := p.next()
		r, err := p.add()
		if err != nil {
			return nil, err
		}
		l = &enode{op: t.text, pos: t.pos, args: []*enode{l, r}}
		if p.isOp("==", "!=", "<", "<=", ">", ">=", "in") {
			t := p.peek()
			return nil, &ExprError{Col: t.pos, Msg: "comparisons cannot be chained; use &&"}
		}
	}
	return l, nil
}

func (p *eparser) add() (*enode, error) {
	l, err := p.mul()
	if err != nil {
		return nil, err
	}
	for p.isOp("+", "-") {
		t := p.next()
		r, err := p.mul()
		if err != nil {
			return nil, err
		}
		l = &enode{op: t.text, pos: t.pos, args: []*enode{l, r}}
	}
	return l, nil
}

func (p *eparser) mul() (*enode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*", "/") {
		t := p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &enode{op: t.text, pos: t.pos, args: []*enode{l, r}}
	}
	return l, nil
}

func (p *eparser) unary() (*enode, error) {
	if p.isOp("-", "!") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		t := p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		op := "neg"
		if t.text == "!" {
			op = "not"
		}
		return &enode{op: op, pos: t.pos, args: []*enode{x}}, nil
	}
	return p.primary()
}

func (p *eparser) primary() (*enode, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		r, ok := new(big.Rat).SetString(t.text)
		if !ok {
			return nil, &ExprError{Col: t.pos, Msg: "bad number"}
		}
		return &enode{op: "num", pos: t.pos, val: r}, nil
	case tStr:
		return &enode{op: "str", pos: t.pos, val: t.text}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return &enode{op: "bool", pos: t.pos, val: t.text == "true"}, nil
		case "and", "or", "not", "in":
			return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("unexpected %q", t.text)}
		}
		if p.isOp("(") {
			n, ok := exprFuncs[t.text]
			if !ok {
				return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("unknown function %q", t.text)}
			}
			p.next()
			var args []*enode
			for !p.isOp(")") {
				if len(args) > 0 {
					if !p.isOp(",") {
						return nil, &ExprError{Col: p.peek().pos, Msg: "',' or ')' expected"}
					}
					p.next()
				}
				a, err := p.or()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
			}
			p.next()
			switch {
			case n.min == n.max && len(args) != n.min:
				return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("%s takes %d argument(s)", t.text, n.min)}
			case len(args) < n.min:
				return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("%s takes at least %d argument(s)", t.text, n.min)}
			case n.max >= 0 && len(args) > n.max:
				return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("%s takes at most %d arguments", t.text, n.max)}
			}
			p.funcs[t.text] = true
			return &enode{op: "call", pos: t.pos, val: t.text, args: args}, nil
		}
		p.idents[t.text] = true
		return &enode{op: "ident", pos: t.pos, val: t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			x, err := p.or()
			if err != nil {
				return nil, err
			}
			if !p.isOp(")") {
				return nil, &ExprError{Col: p.peek().pos, Msg: "')' expected"}
			}
			p.next()
			return x, nil
		case "[":
			var items []*enode
			for !p.isOp("]") {
				if len(items) > 0 {
					if !p.isOp(",") {
						return nil, &ExprError{Col: p.peek().pos, Msg: "',' or ']' expected"}
					}
					p.next()
				}
				x, err := p.or()
				if err != nil {
					return nil, err
				}
				items = append(items, x)
			}
			p.next()
			return &enode{op: "list", pos: t.pos, args: items}, nil
		}
	case tEOF:
		return nil, &ExprError{Col: t.pos, Msg: "unexpected end of expression"}
	}
	return nil, &ExprError{Col: t.pos, Msg: fmt.Sprintf("unexpected %q", t.text)}
}
