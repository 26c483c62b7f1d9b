package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"labflow/internal/domain"
)

// A project's stages through the JSON API (issue 10; SPEC PRJ-5..9,
// COMPLIANCE §4.1, R10): batches and results verified by a second person,
// the gate that refuses a closure saying what it lacks, the closure the
// committee confirms, the bonus from the signed reward plan, the dossier
// and the inspection checklist — on SQLite and PostgreSQL.

// stageProject creates project code at stage (synthesis, with analytical
// when analytical), puts zhangwei and (with analytical) guoqiang on its
// team and has the committee sign goodPlan with a reward for stage split
// between the director and zhangwei.
func stageProject(t *testing.T, e *env, code, stage string, analytical bool) {
	t.Helper()
	depts := []int64{}
	if analytical {
		depts = append(depts, deptID(t, e, "analytical"))
	}
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects", map[string]any{"code": code, "name": "阶段测试 " + code, "kind": "api",
		"departments": depts, "stage": stage})
	if r.status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
	team := []string{"zhangwei"}
	if analytical {
		team = append(team, "guoqiang")
	}
	for _, u := range team {
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/members", map[string]any{"person_id": personID(t, e, u), "from": day(-1)}); r.status != http.StatusCreated {
			t.Fatalf("member %s: %d %s", u, r.status, r.body)
		}
	}
	readyForPlan(t, e, code) // a plan needs a chosen route and its kick-off report (PRJ-1)
	plan := goodPlan(-10)
	plan["rewards"] = []any{map[string]any{"stage": stage, "amount": "20000", "shares": []any{
		map[string]any{"person_id": personID(t, e, "chenzhiqiang"), "percent": 40}, map[string]any{"person_id": personID(t, e, "zhangwei"), "percent": 60}}}}
	r = e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/plans", plan)
	if r.status != http.StatusCreated {
		t.Fatalf("plan: %d %s", r.status, r.body)
	}
	var p planOut
	r.json(t, &p)
	for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
		if r := signPlan(t, e, u, p); r.status != 200 {
			t.Fatalf("%s signs: %d %s", u, r.status, r.body)
		}
	}
}

type stagesOut struct {
	Stage string `json:"stage"`
	Gate  struct {
		Holds bool `json:"holds"`
		Lacks []struct {
			Key  string         `json:"key"`
			Args map[string]any `json:"args"`
		} `json:"lacks"`
	} `json:"gate"`
	Batches []struct {
		ID    int64  `json:"id"`
		Label string `json:"label"`
		State string `json:"state"`
	} `json:"batches"`
	Bonuses []struct {
		ID         int64  `json:"id"`
		Amount     string `json:"amount"`
		Stage      string `json:"stage"`
		PaidAt     string `json:"paid_at"`
		Recipients []struct {
			PersonID int64  `json:"person_id"`
			Amount   string `json:"amount"`
		} `json:"recipients"`
	} `json:"bonuses"`
}

func stagesOf(t *testing.T, e *env, code string) stagesOut {
	t.Helper()
	var v stagesOut
	r := e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/"+code+"/stages", nil)
	if r.status != 200 {
		t.Fatalf("stages: %d %s", r.status, r.body)
	}
	r.json(t, &v)
	return v
}

func lacks(v stagesOut) string {
	var keys []string
	for _, l := range v.Gate.Lacks {
		keys = append(keys, l.Key)
	}
	return strings.Join(keys, " ")
}

// addBatch records a batch of node 小试放大 as zhangwei.
func addBatch(t *testing.T, e *env, code, label string, extra map[string]any) int64 {
	t.Helper()
	in := map[string]any{"node": "小试放大", "label": label}
	for k, v := range extra {
		in[k] = v
	}
	r := e.as(t, "zhangwei", "POST", "/api/v1/projects/"+code+"/batches", in)
	if r.status != http.StatusCreated {
		t.Fatalf("batch %s: %d %s", label, r.status, r.body)
	}
	var b struct{ ID int64 }
	r.json(t, &b)
	return b.ID
}

