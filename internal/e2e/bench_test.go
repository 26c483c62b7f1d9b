package e2e

import (
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"labflow/internal/app"
)

// BenchmarkColdStart measures a cold start on an empty data directory:
// create and migrate the database, build the services and the handler, bind
// the port and answer /readyz (issue 2: under 1 s).
func BenchmarkColdStart(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		a, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Listen(); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() { a.Run(ctx); close(done) }()
		resp, err := http.Get("http://" + a.Addr() + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("readyz: %v %v", resp, err)
		}
		resp.Body.Close()
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms/start")
		cancel()
		<-done
		a.Close()
	}
}

// BenchmarkLoginPage50 requests the login page from 50 concurrent clients
// over loopback and reports the p50 and p99 latency (issue 2: p99 under 10 ms).
func BenchmarkLoginPage50(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		b.Fatal(err)
	}
	go a.Run(ctx)
	url := "http://" + a.Addr() + "/login"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const clients = 50
	// Warm up: open the 50 keep-alive connections before measuring.
	var warm sync.WaitGroup
	for c := 0; c < clients; c++ {
		warm.Add(1)
		go func() {
			defer warm.Done()
			if resp, err := client.Get(url); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	warm.Wait()
	n := max(b.N, 20000)
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	b.ResetTimer()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99-ms")
}
