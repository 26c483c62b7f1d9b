package store

import (
	"context"
	"slices"
	"time"

	"labflow/internal/domain"
)

// APIToken is a stored API token. Only the SHA-256 of its secret is stored;
// Prefix is the secret's first characters, shown so that people can tell
// their tokens apart.
type APIToken struct {
	ID         int64
	PersonID   int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

const tokenCols = "id, person_id, name, prefix, created_at, last_used_at, revoked_at"

func scanToken(s scanner) (APIToken, error) {
	var k APIToken
	err := s.Scan(&k.ID, &k.PersonID, &k.Name, &k.Prefix, timeCol{&k.CreatedAt}, timeCol{&k.LastUsedAt}, timeCol{&k.RevokedAt})
	return k, err
}

// InsertToken stores a new token for a person, created now, and returns it
// with its id.
func (t *Tx) InsertToken(personID int64, name, hash, prefix string) (APIToken, error) {
	k := APIToken{PersonID: personID, Name: name, Prefix: prefix, CreatedAt: t.now}
	t.peopleWrite = true
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO api_token (person_id, name, token_hash, prefix, created_at, last_used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, '', '') RETURNING id`, personID, name, hash, prefix, TimeText(t.now)).Scan(&k.ID)
	return k, mapErr("store.InsertToken", err)
}

// TokenActor finds a token by the SHA-256 (hex) of its secret together with
// its owner as an actor and whether the owner is active, in one query (every
// API request makes it). KindNotFound when there is no such token.
func (db *DB) TokenActor(ctx context.Context, hash string) (APIToken, domain.Actor, bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	const op = "store.TokenActor"
	rows, err := db.R().QueryContext(ctx, `SELECT t.id, t.person_id, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at, `+actorCols+`
		FROM api_token t JOIN person p ON p.id = t.person_id LEFT JOIN role_grant g ON g.person_id = p.id AND g.revoked_at = ''
		WHERE t.token_hash = $1 ORDER BY g.id`, hash)
	if err != nil {
		return APIToken{}, domain.Actor{}, false, mapErr(op, err)
	}
	var k APIToken
	a, active, err := scanActor(op, rows, &k.ID, &k.PersonID, &k.Name, &k.Prefix, timeCol{&k.CreatedAt}, timeCol{&k.LastUsedAt}, timeCol{&k.RevokedAt})
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			err = domain.NotFound(op, "entity.token")
		}
		return APIToken{}, domain.Actor{}, false, err
	}
	return k, a, active, nil
}

// TokenByID reads a token by id. KindNotFound when there is none.
func (db *DB) TokenByID(ctx context.Context, id int64) (APIToken, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	k, err := scanToken(db.R().QueryRowContext(ctx, "SELECT "+tokenCols+" FROM api_token WHERE id = $1", id))
	return k, mapErr("store.TokenByID", err)
}

// TokensOf lists a person's tokens, revoked ones included, oldest first.
func (db *DB) TokensOf(ctx context.Context, personID int64) ([]APIToken, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.R().QueryContext(ctx, "SELECT "+tokenCols+" FROM api_token WHERE person_id = $1 ORDER BY id", personID)
	if err != nil {
		return nil, mapErr("store.TokensOf", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, mapErr("store.TokensOf", err)
		}
		out = append(out, k)
	}
	return out, mapErr("store.TokensOf", rows.Err())
}

// RevokeToken marks a token revoked now and reports whether it was still
// active.
func (t *Tx) RevokeToken(id int64) (bool, error) {
	res, err := t.Exec("UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND revoked_at = ''", TimeText(t.now), id)
	if err != nil {
		return false, mapErr("store.RevokeToken", err)
	}
	n, err := res.RowsAffected()
	return n > 0, mapErr("store.RevokeToken", err)
}

// TouchToken records that a token was used now. The time of use is no part
// of the actor: it moves no PeopleGeneration (peoplegen.go).
func (t *Tx) TouchToken(id int64) error {
	_, err := t.tx.ExecContext(t.ctx, "UPDATE api_token SET last_used_at = $1 WHERE id = $2", TimeText(t.now), id)
	return mapErr("store.TouchToken", err)
}

// RevokePersonTokens revokes every active token of a person now and returns
// the ids it revoked, in id order.
func (t *Tx) RevokePersonTokens(personID int64) ([]int64, error) {
	const op = "store.RevokePersonTokens"
	t.peopleWrite = true
	rows, err := t.tx.QueryContext(t.ctx, "UPDATE api_token SET revoked_at = $1 WHERE person_id = $2 AND revoked_at = '' RETURNING id",
		TimeText(t.now), personID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(op, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err)
	}
	slices.Sort(ids)
	return ids, nil
}
