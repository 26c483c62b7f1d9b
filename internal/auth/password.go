package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id cost parameters used for new hashes.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Params are the parameters HashPassword uses. The default follows RFC 9106
// §4 and the OWASP password storage guidance: argon2id with 64 MiB of memory
// makes each guess cost an attacker's GPU or ASIC that much memory, which is
// what limits parallel cracking, while one pass over two lanes keeps a
// sign-in near 50–100 ms of server time (see BenchmarkHashPassword).
// Memory rather than passes is the lever because it hurts attackers more
// than it hurts us. Existing hashes carry their own parameters, so raising
// these later does not invalidate stored passwords.
//
// Tests may lower Params (before the first hash) to keep runs fast; a
// production binary never changes them.
var Params = HashParams{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// hashSlots bounds how many argon2 computations run at once, so that a burst
// of sign-ins cannot claim 64 MiB each without limit.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

func argon(pw string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(pw), salt, t, m, p, n)
	<-hashSlots
	collectArgonMemory()
	return key
}

// gcQueued is set while a collection after a hash is pending.
var gcQueued atomic.Bool

// collectArgonMemory runs a garbage collection in the background once an
// argon2 computation has dropped its 64 MiB. A collection that happened to
// run during the computation counted that memory as live, and the heap may
// then grow to (1+GOGC/100) times it — with serve's GOGC=400 over 300 MiB —
// before the next one; collecting now sets the goal from the heap the
// server really holds. Bursts of sign-ins share one collection.
func collectArgonMemory() {
	if gcQueued.CompareAndSwap(false, true) {
		go func() {
			runtime.GC()
			gcQueued.Store(false)
		}()
	}
}

var b64 = base64.RawStdEncoding // PHC strings use unpadded standard base64

// HashPassword returns the argon2id hash of pw as a PHC string,
// $argon2id$v=19$m=65536,t=1,p=2$SALT$HASH, with a fresh random salt.
func HashPassword(pw string) (string, error) {
	p := Params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, a PHC string from
// HashPassword. The comparison is constant-time; a malformed hash (or an
// empty one) never matches.
func CheckPassword(hash, pw string) bool {
	ph, ok := parsePHC(hash)
	if !ok {
		return false
	}
	key := argon(pw, ph.salt, ph.t, ph.m, ph.p, uint32(len(ph.key)))
	return subtle.ConstantTimeCompare(key, ph.key) == 1
}

type phc struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// parsePHC reads an argon2id PHC string, refusing parameters far outside
// anything HashPassword would write (so that a corrupted row cannot make a
// sign-in allocate gigabytes).
func parsePHC(s string) (phc, bool) {
	var ph phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return ph, false
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return ph, false
		}
		switch k {
		case "m":
			ph.m = uint32(n)
		case "t":
			ph.t = uint32(n)
		case "p":
			if n > 255 {
				return ph, false
			}
			ph.p = uint8(n)
		default:
			return ph, false
		}
	}
	if ph.m < 8 || ph.m > 1<<20 || ph.t < 1 || ph.t > 16 || ph.p < 1 || ph.p > 16 {
		return ph, false
	}
	var err error
	if ph.salt, err = b64.DecodeString(parts[4]); err != nil || len(ph.salt) < 8 {
		return ph, false
	}
	if ph.key, err = b64.DecodeString(parts[5]); err != nil || len(ph.key) < 16 || len(ph.key) > 64 {
		return ph, false
	}
	return ph, true
}

var dummy struct {
	once sync.Once
	hash string
}

// dummyHash is a hash of a random password with the current parameters,
// checked for unknown users so that their sign-in takes as long as a real one.
func dummyHash() string {
	dummy.once.Do(func() {
		b := make([]byte, 16)
		rand.Read(b)
		dummy.hash, _ = HashPassword(b64.EncodeToString(b))
	})
	return dummy.hash
}
