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

	s.flowRoutes()
	s.timeRoutes() // the working-day calendar and scheduled jobs (calendar_api.go)

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
	m.HandleFunc("GET /attachments/{id}", s.page(s.apiDownload))
	m.HandleFunc("GET /files/{sha256}", s.page(s.apiDownloadByHash))
	m.HandleFunc("/", s.notFound)
}
