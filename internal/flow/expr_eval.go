package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file evaluates expressions. A typed expression (checked against its
// definition) follows its types: each field's value is read as its type
// (money "12.50" as the number 12.5, a datetime as a moment), `+` of texts
// joins them, `<` of texts orders them as text. An untyped one decides at
// run time (legacy*), as described in expr.go.
//
// Empty values: an empty number is 0 in arithmetic and comparisons, an
// empty text is '', an empty condition is false, an empty list has no
// items; a comparison with an empty date or datetime is false (== and !=
// compare emptiness), and the time functions of an empty date are empty.

// EvalBool compiles and evaluates src, untyped, which must yield a boolean
// (nil, from an absent field, counts as false).
func EvalBool(src string, env map[string]any) (bool, error) {
	e, err := compileCached(src)
	if err != nil {
		return false, err
	}
	return e.EvalBool(env)
}

// EvalBool evaluates e, which must yield a boolean (nil counts as false).
func (e *Expr) EvalBool(env map[string]any) (bool, error) { return e.evalBool(env, nil) }

func (e *Expr) evalBool(env map[string]any, rt *exprRT) (bool, error) {
	v, err := e.eval(env, rt)
	if err != nil {
		return false, err
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case nil:
		return false, nil
	}
	return false, &ExprError{Col: 1, Msg: "the condition does not yield true or false", Key: "expr.eval.not_a_condition"}
}

// Eval evaluates e in env (form field keys and engine variables to values
// as ValidateForm returns them, or plain Go values), with the server's
// clock, UTC and Monday-to-Friday working days. The result is a *big.Rat
// for numbers (see FormatDecimal, FormatMoney), a string (text, a date), a
// time.Time (a datetime), a bool, a []any or nil.
func (e *Expr) Eval(env map[string]any) (any, error) { return e.eval(env, nil) }

func (e *Expr) eval(env map[string]any, rt *exprRT) (any, error) {
	x := &evalCtx{env: env, rt: rt}
	return x.eval(e.root)
}

// evalCtx is one evaluation: the environment, the row a count() condition
// is on, and the clock, calendar and lookups.
type evalCtx struct {
	env map[string]any
	row map[string]any
	rt  *exprRT
}

func (n *enode) errf(key, format string, a ...any) error {
	return &ExprError{Col: n.pos, Msg: fmt.Sprintf(format, a...), Key: key, Field: n.field()}
}

// field names the first form field a node reads, for the message people see.
func (n *enode) field() string {
	if n == nil {
		return ""
	}
	if n.op == "ident" && !n.row {
		base, _, _ := strings.Cut(n.val.(string), ".")
		return base
	}
	for _, a := range n.args {
		if f := a.field(); f != "" {
			return f
		}
	}
	return ""
}

func (x *evalCtx) eval(n *enode) (any, error) {
	switch n.op {
	case "num", "bool":
		return n.val, nil
	case "str":
		if n.t.kind == kTime {
			if t, ok := parseTime(n.val.(string), x.rt.zone()); ok {
				return t, nil
			}
		}
		return n.val, nil
	case "list":
		out := make([]any, len(n.args))
		for i, a := range n.args {
			v, err := x.eval(a)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "ident":
		return x.ident(n)
	case "call":
		return x.call(n)
	case "neg":
		v, err := x.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		r, ok := num(v)
		if !ok {
			return nil, n.errf("expr.eval.type", "'-' needs a number")
		}
		return new(big.Rat).Neg(r), nil
	case "not":
		v, err := x.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		b, ok := truth(v)
		if !ok {
			return nil, n.errf("expr.eval.type", "'!' needs true or false")
		}
		return !b, nil
	case "&&", "||":
		v, err := x.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		b, ok := truth(v)
		if !ok {
			return nil, n.errf("expr.eval.type", "%s needs true or false on its left", n.op)
		}
		if n.op == "&&" && !b || n.op == "||" && b {
			return b, nil
		}
		w, err := x.eval(n.args[1])
		if err != nil {
			return nil, err
		}
		c, ok := truth(w)
		if !ok {
			return nil, n.errf("expr.eval.type", "%s needs true or false on its right", n.op)
		}
		return c, nil
	}
	a, err := x.eval(n.args[0])
	if err != nil {
		return nil, err
	}
	b, err := x.eval(n.args[1])
	if err != nil {
		return nil, err
	}
	k := n.args[0].t.kind
	if k == kAny || n.args[1].t.kind == kAny {
		return legacyBinary(n, a, b)
	}
	if n.op == "in" {
		return member(a, b), nil
	}
	if k == kID {
		k = kNumber // ids and numbers compare as numbers
	}
	switch n.op {
	case "+":
		if k == kText {
			return text(a) + text(b), nil
		}
		fallthrough
	case "-", "*", "/":
		return arith(n, a, b)
	case "==":
		return equal(a, b), nil
	case "!=":
		return !equal(a, b), nil
	}
	c, ok := order(k, a, b)
	if !ok {
		return false, nil // an empty date or datetime: no order
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	}
	return c >= 0, nil
}

// ident reads an identifier: a column of the current row, or from the
// environment; a typed one is read as its type.
func (x *evalCtx) ident(n *enode) (any, error) {
	name := n.val.(string)
	if n.t.kind == kAny {
		if x.row != nil {
			if v, ok := x.row[name]; ok {
				return value(v), nil
			}
		}
		return lookup(x.env, name), nil
	}
	var raw any
	if n.row {
		raw = x.row[name]
	} else if v, ok := x.env[name]; ok {
		raw = v
	} else {
		raw = lookup(x.env, name)
	}
	v, ok := as(raw, n.t, x.rt.zone())
	if !ok {
		return nil, n.errf("expr.eval.bad_value", "the value of %s is not a %s", name, n.t)
	}
	return v, nil
}

// as reads v as a value of type t: numbers and ids as *big.Rat, texts and
// dates as strings, datetimes as time.Time (in loc when written without a
// zone), lists as []any of their items' type, a table as its rows. Empty
// values are nil. It reports false when v is not of the type.
func as(v any, t etype, loc *time.Location) (any, bool) {
	if v == nil {
		return nil, true
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" && t.kind != kText {
		return nil, true
	}
	switch t.kind {
	case kNumber, kID:
		r, ok := num(value(v))
		return r, ok
	case kText:
		switch x := value(v).(type) {
		case string:
			return x, true
		case *big.Rat:
			return FormatDecimal(x), true
		}
		return nil, false
	case kBool:
		b, ok := v.(bool)
		return b, ok
	case kDate:
		switch x := v.(type) {
		case time.Time:
			return dateText(x, loc), true
		case string:
			if len(x) >= 10 {
				if _, err := time.Parse(time.DateOnly, x[:10]); err == nil {
					return x[:10], true
				}
			}
		}
		return nil, false
	case kTime:
		t, ok := toTime(v, loc)
		if !ok {
			return nil, false
		}
		return t, true
	case kList:
		items, ok := value(v).([]any)
		if !ok {
			return nil, false
		}
		if t.elem == kAny {
			return items, true
		}
		out := make([]any, len(items))
		for i, it := range items {
			c, ok := as(it, etype{kind: t.elem}, loc)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case kTable:
		rows, ok := tableRows(v)
		return rows, ok
	}
	return value(v), true
}

// text is a text value ("" for empty).
func text(v any) string {
	s, _ := v.(string)
	return s
}

// arith adds, subtracts, multiplies or divides two numbers (empty is 0).
func arith(n *enode, x, y any) (any, error) {
	a, ok1 := num(x)
	b, ok2 := num(y)
	if !ok1 || !ok2 {
		return nil, n.errf("expr.eval.type", "%q needs numbers", n.op)
	}
	switch n.op {
	case "+":
		return new(big.Rat).Add(a, b), nil
	case "-":
		return new(big.Rat).Sub(a, b), nil
	case "*":
		return new(big.Rat).Mul(a, b), nil
	}
	if b.Sign() == 0 {
		return nil, &ExprError{Col: n.pos, Msg: "division by zero", Key: "expr.eval.division_by_zero", Field: n.args[1].field()}
	}
	return new(big.Rat).Quo(a, b), nil
}

// order compares two values of kind k; false when either is an empty
// date or datetime.
func order(k ekind, x, y any) (int, bool) {
	switch k {
	case kNumber:
		a, ok1 := num(x)
		b, ok2 := num(y)
		if !ok1 || !ok2 {
			return 0, false
		}
		return a.Cmp(b), true
	case kText:
		return strings.Compare(text(x), text(y)), true
	case kDate:
		a, ok1 := x.(string)
		b, ok2 := y.(string)
		return strings.Compare(a, b), ok1 && ok2
	case kTime:
		a, ok1 := x.(time.Time)
		b, ok2 := y.(time.Time)
		return a.Compare(b), ok1 && ok2
	}
	return 0, false
}

// member reports whether x is one of the items of list.
func member(x, list any) bool {
	items, _ := list.([]any)
	for _, it := range items {
		if equal(x, it) {
			return true
		}
	}
	return false
}

// legacyBinary is a binary operator of an untyped expression: a string
// that reads as a decimal is a number.
func legacyBinary(n *enode, x, y any) (any, error) {
	switch n.op {
	case "+":
		xs, xok := x.(string)
		ys, yok := y.(string)
		if xok && yok && (!isDecimal(xs) || !isDecimal(ys)) {
			return xs + ys, nil
		}
		return arith(n, x, y)
	case "-", "*", "/":
		return arith(n, x, y)
	case "==":
		return equal(x, y), nil
	case "!=":
		return !equal(x, y), nil
	case "in":
		if _, ok := y.([]any); !ok {
			if y == nil {
				return false, nil
			}
			return nil, n.errf("expr.eval.type", "'in' needs a list on its right")
		}
		return member(x, y), nil
	}
	c, ok := compare(x, y)
	if !ok {
		return nil, n.errf("expr.eval.type", "%q cannot compare these values", n.op)
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	}
	return c >= 0, nil
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
		return x
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
	case time.Time:
		b, ok := y.(time.Time)
		return ok && a.Equal(b)
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

// compare orders two values of an untyped expression.
func compare(x, y any) (int, bool) {
	xs, xok := x.(string)
	ys, yok := y.(string)
	if xok && yok && (!isDecimal(xs) || !isDecimal(ys)) {
		return strings.Compare(xs, ys), true
	}
	if a, ok := x.(time.Time); ok {
		b, ok := y.(time.Time)
		return a.Compare(b), ok
	}
	a, ok1 := num(x)
	b, ok2 := num(y)
	if !ok1 || !ok2 {
		return 0, false
	}
	return a.Cmp(b), true
}

// exprCache keeps untyped compiled expressions by source.
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
