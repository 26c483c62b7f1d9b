package notify

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"labflow/internal/flow"
	"labflow/internal/i18n"
)

// Text is a notice as its reader sees it in the in-app list, in lang: what
// happened ("notice."+Kind), to which request — its title and number —,
// then what the notice knows of it: the step, who acted, the reason, the
// comment, the outcome. Every notice names its request (issue 9 item 4).
func Text(lang string, n flow.Notification) string {
	lang = i18n.Norm(lang)
	key := "notice." + n.Kind
	if !i18n.Has(lang, key) {
		key = "notice.other"
	}
	title, _ := n.Args["title"].(string)
	request := i18n.T(lang, "notice.request", map[string]any{"title": title, "no": n.InstanceID})
	if n.InstanceID == 0 {
		request = title
	}
	var b strings.Builder
	b.WriteString(i18n.T(lang, key, map[string]any{"request": request}))
	var parts []string
	for _, p := range []string{"step", "by", "reason", "comment", "outcome"} {
		v := arg(lang, n.Args, p)
		if v == "" {
			continue
		}
		parts = append(parts, i18n.T(lang, "notice.part."+p, map[string]any{p: v}))
	}
	if len(parts) > 0 {
		b.WriteString(i18n.T(lang, "notice.parts", map[string]any{"parts": strings.Join(parts, i18n.T(lang, "notice.parts_sep", nil))}))
	}
	return b.String()
}

// arg is a notice argument as text in lang: its English variant (name_en)
// in English when there is one.
func arg(lang string, args map[string]any, name string) string {
	if lang == i18n.EN {
		if v, ok := args[name+"_en"].(string); ok && v != "" {
			return v
		}
	}
	v, _ := args[name].(string)
	return strings.TrimSpace(v)
}

// Message is a notice as it leaves LabFlow by e-mail or chat: a subject
// (one line) and a body (the text, then the link to the request).
type Message struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// maxSubject bounds a subject line, in characters.
const maxSubject = 150

// Render is the message of n for reader in lang; base is the address of
// LabFlow as its readers reach it ("" leaves the link out).
func Render(lang string, n flow.Notification, reader, base string) Message {
	lang = i18n.Norm(lang)
	text := Text(lang, n)
	subject := text
	if utf8.RuneCountInString(subject) > maxSubject {
		subject = string([]rune(subject)[:maxSubject-1]) + "…"
	}
	var b strings.Builder
	if reader != "" {
		b.WriteString(i18n.T(lang, "notice.to", map[string]any{"name": reader}))
		b.WriteString("\n")
	}
	b.WriteString(text)
	if link := Link(base, n); link != "" {
		b.WriteString("\n")
		b.WriteString(i18n.T(lang, "notice.open", map[string]any{"link": link}))
	}
	return Message{Subject: subject, Body: b.String()}
}

// Link is the address of the page a notice is about: the request.
func Link(base string, n flow.Notification) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" || n.InstanceID == 0 {
		return ""
	}
	return base + "/instances/" + strconv.FormatInt(n.InstanceID, 10)
}

// textFor is a catalog message in lang (Chinese unless English).
func textFor(lang, key string) string { return i18n.T(i18n.Norm(lang), key, nil) }
