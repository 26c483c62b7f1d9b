package web

import (
	"net/http"

	"labflow/internal/flow"
)

// flowRoutes registers the process engine's API and pages (inbox, instances).
func (s *Server) flowRoutes() {
	m := s.mux

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
}
