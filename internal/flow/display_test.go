package flow_test

import (
	"strings"
	"testing"

	"labflow/internal/flow"
)

// Ensure a list title's text and references split as written, and that
// lint names the key and the problem of a title or summary that names
// what the form lacks (issue 9).
func TestListTitle_ParseAndLint(t *testing.T) {
	parts, err := flow.ParseListTitle("{category} · ¥{total} · {initiator}")
	if err != nil || len(parts) != 5 || parts[0].Ref != "category" || parts[1].Text != " · ¥" || parts[4].Ref != "initiator" {
		t.Fatalf("parts %+v, %v", parts, err)
	}
	for _, bad := range []string{"{total", "total}", "{}", "{a{b}}"} {
		if _, err := flow.ParseListTitle(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	const def = `key: lt
title: {zh: 标题, en: Title}
form:
  - {key: total, label: {zh: 合计, en: Total}, type: money}
  - key: items
    label: {zh: 明细, en: Items}
    type: table
    columns: [{key: name, label: {zh: 名称, en: Name}, type: text}]
steps:
  - {id: a, title: {zh: 甲, en: A}, assignee: {role: gm}}
`
	for extra, want := range map[string]string{
		`list_title: "{totl}"`:            `list_title: unknown field "totl"`,
		`list_title: "{items}"`:           `is a table: name one of its columns`,
		`list_title: "{total"`:            `list_title: a { without its }`,
		"summary: [items.price]":          `summary[0]: table "items" has no column "price"`,
		"summary: [total.x]":              `summary[0]: "total" is not a table`,
		`list_title: "{items.name} {id}"`: "",
	} {
		_, err := flow.Parse("lt.yaml", []byte(def+extra+"\n"), flow.NewRegistry())
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", extra, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want %q", extra, err, want)
		}
	}
}
