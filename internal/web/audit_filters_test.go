package web_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Ensure the audit page's filters are pickers in people's words (issue 9
// item 5; R1): the actor filter offers people by name and keeps the
// chosen one in the URL, the page shows only that person's deeds, and the
// date filters say which zone their days are in and mean days there (the
// exports get the same bounds as UTC times).
func TestR1_AuditPageFiltersByPersonAndByDaysInTheZone(t *testing.T) {
	e := newEnv(t)
	e.login(t, "zhangwei")
	e.login(t, "guoqiang")
	c := e.login(t, "admin")
	zw := strconv.FormatInt(e.personID(t, "zhangwei"), 10)

	page := e.do(t, c, "GET", "/admin/audit", nil, nil).body
	actor := between(page, `<select name="actor_id"`, `</select>`)
	if !strings.Contains(actor, `<option value="`+zw+`" >张伟 (zhangwei)</option>`) || !strings.Contains(actor, "郭强 (guoqiang)") {
		t.Fatalf("the actor filter does not offer people by name: %s", actor)
	}
	if strings.Contains(page, `placeholder="操作人 ID"`) {
		t.Errorf("the actor filter is still an id field")
	}
	for _, want := range []string{"起始日期（Asia/Shanghai）", "截止日期（Asia/Shanghai，含当天）"} {
		if !strings.Contains(page, want) {
			t.Errorf("the date filters do not name the zone: no %q", want)
		}
	}

	body := e.do(t, c, "GET", "/admin/audit?"+url.Values{"actor_id": {zw}}.Encode(), nil, nil).body
	if sel := between(body, `<select name="actor_id"`, `</select>`); !strings.Contains(sel, `<option value="`+zw+`" selected>张伟 (zhangwei)</option>`) {
		t.Errorf("the chosen person is not kept: %s", sel)
	}
	table := between(body, `id="history"`, `</table>`)
	rows := strings.Count(table, "<tr><td>") // the body's rows
	mine := regexp.MustCompile(`<tr><td>[0-9]+</td><td class="nowrap">[^<]*</td><td>张伟</td>`).FindAllString(table, -1)
	if rows == 0 || len(mine) != rows || !strings.Contains(table, "登录") {
		t.Errorf("filtered by 张伟: %d of %d rows are his, or his sign-in is missing: %s", len(mine), rows, table)
	}

	// Today in the institute's zone holds the sign-ins; the day before
	// holds none of them; the export covers that zone's day in UTC.
	sh, _ := time.LoadLocation("Asia/Shanghai")
	today := time.Now().In(sh)
	day := today.Format(time.DateOnly)
	body = e.do(t, c, "GET", "/admin/audit?"+url.Values{"actor_id": {zw}, "from": {day}, "to": {day}}.Encode(), nil, nil).body
	if tbl := between(body, `id="history"`, `</table>`); !strings.Contains(tbl, "登录") {
		t.Errorf("today in Asia/Shanghai does not hold 张伟's sign-in: %s", tbl)
	}
	startUTC := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, sh).UTC().Format("2006-01-02T15:04:05Z")
	if !strings.Contains(body, "from="+url.QueryEscape(startUTC)) {
		t.Errorf("the export does not start at %s UTC: %s", startUTC, between(body, `/api/v1/audit?`, `"`))
	}
	yesterday := today.AddDate(0, 0, -1).Format(time.DateOnly)
	body = e.do(t, c, "GET", "/admin/audit?"+url.Values{"actor_id": {zw}, "from": {yesterday}, "to": {yesterday}}.Encode(), nil, nil).body
	if tbl := between(body, `id="history"`, `</table>`); strings.Contains(tbl, "登录") {
		t.Errorf("yesterday in Asia/Shanghai holds today's sign-in: %s", tbl)
	}

	// The API takes the export's bounds.
	exp := e.do(t, c, "GET", "/api/v1/audit?"+url.Values{"actor_id": {zw}, "from": {startUTC}, "action": {"auth.login"}}.Encode(), nil, nil)
	if exp.status != 200 || !strings.Contains(exp.body, `"auth.login"`) {
		t.Errorf("the API with an RFC 3339 bound: %d %s", exp.status, exp.body)
	}
	if r := e.do(t, c, "GET", "/api/v1/audit?from=2026-12-01T25:00:00Z", nil, nil); r.status != 422 || !strings.Contains(r.body, `"from"`) {
		t.Errorf("a bad time is not refused naming from: %d %s", r.status, r.body)
	}
}
