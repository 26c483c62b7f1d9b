package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"labflow/internal/demo"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
)

// signIn signs username in through the API with password and returns the
// client and whether the answer says the password must change.
func (e *env) signIn(t *testing.T, username, password string) (*http.Client, bool) {
	t.Helper()
	c := e.client(t)
	r := e.do(t, c, "POST", "/api/v1/session", map[string]string{"username": username, "password": password}, nil)
	if r.status != http.StatusOK {
		t.Fatalf("sign in %s: %d %s", username, r.status, r.body)
	}
	var me struct {
		MustChangePassword bool `json:"must_change_password"`
	}
	r.json(t, &me)
	return c, me.MustChangePassword
}

// Reproduces the back door: the administrator resets the GM's password,
// signs in as the GM and tries to sign the GM's approval of a purchase
// request. The reset password is temporary: the API lets its holder do
// nothing but change it, and the engine's re-authentication refuses it
// even when called directly — so no signature in the GM's name can be made
// with a password someone else chose (COMPLIANCE R8, R12). Only after the
// owner has set their own password does the GM sign.
func TestR12_AdminResetPasswordCannotSign(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		zw, czq, lh := e.login(t, "zhangwei"), e.login(t, "chenzhiqiang"), e.login(t, "lihua")
		r := e.do(t, zw, "POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": fwPurchaseForm()}, nil)
		if r.status != http.StatusCreated {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
		var inst fwInstance
		r.json(t, &inst)
		todo := func(c *http.Client, who string) int64 {
			t.Helper()
			r := e.do(t, c, "GET", "/api/v1/inbox/todo", nil, nil)
			if r.status != http.StatusOK {
				t.Fatalf("%s inbox: %d %s", who, r.status, r.body)
			}
			var in fwInbox
			r.json(t, &in)
			for _, it := range in.Items {
				if it.InstanceID == inst.ID {
					return it.TaskID
				}
			}
			t.Fatalf("%s: instance %d not in todo", who, inst.ID)
			return 0
		}
		approve := func(c *http.Client, task int64, password string) response {
			return e.do(t, c, "POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "password": password}, nil)
		}
		for _, u := range []struct {
			c    *http.Client
			name string
		}{{czq, "chenzhiqiang"}, {lh, "lihua"}} {
			if r := approve(u.c, todo(u.c, u.name), demo.Password); r.status != http.StatusOK {
				t.Fatalf("%s approves: %d %s", u.name, r.status, r.body)
			}
		}
		gmID := e.personID(t, "wangjianguo")
		gmSession := e.login(t, "wangjianguo")
		gmTask := todo(gmSession, "wangjianguo")
		gmToken := e.token(t, "wangjianguo")

		// The administrator sets a password of their choosing.
		if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/password", gmID), map[string]string{"password": "chosen-by-admin"}); r.status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		ev := e.lastEvent(t, "auth.password_reset", gmID)
		if c, ok := changeOf(t, ev, "password_temporary"); !ok || c.Old != false || c.New != true {
			t.Fatalf("reset event password_temporary = %+v (%v)", c, ok)
		}
		// The GM's session, and the one that made his token.
		if c, _ := changeOf(t, ev, "sessions_ended"); c.New != float64(2) {
			t.Fatalf("sessions_ended = %+v", c)
		}
		if c, _ := changeOf(t, ev, "tokens_revoked"); c.New != float64(1) {
			t.Fatalf("tokens_revoked = %+v", c)
		}
		// The GM's own session and token are gone.
		if r := e.do(t, gmSession, "GET", "/api/v1/me", nil, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("GM's session after the reset: %d", r.status)
		}
		if r := e.do(t, nil, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + gmToken}); r.status != http.StatusUnauthorized {
			t.Fatalf("GM's token after the reset: %d", r.status)
		}

		// The administrator signs in as the GM: the password works, but
		// only to change it.
		asGM, must := e.signIn(t, "wangjianguo", "chosen-by-admin")
		if !must {
			t.Fatal("sign-in does not say the password must change")
		}
		wantProblem(t, "inbox", e.do(t, asGM, "GET", "/api/v1/inbox/todo", nil, nil), http.StatusForbidden, "auth.password_change_required")
		wantProblem(t, "approve", approve(asGM, gmTask, "chosen-by-admin"), http.StatusForbidden, "auth.password_change_required")
		wantProblem(t, "new token", e.do(t, asGM, "POST", "/api/v1/me/tokens", map[string]string{"name": "x"}, nil), http.StatusForbidden, "auth.password_change_required")

		// Behind the web layer, the engine refuses the signature too.
		gm, err := e.app.Auth.Actor(ctx, gmID)
		if err != nil || !gm.MustChangePassword {
			t.Fatalf("GM actor = %+v, %v", gm, err)
		}
		_, err = e.app.Flow.Act(ctx, gm, gmTask, flow.ActInput{Action: flow.ActApprove, Password: "chosen-by-admin"})
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindForbidden || de.Key != "auth.temporary_password" {
			t.Fatalf("engine signature with a temporary password: %v", err)
		}
		if !strings.Contains(i18n.T(i18n.ZH, de.Key, nil), "签名") || !strings.Contains(i18n.T(i18n.EN, de.Key, nil), "sign") {
			t.Fatalf("auth.temporary_password is not translated")
		}
		view := e.do(t, zw, "GET", idPath("/api/v1/instances/%d", inst.ID), nil, nil)
		var v fwView
		view.json(t, &v)
		for _, s := range v.Signatures {
			if s.SignerName == "王建国" {
				t.Fatalf("a GM signature exists: %+v", v.Signatures)
			}
		}
		if len(v.Signatures) != 2 {
			t.Fatalf("signatures = %+v", v.Signatures)
		}

		// The GM sets his own password; from then on he signs.
		if r := e.do(t, asGM, "POST", "/api/v1/me/password", map[string]string{"old_password": "chosen-by-admin", "new_password": "gm-own-secret"}, nil); r.status != http.StatusNoContent {
			t.Fatalf("change: %d %s", r.status, r.body)
		}
		if c, ok := changeOf(t, e.lastEvent(t, "auth.password_change", gmID), "password_temporary"); !ok || c.Old != true || c.New != false {
			t.Fatalf("change event password_temporary = %+v (%v)", c, ok)
		}
		if r := approve(asGM, gmTask, "gm-own-secret"); r.status != http.StatusOK {
			t.Fatalf("GM signs with his own password: %d %s", r.status, r.body)
		}
	})
}

