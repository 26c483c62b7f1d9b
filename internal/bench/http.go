package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"labflow/internal/app"
	"labflow/internal/domain"
)

// httpDefinition is the benchmark's 3-step sequential approval for the
// HTTP mode, loaded as an institute definition (--definitions) and
// assigned to three people of the demo institute.
const httpDefinition = `key: bench-approval
title: {zh: 基准审批, en: Benchmark approval}
subject: form
form:
  - key: title
    label: {zh: 标题, en: Title}
    type: text
steps:
  - id: one
    title: {zh: 第一步, en: Step one}
    assignee: {person: lihua}
  - id: two
    title: {zh: 第二步, en: Step two}
    assignee: {person: zhaomin}
  - id: three
    title: {zh: 第三步, en: Step three}
    assignee: {person: wangjianguo}
`

// httpPeople are the initiator and the three approvers, in order.
var httpPeople = []string{"zhangwei", "lihua", "zhaomin", "wangjianguo"}

type httpClient struct {
	base   string
	c      *http.Client
	tokens []string // by httpPeople index
}

type httpInstance struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Tasks  []struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"tasks"`
}

func (h *httpClient) post(ctx context.Context, who int, path string, body any) (httpInstance, error) {
	var out httpInstance
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", h.base+path, bytes.NewReader(b))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.tokens[who])
	res, err := h.c.Do(req)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return out, err
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		return out, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, data)
	}
	return out, json.Unmarshal(data, &out)
}

func openTask(in httpInstance) (int64, error) {
	var ids []int64
	for _, t := range in.Tasks {
		if t.State == "open" {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("instance %d: %d open tasks, want 1", in.ID, len(ids))
	}
	return ids[0], nil
}

func (h *httpClient) runOne(ctx context.Context, n int, lat *[]time.Duration) error {
	in, err := h.post(ctx, 0, "/api/v1/processes/bench-approval/instances", map[string]any{"form": map[string]any{"title": "bench " + strconv.Itoa(n)}})
	if err != nil {
		return err
	}
	for i := 1; i <= 3; i++ {
		task, err := openTask(in)
		if err != nil {
			return err
		}
		t0 := time.Now()
		out, err := h.post(ctx, i, "/api/v1/tasks/"+strconv.FormatInt(task, 10)+"/actions", map[string]any{"action": "approve"})
		if err != nil {
			return err
		}
		*lat = append(*lat, time.Since(t0))
		if i == 3 && out.Status != "approved" {
			return fmt.Errorf("instance %d ended %s", out.ID, out.Status)
		}
		in = out
	}
	return nil
}

// ApprovalHTTP runs the approval benchmark through the whole stack: a
// LabFlow server (demo institute, a fresh SQLite database in a temporary
// folder, or o.DSN) listening on a loopback port, driven over HTTP by C
// clients with API tokens: POST /api/v1/processes/{key}/instances, then
// three POST /api/v1/tasks/{id}/actions by three different people.
func ApprovalHTTP(ctx context.Context, o Options) (Result, error) {
	if o.Instances <= 0 {
		o.Instances = 2000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	tmp, err := os.MkdirTemp("", "labflow-bench-http-*")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmp)
	defs := filepath.Join(tmp, "definitions")
	if err := os.Mkdir(defs, 0o755); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(filepath.Join(defs, "bench-approval.yaml"), []byte(httpDefinition), 0o644); err != nil {
		return Result{}, err
	}
	dsn := o.DSN
	if dsn != "" {
		fresh, drop, err := freshPostgres(ctx, dsn)
		if err != nil {
			return Result{}, err
		}
		defer drop()
		dsn = fresh
	}
	a, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(tmp, "data"), DSN: dsn, Demo: true, Definitions: defs, Version: "bench"})
	if err != nil {
		return Result{}, err
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		return Result{}, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()

	h := &httpClient{base: "http://" + a.Addr(), c: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: o.Concurrency * 2, MaxIdleConnsPerHost: o.Concurrency * 2, IdleConnTimeout: time.Minute}}}
	for _, u := range httpPeople {
		p, err := a.People.PersonByUsername(ctx, u)
		if err != nil {
			return Result{}, fmt.Errorf("bench: demo person %s: %w", u, err)
		}
		secret, _, err := a.Auth.CreateToken(ctx, domain.System, p.ID, "bench")
		if err != nil {
			return Result{}, err
		}
		h.tokens = append(h.tokens, secret)
	}

	r, err := drive(o, string(a.DB.Dialect()), func(n int, lat *[]time.Duration) error { return h.runOne(runCtx, n, lat) })
	if err != nil {
		return Result{}, errors.Join(errors.New("bench --http"), err)
	}
	return r, nil
}
