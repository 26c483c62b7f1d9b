package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/projects"
)

// The demo's stage work (issue 10; PRJ-5..9), all through the services and
// the engine, so that every record has its trail: LF-2026-01 in the middle
// of its lab scale, with a failed batch, the director's decision and its
// re-test; LF-2026-02 in pilot at an outside site, its batch linked to the
// approved site-loan; LF-2026-12 closed, every stage confirmed by the
// committee and its bonuses paid by finance.

// Uploader stores a file (the attachment service).
type Uploader interface {
	Upload(ctx context.Context, actor domain.Actor, name string, r io.Reader, entity, entityID string) (domain.Attachment, error)
}

// stageSeeder seeds the stage work of the demo projects.
type stageSeeder struct {
	ctx   context.Context
	ppl   *people.Service
	svc   *projects.Service
	eng   *flow.Engine
	files Uploader
	today time.Time
}

func (s *stageSeeder) as(username string) domain.Actor {
	p, err := s.ppl.PersonByUsername(s.ctx, username)
	if err != nil {
		panic(fmt.Sprintf("demo: %s: %v", username, err))
	}
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: "zh", Via: "system"}
}

func (s *stageSeeder) day(n int) string { return s.today.AddDate(0, 0, n).Format(time.DateOnly) }

// act completes the task of each user on inst in turn, approving.
func (s *stageSeeder) act(inst *flow.Instance, comment string, users ...string) (*flow.Instance, error) {
	for _, u := range users {
		a := s.as(u)
		var task int64
		for _, t := range inst.Tasks {
			if t.AssigneeID == a.ID && t.State == flow.TaskOpen {
				task = t.ID
			}
		}
		if task == 0 {
			return inst, fmt.Errorf("demo: no task for %s on %s", u, inst.Title)
		}
		var err error
		if inst, err = s.eng.Act(s.ctx, a, task, flow.ActInput{Action: flow.ActApprove, Password: Password, Comment: comment}); err != nil {
			return inst, fmt.Errorf("demo: %s on %s: %w", u, inst.Title, err)
		}
	}
	return inst, nil
}

// batch records a batch (by recorder, or creator if "creator/recorder")
// and, for each item, a result by recorder, verified by verifier unless
// verifier is empty; fail names the item that fails.
func (s *stageSeeder) batch(code, recorder, verifier string, in projects.BatchInput, items []string, fail string) (int64, []int64, error) {
	creator := recorder
	if c, r, ok := strings.Cut(recorder, "/"); ok {
		creator, recorder = c, r
	}
	b, err := s.svc.AddBatch(s.ctx, s.as(creator), code, in)
	if err != nil {
		return 0, nil, fmt.Errorf("demo: batch %s of %s: %w", in.Label, code, err)
	}
	var ids []int64
	for _, item := range items {
		ok := item != fail
		value := "符合规定"
		if !ok {
			value = "单个杂质 0.18%（限度 0.10%）"
		}
		r, err := s.svc.RecordResult(s.ctx, s.as(recorder), code, b.ID, projects.ResultInput{Item: item, Value: value, Passed: &ok})
		if err != nil {
			return 0, nil, fmt.Errorf("demo: result of %s: %w", in.Label, err)
		}
		ids = append(ids, r.ID)
		if verifier != "" {
			if _, err := s.svc.VerifyResult(s.ctx, s.as(verifier), code, r.ID); err != nil {
				return 0, nil, fmt.Errorf("demo: verify %s: %w", in.Label, err)
			}
		}
	}
	return b.ID, ids, nil
}

// file uploads a demo record as user.
func (s *stageSeeder) file(user, name string) (string, error) {
	a, err := s.files.Upload(s.ctx, s.as(user), name, strings.NewReader("演示用记录："+name), "", "")
	return a.SHA256, err
}

// SeedStages seeds the demo projects' stage work idempotently (a project
// with batches already is left alone; LF-2026-12 is made once). Call it
// after SeedProjects.
func SeedStages(ctx context.Context, ppl *people.Service, svc *projects.Service, eng *flow.Engine, files Uploader, today time.Time) (err error) {
	s := &stageSeeder{ctx: ctx, ppl: ppl, svc: svc, eng: eng, files: files, today: today}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	if err := s.labWithRetest(); err != nil {
		return err
	}
	if err := s.pilotOutside(); err != nil {
		return err
	}
	return s.closedProject()
}

// seeded reports whether project code has batches already.
func (s *stageSeeder) seeded(code, director string) (bool, error) {
	v, err := s.svc.Stages(s.ctx, s.as(director), code)
	if domain.IsKind(err, domain.KindNotFound) {
		return true, nil // no such project: nothing to add to
	}
	return err != nil || len(v.Batches) > 0, err
}