// Ensure a password the administrator resets — through the API or on the
// person page — is temporary: the person signs in, and every page but the
// account page sends them there with a message in their language, every
// API route but their own password answers 403 with a translated key,
// until they change it. Demo passwords are not temporary.
func TestR8_AdminResetPasswordIsTemporary(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		if _, must := e.signIn(t, "zhangwei", demo.Password); must {
			t.Fatal("demo password is temporary")
		}
		zwID := e.personID(t, "zhangwei")
		// The person page's form (the UI reset).
		admin := e.login(t, "admin")
		form := url.Values{"password": {"temp-by-admin"}}.Encode()
		r := e.do(t, admin, "POST", idPath("/people/%d/password", zwID), form, formCT)
		if r.status != http.StatusSeeOther {
			t.Fatalf("UI reset: %d %s", r.status, r.body)
		}
		if r := e.do(t, admin, "GET", idPath("/people/%d", zwID), nil, nil); !strings.Contains(r.body, `id="reset-password"`) {
			t.Fatal("no reset form on the person page")
		}
		// A bad password is shown at the field.
		r = e.do(t, admin, "POST", idPath("/people/%d/password", zwID), url.Values{"password": {"short"}}.Encode(), formCT)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "field-error") {
			t.Fatalf("UI reset with a short password: %d", r.status)
		}
		// Not for others: a director may not reset.
		czq := e.login(t, "chenzhiqiang")
		if r := e.do(t, czq, "POST", idPath("/people/%d/password", zwID), form, formCT); r.status != http.StatusForbidden {
			t.Fatalf("director resets: %d", r.status)
		}

		// Signing in through the login page leads to the account page.
		zw := e.client(t)
		r = e.do(t, zw, "POST", "/login", url.Values{"username": {"zhangwei"}, "password": {"temp-by-admin"}, "next": {"/inbox"}}.Encode(), formCT)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
			t.Fatalf("UI login: %d %q", r.status, r.header.Get("Location"))
		}
		for _, p := range []string{"/", "/inbox", "/people", idPath("/people/%d", zwID), "/processes/purchase-request/new", "/admin"} {
			if r := e.do(t, zw, "GET", p, nil, nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
				t.Errorf("GET %s: %d %q, want a redirect to /account", p, r.status, r.header.Get("Location"))
			}
		}
		if r := e.do(t, zw, "POST", "/account/tokens", url.Values{"name": {"x"}}.Encode(), formCT); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
			t.Errorf("POST /account/tokens: %d %q", r.status, r.header.Get("Location"))
		}
		for _, p := range []string{"/static/app.css", "/healthz"} {
			if r := e.do(t, zw, "GET", p, nil, nil); r.status != http.StatusOK {
				t.Errorf("GET %s: %d", p, r.status)
			}
		}
		for lang, want := range map[string]string{"zh": i18n.T(i18n.ZH, "account.must_change", nil), "en": i18n.T(i18n.EN, "account.must_change", nil)} {
			r := e.do(t, zw, "GET", "/account", nil, map[string]string{"Cookie": "lang=" + lang})
			if r.status != http.StatusOK || !strings.Contains(r.body, want) || strings.Contains(r.body, `href="/inbox"`) {
				t.Errorf("account page (%s): %d, message shown %v", lang, r.status, strings.Contains(r.body, want))
			}
		}
		// The API says so too, in both languages.
		if r := e.do(t, zw, "GET", "/api/v1/me", nil, nil); !strings.Contains(r.body, `"must_change_password":true`) {
			t.Fatalf("me: %s", r.body)
		}
		for _, lang := range []string{"zh", "en"} {
			r := e.do(t, zw, "GET", "/api/v1/people", nil, map[string]string{"Cookie": "lang=" + lang})
			wantProblem(t, "people list", r, http.StatusForbidden, "auth.password_change_required")
			if p := r.problem(t); p.Detail != i18n.T(lang, "auth.password_change_required", nil) {
				t.Errorf("detail (%s) = %q", lang, p.Detail)
			}
		}

		// Changing it on the account page opens everything again.
		r = e.do(t, zw, "POST", "/account/password", url.Values{"old_password": {"temp-by-admin"}, "new_password": {"zhangwei-own-1"}}.Encode(), formCT)
		if r.status != http.StatusOK || strings.Contains(r.body, `id="must-change"`) || !strings.Contains(r.body, i18n.T(i18n.ZH, "account.password_changed", nil)) {
			t.Fatalf("UI change: %d", r.status)
		}
		if r := e.do(t, zw, "GET", "/inbox", nil, nil); r.status != http.StatusOK {
			t.Fatalf("inbox after the change: %d", r.status)
		}
		if r := e.do(t, zw, "GET", "/api/v1/me", nil, nil); !strings.Contains(r.body, `"must_change_password":false`) {
			t.Fatalf("me after the change: %s", r.body)
		}
	})
}

