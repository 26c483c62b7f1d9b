// Package hr holds the institute's personnel rules that processes enforce:
// for now the promotion rule (SPEC ORG-4), as a guard of the promotion
// definition (internal/flow/definitions/promotion.yaml).
package hr

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// GuardPromotionEligible is the guard name used in promotion.yaml.
const GuardPromotionEligible = "hr.promotion_eligible"

// The promotion form's field keys (promotion.yaml).
const (
	FieldPerson     = "person"
	FieldTargetRank = "target_rank"
	FieldPath       = "path"
	PathOutstanding = "outstanding"
)

// HistoryFunc returns a person's rank history (any order).
type HistoryFunc func(ctx context.Context, personID int64) ([]domain.RankEntry, error)

// Register registers the promotion guard under GuardPromotionEligible.
// now may be nil (time.Now).
func Register(reg *flow.Registry, history HistoryFunc, now func() time.Time) {
	reg.RegisterGuard(GuardPromotionEligible, PromotionEligible(history, now))
}

// PromotionEligible returns the guard for SPEC ORG-4. From the person's
// rank history it takes the current rank and the date it was reached, and
// refuses (KindInvalid, with the message on the form field):
//
//   - no rank history: flow.promotion.no_rank (person);
//   - a target other than the adjacent higher rank: flow.promotion.not_adjacent
//     {rank} or flow.promotion.top_rank (target_rank);
//   - less than 1 year in rank: flow.promotion.too_early {since, date}, date
//     being the first day of eligibility (outstanding path) (person);
//   - 1 to 2 years in rank on the normal path: flow.promotion.needs_outstanding
//     {since, date}, date being when the normal path opens (path).
//
// Two years or more: allowed on either path; 1–2 years: only on the
// outstanding path, whose written justification is a Check of the
// definition and whose extra signature is a step of it. Dates are UTC days.
func PromotionEligible(history HistoryFunc, now func() time.Time) flow.GuardFunc {
	if now == nil {
		now = time.Now
	}
	const op = "hr.PromotionEligible"
	return func(ctx context.Context, g flow.GuardInput) error {
		refuse := func(field, key string, kv ...any) error {
			e := domain.E(domain.KindInvalid, op, key, kv...)
			e.Fields = map[string]domain.Msg{field: {Key: key, Args: e.Args}}
			return e
		}
		personID, ok := asID(g.Form[FieldPerson])
		if !ok {
			return refuse(FieldPerson, "field.required")
		}
		entries, err := history(ctx, personID)
		if err != nil {
			return domain.Wrap(op, err)
		}
		today := now().UTC().Format(time.DateOnly)
		var past []domain.RankEntry
		for _, e := range entries {
			if e.Since <= today && e.Rank.Level() >= 0 {
				past = append(past, e)
			}
		}
		if len(past) == 0 {
			return refuse(FieldPerson, "flow.promotion.no_rank")
		}
		sort.SliceStable(past, func(i, j int) bool { return past[i].Since < past[j].Since })
		cur := past[len(past)-1]
		level := cur.Rank.Level()
		if level+1 >= len(domain.Ranks) {
			return refuse(FieldTargetRank, "flow.promotion.top_rank")
		}
		next := domain.Ranks[level+1]
		if target, _ := g.Form[FieldTargetRank].(string); domain.Rank(target) != next {
			return refuse(FieldTargetRank, "flow.promotion.not_adjacent", "rank", "people.rank."+string(next))
		}
		since, err := time.Parse(time.DateOnly, cur.Since)
		if err != nil {
			return domain.Wrap(op, err)
		}
		oneYear := since.AddDate(1, 0, 0).Format(time.DateOnly)
		twoYears := since.AddDate(2, 0, 0).Format(time.DateOnly)
		if today < oneYear {
			return refuse(FieldPerson, "flow.promotion.too_early", "since", cur.Since, "date", oneYear)
		}
		path, _ := g.Form[FieldPath].(string)
		if today < twoYears && path != PathOutstanding {
			return refuse(FieldPath, "flow.promotion.needs_outstanding", "since", cur.Since, "date", twoYears)
		}
		return nil
	}
}

// asID reads a person id from a normalized (int64) or raw form value.
func asID(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, x > 0
	case int:
		return int64(x), x > 0
	case float64:
		return int64(x), x > 0 && x == float64(int64(x))
	case json.Number:
		n, err := x.Int64()
		return n, err == nil && n > 0
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil && n > 0
	}
	return 0, false
}
