package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// This file is the small, safe expression language of definitions: step
// and branch conditions (when), cross-field checks (expr) and computed
// fields (computed). It has no loops, no assignment and no access to
// anything but the environment it is given.
//
// Syntax:
//
//	literals     12  0.5  'text'  "text"  true  false  [1, 2, 'x'] (lists, for `in`)
//	identifiers  form field keys; "table.column" is the list of that column's values
//	operators    + - * /   == != < <= > >=   in   && || !   and or not   ( )
//	functions    sum(list)  len(x)  days_between(date1, date2)  today()
//
// Precedence, lowest first: || or; && and; ! not; comparisons and `in`;
// + -; * /; unary minus. So `!a == b` reads as `!(a == b)`.
//
// Values are exact decimals (*big.Rat), strings, booleans, lists and nil
// (an absent or empty field). Numbers never go through float64, so
// 0.1 + 0.2 == 0.3 and 3 * 33.33 == 99.99. A string that reads as a decimal
// (money is kept as "12.50") is taken as a number by arithmetic and by
// comparison with a number; nil counts as 0 in arithmetic, as "" beside a
// string and as false in && || !. Dates are "YYYY-MM-DD" strings; < and >
// compare two non-numeric strings lexically, which orders such dates.
// days_between(a, b) is b − a in days; today() is the server's current
// UTC date, or env["today"] when the caller sets it (tests, the engine).
//
// Engine-provided variables: besides the form's field keys, the engine puts
// these into the environment of step `when` and branch `when` conditions
// (they are also accepted by the load-time identifier check):
//
//	initiator_id           the initiator's person id (number)
//	initiator_is_director  true when the initiator is a director of their own department
//	initiator_department   the id of the initiator's department (number)
//
// See EngineVars.

// EngineVars lists the variables the engine provides to step and branch
// conditions, in addition to the form fields.
var EngineVars = []string{"initiator_id", "initiator_is_director", "initiator_department"}

const (
	maxExprLen   = 4000
	maxExprDepth = 64
)

// ExprError is a syntax or evaluation error at a 1-based column of the expression.
type ExprError struct {
	Col int
	Msg string
}

