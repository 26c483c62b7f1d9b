package store

import (
	"context"
	"strings"

	"labflow/internal/domain"
)

// RankHistory lists a person's rank entries, oldest first (by since, then entry order).
func RankHistory(ctx context.Context, r Reader, personID int64) ([]domain.RankEntry, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, `SELECT id, person_id, rank, since, note FROM rank_history
		WHERE person_id = $1 ORDER BY since, id`, personID)
	if err != nil {
		return nil, mapErr("store.RankHistory", err)
	}
	defer rows.Close()
	var out []domain.RankEntry
	for rows.Next() {
		var e domain.RankEntry
		var rank string
		if err := rows.Scan(&e.ID, &e.PersonID, &rank, &e.Since, &e.Note); err != nil {
			return nil, mapErr("store.RankHistory", err)
		}
		e.Rank = domain.Rank(rank)
		out = append(out, e)
	}
	return out, mapErr("store.RankHistory", rows.Err())
}

// CurrentRanks returns the current rank (the entry with the latest since
// date; the later entry on a tie) of each of the given people that has one.
func CurrentRanks(ctx context.Context, r Reader, personIDs ...int64) (map[int64]domain.Rank, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	out := map[int64]domain.Rank{}
	if len(personIDs) == 0 {
		return out, nil
	}
	ph := make([]string, len(personIDs))
	args := make([]any, len(personIDs))
	for i, id := range personIDs {
		ph[i], args[i] = "$"+itoa(i+1), id
	}
	rows, err := r.QueryContext(ctx, "SELECT person_id, rank FROM rank_history WHERE person_id IN ("+
		strings.Join(ph, ", ")+") ORDER BY person_id, since, id", args...)
	if err != nil {
		return nil, mapErr("store.CurrentRanks", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var rank string
		if err := rows.Scan(&id, &rank); err != nil {
			return nil, mapErr("store.CurrentRanks", err)
		}
		out[id] = domain.Rank(rank) // rows come oldest first, so the last one wins
	}
	return out, mapErr("store.CurrentRanks", rows.Err())
}

// InsertRank appends an entry to a person's rank history.
func (t *Tx) InsertRank(e domain.RankEntry) (domain.RankEntry, error) {
	err := t.QueryRowContext(t.ctx, `INSERT INTO rank_history (person_id, rank, since, note, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, e.PersonID, string(e.Rank), e.Since, e.Note, TimeText(t.now)).Scan(&e.ID)
	if err == nil {
		t.touch("rank_history", e.ID)
	}
	return e, mapErr("store.InsertRank", err)
}