// Ensure a person the administrator creates with a password — through the
// API or the form — must change it at the first sign-in.
func TestR8_AdminCreatedPasswordIsTemporary(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		var dept int64
		if err := e.app.DB.R().QueryRowContext(context.Background(), "SELECT id FROM department WHERE code = 'synthesis'").Scan(&dept); err != nil {
			t.Fatal(err)
		}
		r := e.as(t, "admin", "POST", "/api/v1/people", map[string]any{"username": "newbie", "name": "新人", "department_id": dept,
			"roles": []map[string]any{{"role": "researcher"}}, "password": "initial-pass-1"})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var p struct{ ID int64 }
		r.json(t, &p)
		if c, ok := changeOf(t, e.lastEvent(t, "person.create", p.ID), "password_temporary"); !ok || c.New != true {
			t.Fatalf("person.create password_temporary = %+v (%v)", c, ok)
		}
		c, must := e.signIn(t, "newbie", "initial-pass-1")
		if !must {
			t.Fatal("initial password is not temporary")
		}
		wantProblem(t, "inbox", e.do(t, c, "GET", "/api/v1/inbox/todo", nil, nil), http.StatusForbidden, "auth.password_change_required")

		admin := e.login(t, "admin")
		form := url.Values{"username": {"formbie"}, "name": {"表单新人"}, "department_id": {fmt.Sprint(dept)}, "roles": {"researcher"}, "password": {"initial-pass-2"}}
		if r := e.do(t, admin, "POST", "/people/new", form.Encode(), formCT); r.status != http.StatusSeeOther {
			t.Fatalf("UI create: %d %s", r.status, r.body)
		}
		c, must = e.signIn(t, "formbie", "initial-pass-2")
		if !must {
			t.Fatal("initial password from the form is not temporary")
		}
		if r := e.do(t, c, "POST", "/api/v1/me/password", map[string]string{"old_password": "initial-pass-2", "new_password": "formbie-own-1"}, nil); r.status != http.StatusNoContent {
			t.Fatalf("change: %d %s", r.status, r.body)
		}
		if r := e.do(t, c, "GET", "/api/v1/inbox/todo", nil, nil); r.status != http.StatusOK {
			t.Fatalf("inbox after the change: %d %s", r.status, r.body)
		}
	})
}
