package bench

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestApprovalSmall(t *testing.T) {
	r, err := Approval(context.Background(), Options{Instances: 50, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if r.InstancesPerS <= 0 || r.ApproveP99Ms <= 0 || r.Backend != "sqlite" {
		t.Fatalf("result %+v", r)
	}
	b, _ := json.Marshal(r)
	t.Logf("%s", b)
}

// TestApprovalFull runs the figures (N=2000, C=32) when LABFLOW_BENCH is set.
func TestApprovalFull(t *testing.T) {
	if os.Getenv("LABFLOW_BENCH") == "" {
		t.Skip("set LABFLOW_BENCH=1 to run the full approval benchmark")
	}
	r, err := Approval(context.Background(), Options{Instances: 2000, Concurrency: 32, DSN: os.Getenv("LABFLOW_BENCH_DSN")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	t.Logf("%s", b)
}

// BenchmarkApprove measures one instance (start + three approvals) per
// iteration, run in parallel so group commit can batch them.
func BenchmarkApprove(b *testing.B) {
	ctx := context.Background()
	db, e, cleanup, err := Setup(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer cleanup()
	b.SetParallelism(16)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			n++
			if err := RunOne(ctx, db, e, n, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "instances/s")
}
