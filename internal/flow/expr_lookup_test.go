package flow_test

import (
	"context"

	"labflow/internal/domain"
)

// testRanks are the rank histories of the test directory's people.
var testRanks = map[int64][]domain.RankEntry{
	alice: {{PersonID: alice, Rank: domain.RankAssistantA, Since: "2023-03-01"}, {PersonID: alice, Rank: domain.RankResearchB, Since: "2025-07-01"}},
	erin:  {{PersonID: erin, Rank: domain.RankAssistantB, Since: "2024-09-01"}},
}

// RankHistory lists a test person's ranks (flow.Directory).
func (d *dir) RankHistory(_ context.Context, id int64) ([]domain.RankEntry, error) {
	if _, ok := d.people[id]; !ok {
		return nil, domain.NotFound("dir", "entity.person")
	}
	return testRanks[id], nil
}