func (e *ExprError) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// Expr is a compiled expression.
type Expr struct {
	src    string
	root   *enode
	idents []string
	funcs  []string
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
					return nil, &ExprError{j + 1, "digit expected after the decimal point"}
				}
				for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
					j++
				}
			}
			if j-i > maxDecimalLen {
				return nil, &ExprError{col, "number too long"}
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
				return nil, &ExprError{col, "unterminated string"}
			}
			toks = append(toks, etoken{tStr, b.String(), col})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(rs) && (isIdentStart(rs[j]) || rs[j] >= '0' && rs[j] <= '9' || rs[j] == '.') {
				if rs[j] == '.' && (j+1 >= len(rs) || !isIdentStart(rs[j+1])) {
					return nil, &ExprError{j + 1, "field name expected after '.'"}
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
				return nil, &ExprError{col, "use == to compare"}
			case '&', '|':
				return nil, &ExprError{col, fmt.Sprintf("use %c%c", c, c)}
			default:
				return nil, &ExprError{col, fmt.Sprintf("unexpected character %q", c)}
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
}

type eparser struct {
	toks   []etoken
	i      int
	depth  int
	idents map[string]bool
	funcs  map[string]bool
}

var exprFuncs = map[string]int{"sum": 1, "len": 1, "days_between": 2, "today": 0, "department_of": 1, "director_of": 1}

// orgFuncs are the functions that look up the organisation: only step and
// branch conditions, which the engine evaluates with a Lookup, may call them.
var orgFuncs = map[string]bool{"department_of": true, "director_of": true}

// Lookup answers the organisation functions of expressions.
type Lookup interface {
	// DepartmentOf returns the department id of a person (0 if none).
	DepartmentOf(personID int64) (int64, error)
	// DirectorOf returns the person id of a department's director (0 if none).
	DirectorOf(departmentID int64) (int64, error)
}

// lookupKey is where the engine puts its Lookup in an expression's
// environment; no field key can collide with it.
const lookupKey = "\x00lookup"

// Compile parses src into an expression; the error names the column.
func Compile(src string) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, &ExprError{1, "expression too long"}
	}
	if !utf8.ValidString(src) {
		return nil, &ExprError{1, "not valid UTF-8"}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &ExprError{1, "empty expression"}
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
		return nil, &ExprError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
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
		return &ExprError{p.peek().pos, "expression nested too deeply"}
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
			return nil, &ExprError{t.pos, "comparisons cannot be chained; use &&"}
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
			return nil, &ExprError{t.pos, "bad number"}
		}
		return &enode{op: "num", pos: t.pos, val: r}, nil
	case tStr:
		return &enode{op: "str", pos: t.pos, val: t.text}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return &enode{op: "bool", pos: t.pos, val: t.text == "true"}, nil
		case "and", "or", "not", "in":
			return nil, &ExprError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
		}
		if p.isOp("(") {
			n, ok := exprFuncs[t.text]
			if !ok {
				return nil, &ExprError{t.pos, fmt.Sprintf("unknown function %q", t.text)}
			}
			p.next()
			var args []*enode
			for !p.isOp(")") {
				if len(args) > 0 {
					if !p.isOp(",") {
						return nil, &ExprError{p.peek().pos, "',' or ')' expected"}
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
			if len(args) != n {
				return nil, &ExprError{t.pos, fmt.Sprintf("%s takes %d argument(s)", t.text, n)}
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
				return nil, &ExprError{p.peek().pos, "')' expected"}
			}
			p.next()
			return x, nil
		case "[":
			var items []*enode
			for !p.isOp("]") {
				if len(items) > 0 {
					if !p.isOp(",") {
						return nil, &ExprError{p.peek().pos, "',' or ']' expected"}
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
		return nil, &ExprError{t.pos, "unexpected end of expression"}
	}
	return nil, &ExprError{t.pos, fmt.Sprintf("unexpected %q", t.text)}
}

// EvalBool compiles and evaluates src, which must yield a boolean (nil,
// from an absent field, counts as false).
func EvalBool(src string, env map[string]any) (bool, error) {
	e, err := compileCached(src)
	if err != nil {
		return false, err
	}
	return e.EvalBool(env)
}

// EvalBool evaluates e, which must yield a boolean (nil counts as false).
func (e *Expr) EvalBool(env map[string]any) (bool, error) {
	v, err := e.Eval(env)
	if err != nil {
		return false, err
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case nil:
		return false, nil
	}
	return false, &ExprError{1, "the condition does not yield true or false"}
}

// Eval evaluates e in env (form field keys and engine variables to values
// as ValidateForm returns them, or plain Go values). The result is a
// *big.Rat for numbers (see FormatDecimal, FormatMoney), a string, a bool,
// a []any or nil.
func (e *Expr) Eval(env map[string]any) (any, error) {
	return e.root.eval(env)
}

func (n *enode) errf(format string, a ...any) error {
	return &ExprError{n.pos, fmt.Sprintf(format, a...)}
}

func (n *enode) eval(env map[string]any) (any, error) {
	switch n.op {
	case "num", "str", "bool":
		return n.val, nil
	case "list":
		out := make([]any, len(n.args))
		for i, a := range n.args {
			v, err := a.eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "ident":
		return lookup(env, n.val.(string)), nil
	case "call":
		return n.call(env)
	case "neg":
		x, err := n.args[0].eval(env)
		if err != nil {
			return nil, err
		}
		r, ok := num(x)
		if !ok {
			return nil, n.errf("'-' needs a number")
		}
		return new(big.Rat).Neg(r), nil
	case "not":
		x, err := n.args[0].eval(env)
		if err != nil {
			return nil, err
		}
		b, ok := truth(x)
		if !ok {
			return nil, n.errf("'!' needs true or false")
		}
		return !b, nil
	case "&&", "||":
		x, err := n.args[0].eval(env)
		if err != nil {
			return nil, err
		}
		b, ok := truth(x)
		if !ok {
			return nil, n.errf("%s needs true or false on its left", n.op)
		}
		if n.op == "&&" && !b || n.op == "||" && b {
			return b, nil
		}
		y, err := n.args[1].eval(env)
		if err != nil {
			return nil, err
		}
		c, ok := truth(y)
		if !ok {
			return nil, n.errf("%s needs true or false on its right", n.op)
		}
		return c, nil
	}
	x, err := n.args[0].eval(env)
	if err != nil {
		return nil, err
	}
	y, err := n.args[1].eval(env)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "+":
		xs, xok := x.(string)
		ys, yok := y.(string)
		if xok && yok && (!isDecimal(xs) || !isDecimal(ys)) {
			return xs + ys, nil
		}
		fallthrough
	case "-", "*", "/":
		a, ok1 := num(x)
		b, ok2 := num(y)
		if !ok1 || !ok2 {
			return nil, n.errf("%q needs numbers", n.op)
		}
		switch n.op {
		case "+":
			return new(big.Rat).Add(a, b), nil
		case "-":
			return new(big.Rat).Sub(a, b), nil
		case "*":
			return new(big.Rat).Mul(a, b), nil
		default:
			if b.Sign() == 0 {
				return nil, n.errf("division by zero")
			}
			return new(big.Rat).Quo(a, b), nil
		}
	case "==":
		return equal(x, y), nil
	case "!=":
		return !equal(x, y), nil
	case "in":
		list, ok := y.([]any)
		if !ok {
			if y == nil {
				return false, nil
			}
			return nil, n.errf("'in' needs a list on its right")
		}
		for _, item := range list {
			if equal(x, item) {
				return true, nil
			}
		}
		return false, nil
	default: // < <= > >=
		c, ok := compare(x, y)
		if !ok {
			return nil, n.errf("%q cannot compare these values", n.op)
		}
		switch n.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		default:
			return c >= 0, nil
		}
	}
}

func (n *enode) call(env map[string]any) (any, error) {
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(env)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	switch n.val.(string) {
	case "sum":
		total := new(big.Rat)
		var items []any
		switch x := args[0].(type) {
		case []any:
			items = x
		case nil:
		default:
			items = []any{x}
		}
		for _, it := range items {
			r, ok := num(it)
			if !ok {
				return nil, n.errf("sum needs numbers")
			}
			total.Add(total, r)
		}
		return total, nil
	case "len":
		switch x := args[0].(type) {
		case nil:
			return new(big.Rat), nil
		case string:
			return new(big.Rat).SetInt64(int64(utf8.RuneCountInString(x))), nil
		case []any:
			return new(big.Rat).SetInt64(int64(len(x))), nil
		}
		return nil, n.errf("len needs text or a list")
	case "days_between":
		a, ok1 := asDate(args[0])
		b, ok2 := asDate(args[1])
		if !ok1 || !ok2 {
			return nil, n.errf("days_between needs two dates YYYY-MM-DD")
		}
		return new(big.Rat).SetInt64(int64(math.Round(b.Sub(a).Hours() / 24))), nil
	case "today":
		if s, ok := env["today"].(string); ok {
			return s, nil
		}
		return time.Now().UTC().Format(time.DateOnly), nil
	case "department_of", "director_of":
		l, ok := env[lookupKey].(Lookup)
		if !ok {
			return nil, n.errf("%s is available in step and branch conditions only", n.val)
		}
		r, ok := num(args[0])
		if !ok || !r.IsInt() {
			return nil, n.errf("%s needs an id", n.val)
		}
		var id int64
		var err error
		if n.val == "department_of" {
			id, err = l.DepartmentOf(r.Num().Int64())
		} else {
			id, err = l.DirectorOf(r.Num().Int64())
		}
		if err != nil {
			return nil, err
		}
		return new(big.Rat).SetInt64(id), nil
	}
	return nil, n.errf("unknown function")
}

func asDate(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	return t, err == nil
}

// lookup reads name from env; "table.column" yields the column's values.
func lookup(env map[string]any, name string) any {
	if v, ok := env[name]; ok {
		return value(v)
	}
	base, col, ok := strings.Cut(name, ".")
	if !ok {
		return nil
	}
	if t, ok := env[base].(map[string]any); ok {
		return lookup(t, col)
	}
	rows, ok := tableRows(env[base])
	if !ok {
		return nil
	}
	out := make([]any, 0, len(rows))
	for _, r := range rows {
		out = append(out, lookup(r, col))
	}
	return out
}

// value converts a Go value from a form or the engine into an expression value.
func value(v any) any {
	switch x := v.(type) {
	case nil, string, bool, *big.Rat:
		return x
	case big.Rat:
		return &x
	case json.Number:
		if r, err := ParseDecimal(string(x)); err == nil {
			return r
		}
		return string(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		r, _ := new(big.Rat).SetString(floatText(x))
		return r
	case float32:
		return value(float64(x))
	case int:
		return new(big.Rat).SetInt64(int64(x))
	case int64:
		return new(big.Rat).SetInt64(x)
	case int32:
		return new(big.Rat).SetInt64(int64(x))
	case uint:
		return new(big.Rat).SetUint64(uint64(x))
	case uint64:
		return new(big.Rat).SetUint64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []int64:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = new(big.Rat).SetInt64(s)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = value(s)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out
	case map[string]any:
		return x
	case time.Time:
		return x.Format(time.DateOnly)
	}
	return fmt.Sprint(v)
}

func isDecimal(s string) bool {
	return len(s) <= maxDecimalLen && decimalRE.MatchString(strings.TrimSpace(s))
}

// num returns v as a number: numbers, decimal strings and nil (0).
func num(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case *big.Rat:
		return x, true
	case nil:
		return new(big.Rat), true
	case string:
		if strings.TrimSpace(x) == "" {
			return new(big.Rat), true
		}
		r, err := ParseDecimal(x)
		return r, err == nil
	}
	return nil, false
}

func truth(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case nil:
		return false, true
	}
	return false, false
}

func equal(x, y any) bool {
	switch a := x.(type) {
	case nil:
		switch b := y.(type) {
		case nil:
			return true
		case string:
			return b == ""
		case *big.Rat:
			return b.Sign() == 0
		case bool:
			return !b
		case []any:
			return len(b) == 0
		}
		return false
	case bool:
		b, ok := y.(bool)
		if y == nil {
			return !a
		}
		return ok && a == b
	case string:
		switch b := y.(type) {
		case string:
			return a == b
		case *big.Rat:
			r, ok := num(a)
			return ok && r.Cmp(b) == 0
		case nil:
			return a == ""
		}
		return false
	case *big.Rat:
		if _, ok := y.(string); ok || y == nil {
			return equal(y, x)
		}
		b, ok := y.(*big.Rat)
		return ok && a.Cmp(b) == 0
	case []any:
		b, ok := y.([]any)
		if y == nil {
			return len(a) == 0
		}
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func compare(x, y any) (int, bool) {
	xs, xok := x.(string)
	ys, yok := y.(string)
	if xok && yok && (!isDecimal(xs) || !isDecimal(ys)) {
		return strings.Compare(xs, ys), true
	}
	a, ok1 := num(x)
	b, ok2 := num(y)
	if !ok1 || !ok2 {
		return 0, false
	}
	return a.Cmp(b), true
}

// exprCache keeps compiled expressions by source; definitions are few and
// their expressions are evaluated on every transition.
var exprCache sync.Map // string → *Expr

const maxCachedExprs = 10000

var exprCacheN atomic.Int64

func compileCached(src string) (*Expr, error) {
	if e, ok := exprCache.Load(src); ok {
		return e.(*Expr), nil
	}
	e, err := Compile(src)
	if err != nil {
		return nil, err
	}
	if exprCacheN.Load() < maxCachedExprs {
		if _, loaded := exprCache.LoadOrStore(src, e); !loaded {
			exprCacheN.Add(1)
		}
	}
	return e, nil
}
