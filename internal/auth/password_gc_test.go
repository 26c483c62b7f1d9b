package auth_test

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"labflow/internal/auth"
)

func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// A collection that runs while argon2 holds its 64 MiB counts it as live;
// the hash must not leave the heap goal set by that memory once it is
// garbage (under serve's GOGC=400 the heap would grow past 300 MiB).
func TestHashLeavesNoInflatedHeapGoal(t *testing.T) {
	saved := auth.Params
	auth.Params = defaultParams
	defer func() { auth.Params = saved }()
	runtime.GC()
	base := heapGoal()
	done := make(chan struct{})
	go func() {
		// Collect while the hash is computing: its memory is live now.
		time.Sleep(5 * time.Millisecond)
		runtime.GC()
		close(done)
	}()
	if _, err := auth.HashPassword("correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	<-done
	limit := base + 32<<20
	deadline := time.Now().Add(5 * time.Second)
	for heapGoal() > limit && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := heapGoal(); g > limit {
		t.Fatalf("heap goal %d MiB after a hash (%d MiB before)", g>>20, base>>20)
	}
}