// recordVerified records results for both planned items of batch id
// (zhangwei) and has them verified by verifier; failItem fails.
func recordVerified(t *testing.T, e *env, code string, id int64, verifier, failItem string) []int64 {
	t.Helper()
	var ids []int64
	for _, item := range []string{"有关物质", "残留溶剂"} {
		r := e.as(t, "zhangwei", "POST", idPath("/api/v1/projects/"+code+"/batches/%d/results", id), map[string]any{"item": item, "value": "符合规定", "passed": item != failItem})
		if r.status != http.StatusCreated {
			t.Fatalf("result %s: %d %s", item, r.status, r.body)
		}
		var res struct{ ID int64 }
		r.json(t, &res)
		if r := e.as(t, verifier, "POST", idPath("/api/v1/projects/"+code+"/results/%d/verify", res.ID), nil); r.status != 200 {
			t.Fatalf("verify %s: %d %s", item, r.status, r.body)
		}
		ids = append(ids, res.ID)
	}
	return ids
}

// stageUpload stores a file as user and returns its SHA-256.
func stageUpload(t *testing.T, e *env, user, name string) string {
	t.Helper()
	ct, body := multipartBody(t, name, []byte("record "+name))
	r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, user)})
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var a domain.Attachment
	r.json(t, &a)
	return a.SHA256
}

