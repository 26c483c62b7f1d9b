package web

import (
	"io/fs"
	"net/http"

	"labflow/internal/flow"
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

	// JSON API.
	m.HandleFunc("GET /api/v1/openapi.json", s.serveOpenAPI)
	s.api("POST /api/v1/session", s.apiLogin, doc{Summary: "Sign in with username and password; sets the session cookie", In: loginInput{}, Out: meOutput{}, Public: true})
	s.api("DELETE /api/v1/session", s.apiLogout, doc{Summary: "Sign out (ends the session)", Status: http.StatusNoContent})
	s.api("GET /api/v1/me", s.apiMe, doc{Summary: "The signed-in person", Out: meOutput{}})
	s.api("POST /api/v1/me/password", s.apiChangePassword, doc{Summary: "Change one's own password", In: passwordInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/me/tokens", s.apiTokens, doc{Summary: "List one's API tokens", Out: []tokenOutput{}})
	s.api("POST /api/v1/me/tokens", s.apiCreateToken, doc{Summary: "Create an API token (the secret is shown once)", In: tokenInput{}, Out: newTokenOutput{}, Status: http.StatusCreated})
	s.api("DELETE /api/v1/me/tokens/{id}", s.apiRevokeToken, doc{Summary: "Revoke an API token", Status: http.StatusNoContent})

	s.api("GET /api/v1/departments", s.apiDepartments, doc{Summary: "List departments", Out: []departmentOut{}, Query: []string{"include_inactive"}})
	s.api("POST /api/v1/departments", s.apiCreateDepartment, doc{Summary: "Create a department (administrator)", In: departmentInput{}, Out: departmentOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/departments/{id}", s.apiDepartment, doc{Summary: "One department", Out: departmentOut{}})
	s.api("PATCH /api/v1/departments/{id}", s.apiUpdateDepartment, doc{Summary: "Edit a department (administrator)", In: departmentInput{}, Out: departmentOut{}})
	s.api("GET /api/v1/departments/{id}/history", s.apiDepartmentHistory, doc{Summary: "Audit history of a department", Out: []auditOut{}})
	s.api("POST /api/v1/departments/{id}/active", s.apiSetDepartmentActive, doc{Summary: "Deactivate or reactivate a department (administrator)", In: activeInput{}, Status: http.StatusNoContent})

	s.api("GET /api/v1/people", s.apiPeople, doc{Summary: "List people", Out: peopleOutput{}, Query: []string{"q", "department_id", "role", "include_inactive", "limit", "offset"}})
	s.api("POST /api/v1/people", s.apiCreatePerson, doc{Summary: "Create a person (administrator)", In: personInput{}, Out: personOut{}, Status: http.StatusCreated})
	s.api("POST /api/v1/people/import", s.apiImportPeople, doc{Summary: "Import people from a CSV or XLSX file (multipart field \"file\"); all rows or none", Out: importOutput{}, Multipart: true})
	s.api("GET /api/v1/people/roles.csv", s.apiExportRoles, doc{Summary: "Export the current user and role list as CSV (R13)", Produces: "text/csv"})
	s.api("GET /api/v1/people/{id}", s.apiPerson, doc{Summary: "One person with roles and rank", Out: personOut{}})
	s.api("PATCH /api/v1/people/{id}", s.apiUpdatePerson, doc{Summary: "Edit a person (administrator); reason recorded", In: personUpdateInput{}, Out: personOut{}})
	s.api("POST /api/v1/people/{id}/active", s.apiSetPersonActive, doc{Summary: "Deactivate or reactivate a person (administrator; never deleted)", In: activeInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/people/{id}/roles", s.apiGrantRole, doc{Summary: "Grant a role (administrator; audited, R13)", In: roleInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/people/{id}/roles/revoke", s.apiRevokeRole, doc{Summary: "Revoke a role (administrator; audited, R13)", In: roleInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/people/{id}/ranks", s.apiRanks, doc{Summary: "Rank history (ORG-3)", Out: []rankOut{}})
	s.api("GET /api/v1/people/{id}/attributes", s.apiAttributes, doc{Summary: "Employment attributes (status, probation end, confirmation date) as processes set them, with their history (REL-3)", Out: attributesOut{}})
	s.api("POST /api/v1/people/{id}/ranks", s.apiAddRank, doc{Summary: "Record a rank change (administrator)", In: rankInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/people/{id}/history", s.apiPersonHistory, doc{Summary: "Audit history of a person", Out: []auditOut{}})
	s.api("POST /api/v1/people/{id}/password", s.apiResetPassword, doc{Summary: "Set a person's password (administrator)", In: resetPasswordInput{}, Status: http.StatusNoContent})

	s.api("GET /api/v1/audit", s.apiAudit, doc{Summary: "Audit trail, filtered (JSON; add format=csv for CSV)", Out: []auditOut{}, Query: auditQuery})
	s.api("GET /api/v1/audit/verify", s.apiVerify, doc{Summary: "Verify the audit hash chain and return its head", Out: verifyOutput{}})

	s.api("POST /api/v1/attachments", s.apiUpload, doc{Summary: "Upload a file (multipart field \"file\"; optional entity, entity_id)", Out: attachmentOut{}, Status: http.StatusCreated, Multipart: true})
	s.api("GET /api/v1/attachments/{id}", s.apiAttachment, doc{Summary: "Attachment metadata", Out: attachmentOut{}})
	s.api("GET /api/v1/files/{sha256}", s.apiDownloadByHash, doc{Summary: "Download a file by its SHA-256 (as process records reference files)", Produces: "application/octet-stream"})
	s.api("GET /api/v1/attachments/{id}/content", s.apiDownload, doc{Summary: "Download an attachment's bytes", Produces: "application/octet-stream"})

	// The process engine: definitions, instances, tasks, the inbox.
	s.api("GET /api/v1/definitions", s.apiDefinitions, doc{Summary: "Process definitions (current versions) with form fields and steps", Out: []definitionOut{}})
	s.api("GET /api/v1/definitions/{key}", s.apiDefinition, doc{Summary: "One process definition by key", Out: definitionOut{}})
	s.api("POST /api/v1/processes/{key}/instances", s.apiStart, doc{Summary: "Start an instance with a form; repeat-safe with idempotency_key or the Idempotency-Key header",
		In: startInput{}, Out: flowInstanceOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/instances", s.apiVisible, doc{Summary: "The requests the caller may see (initiated, assigned, copied, told, named in them; a director their department's; the deans and the GM all), newest first",
		Out: visibleOut{}, Query: visibleQuery})
	s.api("GET /api/v1/references", s.apiChoices, doc{Summary: "What a reference field may point at for the caller (ref=instance:KEY or a kind of record, q filters): only what they may see",
		Out: choicesOut{}, Query: []string{"ref", "q", "limit"}})
	s.api("GET /api/v1/instances/{id}/as-of", s.apiAsOf, doc{Summary: "An instance as it stood at a moment (at=RFC 3339 time), rebuilt from the audit trail alone, with the differences to now",
		Out: flow.AsOfView{}, Query: []string{"at"}})
	s.api("GET /api/v1/admin/waiting", s.apiWaiting, doc{Summary: "Steps nobody can act on (administrator): grant the role or name a holder", Out: []flow.WaitingStep{}})
	s.api("POST /api/v1/tasks/{id}/assign", s.apiAssign, doc{Summary: "Name who acts on a step nobody could act on (administrator; a person holding a business role; reason required)",
		In: assignInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/instances/{id}", s.apiInstance, doc{Summary: "An instance: form, steps with the current position, timeline, signatures with validity, allowed actions",
		Out: flowInstanceViewOut{}})
	s.api("POST /api/v1/instances/{id}/actions", s.apiInstanceAction, doc{Summary: "Act on an instance: withdraw, take_back, urge, comment, copy, resubmit",
		In: actionInput{}, Out: flowInstanceOut{}})
	s.api("POST /api/v1/tasks/{id}/actions", s.apiTaskAction, doc{Summary: "Act on a task: approve (password for e-signature steps), reject, return, transfer, delegate, add_signer, remove_signer, comment, copy",
		In: actionInput{}, Out: flowInstanceOut{}})
	s.api("GET /api/v1/inbox/counts", s.apiInboxCounts, doc{Summary: "Sizes of the inbox lists and unread notifications", Out: countsOut{}})
	s.api("GET /api/v1/inbox/{box}", s.apiInbox, doc{Summary: "An inbox list: todo (待办), done (已办), started (我发起的), cc (抄送我的); filtered",
		Out: inboxOut{}, Query: inboxQuery})
	s.api("POST /api/v1/inbox/bulk-approve", s.apiBulkApprove, doc{Summary: "Approve many tasks at once (definitions that allow it; never e-signature steps)",
		In: bulkInput{}, Out: bulkOut{}})
	s.api("GET /api/v1/notifications", s.apiNotifications, doc{Summary: "In-app notifications, newest first", Out: []notificationOut{}, Query: []string{"unread", "limit"}})
	s.api("POST /api/v1/notifications/read", s.apiMarkRead, doc{Summary: "Mark notifications read", In: readInput{}, Status: http.StatusNoContent})

	s.timeRoutes() // the working-day calendar and scheduled jobs (calendar_api.go)

	// Roles, committees and standing proxies as data (issue 8 §4; api_org.go, ui_org.go).
	s.api("GET /api/v1/roles", s.apiRoles, doc{Summary: "List roles, built-in and defined", Out: []roleDefOut{}, Query: []string{"include_inactive"}})
	s.api("POST /api/v1/roles", s.apiCreateRole, doc{Summary: "Define a role (administrator; audited)", In: roleDefInput{}, Out: roleDefOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/roles/{key}", s.apiRoleDef, doc{Summary: "One role", Out: roleDefOut{}})
	s.api("PATCH /api/v1/roles/{key}", s.apiUpdateRole, doc{Summary: "Rename a defined role (administrator)", In: roleDefInput{}, Out: roleDefOut{}})
	s.api("POST /api/v1/roles/{key}/active", s.apiSetRoleActive, doc{Summary: "Retire or restore a defined role (administrator)", In: activeInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/committees", s.apiCommittees, doc{Summary: "List committees with their members", Out: []committeeOut{}, Query: []string{"include_inactive"}})
	s.api("POST /api/v1/committees", s.apiCreateCommittee, doc{Summary: "Create a committee (administrator; audited)", In: committeeInput{}, Out: committeeOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/committees/{key}", s.apiCommittee, doc{Summary: "One committee with its members and chair", Out: committeeOut{}})
	s.api("PATCH /api/v1/committees/{key}", s.apiUpdateCommittee, doc{Summary: "Rename a committee (administrator)", In: committeeInput{}, Out: committeeOut{}})
	s.api("POST /api/v1/committees/{key}/active", s.apiSetCommitteeActive, doc{Summary: "Retire or restore a committee (administrator)", In: activeInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/committees/{key}/members", s.apiMember(addMember), doc{Summary: "Add a member (administrator; audited)", In: memberInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/committees/{key}/members/remove", s.apiMember(removeMember), doc{Summary: "Remove a member (administrator; reason required)", In: memberInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/committees/{key}/chair", s.apiMember(setChair), doc{Summary: "Name the chair (administrator; audited)", In: memberInput{}, Status: http.StatusNoContent})
	s.api("GET /api/v1/proxies", s.apiProxies, doc{Summary: "Standing proxies one is party to (all, for the administrator)", Out: []proxyOut{}, Query: []string{"person_id", "status", "current"}})
	s.api("POST /api/v1/proxies", s.apiSetProxy, doc{Summary: "Set a standing proxy (one's own; for someone else, the administrator, pending their director's approval)", In: proxyInput{}, Out: proxyOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/proxies/{id}", s.apiProxy, doc{Summary: "One standing proxy", Out: proxyOut{}})
	s.api("POST /api/v1/proxies/{id}/approve", s.apiDecideProxy(approveProxy), doc{Summary: "Approve a standing proxy the administrator set (the person's director)", Out: proxyOut{}})
	s.api("POST /api/v1/proxies/{id}/refuse", s.apiDecideProxy(refuseProxy), doc{Summary: "Refuse a standing proxy (the person's director; reason required)", In: reasonInput{}, Out: proxyOut{}})
	s.api("POST /api/v1/proxies/{id}/cancel", s.apiDecideProxy(cancelProxy), doc{Summary: "Cancel or end a standing proxy early (the person, or the administrator with a reason)", In: reasonInput{}, Out: proxyOut{}})
	s.api("GET /api/v1/me/on-behalf", s.apiOnBehalf, doc{Summary: "Tasks that went to a proxy on one's behalf, newest first", Out: []onBehalfOut{}, Query: []string{"limit"}})
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
