package notify_test

import (
	"strings"
	"testing"

	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/notify"
)

// Ensure every notice names its request, title and number, and says what it
// knows — who, the step, the reason, the outcome — in the reader's
// language; an unknown kind still names the request (issue 9 item 4).
func TestNotice_TextNamesRequestAndDecision(t *testing.T) {
	n := func(kind string, args map[string]any) flow.Notification {
		a := map[string]any{"title": "采购申请 · 试剂"}
		for k, v := range args {
			a[k] = v
		}
		return flow.Notification{Kind: kind, InstanceID: 42, Args: a}
	}
	cases := []struct {
		n         flow.Notification
		lang      string
		want, not []string
	}{
		{n("step_approved", map[string]any{"by": "陈志强", "step": "部门总监审批", "step_en": "Director"}), i18n.ZH,
			[]string{"已同意", "采购申请 · 试剂 #42", "部门总监审批", "陈志强"}, []string{"{"}},
		{n("step_approved", map[string]any{"by": "陈志强", "step": "部门总监审批", "step_en": "Director"}), i18n.EN,
			[]string{"Approved at a step", "采购申请 · 试剂 #42", "Director", "by 陈志强"}, []string{"部门总监审批", "{"}},
		{n("rejected", map[string]any{"by": "李华", "reason": "预算不足"}), i18n.ZH, []string{"已拒绝", "#42", "李华", "理由：预算不足"}, nil},
		{n("returned", map[string]any{"by": "李华", "reason": "型号？"}), i18n.EN, []string{"Returned to you", "#42", "reason: 型号？"}, nil},
		{n("urged", map[string]any{"by": "张伟", "comment": "请尽快"}), i18n.ZH, []string{"催办", "#42", "张伟", "请尽快"}, nil},
		{n("approved", map[string]any{"outcome": "转正", "outcome_en": "Confirmed"}), i18n.EN, []string{"Approved", "#42", "outcome: Confirmed"}, nil},
		{n("task", nil), i18n.ZH, []string{"新待办：采购申请 · 试剂 #42"}, []string{"（"}},
		{n("something_new", nil), i18n.EN, []string{"#42"}, []string{"notice."}},
	}
	for _, c := range cases {
		got := notify.Text(c.lang, c.n)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s/%s: %q lacks %q", c.n.Kind, c.lang, got, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(got, w) {
				t.Errorf("%s/%s: %q contains %q", c.n.Kind, c.lang, got, w)
			}
		}
	}
	m := notify.Render(i18n.ZH, n("task", map[string]any{"step": "审批"}), "张伟", "https://labflow.example/")
	if !strings.Contains(m.Body, "致 张伟") || !strings.Contains(m.Body, "https://labflow.example/instances/42") || strings.Contains(m.Subject, "\n") {
		t.Fatalf("message %+v", m)
	}
}
