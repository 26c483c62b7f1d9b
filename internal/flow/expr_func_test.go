package flow

import (
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"
)

// shanghai is the institute's zone in these tests (UTC+8, no daylight saving).
var shanghai = time.FixedZone("CST", 8*3600)

// holidayCalendar is Monday to Friday except the days listed.
type holidayCalendar map[string]bool

func (h holidayCalendar) IsWorkday(d time.Time) bool {
	return WeekdayCalendar{}.IsWorkday(d) && !h[d.Format(time.DateOnly)]
}

func (h holidayCalendar) AddWorkdays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if h.IsWorkday(t) {
			n--
		}
	}
	return t
}

func (h holidayCalendar) WorkdaysBetween(a, b time.Time) int {
	n := 0
	for d := a; d.Format(time.DateOnly) < b.Format(time.DateOnly); d = d.AddDate(0, 0, 1) {
		if h.IsWorkday(d) {
			n++
		}
	}
	return n
}

// fakeLookup answers the engine's functions for the unit tests.
type fakeLookup struct {
	since time.Time // the window count_instances was asked for
	asked string
}

func (*fakeLookup) DepartmentOf(id int64) (int64, error) {
	if id == 5 {
		return 20, nil
	}
	return 0, nil
}

func (*fakeLookup) DirectorOf(dept int64) (int64, error) {
	if dept == 20 {
		return 9, nil
	}
	return 0, nil
}

func (*fakeLookup) Person(id int64, on string) (PersonFacts, error) {
	if id != 5 {
		return PersonFacts{}, nil
	}
	if on < "2024-01-01" {
		return PersonFacts{Rank: "researcher_b", RankSince: "2022-01-01", HiredOn: "2020-03-01"}, nil
	}
	return PersonFacts{Rank: "researcher_a", RankSince: "2024-01-01", HiredOn: "2020-03-01"}, nil
}

func (l *fakeLookup) CountInstances(def, field string, v any, since time.Time) (int, error) {
	l.since, l.asked = since, def+"/"+field+"="+FormatDecimal(v.(*big.Rat))
	return 2, nil
}

func (*fakeLookup) InUse(field string, v any) (bool, error) {
	r, ok := v.(*big.Rat)
	return field == "mentor" && ok && r.Cmp(big.NewRat(6, 1)) == 0, nil
}

