package demo

import (
	"context"
	"fmt"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/projects"
)

// The demo's supplementary requests (发补, PRJ-10) and escalations
// (PRJ-11): LF-2026-14, a formulation in its stability study with a 发补
// notice open — questions answered, linked and still open, the clock
// running — and, on LF-2026-01, a difficulty its topic meeting did not
// resolve, which the Technical Committee decided.

func init() {
	demoProjects = append(demoProjects, demoProject{"LF-2026-14", "盐酸二甲双胍缓释片", projects.KindFormulation, "格华止 Glucophage XR", "liuyang",
		[]string{"formulation", "analytical"}, "stability", []string{"mayue", "linna"},
		[]demoNode{{"处方工艺确认", -200, -121, "释放度", 12}, {"中试三批", -120, -61, "全检", 9}, {"长期稳定性考察", -60, 300, "长期稳定性", 8}},
		[]string{"wangjianguo", "lihua", "chenzhiqiang"}})
}

// SeedSupplements loads the demo's 发补 notice and escalation, once (a
// project that has them already is left alone). today is the current day
// in the institute's zone.
func SeedSupplements(ctx context.Context, ppl *people.Service, svc *projects.Service, eng *flow.Engine, today time.Time) error {
	as := func(username string) (domain.Actor, error) {
		p, err := ppl.PersonByUsername(ctx, username)
		if err != nil {
			return domain.Actor{}, fmt.Errorf("demo: %s: %w", username, err)
		}
		return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: "zh", Via: "system"}, nil
	}
	id := func(username string) int64 {
		p, _ := ppl.PersonByUsername(ctx, username)
		return p.ID
	}
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	// act approves the open task of username on instance in.
	act := func(username string, in int64, form map[string]any, comment string) error {
		a, err := as(username)
		if err != nil {
			return err
		}
		v, err := eng.Instance(ctx, a, in)
		if err != nil {
			return err
		}
		for _, t := range v.Tasks {
			if t.AssigneeID == a.ID && t.State == flow.TaskOpen {
				_, err := eng.Act(ctx, a, t.ID, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: comment, Form: form})
				return err
			}
		}
		return fmt.Errorf("demo: %s has no task on request %d", username, in)
	}

	hanmei, err := as("hanmei")
	if err != nil {
		return err
	}
	if sups, err := svc.Supplements(ctx, hanmei, "LF-2026-14"); err != nil {
		return err
	} else if len(sups) == 0 {
		sup, _, err := svc.RecordSupplement(ctx, hanmei, "LF-2026-14", projects.SupplementInput{Kind: "consistency", Number: "CDE 补字〔2026〕第0415号",
			Title: "盐酸二甲双胍缓释片一致性评价补充资料通知", NoticeDate: day(-25), Questions: []projects.QuestionInput{
				{Question: "请补充6个月长期稳定性数据及有关物质趋势分析。", OwnerID: id("linna"), DueOn: day(30)},
				{Question: "请说明释放度方法区分力研究的处方变更范围。", OwnerID: id("mayue"), DueOn: day(20)},
				{Question: "请补充有关物质方法中未知杂质的定位与限度依据。", OwnerID: id("linna"), DueOn: day(40)},
			}})
		if err != nil {
			return fmt.Errorf("demo: 发补 of LF-2026-14: %w", err)
		}
		v, err := svc.Supplement(ctx, hanmei, "LF-2026-14", sup.ID)
		if err != nil {
			return err
		}
		linna, err := as("linna")
		if err != nil {
			return err
		}
		mayue, err := as("mayue")
		if err != nil {
			return err
		}
		if _, err := svc.AnswerQuestion(ctx, linna, "LF-2026-14", sup.ID, v.Questions[0].ID, projects.AnswerInput{
			Answer: "已完成6个月长期稳定性考察（25℃/60%RH），有关物质无明显增长，趋势分析见稳定性报告。"}); err != nil {
			return err
		}
		// The answer rests on the signed plan's stability node: its
		// director links the plan's signing.
		director, err := as("liuyang")
		if err != nil {
			return err
		}
		d, err := svc.Get(ctx, director, "LF-2026-14")
		if err != nil {
			return err
		}
		if len(d.Revisions) > 0 && d.Revisions[0].InstanceID != 0 {
			if _, err := svc.LinkQuestion(ctx, director, "LF-2026-14", sup.ID, v.Questions[0].ID, projects.LinkInput{Kind: "instance",
				Ref: fmt.Sprint(d.Revisions[0].InstanceID)}); err != nil {
				return err
			}
		}
		if _, err := svc.AnswerQuestion(ctx, mayue, "LF-2026-14", sup.ID, v.Questions[1].ID, projects.AnswerInput{
			Answer: "区分力研究考察了缓释材料用量 ±10% 与粒径变化，说明附后。"}); err != nil {
			return err
		}
	}

	zhangwei, err := as("zhangwei")
	if err != nil {
		return err
	}
	if es, err := svc.Escalations(ctx, zhangwei, "LF-2026-01"); err != nil {
		return err
	} else if len(es) == 0 {
		// The director convenes the topic meeting the researcher asked for.
		director, err := as("chenzhiqiang")
		if err != nil {
			return err
		}
		_, meeting, err := svc.OpenEscalation(ctx, director, "LF-2026-01", projects.EscalationInput{Title: "关键中间体手性纯度达不到要求",
			Node: "小试工艺优化", Difficulty: "中间体 ee 值仅 96%，质量标准要求 ≥99.5%；三次重结晶未见改善。",
			HeldAt: day(-12) + "T14:00", Attendees: []int64{id("zhangwei"), id("wangfang"), id("chenzhiqiang"), id("guoqiang")},
			Minutes:  "讨论了重结晶溶剂体系调整、手性拆分与不对称催化三种方案；重结晶已试三轮，拆分与催化需改路线。",
			Decision: "部门内无法解决，提交技术委员会决定是否改路线。", Resolved: false})
		if err != nil {
			return fmt.Errorf("demo: escalation of LF-2026-01: %w", err)
		}
		if err := act("chenzhiqiang", meeting.ID, nil, "已分发"); err != nil {
			return err
		}
		es, err := svc.Escalations(ctx, zhangwei, "LF-2026-01")
		if err != nil || len(es) == 0 {
			return fmt.Errorf("demo: escalation of LF-2026-01: %v", err)
		}
		c, err := svc.ToCommittee(ctx, director, "LF-2026-01", es[0].ID, projects.CommitteeInput{
			Question: "是否由重结晶改为手性拆分路线，并相应增加拆分剂筛选节点？"})
		if err != nil {
			return err
		}
		if err := act("wangjianguo", c.ID, map[string]any{"decision": "同意改用手性拆分路线；增加“拆分剂筛选”节点，计划修订后重新签署。"}, "已记录决定"); err != nil {
			return err
		}
		for _, u := range []string{"wangjianguo", "lihua", "liuyang"} {
			if err := act(u, c.ID, nil, "同意"); err != nil {
				return err
			}
		}
	}
	return nil
}
