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

// The demo's projects (issue 10): a few projects at different stages, each
// with its team and a node plan the Technical Committee signed, so that the
// project pages are populated. Dates are set around today, so that the
// Gantt chart's today line falls inside the plans.

type demoProject struct {
	code, name, kind, rld, director string
	departments                     []string
	stage                           string
	team                            []string
	// nodes: name, start and end as days from today, test item and count.
	nodes []demoNode
	// signers sign the plan (a quorum with the chair; not the author);
	// none leaves it being signed.
	signers []string
}

type demoNode struct {
	name       string
	start, end int
	item       string
	count      int
}

var demoProjects = []demoProject{
	{"LF-2026-01", "阿哌沙班原料药", projects.KindAPI, "艾乐妥 Eliquis", "chenzhiqiang", []string{"synthesis", "analytical"}, "lab",
		[]string{"zhangwei", "wangfang", "guoqiang"},
		[]demoNode{{"路线确认", -60, -31, "HPLC 纯度", 6}, {"小试工艺优化", -30, 20, "有关物质", 12}, {"小试三批放大", 21, 60, "全检", 9}, {"质量研究", 30, 90, "方法学验证", 4}},
		[]string{"wangjianguo", "lihua", "liuyang"}},
	{"LF-2026-02", "恩格列净片", projects.KindFormulation, "欧唐静 Jardiance", "liuyang", []string{"formulation", "analytical"}, "pilot",
		[]string{"huanglei", "xuli", "songjia"},
		[]demoNode{{"处方筛选", -120, -61, "溶出曲线", 10}, {"中试放大", -60, 15, "含量均匀度", 9}, {"稳定性考察", 16, 180, "加速稳定性", 6}},
		[]string{"wangjianguo", "lihua", "chenzhiqiang"}},
	{"LF-2026-03", "托法替布原料药及片剂", projects.KindBoth, "尚杰 Xeljanz", "chenzhiqiang", []string{"synthesis", "formulation", "analytical"}, "initiation",
		[]string{"yangxue"},
		[]demoNode{{"文献与专利检索", 0, 20, "无", 1}, {"路线设计", 21, 50, "HPLC 纯度", 3}},
		nil},
}

// SeedProjects loads the demo projects idempotently (a project whose code
// exists is left alone): each created by its director, with its team and a
// node plan whose signing the committee members named complete with their
// own signatures. today is the current day in the institute's zone.
func SeedProjects(ctx context.Context, ppl *people.Service, svc *projects.Service, eng *flow.Engine, today time.Time) error {
	as := func(username string) (domain.Actor, error) {
		p, err := ppl.PersonByUsername(ctx, username)
		if err != nil {
			return domain.Actor{}, fmt.Errorf("demo: %s: %w", username, err)
		}
		return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: "zh", Via: "system"}, nil
	}
	depts, err := ppl.Departments(ctx, false)
	if err != nil {
		return err
	}
	deptID := map[string]int64{}
	for _, d := range depts {
		deptID[d.Code] = d.ID
	}
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	for _, dp := range demoProjects {
		director, err := as(dp.director)
		if err != nil {
			return err
		}
		if _, err := svc.Get(ctx, director, dp.code); err == nil {
			continue
		} else if !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
		in := projects.CreateInput{Code: dp.code, Name: dp.name, Kind: dp.kind, RLD: dp.rld, Stage: dp.stage}
		for _, d := range dp.departments {
			in.Departments = append(in.Departments, deptID[d])
		}
		if _, err := svc.Create(ctx, director, in); err != nil {
			return fmt.Errorf("demo: project %s: %w", dp.code, err)
		}
		for _, u := range dp.team {
			m, err := ppl.PersonByUsername(ctx, u)
			if err != nil {
				return err
			}
			if _, err := svc.AddMember(ctx, director, dp.code, projects.MemberInput{PersonID: m.ID, From: day(-90)}); err != nil {
				return fmt.Errorf("demo: team of %s: %w", dp.code, err)
			}
		}
		plan := projects.PlanInput{Plan: projects.Plan{IP: "已完成专利检索，化合物专利已过期，晶型专利需规避。", KeyPoints: "关键中间体的手性纯度控制；有关物质的检出与控制。",
			Rewards: []projects.Reward{{Stage: "lab", Amount: "30000"}, {Stage: "pilot", Amount: "50000"}}}}
		for _, n := range dp.nodes {
			plan.Nodes = append(plan.Nodes, projects.Node{Name: n.name, Start: day(n.start), End: day(n.end), Tests: []projects.TestItem{{Item: n.item, Count: n.count}}})
		}
		if err := seedRoutes(ctx, ppl, svc, eng, director, dp); err != nil { // routes and kick-off report first (projects_pinit.go)
			return err
		}
		_, inst, err := svc.FilePlan(ctx, director, dp.code, plan)
		if err != nil {
			return fmt.Errorf("demo: plan of %s: %w", dp.code, err)
		}
		for _, u := range dp.signers {
			signer, err := as(u)
			if err != nil {
				return err
			}
			var task int64
			for _, t := range inst.Tasks {
				if t.AssigneeID == signer.ID {
					task = t.ID
				}
			}
			if task == 0 {
				return fmt.Errorf("demo: plan of %s: no task for %s", dp.code, u)
			}
			if inst, err = eng.Act(ctx, signer, task, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: "同意按此计划执行"}); err != nil {
				return fmt.Errorf("demo: %s signs the plan of %s: %w", u, dp.code, err)
			}
		}
	}
	return seedExperiments(ctx, ppl, svc, eng) // experiments on LF-2026-01 (projects_pexp.go)
}