func (*fakeLookup) CompletedAt(step string) (time.Time, bool) {
	if step == "review" {
		return time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

// Ensure every function of the language does what docs/DEFINITIONS.md
// says: each has cases here (a function without them fails the test), run
// typed against a form, with the institute's zone (UTC+8), a calendar with
// a holiday and the engine's lookups.
func TestExprFunctions(t *testing.T) {
	d := typesDef()
	now := time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC) // 2026-01-06 01:00 in Shanghai
	look := &fakeLookup{}
	rt := &exprRT{now: now, loc: shanghai, cal: holidayCalendar{"2026-01-07": true}, look: look}
	env := map[string]any{
		"title": "样品", "amount": json.Number("5000"), "budget": "0.00",
		"day": "2026-01-05", "end_day": "2026-02-04",
		"booked_at": "2026-01-05T09:00", "received_at": "2026-01-05T01:30:30Z", // 09:30:30 in Shanghai
		"approver": int64(5), "mentor": int64(6), "tags": []string{"x"},
		"items": []map[string]any{
			{"q": json.Number("11"), "p": "0.10", "sub": "1.10", "who": int64(5), "on": "2026-01-06"},
			{"q": json.Number("3"), "p": "33.33", "sub": "99.99", "on": "2026-01-02"},
		},
	}
	cases := map[string][]struct {
		src  string
		want string
	}{
		"sum":   {{"sum(items.sub)", "101.09"}, {"sum(items.q) * 2", "28"}},
		"len":   {{"len(title)", "2"}, {"len(items)", "2"}, {"len(tags)", "1"}, {"len(note)", "0"}},
		"min":   {{"min(3, amount, 2.5)", "2.5"}, {"min(items.q)", "3"}, {"min(day, end_day)", "2026-01-05"}, {"min(items.on)", "2026-01-02"}},
		"max":   {{"max(items.sub)", "99.99"}, {"max(day, '2026-03-01', end_day)", "2026-03-01"}, {"max(booked_at, received_at) == received_at", "true"}},
		"abs":   {{"abs(-2.5)", "2.5"}, {"abs(budget - amount)", "5000"}},
		"round": {{"round(2.345, 2)", "2.35"}, {"round(-2.5)", "-3"}, {"round(1 / 3, 6)", "0.333333"}, {"round(amount / 3, 2)", "1666.67"}},
		"if":    {{"if(amount > 1, 'big', 'small')", "big"}, {"if(budget == 0, 0, amount / budget)", "0"}},
		"count": {{"count(items, q > 10)", "1"}, {"count(items, who == approver)", "1"}, {"count(items, on >= day && q > 1)", "1"}, {"count(nothing_here, q > 1)", "0"}},
		"empty": {{"empty(booked_at)", "false"}, {"empty(dept)", "true"}, {"empty(note)", "true"}, {"empty(tags)", "false"}},
		"date":  {{"date(received_at)", "2026-01-05"}, {"date('2026-01-05T17:30:00Z')", "2026-01-06"}},
		"today": {{"today()", "2026-01-06"}},
		"now":   {{"minutes_between(now(), '2026-01-06T01:30')", "30"}, {"now() > received_at", "true"}},
		"days_between": {{"days_between(day, end_day)", "30"}, {"days_between(received_at, now())", "1"},
			{"days_between(end_day, day)", "-30"}, {"days_between(day, missing_day) + 1", "1"},
			{"days_between('0001-01-01', '9999-12-31')", "3652058"}},
		"minutes_between": {{"minutes_between(booked_at, received_at)", "30.5"}, {"minutes_between(booked_at, received_at) > 30", "true"},
			{"minutes_between(received_at, booked_at)", "-30.5"}, {"minutes_between(day, booked_at)", "540"},
			{"minutes_between('0001-01-01', '9999-12-31')", "5258963520"}},
		"workdays_between": {{"workdays_between(day, '2026-01-12')", "4"}, {"workdays_between(day, end_day)", "21"}},
		"add_days":         {{"add_days(day, 3)", "2026-01-08"}, {"add_days(day, -5)", "2025-12-31"}, {"date(add_days(booked_at, 1))", "2026-01-06"}},
		"add_workdays":     {{"add_workdays(day, 1)", "2026-01-06"}, {"add_workdays(day, 2)", "2026-01-08"}, {"add_workdays('2026-01-09', 1)", "2026-01-12"}},
		"completed_at": {{"completed_at('review') > booked_at", "true"}, {"minutes_between(booked_at, completed_at('review'))", "60"},
			{"empty(completed_at('submit'))", "true"}},
		"department_of":   {{"department_of(approver)", "20"}, {"department_of(mentor)", "0"}},
		"director_of":     {{"director_of(department_of(approver))", "9"}},
		"rank_of":         {{"rank_of(approver)", "researcher_a"}, {"rank_of(approver) in ['researcher_a', 'senior_b']", "true"}},
		"rank_since":      {{"rank_since(approver)", "2024-01-01"}, {"days_between(rank_since(approver), today()) >= 365", "true"}},
		"hired_on":        {{"hired_on(approver)", "2020-03-01"}, {"empty(hired_on(mentor))", "true"}},
		"count_instances": {{"count_instances('service-complaint', 'person', approver, 30)", "2"}},
		"in_use":          {{"in_use('mentor', mentor)", "true"}, {"in_use('mentor', approver)", "false"}},
	}
	for name := range exprFuncs {
		if len(cases[name]) == 0 {
			t.Errorf("function %s has no test cases", name)
		}
	}
	d.Form = append(d.Form, Field{Key: "nothing_here", Label: Text{ZH: "x", EN: "x"}, Type: FieldTable,
		Columns: []Field{{Key: "q", Label: Text{ZH: "q", EN: "q"}, Type: FieldNumber}}},
		Field{Key: "missing_day", Label: Text{ZH: "x", EN: "x"}, Type: FieldDate})
	for name, cs := range cases {
		t.Run(name, func(t *testing.T) {
			for _, c := range cs {
				e := mustCompile(t, c.src)
				if err := e.check(d.scope(placeCond, ""), tAny); err != nil {
					t.Fatalf("%s: %v", c.src, err)
				}
				v, err := e.eval(env, rt)
				if err != nil {
					t.Fatalf("%s: %v", c.src, err)
				}
				if got := show(v); got != c.want {
					t.Errorf("%s = %q, want %q", c.src, got, c.want)
				}
			}
		})
	}
	if look.asked != "service-complaint/person=5" || !look.since.Equal(now.AddDate(0, 0, -30)) {
		t.Errorf("count_instances asked %s since %s", look.asked, look.since)
	}
}

// show renders a value for comparison.
func show(v any) string {
	switch x := v.(type) {
	case *big.Rat:
		return FormatDecimal(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case nil:
		return ""
	}
	return "?"
}

// Ensure the engine's functions are refused where they cannot be
// answered (no lookups: outside step and branch conditions), and bad
// arguments at run time name their message.
func TestExprFunctions_RunTimeRefusals(t *testing.T) {
	d := typesDef()
	for _, c := range []struct {
		src, key string
		look     Lookup
	}{
		{"in_use('mentor', mentor)", "expr.eval.engine_only", nil},
		{"round(amount, budget) > 0", "expr.eval.bad_places", nil},
		{"add_days(day, amount) > day", "expr.eval.bad_days", nil},
		{"add_workdays(day, 0.5) > day", "expr.eval.bad_days", nil},
		{"workdays_between('1900-01-01', day) > 0", "expr.eval.too_far", nil},
		{"count_instances('xy', 'mentor', mentor, amount) > 0", "expr.eval.bad_days", &fakeLookup{}},
	} {
		e := mustCompile(t, c.src)
		if err := e.check(d.scope(placeCond, ""), tAny); err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		_, err := e.eval(map[string]any{"mentor": int64(6), "amount": json.Number("99999"), "budget": "7.00", "day": "2026-01-05"}, &exprRT{look: c.look})
		ee, ok := err.(*ExprError)
		if !ok || ee.Key != c.key {
			t.Errorf("%s: err = %v, want %s", c.src, err, c.key)
		}
	}
}

// Ensure every function is documented in docs/DEFINITIONS.md (in its
// table of functions), with where it may be used.
func TestExprFunctions_Documented(t *testing.T) {
	guide, err := os.ReadFile("../../docs/DEFINITIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	where := map[exprNeed]string{needNothing: "| all |", needClock: "| not computed |", needEngine: "| conditions |"}
	for name, spec := range exprFuncs {
		var row string
		for _, line := range strings.Split(string(guide), "\n") {
			if strings.HasPrefix(line, "| `"+name+"(") || strings.Contains(line, ", `"+name+"(") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("function %s is not in the guide's table of functions", name)
		} else if !strings.Contains(row, where[spec.need]) {
			t.Errorf("function %s: the guide does not say it is for %s", name, where[spec.need])
		}
	}
}
