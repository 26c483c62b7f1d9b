package demo

import (
	"context"
	"fmt"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/projects"
)

// The demo's experiments (issue 10; SPEC EXP-1..4) on LF-2026-01, mid lab
// scale: a reaction step whose sample failed, the director's cause
// analysis and next plan, and the re-test (复检) that references it and
// passed, with its experience note; a step in progress; an
// analytical-plan change the analytical director approved; and a
// pre-check waiting for chenzhiqiang.

// demoStep is one pre-check of the demo and what became of it.
type demoStep struct {
	researcher, node, step, materials string
	// approve: the director approves; start, report and decide follow
	// when their values are set.
	approve  bool
	start    bool
	retest   bool // a re-test of the previous failed step
	result   string
	tests    int
	report   string
	decision string
	note     string
	nextPlan string
}

var demoSteps = []demoStep{
	{"zhangwei", "小试工艺优化", "第二步：中间体 II 与 4-碘苯胺缩合，DMF/K2CO3，80 ℃，6 h", "中间体 II 50 g；4-碘苯胺 42 g；K2CO3 55 g；DMF 300 mL",
		true, true, false, projects.ResultFailed, 2, "收率 71%；有关物质：杂质 B 0.35%（限度 0.15%），不合格",
		"暂停放大，按下一步方案复检", "反应温度偏高、加料过快，局部过热使杂质 B 升高；DMF 含水 0.3% 亦有影响", "内温控制在 60–65 ℃；4-碘苯胺分三批加入；DMF 使用前干燥至含水 < 0.05%"},
	{"zhangwei", "小试工艺优化", "第二步复检：60–65 ℃ 分批加料，DMF 干燥处理", "中间体 II 50 g；4-碘苯胺 42 g（分三批）；K2CO3 55 g；干燥 DMF 300 mL",
		true, true, true, projects.ResultPassed, 3, "收率 84%；杂质 B 0.08%，合格",
		"进入第三步，按此条件准备三批放大", "分批加料并控温 60–65 ℃ 可将杂质 B 控制在 0.1% 以下；DMF 含水是关键控制点", ""},
	{"wangfang", "小试工艺优化", "第三步：粗品重结晶（乙醇/水 3:1）", "第二步产物 40 g；无水乙醇 240 mL；纯化水 80 mL",
		true, true, false, "", 0, "", "", "", ""},
	{"guoqiang", "质量研究", "有关物质方法：流动相由乙腈-水改为乙腈-0.02 mol/L 磷酸二氢钾（pH 3.0），以分离杂质 B 与主峰", "杂质 B 对照品；C18 色谱柱 250 mm × 4.6 mm",
		true, false, false, "", 0, "", "", "", ""},
	{"zhangwei", "小试三批放大", "第一批放大：第二步缩合 500 g 规模", "中间体 II 500 g；4-碘苯胺 420 g；干燥 DMF 3 L",
		false, false, false, "", 0, "", "", "", ""},
}

// seedExperiments files the demo's pre-checks and experiments on
// LF-2026-01, once (nothing when the project has pre-checks already).
func seedExperiments(ctx context.Context, ppl *people.Service, svc *projects.Service, eng *flow.Engine) error {
	const code = "LF-2026-01"
	as := func(username string) (domain.Actor, error) {
		p, err := ppl.PersonByUsername(ctx, username)
		if err != nil {
			return domain.Actor{}, fmt.Errorf("demo: %s: %w", username, err)
		}
		return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: "zh", Via: "system"}, nil
	}
	director, err := as("chenzhiqiang")
	if err != nil {
		return err
	}
	if pcs, err := svc.Prechecks(ctx, director, code); err != nil || len(pcs) > 0 {
		return err
	}
	var failed int64
	for i, ds := range demoSteps {
		who, err := as(ds.researcher)
		if err != nil {
			return err
		}
		in := projects.PrecheckInput{Node: ds.node, Step: ds.step, PlannedOn: svc.Today(), Materials: ds.materials}
		if who.Has(domain.RoleAnalyst) {
			in.Checks = projects.PrecheckItems[projects.AnalyticalChangeKind]
		} else {
			in.Checks = projects.PrecheckItems[projects.PrecheckKind]
		}
		pc, inst, err := svc.FilePrecheck(ctx, who, code, in)
		if err != nil {
			return fmt.Errorf("demo: pre-check %d: %w", i+1, err)
		}
		if !ds.approve {
			continue
		}
		approver := director
		if who.Has(domain.RoleAnalyst) {
			if approver, err = as("sunli"); err != nil {
				return err
			}
		}
		if len(inst.Tasks) == 0 {
			return fmt.Errorf("demo: pre-check %d has no task", i+1)
		}
		if _, err := eng.Act(ctx, approver, inst.Tasks[0].ID, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: "同意，注意安全"}); err != nil {
			return fmt.Errorf("demo: pre-check %d approval: %w", i+1, err)
		}
		if !ds.start {
			continue
		}
		st := projects.StartExperimentInput{PrecheckID: pc.ID}
		if ds.retest {
			st.RetestOf = failed
		}
		x, err := svc.StartExperiment(ctx, who, code, st)
		if err != nil {
			return fmt.Errorf("demo: experiment %d: %w", i+1, err)
		}
		if ds.report == "" {
			continue
		}
		if _, err := svc.ReportExperiment(ctx, who, code, x.ID, projects.ReportInput{Result: ds.result, TestsUsed: ds.tests, Report: ds.report}); err != nil {
			return fmt.Errorf("demo: report %d: %w", i+1, err)
		}
		if _, err := svc.DecideExperiment(ctx, director, code, x.ID, projects.DecisionInput{Decision: ds.decision, Note: ds.note, NextPlan: ds.nextPlan}); err != nil {
			return fmt.Errorf("demo: decision %d: %w", i+1, err)
		}
		if ds.result == projects.ResultFailed {
			failed = x.ID
		}
	}
	return nil
}
