package store

import (
	"context"
	"time"
)

// SessionRow is a stored sign-in session. ID is the SHA-256 (hex) of the
// cookie value; the cookie value itself is never stored.
type SessionRow struct {
	ID         string
	PersonID   int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	IP         string
	UserAgent  string
	EndedAt    time.Time // zero while the session is open
}

// InsertSession stores a new session.
func (t *Tx) InsertSession(s SessionRow) error {
	_, err := t.Exec(`INSERT INTO session (id, person_id, created_at, last_seen_at, expires_at, ip, user_agent, ended_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, '')`,
		s.ID, s.PersonID, TimeText(s.CreatedAt), TimeText(s.LastSeenAt), TimeText(s.ExpiresAt), s.IP, s.UserAgent)
	return mapErr("store.InsertSession", err)
}

// SessionByID reads a session by the hash of its token. KindNotFound when
// there is none.
func (db *DB) SessionByID(ctx context.Context, id string) (SessionRow, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var s SessionRow
	err := db.R().QueryRowContext(ctx, `SELECT id, person_id, created_at, last_seen_at, expires_at, ip, user_agent, ended_at
		FROM session WHERE id = $1`, id).
		Scan(&s.ID, &s.PersonID, timeCol{&s.CreatedAt}, timeCol{&s.LastSeenAt}, timeCol{&s.ExpiresAt}, &s.IP, &s.UserAgent, timeCol{&s.EndedAt})
	return s, mapErr("store.SessionByID", err)
}

// TouchSession records activity on an open session at the transaction's time.
func (t *Tx) TouchSession(id string) error {
	_, err := t.Exec("UPDATE session SET last_seen_at = $1 WHERE id = $2 AND ended_at = ''", TimeText(t.now), id)
	return mapErr("store.TouchSession", err)
}

// EndSession ends an open session and reports whether one was open.
func (t *Tx) EndSession(id string) (bool, error) {
	res, err := t.Exec("UPDATE session SET ended_at = $1 WHERE id = $2 AND ended_at = ''", TimeText(t.now), id)
	if err != nil {
		return false, mapErr("store.EndSession", err)
	}
	n, err := res.RowsAffected()
	return n > 0, mapErr("store.EndSession", err)
}

// EndPersonSessions ends every open session of a person except the one
// whose id is keep ("" keeps none), and returns how many it ended.
func (t *Tx) EndPersonSessions(personID int64, keep string) (int64, error) {
	res, err := t.Exec("UPDATE session SET ended_at = $1 WHERE person_id = $2 AND ended_at = '' AND id <> $3",
		TimeText(t.now), personID, keep)
	if err != nil {
		return 0, mapErr("store.EndPersonSessions", err)
	}
	n, err := res.RowsAffected()
	return n, mapErr("store.EndPersonSessions", err)
}
