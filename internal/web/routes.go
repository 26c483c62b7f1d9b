package web

import (
	"io/fs"
	"net/http"
)

// routes lists every route of LabFlow: operations, the JSON API (each with
// its OpenAPI description) and the HTML UI.
func (s *Server) routes() {
	m := s.mux
	static, _ := fs.Sub(staticFS, "static")

	// Operations (no authentication).
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("GET /metrics", s.metrics.handler())
	m.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	m.Handle("GET /favicon.ico", staticHandler(static))

	// JSON API.
	m.HandleFunc("GET /api/v1/openapi.json", s.serveOpenAPI)
	jsonRoute(s, "POST /api/v1/session", doc{Summary: "Sign in with username and password; sets the session cookie", Public: true}, s.apiLogin)
	jsonRoute(s, "DELETE /api/v1/session", doc{Summary: "Sign out (ends the session)"}, s.apiLogout)
	jsonRoute(s, "GET /api/v1/me", doc{Summary: "The signed-in person"}, s.apiMe)
	jsonRoute(s, "POST /api/v1/me/password", doc{Summary: "Change one's own password"}, s.apiChangePassword)
	jsonRoute(s, "GET /api/v1/me/tokens", doc{Summary: "List one's API tokens"}, s.apiTokens)
	jsonRoute(s, "POST /api/v1/me/tokens", doc{Summary: "Create an API token (the secret is shown once)", Status: http.StatusCreated}, s.apiCreateToken)
	jsonRoute(s, "DELETE /api/v1/me/tokens/{id}", doc{Summary: "Revoke an API token"}, s.apiRevokeToken)

	jsonRoute(s, "GET /api/v1/departments", doc{Summary: "List departments"}, s.apiDepartments)
	jsonRoute(s, "POST /api/v1/departments", doc{Summary: "Create a department (administrator)", Status: http.StatusCreated}, s.apiCreateDepartment)
	jsonRoute(s, "GET /api/v1/departments/{id}", doc{Summary: "One department"}, s.apiDepartment)
	jsonRoute(s, "PATCH /api/v1/departments/{id}", doc{Summary: "Edit a department (administrator)"}, s.apiUpdateDepartment)
	jsonRoute(s, "GET /api/v1/departments/{id}/history", doc{Summary: "Audit history of a department"}, s.apiDepartmentHistory)
	jsonRoute(s, "POST /api/v1/departments/{id}/active", doc{Summary: "Deactivate or reactivate a department (administrator)"}, s.apiSetDepartmentActive)

	jsonRoute(s, "GET /api/v1/people", doc{Summary: "List people"}, s.apiPeople)
	jsonRoute(s, "POST /api/v1/people", doc{Summary: "Create a person (administrator)", Status: http.StatusCreated}, s.apiCreatePerson)
	s.api("POST /api/v1/people/import", s.apiImportPeople, doc{Summary: "Import people from a CSV or XLSX file (multipart field \"file\"); all rows or none", Out: importOutput{}, Multipart: true})
	s.api("GET /api/v1/people/roles.csv", s.apiExportRoles, doc{Summary: "Export the current user and role list as CSV (R13)", Produces: "text/csv"})
	jsonRoute(s, "GET /api/v1/people/{id}", doc{Summary: "One person with roles and rank"}, s.apiPerson)
	jsonRoute(s, "PATCH /api/v1/people/{id}", doc{Summary: "Edit a person (administrator); reason recorded"}, s.apiUpdatePerson)
	jsonRoute(s, "POST /api/v1/people/{id}/active", doc{Summary: "Deactivate or reactivate a person (administrator; never deleted)"}, s.apiSetPersonActive)
	jsonRoute(s, "POST /api/v1/people/{id}/roles", doc{Summary: "Grant a role (administrator; audited, R13)"}, s.apiGrantRole)
	jsonRoute(s, "POST /api/v1/people/{id}/roles/revoke", doc{Summary: "Revoke a role (administrator; audited, R13)"}, s.apiRevokeRole)
	jsonRoute(s, "GET /api/v1/people/{id}/ranks", doc{Summary: "Rank history (ORG-3)"}, s.apiRanks)
	s.api("GET /api/v1/people/{id}/attributes", s.apiAttributes, doc{Summary: "Employment attributes (status, probation end, confirmation date) as processes set them, with their history (REL-3)", Out: attributesOut{}})
	jsonRoute(s, "POST /api/v1/people/{id}/ranks", doc{Summary: "Record a rank change (administrator)"}, s.apiAddRank)
	jsonRoute(s, "GET /api/v1/people/{id}/history", doc{Summary: "Audit history of a person"}, s.apiPersonHistory)
	jsonRoute(s, "POST /api/v1/people/{id}/password", doc{Summary: "Set a person's password (administrator)"}, s.apiResetPassword)

	s.api("GET /api/v1/audit", s.apiAudit, doc{Summary: "Audit trail, filtered (JSON; add format=csv for CSV)", Out: []auditOut{}, Query: queryOf[auditQuery]()})
	jsonRoute(s, "GET /api/v1/audit/verify", doc{Summary: "Verify the audit hash chain and return its head"}, s.apiVerify)

	s.api("POST /api/v1/attachments", s.apiUpload, doc{Summary: "Upload a file (multipart field \"file\"; optional entity, entity_id)", Out: attachmentOut{}, Status: http.StatusCreated, Multipart: true, Query: queryOf[uploadQuery]()})
	jsonRoute(s, "GET /api/v1/attachments/{id}", doc{Summary: "Attachment metadata"}, s.apiAttachment)
	s.api("GET /api/v1/files/{sha256}", s.apiDownloadByHash, doc{Summary: "Download a file by its SHA-256 (as process records reference files)", Produces: "application/octet-stream"})
	s.api("GET /api/v1/attachments/{id}/content", s.apiDownload, doc{Summary: "Download an attachment's bytes", Produces: "application/octet-stream"})

	// The process engine: definitions, instances, tasks, the inbox.
	jsonRoute(s, "GET /api/v1/definitions", doc{Summary: "Process definitions (current versions) with form fields and steps"}, s.apiDefinitions)
	jsonRoute(s, "GET /api/v1/definitions/{key}", doc{Summary: "One process definition by key"}, s.apiDefinition)
	jsonRoute(s, "POST /api/v1/processes/{key}/instances", doc{Summary: "Start an instance with a form; repeat-safe with idempotency_key or the Idempotency-Key header", Status: http.StatusCreated}, s.apiStart)
	s.api("GET /api/v1/instances.csv", s.apiExportInstances, doc{Summary: "The requests the caller may see, as GET /api/v1/instances lists them, as CSV with each one's outcome (at most 20,000)",
		Produces: "text/csv", Query: queryOf[visibleQuery]()})
	jsonRoute(s, "GET /api/v1/instances", doc{Summary: "The requests the caller may see (initiated, assigned, copied, told, named in them; a director their department's; the deans and the GM all), newest first"}, s.apiVisible)
	s.api("GET /api/v1/references", s.apiChoices, doc{Summary: "What a reference field may point at for the caller (ref=instance:KEY or a kind of record, q filters): only what they may see",
		Out: choicesOut{}, Query: queryNames("ref", "q", "limit")})
	jsonRoute(s, "GET /api/v1/instances/{id}/as-of", doc{Summary: "An instance as it stood at a moment (at=RFC 3339 time), rebuilt from the audit trail alone, with the differences to now"}, s.apiAsOf)
	jsonRoute(s, "GET /api/v1/admin/waiting", doc{Summary: "Steps nobody can act on (administrator): grant the role or name a holder"}, s.apiWaiting)
	jsonRoute(s, "POST /api/v1/tasks/{id}/assign", doc{Summary: "Name who acts on a step nobody could act on (administrator; a person holding a business role; reason required)"}, s.apiAssign)
	jsonRoute(s, "GET /api/v1/instances/{id}", doc{Summary: "An instance: form, steps with the current position, timeline, signatures with validity, allowed actions"}, s.apiInstance)
	jsonRoute(s, "POST /api/v1/instances/{id}/actions", doc{Summary: "Act on an instance: withdraw, take_back, urge, comment, copy, resubmit"}, s.apiInstanceAction)
	jsonRoute(s, "POST /api/v1/tasks/{id}/actions", doc{Summary: "Act on a task: approve (password for e-signature steps), reject, return, transfer, delegate, add_signer, remove_signer, comment, copy"}, s.apiTaskAction)
	jsonRoute(s, "GET /api/v1/inbox/counts", doc{Summary: "Sizes of the inbox lists and unread notifications"}, s.apiInboxCounts)
	jsonRoute(s, "GET /api/v1/inbox/{box}", doc{Summary: "An inbox list: todo (待办), done (已办), started (我发起的), cc (抄送我的); filtered"}, s.apiInbox)
	jsonRoute(s, "POST /api/v1/inbox/bulk-approve", doc{Summary: "Approve many tasks at once (definitions that allow it; never e-signature steps)"}, s.apiBulkApprove)
	jsonRoute(s, "GET /api/v1/notifications", doc{Summary: "In-app notifications, newest first"}, s.apiNotifications)
	jsonRoute(s, "POST /api/v1/notifications/read", doc{Summary: "Mark notifications read"}, s.apiMarkRead)

	s.timeRoutes() // the working-day calendar and scheduled jobs (calendar_api.go)
	s.externalRoutes()
	s.noticeRoutes()
	// Projects, their teams and node plans (issue 10; api_projects.go, ui_project*.go).
	s.projectRoutes()
	// Projects → experiments: pre-checks, experiments, results and decisions (issue 10, pexp; api_experiments.go, ui_experiments.go).
	s.experimentRoutes()
	// Projects → initiation (pinit): feasibility and go / no-go, routes and
	// the kick-off report, the register of original records (issue 10;
	// api_projects_init.go, ui_project_init.go).
	s.initiationRoutes()
	// Projects → supplementary requests (发补) and escalations (part psupp; api_supplements.go, ui_supplements.go).
	s.supplementRoutes()
	// Projects → stages (pstage): batches, results, gates, closures, bonuses, dossier, inspection (api_project_stages.go, ui_project_stages.go).
	s.projectStageRoutes()
	// Projects → nodes: planned vs actual, the execution clock, health, dashboards, exports (issue 10, pnodes; api_project_nodes.go, ui_project_nodes.go, ui_dashboards.go).
	s.projectNodeRoutes()
	// A project's open tasks and history (issue 10; api_project_activity.go).
	s.projectActivityRoutes()
	// Projects → the node plan form and the team forms on the project page (uiplan; ui_project_planform.go, ui_project_team.go).
	s.mux.HandleFunc("GET /projects/{code}/plans/new", s.page(s.uiPlanForm))
	s.mux.HandleFunc("POST /projects/{code}/plans/new", s.page(s.uiFilePlanForm))
	s.mux.HandleFunc("POST /projects/{code}/members", s.page(s.uiAddMember))
	s.mux.HandleFunc("POST /projects/{code}/members/{id}/end", s.page(s.uiEndMember))

	// Roles, committees and standing proxies as data (issue 8 §4; api_org.go, ui_org.go).
	s.api("GET /api/v1/roles", s.apiRoles, doc{Summary: "List roles, built-in and defined", Out: []roleDefOut{}, Query: queryNames("include_inactive")})
	s.api("POST /api/v1/roles", s.apiCreateRole, doc{Summary: "Define a role (administrator; audited)", In: roleDefInput{}, Out: roleDefOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/roles/{key}", s.apiRoleDef, doc{Summary: "One role", Out: roleDefOut{}})
	s.api("PATCH /api/v1/roles/{key}", s.apiUpdateRole, doc{Summary: "Rename a defined role (administrator)", In: roleDefInput{}, Out: roleDefOut{}})
	s.api("POST /api/v1/roles/{key}/active", s.apiSetRoleActive, doc{Summary: "Retire or restore a defined role (administrator)", In: activeInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/committees", s.apiCommittees, doc{Summary: "List committees with their members", Out: []committeeOut{}, Query: queryNames("include_inactive")})
	s.api("POST /api/v1/committees", s.apiCreateCommittee, doc{Summary: "Create a committee (administrator; audited)", In: committeeInput{}, Out: committeeOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/committees/{key}", s.apiCommittee, doc{Summary: "One committee with its members and chair", Out: committeeOut{}})
	s.api("PATCH /api/v1/committees/{key}", s.apiUpdateCommittee, doc{Summary: "Rename a committee (administrator)", In: committeeInput{}, Out: committeeOut{}})
	s.api("POST /api/v1/committees/{key}/active", s.apiSetCommitteeActive, doc{Summary: "Retire or restore a committee (administrator)", In: activeInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/committees/{key}/members", s.apiMember(addMember), doc{Summary: "Add a member (administrator; audited)", In: memberInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/committees/{key}/members/remove", s.apiMember(removeMember), doc{Summary: "Remove a member (administrator; reason required)", In: memberInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/committees/{key}/chair", s.apiMember(setChair), doc{Summary: "Name the chair (administrator; audited)", In: memberInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/proxies", s.apiProxies, doc{Summary: "Standing proxies one is party to (all, for the administrator)", Out: []proxyOut{}, Query: queryNames("person_id", "status", "current")})
	s.api("POST /api/v1/proxies", s.apiSetProxy, doc{Summary: "Set a standing proxy (one's own; for someone else, the administrator, pending their director's approval)", In: proxyInput{}, Out: proxyOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/proxies/{id}", s.apiProxy, doc{Summary: "One standing proxy", Out: proxyOut{}})
	s.api("POST /api/v1/proxies/{id}/approve", s.apiDecideProxy(approveProxy), doc{Summary: "Approve a standing proxy the administrator set (the person's director)", Out: proxyOut{}})
	s.api("POST /api/v1/proxies/{id}/refuse", s.apiDecideProxy(refuseProxy), doc{Summary: "Refuse a standing proxy (the person's director; reason required)", In: reasonInput{}, Out: proxyOut{}})
	s.api("POST /api/v1/proxies/{id}/cancel", s.apiDecideProxy(cancelProxy), doc{Summary: "Cancel or end a standing proxy early (the person, or the administrator with a reason)", In: reasonInput{}, Out: proxyOut{}})
	s.api("GET /api/v1/me/on-behalf", s.apiOnBehalf, doc{Summary: "Tasks that went to a proxy on one's behalf, newest first", Out: []onBehalfOut{}, Query: queryNames("limit")})
	s.api("GET /api/v1/admin/org-gaps", s.apiOrgGaps, doc{Summary: "Roles the definitions name that nobody holds; committees without members or chair (administrator)", Out: []gapOut{}})
	m.HandleFunc("GET /admin/roles", s.page(s.uiRoles))
	m.HandleFunc("POST /admin/roles", s.page(s.uiCreateRole))
	m.HandleFunc("GET /admin/roles/{key}", s.page(s.uiRole))
	m.HandleFunc("POST /admin/roles/{key}", s.page(s.uiUpdateRole))
	m.HandleFunc("POST /admin/roles/{key}/active", s.page(s.uiSetRoleActive))
	m.HandleFunc("GET /admin/committees", s.page(s.uiCommittees))
	m.HandleFunc("POST /admin/committees", s.page(s.uiCreateCommittee))
	m.HandleFunc("GET /admin/committees/{key}", s.page(s.uiCommittee))
	m.HandleFunc("POST /admin/committees/{key}", s.page(s.uiUpdateCommittee))
	m.HandleFunc("POST /admin/committees/{key}/active", s.page(s.uiSetCommitteeActive))
	m.HandleFunc("POST /admin/committees/{key}/members", s.page(s.uiCommitteeMember("add")))
	m.HandleFunc("POST /admin/committees/{key}/members/remove", s.page(s.uiCommitteeMember("remove")))
	m.HandleFunc("POST /admin/committees/{key}/chair", s.page(s.uiCommitteeMember("chair")))
	m.HandleFunc("GET /proxies", s.page(s.uiProxies))
	m.HandleFunc("POST /proxies", s.page(s.uiSetProxy))
	m.HandleFunc("POST /proxies/{id}/{decision}", s.page(s.uiDecideProxy))

	// HTML UI.
	m.HandleFunc("GET /login", s.uiLoginPage)
	m.HandleFunc("POST /login", s.uiLogin)
	m.HandleFunc("POST /logout", s.uiLogout)
	m.HandleFunc("POST /lang", s.uiSetLang)
	m.HandleFunc("GET /{$}", s.page(s.uiHome))
	m.HandleFunc("GET /account", s.page(s.uiAccount))
	m.HandleFunc("POST /account/password", s.page(s.uiChangePassword))
	m.HandleFunc("POST /account/tokens", s.page(s.uiCreateToken))
	m.HandleFunc("POST /account/tokens/{id}/revoke", s.page(s.uiRevokeToken))
	m.HandleFunc("GET /people", s.page(s.uiPeople))
	m.HandleFunc("GET /people/new", s.page(s.uiNewPerson))
	m.HandleFunc("POST /people/new", s.page(s.uiCreatePerson))
	m.HandleFunc("GET /people/{id}", s.page(s.uiPerson))
	m.HandleFunc("GET /people/{id}/edit", s.page(s.uiEditPerson))
	m.HandleFunc("POST /people/{id}/edit", s.page(s.uiUpdatePerson))
	m.HandleFunc("POST /people/{id}/active", s.page(s.uiSetPersonActive))
	m.HandleFunc("POST /people/{id}/roles", s.page(s.uiGrantRole))
	m.HandleFunc("POST /people/{id}/roles/revoke", s.page(s.uiRevokeRole))
	m.HandleFunc("POST /people/{id}/ranks", s.page(s.uiAddRank))
	m.HandleFunc("POST /people/{id}/password", s.page(s.uiResetPassword))
	m.HandleFunc("GET /departments", s.page(s.uiDepartments))
	m.HandleFunc("POST /departments", s.page(s.uiCreateDepartment))
	m.HandleFunc("GET /departments/{id}", s.page(s.uiDepartment))
	m.HandleFunc("POST /departments/{id}", s.page(s.uiUpdateDepartment))
	m.HandleFunc("POST /departments/{id}/active", s.page(s.uiSetDepartmentActive))
	m.HandleFunc("GET /admin", s.page(s.uiAdmin))
	m.HandleFunc("GET /admin/audit", s.page(s.uiAudit))
	m.HandleFunc("GET /admin/import", s.page(s.uiImportPage))
	m.HandleFunc("POST /admin/import", s.page(s.uiImport))
	m.HandleFunc("GET /processes", s.page(s.uiProcesses))
	m.HandleFunc("GET /processes/{key}/new", s.page(s.uiNewInstance))
	m.HandleFunc("POST /processes/{key}/new", s.page(s.uiStartInstance))
	m.HandleFunc("POST /processes/{key}/preview", s.page(s.uiPreviewForm))
	m.HandleFunc("GET /inbox", s.page(s.uiInbox))
	m.HandleFunc("POST /inbox/bulk-approve", s.page(s.uiBulkApprove))
	m.HandleFunc("GET /instances/{id}", s.page(s.uiInstance))
	m.HandleFunc("GET /instances/{id}/as-of", s.page(s.uiAsOf))
	m.HandleFunc("GET /purchasing", s.page(s.uiPurchasing))
	m.HandleFunc("GET /admin/waiting", s.page(s.uiWaiting))
	m.HandleFunc("POST /admin/waiting/{id}/assign", s.page(s.uiAssign))
	m.HandleFunc("POST /instances/{id}/act", s.page(s.uiInstanceAct))
	m.HandleFunc("GET /notifications", s.page(s.uiNotifications))
	m.HandleFunc("POST /notifications/read", s.page(s.uiMarkRead))
	m.HandleFunc("GET /attachments/{id}", s.page(s.apiDownload))
	m.HandleFunc("GET /files/{sha256}", s.page(s.apiDownloadByHash))
	m.HandleFunc("/", s.notFound)
}
