package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"labflow/internal/attach"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/projects"
)

// The demo's initiations, routes, kick-off reports and original records
// (issue 10; SPEC DIR-2, PRJ-1, DIR-6, PRJ-8): LF-2026-01 and 02 have
// candidate routes, the chosen one and a signed kick-off report (filed
// before their plans); LF-2026-03 went through its initiation (every
// department's report, the GM's go) first; LF-2026-13 is just initiated,
// its feasibility reports partly filed; LF-2026-01 has a register of
// original records with a signed and an unsigned entry.

// demoRoute is a candidate route; chosen marks the one the director picks.
type demoRoute struct {
	kind, title, description, literature, patents string
	chosen                                        bool
}

var demoRoutes = map[string][]demoRoute{
	"LF-2026-01": {
		{projects.RouteSynthesis, "路线A：对硝基苯胺起始，六步", "以对硝基苯胺为起始物料，经酰化、环合、还原、缩合等六步得到阿哌沙班。",
			"J. Med. Chem. 2007, 50, 5339；CN101065379A", "化合物专利已过期；晶型专利 CN1023xxxx 需规避 N-1 晶型。", true},
		{projects.RouteSynthesis, "路线B：对碘苯胺起始，五步", "以对碘苯胺为起始物料，Ullmann 偶联构建内酰胺，五步。",
			"Org. Process Res. Dev. 2013, 17, 1237", "偶联工艺专利有效期至 2029 年。", false},
		{projects.RouteAnalytical, "HPLC 有关物质方法（C18，梯度）", "参考 EP 草案建立有关物质方法，需验证专属性与灵敏度。", "EP 草案；USP Pending Monograph", "", true},
	},
	"LF-2026-02": {
		{projects.RouteFormulation, "处方一：湿法制粒", "微晶纤维素/乳糖/交联羧甲纤维素钠，湿法制粒压片，薄膜包衣。", "参比制剂说明书；FDA 审评报告", "", true},
		{projects.RouteFormulation, "处方二：粉末直压", "直压辅料，工艺简单；流动性与含量均匀度风险较高。", "同上", "直压工艺无专利障碍。", false},
	},
	"LF-2026-12": {
		{projects.RouteSynthesis, "路线A：经手性萘基胺拆分", "以 1-萘酚为起始物料，醚化、胺化后以酒石酸拆分得到 (S)-异构体，成盐。", "Org. Process Res. Dev. 2008, 12, 1094", "化合物专利已过期。", true},
	},
	"LF-2026-14": {
		{projects.RouteFormulation, "处方一：亲水凝胶骨架缓释", "HPMC K100M 骨架，湿法制粒压片，释放度与参比多介质一致。", "参比制剂说明书；CDE 审评报告", "骨架缓释工艺无专利障碍。", true},
	},
	"LF-2026-03": {
		{projects.RouteSynthesis, "路线A：经吡咯并嘧啶中间体", "经 4-氯吡咯并嘧啶与手性哌啶胺偶联，拆分得到单一异构体。", "J. Med. Chem. 2010, 53, 8468", "化合物专利 2025 年到期。", true},
	},
}

// demoReports are the feasibility reports of the departments by code.
var demoReports = map[string]projects.FeasibilityInput{
	"synthesis": {Conclusion: "feasible", Feasibility: "文献路线成熟，关键中间体可外购。", Difficulty: "手性中心的构建与拆分。",
		Timeliness: "小试约 4 个月。"},
	"formulation": {Conclusion: "feasible_with_risks", Feasibility: "参比制剂可购得。", Difficulty: "溶出曲线与参比一致性。",
		Timeliness: "处方筛选约 3 个月。"},
	"analytical": {Conclusion: "feasible", Difficulty: "有关物质中手性杂质的分离。", Methods: "手性 HPLC；LC-MS 鉴定未知杂质。",
		Timeliness: "方法开发约 2 个月。"},
}

// demoActor is the demo person username as an actor.
func demoActor(ctx context.Context, ppl *people.Service, username string) (domain.Actor, error) {
	p, err := ppl.PersonByUsername(ctx, username)
	if err != nil {
		return domain.Actor{}, fmt.Errorf("demo: %s: %w", username, err)
	}
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: "zh", Via: "system"}, nil
}

// fileReports has the directors of the departments named file their
// feasibility reports on project code.
func fileReports(ctx context.Context, ppl *people.Service, svc *projects.Service, code string, directors map[string]string) error {
	for dept, username := range directors {
		d, err := demoActor(ctx, ppl, username)
		if err != nil {
			return err
		}
		if _, err := svc.FileReport(ctx, d, code, demoReports[dept]); err != nil {
			return fmt.Errorf("demo: %s's feasibility report on %s: %w", username, code, err)
		}
	}
	return nil
}

var demoDirectors = map[string]string{"synthesis": "chenzhiqiang", "formulation": "liuyang", "analytical": "sunli"}

