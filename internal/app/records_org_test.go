package app_test

import (
	"testing"
	"time"

	"labflow/internal/app"
	"labflow/internal/people"
	"labflow/internal/store/storetest"
)

// Ensure verify names a role definition, a committee, a membership, a
// standing proxy and a task's proxy record edited behind the trail's back
// (COMPLIANCE R1–R3: the new records are sealed).
func TestR3_VerifyCatchesOrgRecordsEdited(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			admin := w.actor("admin")
			ppl := w.a.People
			if _, err := ppl.CreateRole(bg, admin, people.RoleInput{Key: "hr_clerk", NameZH: "人事专员", NameEN: "HR clerk"}); err != nil {
				t.Fatal(err)
			}
			if _, err := ppl.CreateCommittee(bg, admin, people.CommitteeInput{Key: "tender", NameZH: "招标委员会", NameEN: "Tender"}); err != nil {
				t.Fatal(err)
			}
			if err := ppl.AddMember(bg, admin, "tender", w.id("gaoyuan"), ""); err != nil {
				t.Fatal(err)
			}
			zone, _ := time.LoadLocation(app.DefaultTimeZone)
			today := w.a.DB.Now().In(zone).Format("2006-01-02")
			if _, err := ppl.SetProxy(bg, w.actor("chenzhiqiang"), people.ProxyInput{ProxyID: w.id("liuyang"), From: today, To: today}); err != nil {
				t.Fatal(err)
			}
			in := w.start("zhangwei", "purchase-request", purchaseForm("requester_confirms", "1", "10"))
			w.expect(in.ID, "director_approve", "liuyang")
			editsNamedByVerify(t, w, cfg, []recordEdit{
				{"role definition", "UPDATE role_def SET scoped = 1 WHERE key = 'hr_clerk'"},
				{"committee", "UPDATE committee SET name_zh = '评标委员会' WHERE key = 'tender'"},
				{"committee member", "UPDATE committee_member SET chair = 1"},
				{"proxy", "UPDATE person_proxy SET proxy_id = person_id"},
				{"task proxy", "UPDATE flow_task_proxy SET on_behalf_name = '王建国'"},
			})
		})
	}
}
