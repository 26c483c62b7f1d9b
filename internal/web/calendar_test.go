package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// matrixCalendarDay adds a day to the calendar for the permission matrix
// (issue 8): its remove route takes the day's id.
func matrixCalendarDay(t *testing.T, e *env) int64 {
	t.Helper()
	r := e.as(t, "admin", "POST", "/api/v1/calendar/days", map[string]any{"day": "2031-05-03", "kind": "holiday", "name_zh": "矩阵日"})
	if r.status != http.StatusCreated {
		t.Fatalf("calendar day: %d %s", r.status, r.body)
	}
	var d struct{ ID int64 }
	r.json(t, &d)
	return d.ID
}

type calendarYear struct {
	Year     int    `json:"year"`
	TimeZone string `json:"time_zone"`
	Days     []struct {
		ID        int64  `json:"id"`
		Day       string `json:"day"`
		Kind      string `json:"kind"`
		NameZH    string `json:"name_zh"`
		RemovedAt string `json:"removed_at"`
	} `json:"days"`
}

func (c calendarYear) kind(day string) string {
	for _, d := range c.Days {
		if d.Day == day && d.RemovedAt == "" {
			return d.Kind
		}
	}
	return ""
}

func at(day, clock string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, time.FixedZone("CST", 8*3600))
	return t
}

// Ensure the official 2026 calendar of mainland China ships and is loaded
// once into a fresh database, that everyone signed in reads it, and that
// the engine counts working days with it: the Spring Festival's nine days
// off, the Saturdays worked instead (调休), the zone's dates.
func TestCAL_Shipped2026CalendarCountsWorkingDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.as(t, "zhangwei", "GET", "/api/v1/calendar?year=2026", nil)
	if r.status != 200 {
		t.Fatalf("calendar: %d %s", r.status, r.body)
	}
	var y calendarYear
	r.json(t, &y)
	if len(y.Days) != 39 || y.TimeZone != "Asia/Shanghai" {
		t.Fatalf("2026: %d days in %s, want 39 in Asia/Shanghai", len(y.Days), y.TimeZone)
	}
	for day, want := range map[string]string{"2026-01-01": "holiday", "2026-01-04": "workday", "2026-02-14": "workday", "2026-02-15": "holiday",
		"2026-02-23": "holiday", "2026-02-28": "workday", "2026-04-06": "holiday", "2026-05-05": "holiday", "2026-05-09": "workday",
		"2026-06-19": "holiday", "2026-09-20": "workday", "2026-09-25": "holiday", "2026-10-07": "holiday", "2026-10-10": "workday"} {
		if got := y.kind(day); got != want {
			t.Errorf("%s: %q, want %q", day, got, want)
		}
	}
	c := e.app.Flow.Calendar()
	// Friday 13 February 10:00 + 1 working day: Saturday the 14th is worked.
	if got := c.AddWorkdays(at("2026-02-13", "10:00"), 1); !got.Equal(at("2026-02-14", "10:00")) {
		t.Fatalf("13 Feb + 1wd = %v", got)
	}
	// Saturday 14 February + 1 working day: the festival runs to the 23rd.
	if got := c.AddWorkdays(at("2026-02-14", "10:00"), 1); !got.Equal(at("2026-02-24", "10:00")) {
		t.Fatalf("14 Feb + 1wd = %v", got)
	}
	// 28–30 September, 8 and 9 October, and Saturday 10 October (调休).
	if n := c.WorkdaysBetween(at("2026-09-28", "09:00"), at("2026-10-12", "09:00")); n != 6 {
		t.Fatalf("working days 28 Sep – 11 Oct = %d, want 6", n)
	}
	// 23:30 on 31 December UTC is 1 January in Shanghai: a holiday.
	if c.IsWorkday(time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC).Add(time.Hour)) {
		t.Fatal("1 January 2026 (in the institute's zone) counted as a working day")
	}
	if !c.IsWorkday(time.Date(2025, 12, 31, 15, 0, 0, 0, time.UTC)) {
		t.Fatal("31 December 2025 23:00 in Shanghai is a Wednesday, a working day")
	}
	// Loaded once: a second start does not add it again.
	if err := e.app.Calendar.LoadShipped(context.Background()); err != nil {
		t.Fatal(err)
	}
	days, err := store.CalendarDays(context.Background(), e.app.DB.R(), "2026-01-01", "2026-12-31", true)
	if err != nil || len(days) != 39 {
		t.Fatalf("after a second load: %d days, %v", len(days), err)
	}
}