// seedRoutes readies a demo project for its node plan: a project in
// initiation goes through it (every report, the GM's go), then the
// director files the candidate routes, chooses, and files and signs the
// kick-off report.
func seedRoutes(ctx context.Context, ppl *people.Service, svc *projects.Service, eng *flow.Engine, director domain.Actor, dp demoProject) error {
	if dp.stage == "initiation" {
		ds := map[string]string{}
		for _, d := range dp.departments {
			ds[d] = demoDirectors[d]
		}
		if err := fileReports(ctx, ppl, svc, dp.code, ds); err != nil {
			return err
		}
		f, err := svc.Feasibility(ctx, director, dp.code)
		if err != nil || f.Instance == nil {
			return fmt.Errorf("demo: initiation of %s: %v", dp.code, err)
		}
		gm, err := demoActor(ctx, ppl, "wangjianguo")
		if err != nil {
			return err
		}
		if err := actOn(ctx, eng, gm, f.Instance.ID, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: "同意立项",
			Form: map[string]any{"decision": "go", "reason": "各部门均认为可行，市场前景良好，同意立项。"}}); err != nil {
			return fmt.Errorf("demo: go on %s: %w", dp.code, err)
		}
	}
	var chosen []int64
	for _, r := range demoRoutes[dp.code] {
		route, err := svc.AddRoute(ctx, director, dp.code, projects.RouteInput{Kind: r.kind, Title: r.title, Description: r.description,
			Literature: r.literature, Patents: r.patents})
		if err != nil {
			return fmt.Errorf("demo: route of %s: %w", dp.code, err)
		}
		if r.chosen {
			chosen = append(chosen, route.ID)
		}
	}
	for _, id := range chosen {
		if _, err := svc.ChooseRoute(ctx, director, dp.code, id, projects.ChooseInput{Reason: "步骤短、原料易得、无专利障碍，收率与成本综合最优。"}); err != nil {
			return fmt.Errorf("demo: choosing the route of %s: %w", dp.code, err)
		}
	}
	if len(chosen) == 0 {
		return fmt.Errorf("demo: %s has no route to choose", dp.code)
	}
	kickRoute := chosen[0]
	_, inst, err := svc.FileKickoff(ctx, director, dp.code, projects.KickoffInput{RouteID: kickRoute,
		Summary: "确定路线、关键工艺参数与质量研究思路；节点与奖励方案随后报技术委员会。"})
	if err != nil {
		return fmt.Errorf("demo: kick-off report of %s: %w", dp.code, err)
	}
	return actOn(ctx, eng, director, inst.ID, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: "开题报告签署"})
}

// actOn has actor complete their open task on instance id.
func actOn(ctx context.Context, eng *flow.Engine, actor domain.Actor, id int64, in flow.ActInput) error {
	v, err := eng.Instance(ctx, actor, id)
	if err != nil {
		return err
	}
	for _, t := range v.Tasks {
		if t.AssigneeID == actor.ID && t.State == flow.TaskOpen {
			_, err := eng.Act(ctx, actor, t.ID, in)
			return err
		}
	}
	return fmt.Errorf("no task for %s on request %d", actor.Username, id)
}

// SeedInitiation loads, idempotently, the just-initiated demo project
// LF-2026-13 (the synthesis and analytical directors have filed their
// feasibility reports, formulation's is still due) and the register of
// original records of LF-2026-01 (one entry signed by the director, one
// waiting for the signature).
func SeedInitiation(ctx context.Context, ppl *people.Service, svc *projects.Service, eng *flow.Engine, files *attach.Service, today time.Time) error {
	director, err := demoActor(ctx, ppl, "chenzhiqiang")
	if err != nil {
		return err
	}
	if _, err := svc.Get(ctx, director, "LF-2026-13"); domain.IsKind(err, domain.KindNotFound) {
		depts, err := ppl.Departments(ctx, false)
		if err != nil {
			return err
		}
		in := projects.CreateInput{Code: "LF-2026-13", Name: "利伐沙班原料药及片剂", Kind: projects.KindBoth, RLD: "拜瑞妥 Xarelto"}
		for _, d := range depts {
			if _, ok := demoDirectors[d.Code]; ok {
				in.Departments = append(in.Departments, d.ID)
			}
		}
		if _, err := svc.Create(ctx, director, in); err != nil {
			return fmt.Errorf("demo: project LF-2026-13: %w", err)
		}
		if err := fileReports(ctx, ppl, svc, "LF-2026-13", map[string]string{"synthesis": "chenzhiqiang", "analytical": "sunli"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	reg, err := svc.Records(ctx, director, "LF-2026-01")
	if err != nil || len(reg.Entries) > 0 {
		return err
	}
	author, err := demoActor(ctx, ppl, "zhangwei")
	if err != nil {
		return err
	}
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	entries := []struct {
		notebook, node, experiment string
		from, to, start, end       int
		sign                       bool
	}{
		{"SYN-2026-007", "路线确认", "中间体 3 的制备（第 1–4 批）", 1, 38, -60, -32, true},
		{"SYN-2026-007", "小试工艺优化", "环合反应条件筛选", 39, 64, -30, -2, false},
	}
	for i, en := range entries {
		a, err := files.Upload(ctx, author, fmt.Sprintf("%s-p%d-%d.pdf", en.notebook, en.from, en.to),
			bytes.NewReader([]byte(fmt.Sprintf("%%PDF-1.4 demo scan %d of notebook %s pages %d-%d\n", i+1, en.notebook, en.from, en.to))), "", "")
		if err != nil {
			return fmt.Errorf("demo: scan: %w", err)
		}
		_, inst, err := svc.AddRecord(ctx, author, "LF-2026-01", projects.RecordInput{Notebook: en.notebook, PageFrom: en.from, PageTo: en.to,
			Node: en.node, Experiment: en.experiment, StartedOn: day(en.start), EndedOn: day(en.end), Files: []string{a.SHA256}})
		if err != nil {
			return fmt.Errorf("demo: original records of LF-2026-01: %w", err)
		}
		if en.sign {
			if err := actOn(ctx, eng, director, inst.ID, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: "记录完整，与图谱一致"}); err != nil {
				return fmt.Errorf("demo: signing original records: %w", err)
			}
		}
	}
	return nil
}