func countRows(t *testing.T, e *env, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.app.DB.R().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Ensure a lab stage closes only through its gate (PRJ-5, COMPLIANCE
// §4.1): 2 of 3 batches passed is refused naming what is missing; a
// result verified by its recorder is refused (R10); a failed result waits
// for the director's decision and a re-test; a closure without original
// (and, for analytical work, instrument-use and T/RH) records is refused;
// only the director files it; the committee's confirmation creates the
// bonus of the signed reward plan and moves the project to pilot, where an
// outside-site batch needs its site-loan (PRJ-6); refusals write nothing.
func TestPRJ5_LabStageClosesThroughItsGate(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		const code = "T-PRJ5"
		stageProject(t, e, code, "lab", true)
		path := "/api/v1/projects/" + code

		// Wrong people and forged fields for a batch.
		for user, want := range map[string]int{"liuyang": 404, "admin": 404, "lihua": 403, "wangjianguo": 403} {
			if r := e.as(t, user, "POST", path+"/batches", map[string]any{"node": "小试放大", "label": "X1"}); r.status != want {
				t.Errorf("%s adds a batch: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		if r := e.as(t, "zhangwei", "POST", path+"/batches", map[string]any{"node": "不存在的节点", "label": "X1"}); r.status != 422 || fieldKeys(t, r)["node"] != "projects.stage.bad_node" {
			t.Errorf("batch of a node not in the plan: %d %s", r.status, r.body)
		}
		b1, b2, b3 := addBatch(t, e, code, "B1", nil), addBatch(t, e, code, "B2", nil), addBatch(t, e, code, "B3", nil)
		if r := e.as(t, "zhangwei", "POST", idPath(path+"/batches/%d/results", b1), map[string]any{"item": "熔点", "value": "1", "passed": true}); r.status != 422 ||
			fieldKeys(t, r)["item"] != "projects.stage.item_not_planned" {
			t.Errorf("result for an item not planned: %d %s", r.status, r.body)
		}

		// R10: the recorder never verifies.
		r := e.as(t, "zhangwei", "POST", idPath(path+"/batches/%d/results", b1), map[string]any{"item": "有关物质", "value": "0.05%", "passed": true})
		var res struct{ ID int64 }
		r.json(t, &res)
		if r := e.as(t, "zhangwei", "POST", idPath(path+"/results/%d/verify", res.ID), nil); r.status != 403 || r.problem(t).Key != "projects.stage.self_verify" {
			t.Fatalf("self-verification: %d %s", r.status, r.body)
		}
		if n := countRows(t, e, "SELECT COUNT(*) FROM project_result WHERE id = $1 AND verified_at <> ''", res.ID); n != 0 {
			t.Fatal("the refused verification was written")
		}
		if r := e.as(t, "guoqiang", "POST", idPath(path+"/results/%d/verify", res.ID), nil); r.status != 200 {
			t.Fatalf("second-person verification: %d %s", r.status, r.body)
		}
		r = e.as(t, "zhangwei", "POST", idPath(path+"/batches/%d/results", b1), map[string]any{"item": "残留溶剂", "value": "合格", "passed": true})
		r.json(t, &res)
		e.as(t, "chenzhiqiang", "POST", idPath(path+"/results/%d/verify", res.ID), nil)
		recordVerified(t, e, code, b2, "guoqiang", "")
		failed := recordVerified(t, e, code, b3, "guoqiang", "有关物质")

		// 2 of 3 passed and a failure without a decision: refused, saying so.
		v := stagesOf(t, e, code)
		if v.Gate.Holds || !strings.Contains(lacks(v), "projects.gate.batches_passed") || !strings.Contains(lacks(v), "projects.gate.failed_open") {
			t.Fatalf("gate with 2 of 3 passed: %+v", v.Gate)
		}
		closuresBefore := countRows(t, e, "SELECT COUNT(*) FROM flow_instance WHERE def_key = 'stage-closure'")
		files := map[string]any{"summary": "小试三批完成", "original_records": []string{stageUpload(t, e, "chenzhiqiang", "原始记录.pdf")},
			"instrument_records": []string{stageUpload(t, e, "chenzhiqiang", "仪器使用记录.pdf")}, "climate_records": []string{stageUpload(t, e, "chenzhiqiang", "温湿度记录.pdf")}}
		r = e.as(t, "chenzhiqiang", "POST", path+"/closures", files)
		if r.status != 409 || r.problem(t).Key != "projects.gate.open" || !strings.Contains(r.body, "2 batches passed") && !strings.Contains(r.body, "合格批次 2 批") {
			t.Fatalf("closure with 2 of 3 passed: %d %s", r.status, r.body)
		}
		if n := countRows(t, e, "SELECT COUNT(*) FROM project_closure c JOIN project p ON p.id = c.project_id WHERE p.code = $1", code); n != 0 {
			t.Fatal("a refused closure was written")
		}
		if n := countRows(t, e, "SELECT COUNT(*) FROM flow_instance WHERE def_key = 'stage-closure'"); n != closuresBefore {
			t.Fatal("a refused closure started its process")
		}

		// Only the director decides; the re-test names the failed batch.
		if r := e.as(t, "zhangwei", "POST", idPath(path+"/results/%d/decision", failed[0]), map[string]any{"decision": "复试"}); r.status != 403 {
			t.Errorf("researcher decides: %d %s", r.status, r.body)
		}
		if r := e.as(t, "chenzhiqiang", "POST", idPath(path+"/results/%d/decision", failed[0]), map[string]any{"decision": "重新制备一批复试"}); r.status != 200 {
			t.Fatalf("decision: %d %s", r.status, r.body)
		}
		b4 := addBatch(t, e, code, "B4", map[string]any{"retest_of": b3})
		recordVerified(t, e, code, b4, "chenzhiqiang", "")
		if v := stagesOf(t, e, code); !v.Gate.Holds {
			t.Fatalf("gate after the re-test: %+v", v.Gate)
		}

		// Records missing; the wrong people.
		r = e.as(t, "chenzhiqiang", "POST", path+"/closures", map[string]any{"summary": "小试三批完成"})
		if k := fieldKeys(t, r); r.status != 422 || k["original_records"] != "projects.closure.original_records_required" ||
			k["instrument_records"] != "projects.closure.instrument_records_required" || k["climate_records"] != "projects.closure.climate_records_required" {
			t.Fatalf("closure without records: %d %s", r.status, r.body)
		}
		for user, want := range map[string]int{"zhangwei": 403, "liuyang": 404, "lihua": 403} {
			if r := e.as(t, user, "POST", path+"/closures", files); r.status != want {
				t.Errorf("%s files the closure: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		if n := countRows(t, e, "SELECT COUNT(*) FROM project_closure c JOIN project p ON p.id = c.project_id WHERE p.code = $1", code); n != 0 {
			t.Fatal("a refused closure was written")
		}

		r = e.as(t, "chenzhiqiang", "POST", path+"/closures", files)
		if r.status != http.StatusCreated {
			t.Fatalf("closure: %d %s", r.status, r.body)
		}
		var filed planOut
		r.json(t, &filed)
		if r := e.as(t, "chenzhiqiang", "POST", path+"/closures", files); r.status != 409 || r.problem(t).Key != "projects.closure.pending" {
			t.Errorf("second closure while one is decided: %d %s", r.status, r.body)
		}
		for _, tk := range filed.Instance.Tasks {
			if tk.AssigneeID == personID(t, e, "chenzhiqiang") {
				t.Fatal("the author is asked to confirm his own closure")
			}
		}
		for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
			if r := signPlan(t, e, u, filed); r.status != 200 {
				t.Fatalf("%s confirms: %d %s", u, r.status, r.body)
			}
		}
		v = stagesOf(t, e, code)
		if v.Stage != "pilot" || len(v.Bonuses) != 1 {
			t.Fatalf("after confirmation: stage %s, bonuses %+v", v.Stage, v.Bonuses)
		}
		bn := v.Bonuses[0]
		if bn.Amount != "20000.00" || bn.Stage != "lab" || len(bn.Recipients) != 2 || bn.Recipients[0].Amount != "8000.00" || bn.Recipients[1].Amount != "12000.00" {
			t.Fatalf("bonus not the signed reward plan's: %+v", bn)
		}

		// Finance sees and pays it; nobody else pays.
		if r := e.as(t, "liangqian", "GET", "/api/v1/bonuses", nil); r.status != 200 || !strings.Contains(r.body, code) {
			t.Fatalf("finance's bonuses: %d %s", r.status, r.body)
		}
		if r := e.as(t, "liuyang", "GET", "/api/v1/bonuses", nil); strings.Contains(r.body, code) {
			t.Errorf("another department's director sees the bonus: %s", r.body)
		}
		if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/bonuses/%d/pay", bn.ID), nil); r.status != 403 {
			t.Errorf("director pays: %d %s", r.status, r.body)
		}
		if r := e.as(t, "liangqian", "POST", idPath("/api/v1/bonuses/%d/pay", bn.ID), nil); r.status != 200 {
			t.Fatalf("finance pays: %d %s", r.status, r.body)
		}
		if r := e.as(t, "liangqian", "POST", idPath("/api/v1/bonuses/%d/pay", bn.ID), nil); r.status != 409 {
			t.Errorf("paid twice: %d %s", r.status, r.body)
		}

		// PRJ-6: in pilot, an outside-site batch names its site-loan; the
		// analytical stability study is part of the pilot's gate.
		if r := e.as(t, "zhangwei", "POST", path+"/batches", map[string]any{"node": "小试放大", "label": "P1", "site": "outside"}); r.status != 422 ||
			fieldKeys(t, r)["site_instance_id"] != "projects.stage.site_loan_required" {
			t.Errorf("outside batch without its site-loan: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", path+"/batches", map[string]any{"node": "小试放大", "label": "P1", "site": "outside", "site_instance_id": filed.Instance.ID}); r.status != 422 ||
			fieldKeys(t, r)["site_instance_id"] != "projects.stage.bad_site_loan" {
			t.Errorf("outside batch naming another process: %d %s", r.status, r.body)
		}
		if v := stagesOf(t, e, code); !strings.Contains(lacks(v), "projects.gate.study_missing") || !strings.Contains(lacks(v), "projects.gate.batches_passed") {
			t.Errorf("pilot gate: %+v", v.Gate)
		}
		// The project page shows the panel with what the gate lacks.
		if r := e.as(t, "chenzhiqiang", "GET", "/projects/"+code, nil); r.status != 200 || !strings.Contains(r.body, `id="gate-lacks"`) || !strings.Contains(r.body, "尚无稳定性考察") {
			t.Errorf("project page's stage panel: %d", r.status)
		}
	})
}

// actOn approves user's open task of instance id.
func actOn(t *testing.T, e *env, user string, id int64) {
	t.Helper()
	var v struct {
		Tasks []struct {
			ID         int64  `json:"id"`
			AssigneeID int64  `json:"assignee_id"`
			State      string `json:"state"`
		} `json:"tasks"`
	}
	e.as(t, user, "GET", idPath("/api/v1/instances/%d", id), nil).json(t, &v)
	for _, tk := range v.Tasks {
		if tk.AssigneeID == personID(t, e, user) && tk.State == "open" {
			if r := e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", tk.ID), map[string]any{"action": "approve", "password": "labflow-demo", "comment": "同意"}); r.status != 200 {
				t.Fatalf("%s approves: %d %s", user, r.status, r.body)
			}
			return
		}
	}
	t.Fatalf("%s has no open task on #%d", user, id)
}

// Ensure the dossier (PRJ-7) is written section by section by whom each
// department's director assigned, reviewed by registration and approved
// by the Business Dean before the stage closes; and the inspection
// preparation (PRJ-8) is a checklist each item of which a named person —
// the director or the registration specialist — checks, audited.
func TestPRJ7_DossierSectionsThenPRJ8_InspectionChecklist(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		const code = "T-PRJ7"
		stageProject(t, e, code, "dossier", false)
		path := "/api/v1/projects/" + code
		synth := deptID(t, e, "synthesis")
		section := map[string]any{"title": "3.2.S 原料药", "department_id": synth, "writer_id": personID(t, e, "zhangwei")}
		for user, want := range map[string]int{"liuyang": 404, "sunli": 404, "lihua": 403, "zhangwei": 403} {
			if r := e.as(t, user, "POST", path+"/dossier", section); r.status != want {
				t.Errorf("%s assigns a section: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		if r := e.as(t, "chenzhiqiang", "POST", path+"/dossier", map[string]any{"title": "3.2.S", "department_id": synth, "writer_id": personID(t, e, "huanglei")}); r.status != 422 ||
			fieldKeys(t, r)["writer_id"] != "projects.dossier.bad_writer" {
			t.Errorf("a writer of another department: %d %s", r.status, r.body)
		}
		r := e.as(t, "chenzhiqiang", "POST", path+"/dossier", section)
		if r.status != http.StatusCreated {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		var sec struct{ ID int64 }
		r.json(t, &sec)
		if v := stagesOf(t, e, code); !strings.Contains(lacks(v), "projects.gate.dossier_open") {
			t.Errorf("dossier gate with a section being written: %+v", v.Gate)
		}
		sub := map[string]any{"summary": "原料药部分", "files": []string{stageUpload(t, e, "zhangwei", "3.2.S.docx")}}
		if r := e.as(t, "chenzhiqiang", "POST", idPath(path+"/dossier/%d/submit", sec.ID), sub); r.status != 403 {
			t.Errorf("someone not its writer submits: %d %s", r.status, r.body)
		}
		r = e.as(t, "zhangwei", "POST", idPath(path+"/dossier/%d/submit", sec.ID), sub)
		if r.status != http.StatusCreated {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		var inst struct{ ID int64 }
		r.json(t, &inst)
		actOn(t, e, "hanmei", inst.ID)
		actOn(t, e, "lihua", inst.ID)
		if v := stagesOf(t, e, code); !v.Gate.Holds {
			t.Fatalf("dossier gate after approval: %+v", v.Gate)
		}
		r = e.as(t, "chenzhiqiang", "POST", path+"/closures", map[string]any{"summary": "申报资料完成", "original_records": []string{stageUpload(t, e, "chenzhiqiang", "记录.pdf")}})
		if r.status != http.StatusCreated {
			t.Fatalf("dossier closure: %d %s", r.status, r.body)
		}
		var filed planOut
		r.json(t, &filed)
		for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
			signPlan(t, e, u, filed)
		}
		if v := stagesOf(t, e, code); v.Stage != "inspection" || !strings.Contains(lacks(v), "projects.gate.unchecked.consistency") {
			t.Fatalf("after the dossier: %s %+v", v.Stage, v.Gate)
		}

		// The checklist: the director or the registration specialist.
		for user, want := range map[string]int{"zhangwei": 403, "lihua": 403, "liuyang": 404, "gaoyuan": 404} {
			if r := e.as(t, user, "POST", path+"/inspection", map[string]any{"item": "original_records"}); r.status != want {
				t.Errorf("%s checks: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		if r := e.as(t, "hanmei", "POST", path+"/inspection", map[string]any{"item": "invented"}); r.status != 422 || fieldKeys(t, r)["item"] == "" {
			t.Errorf("an item not on the list: %d %s", r.status, r.body)
		}
		for i, item := range []string{"original_records", "instrument_records", "climate_records", "structure_spectra", "electronic_spectra", "consistency"} {
			who := "hanmei"
			if i%2 == 1 {
				who = "chenzhiqiang"
			}
			if r := e.as(t, who, "POST", path+"/inspection", map[string]any{"item": item, "note": "已核对"}); r.status != http.StatusCreated {
				t.Fatalf("%s checks %s: %d %s", who, item, r.status, r.body)
			}
		}
		if r := e.as(t, "hanmei", "POST", path+"/inspection", map[string]any{"item": "consistency"}); r.status != 422 {
			t.Errorf("checked twice: %d %s", r.status, r.body)
		}
		if v := stagesOf(t, e, code); !v.Gate.Holds {
			t.Fatalf("inspection gate: %+v", v.Gate)
		}
		if n := countRows(t, e, "SELECT COUNT(*) FROM audit_event WHERE action = 'project.inspection_check' AND actor_id = $1 AND entity_id = $2",
			personID(t, e, "hanmei"), itoa64(mustProjectID(t, e, code))); n != 3 {
			t.Errorf("hanmei's checks in the trail: %d", n)
		}
	})
}

// Ensure the demo's closed project went through every stage and paid its
// bonuses, and that its stage records are seen as the project is (PRJ-12).
func TestPRJ9_DemoProjectClosedWithBonusesPaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := stagesOf(t, e, "LF-2026-12")
	if v.Stage != "closed" || len(v.Bonuses) != 5 {
		t.Fatalf("LF-2026-12: %s, %d bonuses", v.Stage, len(v.Bonuses))
	}
	for _, b := range v.Bonuses {
		if b.PaidAt == "" {
			t.Errorf("bonus %s not paid", b.Stage)
		}
	}
	// liuyang confirmed its closures on the committee: he reads its stages
	// through them, as the requests link to them.
	for user, want := range map[string]int{"zhangwei": 200, "lihua": 200, "liuyang": 200, "admin": 404, "liangqian": 404, "xuli": 404} {
		if r := e.as(t, user, "GET", "/api/v1/projects/LF-2026-12/stages", nil); r.status != want {
			t.Errorf("%s reads LF-2026-12's stages: %d, want %d", user, r.status, want)
		}
	}
	if r := e.as(t, "liangqian", "GET", "/api/v1/bonuses", nil); !strings.Contains(r.body, "LF-2026-12") {
		t.Errorf("finance does not see the bonuses: %s", r.body)
	}
	if r := e.as(t, "liuyang", "GET", "/api/v1/bonuses", nil); strings.Contains(r.body, "LF-2026-12") {
		t.Errorf("another department's director sees them: %s", r.body)
	}
	if r := e.as(t, "chenzhiqiang", "GET", "/projects/LF-2026-12/stages", nil); r.status != 200 || !strings.Contains(r.body, `id="stage-bonuses"`) {
		t.Errorf("stages page: %d", r.status)
	}
}

// Ensure the committee's confirmation checks the gate again, in its own
// transaction: a failure recorded after the application was filed stops
// the last signature — nothing is written, no bonus, the stage unchanged —
// until the director decides it (PRJ-5, COMPLIANCE §4.1).
func TestPRJ5_ConfirmationRefusedWhenTheGateNoLongerHolds(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		const code = "T-PRJ5C"
		stageProject(t, e, code, "lab", false)
		path := "/api/v1/projects/" + code
		for _, l := range []string{"C1", "C2", "C3"} {
			recordVerified(t, e, code, addBatch(t, e, code, l, nil), "chenzhiqiang", "")
		}
		r := e.as(t, "chenzhiqiang", "POST", path+"/closures", map[string]any{"summary": "小试完成", "original_records": []string{stageUpload(t, e, "chenzhiqiang", "记录.pdf")}})
		if r.status != http.StatusCreated {
			t.Fatalf("closure: %d %s", r.status, r.body)
		}
		var filed planOut
		r.json(t, &filed)
		failed := recordVerified(t, e, code, addBatch(t, e, code, "C4", nil), "chenzhiqiang", "有关物质")
		for _, u := range []string{"lihua", "liuyang"} {
			if r := signPlan(t, e, u, filed); r.status != 200 {
				t.Fatalf("%s confirms: %d %s", u, r.status, r.body)
			}
		}
		r = signPlan(t, e, "wangjianguo", filed)
		if r.status != 409 || r.problem(t).Key != "projects.gate.open" || !strings.Contains(r.body, "C4") {
			t.Fatalf("the last signature with an open failure: %d %s", r.status, r.body)
		}
		v := stagesOf(t, e, code)
		if v.Stage != "lab" || len(v.Bonuses) != 0 {
			t.Fatalf("after the refused confirmation: %s, %d bonuses", v.Stage, len(v.Bonuses))
		}
		if n := countRows(t, e, "SELECT COUNT(*) FROM flow_signature WHERE instance_id = $1", filed.Instance.ID); n != 2 {
			t.Fatalf("signatures after the refusal: %d, want 2", n)
		}
		if r := e.as(t, "chenzhiqiang", "POST", idPath(path+"/results/%d/decision", failed[0]), map[string]any{"decision": "该批作废，原因已查明"}); r.status != 200 {
			t.Fatalf("decision: %d %s", r.status, r.body)
		}
		if r := signPlan(t, e, "wangjianguo", filed); r.status != 200 {
			t.Fatalf("the last signature after the decision: %d %s", r.status, r.body)
		}
		if v := stagesOf(t, e, code); v.Stage != "pilot" || len(v.Bonuses) != 1 || v.Bonuses[0].Amount != "20000.00" {
			t.Fatalf("after confirmation: %+v", v)
		}
	})
}