// Ensure the administrator adds and removes holidays and adjusted working
// days through the API, each change audited with its values (R1) and the
// record kept when removed, with the reason (R4, R5); everyone else is
// refused; bad input names the field; the engine's calendar follows at
// once; and verify finds every calendar record as its trail says, and
// names one changed behind the trail's back.
func TestR1_CalendarChangesAuditedAndSealed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	add := func(user string, body map[string]any) response {
		return e.as(t, user, "POST", "/api/v1/calendar/days", body)
	}
	runScenarios(t, e, []scenario{
		{name: "researcher refused", method: "POST", path: "/api/v1/calendar/days", as: "zhangwei",
			body: map[string]any{"day": "2027-01-01", "kind": "holiday", "name_zh": "元旦"}, wantStatus: 403},
		{name: "GM refused", method: "POST", path: "/api/v1/calendar/days", as: "wangjianguo",
			body: map[string]any{"day": "2027-01-01", "kind": "holiday", "name_zh": "元旦"}, wantStatus: 403},
		{name: "bad date", method: "POST", path: "/api/v1/calendar/days", as: "admin",
			body: map[string]any{"day": "2027-02-30", "kind": "holiday", "name_zh": "x"}, wantStatus: 422, wantField: map[string]string{"day": "field.bad_date"}},
		{name: "bad kind, no name", method: "POST", path: "/api/v1/calendar/days", as: "admin",
			body: map[string]any{"day": "2027-01-01", "kind": "vacation"}, wantStatus: 422,
			wantField: map[string]string{"kind": "field.bad_choice", "name_zh": "field.required"}},
		{name: "adjusted working day on a Friday", method: "POST", path: "/api/v1/calendar/days", as: "admin",
			body: map[string]any{"day": "2027-01-08", "kind": "workday", "name_zh": "调休"}, wantStatus: 422,
			wantField: map[string]string{"day": "calendar.workday_not_weekend"}},
		{name: "date taken", method: "POST", path: "/api/v1/calendar/days", as: "admin",
			body: map[string]any{"day": "2026-10-01", "kind": "holiday", "name_zh": "国庆"}, wantStatus: 422,
			wantField: map[string]string{"day": "calendar.day_taken"}},
		{name: "forged field", method: "POST", path: "/api/v1/calendar/days", as: "admin",
			body: map[string]any{"day": "2027-01-01", "kind": "holiday", "name_zh": "元旦", "created_by": 1}, wantStatus: 422,
			wantField: map[string]string{"created_by": "field.unknown"}},
	})
	// A Friday made a holiday: the engine's calendar follows at once.
	c := e.app.Flow.Calendar()
	if !c.IsWorkday(at("2027-01-08", "09:00")) {
		t.Fatal("8 January 2027 is a Friday")
	}
	r := add("admin", map[string]any{"day": "2027-01-08", "kind": "holiday", "name_zh": "厂庆", "name_en": "Founding day"})
	if r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	var d struct{ ID int64 }
	r.json(t, &d)
	if c.IsWorkday(at("2027-01-08", "09:00")) {
		t.Fatal("the added holiday is counted as a working day")
	}
	r = add("admin", map[string]any{"day": "2027-01-09", "kind": "workday", "name_zh": "厂庆调休"})
	if r.status != 201 || !c.IsWorkday(at("2027-01-09", "09:00")) {
		t.Fatalf("adjusted working day: %d %s", r.status, r.body)
	}
	evs, err := e.app.DB.FindAudit(context.Background(), store.AuditFilter{Action: "calendar.add", Entity: "calendar_day", EntityID: itoa64(d.ID)})
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Changes, "厂庆") || !strings.Contains(evs[0].Changes, "2027-01-08") || evs[0].ActorName == "" {
		t.Fatalf("audit of the addition: %+v %v", evs, err)
	}
	remove := "/api/v1/calendar/days/" + itoa64(d.ID) + "/remove"
	if r := e.as(t, "admin", "POST", remove, map[string]any{}); r.status != 422 || !hasField(r.problem(t), "reason", "field.required") {
		t.Fatalf("remove without a reason: %d %s", r.status, r.body)
	}
	if r := e.as(t, "lihua", "POST", remove, map[string]any{"reason": "x"}); r.status != 403 {
		t.Fatalf("the dean removes a day: %d", r.status)
	}
	if r := e.as(t, "admin", "POST", remove, map[string]any{"reason": "厂庆取消"}); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if !c.IsWorkday(at("2027-01-08", "09:00")) {
		t.Fatal("a removed holiday still counts")
	}
	if r := e.as(t, "admin", "POST", remove, map[string]any{"reason": "again"}); r.status != 404 {
		t.Fatalf("removing twice: %d", r.status)
	}
	// The record stays, marked removed, and the trail says why.
	var y calendarYear
	e.as(t, "zhangwei", "GET", "/api/v1/calendar?year=2027&removed=true", nil).json(t, &y)
	found := false
	for _, x := range y.Days {
		found = found || x.ID == d.ID && x.RemovedAt != ""
	}
	if !found {
		t.Fatalf("the removed day is gone: %+v", y.Days)
	}
	e.as(t, "zhangwei", "GET", "/api/v1/calendar?year=2027", nil).json(t, &y)
	if y.kind("2027-01-08") != "" {
		t.Fatal("the removed day is listed as in force")
	}
	evs, _ = e.app.DB.FindAudit(context.Background(), store.AuditFilter{Action: "calendar.remove"})
	if len(evs) != 1 || evs[0].Reason != "厂庆取消" {
		t.Fatalf("audit of the removal: %+v", evs)
	}
	if _, err := e.app.DB.VerifyAudit(context.Background(), ""); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Someone with database access turns a holiday into a working day.
	storetest.Exec(t, e.app.DB, "UPDATE calendar_day SET kind = 'workday' WHERE day = '2026-10-01'")
	_, err = e.app.DB.VerifyAudit(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "calendar_day") || !strings.Contains(err.Error(), "edited") {
		t.Fatalf("verify after a direct edit: %v", err)
	}
}

