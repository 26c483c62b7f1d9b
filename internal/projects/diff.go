package projects

import (
	"strconv"
	"strings"
)

// Change is one difference between two plan revisions: the field (ip,
// key_points, total_tests, node NAME, reward STAGE) and its text before
// and after ("" where it was added or removed).
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Diff lists what changed from plan a to plan b: the top-level texts, each
// node by name (its dates, what it serves and its tests), each reward by
// stage.
func Diff(a, b Plan) []Change {
	out := []Change{}
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("ip", a.IP, b.IP)
	add("key_points", a.KeyPoints, b.KeyPoints)
	add("total_tests", strconv.Itoa(a.TotalTests), strconv.Itoa(b.TotalTests))
	nodes := func(p Plan) (map[string]string, []string) {
		m, order := map[string]string{}, []string{}
		for _, n := range p.Nodes {
			m[n.Name] = nodeText(n)
			order = append(order, n.Name)
		}
		return m, order
	}
	an, aOrder := nodes(a)
	bn, bOrder := nodes(b)
	for _, name := range bOrder {
		add("node "+name, an[name], bn[name])
	}
	for _, name := range aOrder {
		if _, ok := bn[name]; !ok {
			add("node "+name, an[name], "")
		}
	}
	rewards := func(p Plan) (map[string]string, []string) {
		m, order := map[string]string{}, []string{}
		for _, r := range p.Rewards {
			m[r.Stage] = rewardText(r)
			order = append(order, r.Stage)
		}
		return m, order
	}
	ar, arOrder := rewards(a)
	br, brOrder := rewards(b)
	for _, st := range brOrder {
		add("reward "+st, ar[st], br[st])
	}
	for _, st := range arOrder {
		if _, ok := br[st]; !ok {
			add("reward "+st, ar[st], "")
		}
	}
	return out
}

// nodeText is a node in one line: "2026-03-02 – 2026-04-30; HPLC ×6, GC ×2".
func nodeText(n Node) string {
	var b strings.Builder
	b.WriteString(n.Start + " – " + n.End)
	if n.Serves != "" {
		b.WriteString(" → " + n.Serves)
	}
	b.WriteString("; ")
	for i, t := range n.Tests {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.Item + " ×" + strconv.Itoa(t.Count))
	}
	return b.String()
}

// rewardText is a reward in one line: "50000.00; #12 60%, #13 40%".
func rewardText(r Reward) string {
	var b strings.Builder
	b.WriteString(r.Amount)
	for i, s := range r.Shares {
		if i == 0 {
			b.WriteString("; ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString("#" + strconv.FormatInt(s.PersonID, 10) + " " + strconv.Itoa(s.Percent) + "%")
	}
	return b.String()
}
