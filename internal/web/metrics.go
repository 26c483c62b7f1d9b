package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"labflow/internal/store"
)

// metrics is LabFlow's own Prometheus registry. Requests are labelled by
// route pattern (r.Pattern), never by raw path, so ids do not explode the
// series count.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// newMetrics builds the registry; stats, if given, reports the database's
// group commit (commits, writes and the writes waiting now).
func newMetrics(stats func() store.WriteStats) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	if stats != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "labflow_db_commits_total", Help: "Durable write transactions (group commits)."},
				func() float64 { return float64(stats().Commits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "labflow_db_writes_total", Help: "Write functions committed; writes per commit is the batch size."},
				func() float64 { return float64(stats().Writes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "labflow_db_write_queue", Help: "Writes waiting for a batch to take them."},
				func() float64 { return float64(stats().Queued) }))
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "labflow_http_requests_total", Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "labflow_http_request_duration_seconds", Help: "HTTP request duration by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "labflow_errors_total", Help: "Errors answered, by kind."}, []string{"kind"})
	m.reg.MustRegister(m.requests, m.duration, m.errors, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		next.ServeHTTP(sw, r)
		route := routeOf(r)
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
