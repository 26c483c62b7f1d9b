package flow

import (
	"math/big"
	"time"
	"unicode/utf8"
)

// This file evaluates the functions of expressions (their types are in
// expr_check.go, their documentation in docs/DEFINITIONS.md).

func (x *evalCtx) call(n *enode) (any, error) {
	name := n.val.(string)
	switch name {
	case "if": // only the branch taken is evaluated: if(qty == 0, 0, total / qty)
		c, err := x.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		b, ok := truth(c)
		if !ok {
			return nil, n.errf("expr.eval.type", "if needs a condition first")
		}
		if b {
			return x.eval(n.args[1])
		}
		return x.eval(n.args[2])
	case "count":
		return x.count(n)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := x.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	loc := x.rt.zone()
	switch name {
	case "sum":
		total := new(big.Rat)
		for _, it := range items(args[0]) {
			r, ok := num(it)
			if !ok {
				return nil, n.errf("expr.eval.type", "sum needs numbers")
			}
			total.Add(total, r)
		}
		return total, nil
	case "len":
		switch v := args[0].(type) {
		case nil:
			return new(big.Rat), nil
		case string:
			return new(big.Rat).SetInt64(int64(utf8.RuneCountInString(v))), nil
		case []any:
			return new(big.Rat).SetInt64(int64(len(v))), nil
		case []map[string]any:
			return new(big.Rat).SetInt64(int64(len(v))), nil
		}
		return nil, n.errf("expr.eval.type", "len needs text or a list")
	case "min", "max":
		vals := args
		if len(args) == 1 {
			vals = items(args[0])
		}
		var best any
		for _, v := range vals {
			if v == nil {
				continue
			}
			if best == nil {
				best = v
				continue
			}
			c, ok := order(n.t.kind, v, best)
			if n.t.kind == kAny {
				c, ok = compare(v, best)
			}
			if !ok {
				return nil, n.errf("expr.eval.type", "%s cannot compare these values", name)
			}
			if name == "min" && c < 0 || name == "max" && c > 0 {
				best = v
			}
		}
		if s, ok := best.(string); ok && n.t.kind == kAny && isDecimal(s) {
			return ParseDecimal(s)
		}
		return best, nil
	case "abs":
		r, ok := num(args[0])
		if !ok {
			return nil, n.errf("expr.eval.type", "abs needs a number")
		}
		return new(big.Rat).Abs(r), nil
	case "round":
		r, ok := num(args[0])
		if !ok {
			return nil, n.errf("expr.eval.type", "round needs a number")
		}
		places := int64(0)
		if len(args) == 2 {
			p, ok := whole(args[1], 0, maxNumberPlaces)
			if !ok {
				return nil, n.args[1].errf("expr.eval.bad_places", "round keeps 0 to %d decimal places", maxNumberPlaces)
			}
			places = p
		}
		out, _ := new(big.Rat).SetString(r.FloatString(int(places))) // half away from zero (四舍五入)
		return out, nil
	case "empty":
		return isEmpty(args[0]) || isEmptyRows(args[0]), nil
	case "date":
		if args[0] == nil {
			return nil, nil
		}
		d, ok := valueDay(args[0], loc)
		if !ok {
			return nil, n.errf("expr.eval.bad_value", "date needs a datetime")
		}
		return d.Format(time.DateOnly), nil
	case "today":
		return dateText(x.rt.clock(), loc), nil
	case "now":
		return x.rt.clock(), nil
	case "days_between":
		if args[0] == nil || args[1] == nil {
			return nil, nil
		}
		a, ok1 := valueDay(args[0], loc)
		b, ok2 := valueDay(args[1], loc)
		if !ok1 || !ok2 {
			return nil, n.errf("expr.eval.bad_value", "days_between needs two dates")
		}
		return new(big.Rat).SetInt64(daysApart(a, b)), nil
	case "minutes_between", "workdays_between":
		if args[0] == nil || args[1] == nil {
			return nil, nil
		}
		a, ok1 := toTime(args[0], loc)
		b, ok2 := toTime(args[1], loc)
		if !ok1 || !ok2 {
			return nil, n.errf("expr.eval.bad_value", "%s needs two dates or datetimes", name)
		}
		if name == "minutes_between" {
			return minutes(a, b), nil
		}
		if d := b.Unix() - a.Unix(); d > maxSpanDays*86400 || d < -maxSpanDays*86400 {
			return nil, n.errf("expr.eval.too_far", "workdays_between counts at most %d days", maxSpanDays)
		}
		return new(big.Rat).SetInt64(int64(x.rt.calendar().WorkdaysBetween(a.In(loc), b.In(loc)))), nil
	case "add_days", "add_workdays":
		if args[0] == nil {
			return nil, nil
		}
		days, ok := whole(args[1], -maxWindowDays, maxWindowDays)
		if !ok {
			return nil, n.args[1].errf("expr.eval.bad_days", "%s moves a whole number of days, at most %d", name, maxWindowDays)
		}
		t, ok := toTime(args[0], loc)
		if !ok {
			return nil, n.errf("expr.eval.bad_value", "%s needs a date or a datetime", name)
		}
		t = t.In(loc)
		if name == "add_days" {
			t = t.AddDate(0, 0, int(days))
		} else {
			t = x.rt.calendar().AddWorkdays(t, int(days))
		}
		if s, isText := args[0].(string); isText && len(s) == 10 {
			return t.Format(time.DateOnly), nil // a date stays a date
		}
		return t, nil
	}
	return x.lookup(n, name, args)
}

// lookup evaluates the functions that ask the engine: the organisation,
// other instances and this instance's history (step and branch
// conditions only).
func (x *evalCtx) lookup(n *enode, name string, args []any) (any, error) {
	l := x.rt.lookup()
	if l == nil {
		return nil, n.errf("expr.eval.engine_only", "%s is available in step and branch conditions only", name)
	}
	id := func() (int64, error) {
		if args[0] == nil {
			return 0, nil
		}
		v, ok := whole(args[0], 0, 1<<62)
		if !ok {
			return 0, n.errf("expr.eval.bad_value", "%s needs an id", name)
		}
		return v, nil
	}
	switch name {
	case "completed_at":
		s, _ := args[0].(string)
		if t, ok := l.CompletedAt(s); ok {
			if t.IsZero() {
				return x.rt.clock(), nil // completed by the change being made now
			}
			return t, nil
		}
		return nil, nil
	case "department_of", "director_of":
		v, err := id()
		if err != nil || v == 0 {
			return new(big.Rat), err
		}
		var out int64
		if name == "department_of" {
			out, err = l.DepartmentOf(v)
		} else {
			out, err = l.DirectorOf(v)
		}
		if err != nil {
			return nil, err
		}
		return new(big.Rat).SetInt64(out), nil
	case "rank_of", "rank_since", "hired_on":
		v, err := id()
		if err != nil || v == 0 {
			return nil, err
		}
		f, err := l.Person(v, dateText(x.rt.clock(), x.rt.zone()))
		if err != nil {
			return nil, err
		}
		var s string
		switch name {
		case "rank_of":
			s = f.Rank
		case "rank_since":
			s = f.RankSince
		default:
			s = f.HiredOn
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case "count_instances":
		key, _ := args[0].(string)
		field, _ := args[1].(string)
		days, ok := whole(args[3], 1, maxWindowDays)
		if !ok {
			return nil, n.args[3].errf("expr.eval.bad_days", "count_instances looks back 1 to %d days", maxWindowDays)
		}
		if args[2] == nil {
			return new(big.Rat), nil
		}
		since := x.rt.clock().Add(-time.Duration(days) * 24 * time.Hour)
		c, err := l.CountInstances(key, field, args[2], since)
		if err != nil {
			return nil, err
		}
		return new(big.Rat).SetInt64(int64(c)), nil
	case "in_use":
		field, _ := args[0].(string)
		if args[1] == nil {
			return false, nil
		}
		return l.InUse(field, args[1])
	}
	return nil, n.errf("expr.eval.type", "unknown function %q", name)
}

// count counts the rows of a table on which the condition holds; the
// condition reads the row's columns by their keys.
func (x *evalCtx) count(n *enode) (any, error) {
	tv, err := x.eval(n.args[0])
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	switch v := tv.(type) {
	case []map[string]any:
		rows = v
	case []any:
		rows, _ = tableRows(v)
	}
	inner := &evalCtx{env: x.env, rt: x.rt}
	c := int64(0)
	for _, r := range rows {
		inner.row = r
		v, err := inner.eval(n.args[1])
		if err != nil {
			return nil, err
		}
		b, ok := truth(v)
		if !ok {
			return nil, n.errf("expr.eval.type", "count needs a condition on each row")
		}
		if b {
			c++
		}
	}
	return new(big.Rat).SetInt64(c), nil
}

// items are the items of a list value (none for nil, the value itself for
// one value).
func items(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

func isEmptyRows(v any) bool {
	rows, ok := v.([]map[string]any)
	return ok && len(rows) == 0
}

// whole reads a number that must be whole and within [lo, hi].
func whole(v any, lo, hi int64) (int64, bool) {
	r, ok := num(v)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	n := r.Num().Int64()
	return n, n >= lo && n <= hi
}