// labWithRetest: LF-2026-01 mid lab scale — two batches passed, the third
// failed, the director decided a re-test, whose results await verification.
func (s *stageSeeder) labWithRetest() error {
	const code = "LF-2026-01"
	if done, err := s.seeded(code, "chenzhiqiang"); done || err != nil {
		return err
	}
	node := "小试三批放大"
	for _, l := range []string{"LF01-L1", "LF01-L2"} {
		if _, _, err := s.batch(code, "zhangwei", "guoqiang", projects.BatchInput{Node: node, Label: l}, []string{"全检"}, ""); err != nil {
			return err
		}
	}
	b3, failed, err := s.batch(code, "zhangwei", "guoqiang", projects.BatchInput{Node: node, Label: "LF01-L3"}, []string{"全检"}, "全检")
	if err != nil {
		return err
	}
	if _, err := s.svc.DecideResult(s.ctx, s.as("chenzhiqiang"), code, failed[0], projects.ResultDecisionInput{Decision: "原因分析：中间体带入杂质。更换精制溶剂后重新制备一批复试。"}); err != nil {
		return fmt.Errorf("demo: decision: %w", err)
	}
	_, _, err = s.batch(code, "zhangwei", "", projects.BatchInput{Node: node, Label: "LF01-L3R", RetestOf: b3}, []string{"全检"}, "")
	return err
}

// pilotOutside: LF-2026-02 in pilot at an outside site, under the
// site-loan the deans and the GM approved; the director, who arranged the
// site, records its batches, the researchers their results.
func (s *stageSeeder) pilotOutside() error {
	const code = "LF-2026-02"
	if done, err := s.seeded(code, "liuyang"); done || err != nil {
		return err
	}
	loan, err := s.eng.Start(s.ctx, s.as("liuyang"), "site-loan", map[string]any{"host": "江苏某制药有限公司 GMP 车间", "purpose": "恩格列净片中试放大",
		"start_date": s.day(-20), "end_date": s.day(20)}, "")
	if err != nil {
		return fmt.Errorf("demo: site-loan: %w", err)
	}
	if loan, err = s.act(loan, "同意", "lihua", "zhaomin", "wangjianguo"); err != nil {
		return err
	}
	node := "中试放大"
	if _, _, err := s.batch(code, "liuyang/huanglei", "songjia", projects.BatchInput{Node: node, Label: "LF02-P1", Site: projects.SiteOutside, SiteInstanceID: loan.ID},
		[]string{"含量均匀度"}, ""); err != nil {
		return err
	}
	_, _, err = s.batch(code, "liuyang/xuli", "", projects.BatchInput{Node: node, Label: "LF02-P2", Site: projects.SiteOutside, SiteInstanceID: loan.ID}, []string{"含量均匀度"}, "")
	return err
}

