package demo

import (
	"context"
	"fmt"
	"time"

	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/projects"
)

// The demo's execution histories (issue 10, PRJ-4): on the demo projects
// whose plans are signed, a researcher confirms the materials ready, and the director records the
// nodes' actual dates and tests — LF-2026-01 is on time with a node in
// progress; LF-2026-02 runs late: its prescription screening is still open past its
// planned end; LF-2026-03 is blocked
// by its plan being signed. Idempotent: a project whose materials are
// confirmed is left alone.

type demoExecution struct {
	code, researcher string
	ready            int // the day materials stopped blocking, from today
	actuals          []demoActual
}

type demoActual struct {
	node       string
	start, end int // from today; end 0 means not finished
	tests      int
}

var demoExecutions = []demoExecution{
	{"LF-2026-01", "zhangwei", -62, []demoActual{{"路线确认", -60, -29, 6}, {"小试工艺优化", -28, 0, 5}}},
	{"LF-2026-02", "huanglei", -122, []demoActual{{"处方筛选", -120, 0, 11}, {"中试放大", -57, 0, 4}}},
}

// SeedExecution records the demo's execution histories; see demoExecutions.
func SeedExecution(ctx context.Context, ppl *people.Service, svc *projects.Service, today time.Time) error {
	as := func(username string) (domain.Actor, error) {
		p, err := ppl.PersonByUsername(ctx, username)
		if err != nil {
			return domain.Actor{}, fmt.Errorf("demo: %s: %w", username, err)
		}
		return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: "zh", Via: "system"}, nil
	}
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	for _, dx := range demoExecutions {
		res, err := as(dx.researcher)
		if err != nil {
			return err
		}
		d, err := svc.Get(ctx, res, dx.code)
		if err != nil {
			return fmt.Errorf("demo: execution of %s: %w", dx.code, err)
		}
		if d.Execution.Materials != nil || len(d.Execution.Nodes) == 0 {
			continue
		}
		per, err := ppl.Person(ctx, d.DirectorID)
		if err != nil {
			return err
		}
		director, err := as(per.Username)
		if err != nil {
			return err
		}
		// The materials came from stock: no purchase request to name (a
		// purchase request names its project: PRJ-4; the demo files none,
		// so that the demo's requests stay what they were).
		if _, err := svc.ConfirmMaterials(ctx, res, dx.code, projects.MaterialsInput{ReadyOn: day(dx.ready),
			Note: "溶剂与关键起始物料已到货，可开展实验"}); err != nil {
			return fmt.Errorf("demo: materials of %s: %w", dx.code, err)
		}
		for _, a := range dx.actuals {
			tests := a.tests
			in := projects.ActualInput{Start: day(a.start), TestsUsed: &tests, Reason: "据实验记录本登记"}
			if a.end != 0 {
				in.End = day(a.end)
			}
			if _, err := svc.SetActual(ctx, director, dx.code, a.node, in); err != nil {
				return fmt.Errorf("demo: node %s of %s: %w", a.node, dx.code, err)
			}
		}
	}
	return nil
}
