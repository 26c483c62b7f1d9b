package web

import (
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
	"labflow/internal/projects"
)

// samplePages are every page's data, filled only where a template needs a
// value to render at all (a request page needs its request).
func samplePages() []pageData {
	inst := &flow.Instance{ID: 1, Title: "t", Status: flow.StatusRunning}
	title := func(string) string { return "" }
	meaning := func(flow.Meaning) string { return "" }
	return []pageData{
		&errorPage{}, &loginPage{}, &homePage{}, &accountPage{}, &adminPage{}, &auditPage{}, &importPage{},
		&peoplePage{}, &personFormPage{}, &personFormPage{New: true}, &personPage{}, &departmentsPage{}, &departmentPage{},
		&processesPage{}, &startPage{Def: &flow.Definition{}}, &notificationsPage{}, &purchasingPage{}, &waitingPage{},
		&asofPage{Inst: inst, View: &flow.AsOfView{}, StepTitle: title, Meaning: meaning},
		&inboxPage{}, &inboxPage{Box: "done"},
		&orgRolesPage{Form: &people.RoleInput{}}, &orgRolePage{Form: &people.RoleInput{}}, &orgCommitteesPage{Form: &people.CommitteeInput{}},
		&orgCommitteePage{Form: &people.CommitteeInput{}}, &proxiesPage{Form: &proxyForm{}}, &calendarPage{},
		&noticesAccountPage{}, &noticesAdminPage{Platforms: []string{"dingtalk"}, AllStates: []string{"failed"}, Robots: []robotRow{{}}, formState: formState{Errors: map[string]string{}}},
		&projectsPage{}, &projectPage{}, &projectPlanPage{}, // issue 10
		&experimentsPage{Exp: sampleExpPanel()}, &projectPage{Exp: sampleExpPanel()}, // issue 10, experiments
		&supplementPage{}, &escalationPage{}, &psuppFormPage{P: &psuppPanel{SupplementsPanel: projects.SupplementsPanel{MayRecord: true, MayMeet: true}}}, // issue 10: 发补 and escalations
		&projectStagesPage{Stages: &stagesPanel{}},                                                                                                  // issue 10: stages (pstage)
		&directorDashboardPage{}, &businessDashboardPage{}, &planPrintPage{Signatures: []projects.PlanSignature{{ContentHash: "0123456789abcdef"}}}, // issue 10, nodes
		&projectPage{P: projects.Detail{MayDirect: true, MayConfirmMaterials: true, Execution: projects.Execution{Nodes: []projects.NodeFigure{{State: "done"}}}}},
		&planFormPage{Revise: true, Signing: 1, Stages: projects.Stages, Form: planFormOf(projects.Plan{Nodes: []projects.Node{{Name: "n"}}, Rewards: []projects.Reward{{Stage: "lab", Shares: []projects.Share{{PersonID: 1, Percent: 100}}}}}),
			formState: formState{Errors: map[string]string{"nodes.1.end": "e"}}}, // uiplan: the node plan form
		&projectPage{Team: &teamPanel{MayAssign: true, Form: "end", EndID: 1, Team: []projects.Member{{Name: "n", MayEnd: true}}}}, // uiplan: the team forms
		&externalPageData{X: &externalPage{Refused: "x"}}, &externalPageData{X: &externalPage{Form: &flow.ExternalForm{}, Errors: map[string]string{}}},
		&instancePage{Inst: inst, View: &flow.InstanceView{Instance: inst}, IssuedURLs: []string{"https://x/x/t"}, ExternalError: "e",
			External: &externalView{Links: []externalLinkView{{Step: "s", Entered: []valueView{{}}}}, Waiting: []optionView{{Value: "s"}}, CanRevoke: true}},
		&instancePage{Inst: inst, View: &flow.InstanceView{Instance: inst}},
		&instancePage{Inst: inst, View: &flow.InstanceView{Instance: inst}, MyTask: &taskView{TaskID: 2, Has: map[string]bool{"approve": true, "reject": true, "return": true, "transfer": true, "comment": true}, NeedsPwd: true}, InstActions: map[string]bool{"withdraw": true, "urge": true, "comment": true, "copy": true, "resubmit": true}, Done: "x", NextChecked: true},
	}
}

// Ensure every template has its typed page data and renders from it in
// both languages, signed in or not: a template that asks for a field its
// page does not have fails here, not in front of a user (issue 9).
func TestPages_EveryTemplateRendersFromItsTypedData(t *testing.T) {
	p, err := loadPages(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{pages: p}
	covered := map[string]bool{}
	for _, lang := range i18n.Langs {
		for _, pg := range samplePages() {
			covered[pg.template()] = true
			for _, signedIn := range []bool{false, true} {
				r := httptest.NewRequest("GET", "/x", nil)
				if signedIn {
					// Counts known: rendering does not ask the engine.
					pg.base().Counts = navCounts{Known: true, Todo: 3}
					r = r.WithContext(domain.WithActor(r.Context(), domain.Actor{ID: 7, Name: "张伟", Via: "session",
						Grants: []domain.Grant{{Role: domain.RoleResearcher}}}))
				}
				b, err := s.renderBytes(r, lang, pg)
				if err != nil {
					t.Fatalf("%s (%s, signed in %v): %v", pg.template(), lang, signedIn, err)
				}
				if !strings.Contains(string(b), "</html>") {
					t.Fatalf("%s: no whole page", pg.template())
				}
			}
		}
	}
	var missing []string
	for _, n := range p.Names() {
		if !covered[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("templates without typed page data in samplePages: %v", missing)
	}
}