// closedProject: LF-2026-12, taken from lab scale to closed — every stage's
// batches, closure and committee confirmation, the dossier reviewed, the
// inspection prepared — with every bonus paid.
func (s *stageSeeder) closedProject() error {
	const code = "LF-2026-12"
	director := s.as("chenzhiqiang")
	if _, err := s.svc.Get(s.ctx, director, code); err == nil {
		return nil
	} else if !domain.IsKind(err, domain.KindNotFound) {
		return err
	}
	if _, err := s.svc.Create(s.ctx, director, projects.CreateInput{Code: code, Name: "盐酸达泊西汀原料药", Kind: projects.KindAPI, RLD: "必利劲 Priligy", Stage: "lab"}); err != nil {
		return fmt.Errorf("demo: %s: %w", code, err)
	}
	for _, u := range []string{"zhangwei", "wangfang"} {
		if _, err := s.svc.AddMember(s.ctx, director, code, projects.MemberInput{PersonID: s.as(u).ID, From: s.day(-400)}); err != nil {
			return fmt.Errorf("demo: team of %s: %w", code, err)
		}
	}
	shares := []projects.Share{{PersonID: director.ID, Percent: 40}, {PersonID: s.as("zhangwei").ID, Percent: 30}, {PersonID: s.as("wangfang").ID, Percent: 30}}
	items := []projects.TestItem{{Item: "有关物质", Count: 3}, {Item: "含量", Count: 3}}
	plan := projects.PlanInput{Plan: projects.Plan{IP: "化合物专利已过期。", KeyPoints: "手性拆分收率。",
		Nodes: []projects.Node{{Name: "小试放大", Start: s.day(-380), End: s.day(-280), Tests: items},
			{Name: "中试放大", Start: s.day(-279), End: s.day(-200), Tests: items},
			{Name: "稳定性考察", Start: s.day(-199), End: s.day(-20), Tests: []projects.TestItem{{Item: "加速 6 个月", Count: 2}}}},
		Rewards: []projects.Reward{{Stage: "lab", Amount: "30000", Shares: shares}, {Stage: "pilot", Amount: "50000", Shares: shares},
			{Stage: "stability", Amount: "10000", Shares: shares}, {Stage: "dossier", Amount: "10000"}, {Stage: "inspection", Amount: "20000", Shares: shares}}}}
	if err := seedRoutes(s.ctx, s.ppl, s.svc, s.eng, director, demoProject{code: code, stage: "lab"}); err != nil { // a plan needs a chosen route and its kick-off report
		return err
	}
	_, inst, err := s.svc.FilePlan(s.ctx, director, code, plan)
	if err != nil {
		return fmt.Errorf("demo: plan of %s: %w", code, err)
	}
	if _, err := s.act(inst, "同意按此计划执行", "wangjianguo", "lihua", "liuyang"); err != nil {
		return err
	}
	records, err := s.file("chenzhiqiang", "LF-2026-12 原始记录扫描件.pdf")
	if err != nil {
		return err
	}
	closeStage := func(summary string) error {
		_, inst, err := s.svc.FileClosure(s.ctx, director, code, projects.ClosureInput{Summary: summary, OriginalRecords: []string{records}})
		if err != nil {
			return fmt.Errorf("demo: closure of %s: %w", code, err)
		}
		_, err = s.act(inst, "同意结题", "wangjianguo", "lihua", "liuyang")
		return err
	}
	for _, st := range []struct{ stage, node, prefix string }{{"lab", "小试放大", "L"}, {"pilot", "中试放大", "P"}} {
		for i := 1; i <= 3; i++ {
			if _, _, err := s.batch(code, "zhangwei", "wangfang", projects.BatchInput{Node: st.node, Label: fmt.Sprintf("LF12-%s%d", st.prefix, i)},
				[]string{"有关物质", "含量"}, ""); err != nil {
				return err
			}
		}
		if err := closeStage(st.stage + " 阶段三批均合格，工艺稳定。"); err != nil {
			return err
		}
	}
	if _, _, err := s.batch(code, "wangfang", "zhangwei", projects.BatchInput{Node: "稳定性考察", Label: "LF12-S1", Kind: projects.BatchStability, StudyEnd: s.day(-21)},
		[]string{"加速 6 个月"}, ""); err != nil {
		return err
	}
	if err := closeStage("加速 6 个月稳定性考察结束，各项指标符合规定。"); err != nil {
		return err
	}
	sec, err := s.svc.AssignSection(s.ctx, director, code, projects.DossierInput{Title: "3.2.S 原料药", DepartmentID: director.Grants[0].DepartmentID, WriterID: director.ID})
	if err != nil {
		return fmt.Errorf("demo: dossier of %s: %w", code, err)
	}
	draft, err := s.file("chenzhiqiang", "3.2.S 原料药.docx")
	if err != nil {
		return err
	}
	rev, err := s.svc.SubmitSection(s.ctx, director, code, sec.ID, projects.SectionInput{Summary: "原料药部分申报资料", Files: []string{draft}})
	if err != nil {
		return fmt.Errorf("demo: dossier review of %s: %w", code, err)
	}
	if rev, err = s.act(rev, "审核通过", "hanmei"); err != nil {
		return err
	}
	if _, err = s.act(rev, "同意申报", "lihua"); err != nil {
		return err
	}
	if err := closeStage("申报资料已完成并通过注册部审核与业务院长批准。"); err != nil {
		return err
	}
	for i, item := range projects.InspectionItems {
		who := "hanmei"
		if i%2 == 1 {
			who = "chenzhiqiang"
		}
		if _, err := s.svc.CheckInspection(s.ctx, s.as(who), code, projects.CheckInput{Item: item, Note: "已核对"}); err != nil {
			return fmt.Errorf("demo: inspection of %s: %w", code, err)
		}
	}
	if err := closeStage("研制现场核查准备完成，核查通过。"); err != nil {
		return err
	}
	bs, err := s.svc.Bonuses(s.ctx, s.as("liangqian"))
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.ProjectCode == code && b.PaidAt == "" {
			if _, err := s.svc.PayBonus(s.ctx, s.as("liangqian"), b.ID); err != nil {
				return fmt.Errorf("demo: pay bonus of %s: %w", code, err)
			}
		}
	}
	return nil
}