// Ensure a calendar file imports all or nothing, naming each bad row and
// column, and only by the administrator.
func TestR1_CalendarImportAllOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	upload := func(user, name, content string) response {
		ct, body := multipartBody(t, name, []byte(content))
		return e.do(t, nil, "POST", "/api/v1/calendar/import", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, user)})
	}
	bad := "# 2027\ndate,kind,name_zh,name_en\n2027-01-01,holiday,元旦,New Year\n2027-01-05,workday,调休,\n2027-01-01,holiday,元旦,\n2027-13-01,holiday,x,\n2026-10-01,放假,国庆,\n"
	r := upload("admin", "cal.csv", bad)
	if r.status != 422 {
		t.Fatalf("bad file: %d %s", r.status, r.body)
	}
	var out struct {
		Created int
		Errors  []struct {
			Row   int
			Field string
			Key   string
		}
	}
	r.json(t, &out)
	want := map[string]bool{"4 day calendar.workday_not_weekend": true, "5 day calendar.import_duplicate": true, "6 day field.bad_date": true,
		"7 day calendar.day_taken": true}
	for _, x := range out.Errors {
		delete(want, itoa64(int64(x.Row))+" "+x.Field+" "+x.Key)
	}
	if out.Created != 0 || len(want) > 0 {
		t.Fatalf("row errors %+v; missing %v", out.Errors, want)
	}
	var y calendarYear
	e.as(t, "admin", "GET", "/api/v1/calendar?year=2027", nil).json(t, &y)
	if len(y.Days) != 0 {
		t.Fatalf("a rejected file added days: %+v", y.Days)
	}
	if r := upload("lihua", "cal.csv", "date,kind,name_zh\n2027-01-01,holiday,元旦\n"); r.status != 403 {
		t.Fatalf("the dean imports: %d", r.status)
	}
	if r := upload("admin", "cal.xlsx", "date"); r.status != 422 {
		t.Fatalf("not a CSV: %d", r.status)
	}
	r = upload("admin", "cal.csv", "日期,类型,名称\n2027-01-01,放假,元旦\n2027-02-06,上班,春节调休上班\n")
	if r.status != 200 {
		t.Fatalf("good file: %d %s", r.status, r.body)
	}
	r.json(t, &out)
	e.as(t, "admin", "GET", "/api/v1/calendar?year=2027", nil).json(t, &y)
	if out.Created != 2 || y.kind("2027-01-01") != "holiday" || y.kind("2027-02-06") != "workday" {
		t.Fatalf("imported %d: %+v", out.Created, y.Days)
	}
}

// Ensure the administrator's calendar page lists the year's days with the
// forms to change them, and everyone else sees the days only.
func TestCAL_AdminPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "admin")
	r := e.do(t, c, "GET", "/admin/calendar?year=2026", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, "春节") || !strings.Contains(r.body, `id="calendar-add"`) || !strings.Contains(r.body, "/remove") {
		t.Fatalf("admin page: %d %.400s", r.status, r.body)
	}
	if r := e.do(t, c, "GET", "/admin", nil, nil); !strings.Contains(r.body, `href="/admin/calendar"`) {
		t.Fatal("no calendar tile on the admin page")
	}
	z := e.login(t, "zhangwei")
	r = e.do(t, z, "GET", "/admin/calendar?year=2026", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, "国庆节") || strings.Contains(r.body, `id="calendar-add"`) {
		t.Fatalf("researcher's page: %d", r.status)
	}
	// A bad form shows the message on its field.
	r = e.do(t, c, "POST", "/admin/calendar", "day=2027-01-08&kind=workday&name_zh=x", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": e.srv.URL})
	if r.status != 422 || !strings.Contains(r.body, "调休上班日须为周六或周日") {
		t.Fatalf("bad form: %d %.300s", r.status, r.body)
	}
}
