package store

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// peopleTables are the tables a person or an actor is read from
// (PersonFull, TokenActor): a person's row, their role grants, their rank
// history and their API tokens. A committed write to one of them moves the
// database's people generation, so that a PeopleCache kept in this process
// can tell that what it holds may be stale. Writes are recognised where
// their statement passes: the Tx's Exec, QueryContext and QueryRowContext,
// and the store's own token writes.
var peopleTables = []string{"person", "role_grant", "rank_history", "api_token"}

// PeopleGeneration returns a number that grows after every batch of this
// process that wrote to a table a person or an actor is read from, before
// the batch's writers hear their outcome. A value read before a lookup and
// still the same afterwards says that no such write of this process
// committed in between.
func (db *DB) PeopleGeneration() uint64 { return db.peopleGen.Load() }

// peopleMark is the SQLite database's people mark: a file beside it
// that every process rewrites (with a text no other write gives it) after a
// batch that wrote to peopleTables. A command of the labflow binary that
// changes a password or a grant on the file a server serves moves no
// PeopleGeneration of the server's; it moves the mark, which a PeopleCache
// reads (a small file, far cheaper than the query it spares).
func (db *DB) peopleMark() string {
	if db.dialect != SQLite || db.path == "" {
		return ""
	}
	b, _ := os.ReadFile(db.path + ".people")
	return string(b)
}

// movePeopleMark rewrites the mark. A reader that meets it half-written
// sees a text that differs from both, which only makes it read again.
func (db *DB) movePeopleMark() {
	if db.dialect != SQLite || db.path == "" {
		return
	}
	mark := strconv.Itoa(os.Getpid()) + " " + strconv.FormatInt(time.Now().UnixNano(), 10) + " " + strconv.FormatUint(db.peopleGen.Load(), 10)
	os.WriteFile(db.path+".people", []byte(mark), 0o600)
}

// SoleServer reports whether this process is the only server of the
// database: true on SQLite, whose file one server serves (other processes
// on it, the commands of the labflow binary, move the people mark), false
// on PostgreSQL, which several servers may share (and whose changes do not
// move this process's PeopleGeneration).
func (db *DB) SoleServer() bool { return db.dialect == SQLite }

// noteWrite marks the transaction when q writes to one of peopleTables.
func (t *Tx) noteWrite(q string) {
	if !t.peopleWrite && writesPeopleTable(q) {
		t.peopleWrite = true
	}
}

// writesPeopleTable reports whether the statement q is an INSERT, UPDATE or
// DELETE of one of peopleTables (a SELECT is not).
func writesPeopleTable(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	if len(q) == 0 {
		return false
	}
	switch q[0] {
	case 'I', 'i', 'U', 'u', 'D', 'd':
	default:
		return false
	}
	f := strings.Fields(strings.ToLower(q[:min(len(q), 64)]))
	var table string
	switch {
	case len(f) >= 3 && f[0] == "insert" && f[1] == "into":
		table = f[2]
	case len(f) >= 3 && f[0] == "delete" && f[1] == "from":
		table = f[2]
	case len(f) >= 2 && f[0] == "update":
		table = f[1]
	default:
		return false
	}
	if i := strings.IndexByte(table, '('); i >= 0 {
		table = table[:i]
	}
	for _, a := range peopleTables {
		if table == a {
			return true
		}
	}
	return false
}

// PeopleCacheTTL bounds how long a PeopleCache entry is used, whatever
// else says it is still valid.
const PeopleCacheTTL = time.Second

// PeopleCache keeps values read from the people tables (a person, a token's
// owner) between requests. An entry is used only while nothing it was read
// from can have changed:
//   - this process committed no write to those tables since the entry was
//     read (PeopleGeneration): a revoked token or grant, a deactivation, a
//     password change are seen from the next request on;
//   - no other process did (the people mark beside the SQLite file is
//     the same): a password changed with `labflow user passwd` while the
//     server runs is seen from the next request on too;
//   - it is younger than PeopleCacheTTL;
//   - the database has one server (SoleServer): on PostgreSQL nothing is
//     kept, and every lookup reads.
//
// Values are shared between readers: a caller clones what it may change
// (slices, maps). When the cache holds size entries it is emptied.
type PeopleCache[K comparable, V any] struct {
	db   *DB
	size int
	mu   sync.Mutex
	m    map[K]peopleEntry[V]
}

type peopleEntry[V any] struct {
	v    V
	gen  uint64
	mark string
	read time.Time // monotonic
}

// NewPeopleCache returns an empty cache of at most size entries on db.
func NewPeopleCache[K comparable, V any](db *DB, size int) *PeopleCache[K, V] {
	return &PeopleCache[K, V]{db: db, size: size}
}

// PeopleStamp is what a PeopleCache entry was read under: this process's
// generation and the people mark.
type PeopleStamp struct {
	gen  uint64
	mark string
}

// Stamp returns the stamp to give Put: take it before the read whose
// result is kept.
func (c *PeopleCache[K, V]) Stamp() PeopleStamp {
	if !c.db.SoleServer() {
		return PeopleStamp{}
	}
	return PeopleStamp{c.db.PeopleGeneration(), c.db.peopleMark()}
}

// Get returns the value kept for k if it is still valid.
func (c *PeopleCache[K, V]) Get(k K) (V, bool) {
	var zero V
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || e.gen != c.db.PeopleGeneration() || time.Since(e.read) >= PeopleCacheTTL || e.mark != c.db.peopleMark() {
		return zero, false
	}
	return e.v, true
}

// Put keeps v for k, read after Stamp returned st. On a database with
// several servers it keeps nothing.
func (c *PeopleCache[K, V]) Put(k K, v V, st PeopleStamp) {
	if !c.db.SoleServer() || st.gen != c.db.PeopleGeneration() {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.size {
		c.m = make(map[K]peopleEntry[V])
	}
	c.m[k] = peopleEntry[V]{v: v, gen: st.gen, mark: st.mark, read: time.Now()}
	c.mu.Unlock()
}

// Update changes the value kept for k, if any, in place (its age and
// generation stay).
func (c *PeopleCache[K, V]) Update(k K, f func(*V)) {
	c.mu.Lock()
	if e, ok := c.m[k]; ok {
		f(&e.v)
		c.m[k] = e
	}
	c.mu.Unlock()
}
