package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"labflow/internal/store"
)

// sendMail sends one plain-text message over SMTP as the settings say:
// implicit TLS, STARTTLS (required when chosen: a server that does not
// offer it is not sent to in the clear) or none; AUTH PLAIN when a user
// name is set (net/smtp refuses it without TLS but to the local host). A
// 5xx answer is permanent; anything else may be tried again.
func (s *Service) sendMail(ctx context.Context, st store.NoticeSettings, to, subject, body, messageID string) error {
	from, err := mail.ParseAddress(st.SMTPFrom)
	if err != nil {
		return permanent{fmt.Errorf("the sender address %q: %w", st.SMTPFrom, err)}
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return permanent{fmt.Errorf("the address %q: %w", to, err)}
	}
	addr := net.JoinHostPort(st.SMTPHost, strconv.Itoa(st.SMTPPort))
	deadline := time.Now().Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialer := &net.Dialer{Deadline: deadline}
	var conn net.Conn
	if st.SMTPTLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig(st.SMTPHost)}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, st.SMTPHost)
	if err != nil {
		conn.Close()
		return smtpErr("greeting", err)
	}
	defer c.Close()
	if st.SMTPTLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return permanent{errors.New("the server does not offer STARTTLS; LabFlow does not send in the clear when STARTTLS is chosen")}
		}
		if err := c.StartTLS(s.tlsConfig(st.SMTPHost)); err != nil {
			return smtpErr("STARTTLS", err)
		}
	}
	if st.SMTPUsername != "" {
		if err := c.Auth(smtp.PlainAuth("", st.SMTPUsername, st.SMTPPassword, st.SMTPHost)); err != nil {
			return smtpErr("AUTH", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return smtpErr("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return smtpErr("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("DATA", err)
	}
	if _, err := w.Write(message(from, rcpt, subject, body, messageID, time.Now())); err != nil {
		return smtpErr("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("DATA", err)
	}
	return c.Quit()
}

func (s *Service) tlsConfig(host string) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		c = s.cfg.TLS.Clone()
	}
	c.ServerName = host
	return c
}

// smtpErr names the step that failed; a 5xx answer is permanent.
func smtpErr(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent{fmt.Errorf("%s: %w", step, err)}
	}
	return fmt.Errorf("%s: %w", step, err)
}

// message is an RFC 5322 message: UTF-8 text, base64, the subject
// encoded (RFC 2047), marked as automatic (RFC 3834) so that nobody's
// out-of-office answers it.
func message(from, to *mail.Address, subject, body, messageID string, at time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.BEncoding.Encode("UTF-8", strings.ReplaceAll(subject, "\n", " ")))
	h("Date", at.Format(time.RFC1123Z))
	h("Message-ID", messageID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "base64")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
