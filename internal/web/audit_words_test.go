package web_test

import (
	"strings"
	"testing"
)

// Ensure the audit page speaks in people's words (issue 9 item 5; R1):
// actions, records and fields by name, departments and roles by their
// names instead of ids and keys; sign-ins have their own tab.
func TestR1_AuditPageInPeoplesWords(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, "admin")
	body := e.do(t, c, "GET", "/admin/audit?entity=person", nil, nil).body
	table := between(body, `id="history"`, `</table>`)
	for _, want := range []string{"新建人员", "人员 张伟", "部门", "合成部", "研究员"} {
		if !strings.Contains(table, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	for _, raw := range []string{"person.create", "department_id", "researcher@"} {
		if strings.Contains(table, raw) {
			t.Errorf("the audit page shows the stored %q", raw)
		}
	}
	sec := e.do(t, c, "GET", "/admin/audit?action=auth.", nil, nil).body
	if !strings.Contains(sec, `id="tab-security" class="on"`) && !strings.Contains(sec, `class="on" aria-current="page" id="tab-security"`) {
		t.Errorf("the security tab is not marked: %s", between(sec, `id="audit-tabs"`, `</nav>`))
	}
	if tbl := between(sec, `id="history"`, `</table>`); !strings.Contains(tbl, "登录") || strings.Contains(tbl, "新建人员") {
		t.Errorf("the security tab: %s", tbl)
	}
}
