package hr

import (
	"context"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/projects"
)

func TestORG4_PromotionEligible(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC) }
	histories := map[int64][]domain.RankEntry{
		1: {{Rank: domain.RankAssistantB, Since: "2020-01-01"}, {Rank: domain.RankAssistantA, Since: "2025-07-15"}}, // 11 months
		2: {{Rank: domain.RankAssistantA, Since: "2025-05-15"}},                                                     // 13 months
		3: {{Rank: domain.RankResearchB, Since: "2024-05-15"}},                                                      // 25 months
		4: {{Rank: domain.RankSeniorA, Since: "2020-01-01"}},
		5: nil,
	}
	guard := PromotionEligible(func(_ context.Context, id int64) ([]domain.RankEntry, error) {
		return histories[id], nil
	}, now)
	cases := []struct {
		name   string
		person int64
		target domain.Rank
		path   string
		key    string // "" = allowed
		args   map[string]any
	}{
		{"11 months refused with the eligibility date", 1, domain.RankResearchB, "outstanding", "flow.promotion.too_early",
			map[string]any{"since": "2025-07-15", "date": "2026-07-15"}},
		{"13 months normal needs outstanding", 2, domain.RankResearchB, "normal", "flow.promotion.needs_outstanding",
			map[string]any{"since": "2025-05-15", "date": "2027-05-15"}},
		{"13 months outstanding allowed", 2, domain.RankResearchB, "outstanding", "", nil},
		{"25 months normal allowed", 3, domain.RankResearchA, "normal", "", nil},
		{"skipping a rank refused", 3, domain.RankSeniorB, "normal", "flow.promotion.not_adjacent", map[string]any{"rank": "people.rank.researcher_a"}},
		{"top rank refused", 4, domain.RankSeniorA, "normal", "flow.promotion.top_rank", nil},
		{"no history refused", 5, domain.RankAssistantA, "normal", "flow.promotion.no_rank", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := guard(context.Background(), flow.GuardInput{DefinitionKey: "promotion", StepID: "director_review",
				Form: map[string]any{"person": c.person, "target_rank": string(c.target), "path": c.path}})
			if c.key == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			de, ok := err.(*domain.Error)
			if !ok || de.Kind != domain.KindInvalid || de.Key != c.key {
				t.Fatalf("err = %v, want %s", err, c.key)
			}
			for k, v := range c.args {
				if de.Args[k] != v {
					t.Errorf("arg %s = %v, want %v", k, de.Args[k], v)
				}
			}
		})
	}
}

func TestORG4_PromotionDefinitionLoadsWithGuard(t *testing.T) {
	reg := flow.NewRegistry()
	Register(reg, func(context.Context, int64) ([]domain.RankEntry, error) { return nil, nil }, nil)
	projects.RegisterNames(reg) // node-plan governs a plan revision
	defs, err := flow.Load(reg, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if d.Key == "promotion" {
			if _, ok := reg.Guard(d.Step("director_review").Guards[0]); !ok {
				t.Error("guard not registered")
			}
			return
		}
	}
	t.Error("promotion definition not loaded")
}
