// Package notifytest holds what tests of notices need and no production
// code does: an SMTP server on a loopback port and group-robot webhook
// receivers that check signatures as DingTalk, WeCom and Feishu do. Nothing
// here touches the network beyond 127.0.0.1.
package notifytest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mail is one message an SMTP server accepted.
type Mail struct {
	From    string
	To      []string
	Subject string // decoded
	Body    string // decoded text
	Header  mail.Header
	TLS     bool   // the session was encrypted
	User    string // who authenticated ("" for nobody)
}

// SMTPServer is a small SMTP server (RFC 5321: EHLO, STARTTLS, AUTH PLAIN,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT) on a loopback port. It keeps what it
// accepted; Reply lets a test answer a command with a failure.
type SMTPServer struct {
	Addr string // host:port
	// Cert is the server's certificate (for STARTTLS and implicit TLS);
	// Roots trusts it.
	Roots *x509.CertPool

	t        testing.TB
	ln       net.Listener
	tlsConf  *tls.Config
	starttls bool

	mu     sync.Mutex
	mails  []Mail
	users  map[string]string
	reply  func(cmd string, n int) string // "" answers normally; n counts the command
	counts map[string]int
	wg     sync.WaitGroup
}

// SMTPOptions configure a server.
type SMTPOptions struct {
	StartTLS bool              // offer STARTTLS
	Implicit bool              // TLS from the first byte (port 465 style)
	Users    map[string]string // AUTH PLAIN accepts these; nil offers no AUTH
}

// NewSMTPServer starts a server on 127.0.0.1; it stops when the test ends.
func NewSMTPServer(t testing.TB, o SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, users: o.Users, counts: map[string]int{}, starttls: o.StartTLS}
	if o.StartTLS || o.Implicit {
		s.tlsConf, s.Roots = selfSigned(t)
	}
	var err error
	if o.Implicit {
		s.ln, err = tls.Listen("tcp", "127.0.0.1:0", s.tlsConf)
	} else {
		s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	s.Addr = s.ln.Addr().String()
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { s.ln.Close(); s.wg.Wait() })
	return s
}

// Port is the server's port.
func (s *SMTPServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Reply makes the server answer command cmd (MAIL, RCPT, DATA — DATA is the
// answer after the message) with what f returns for its n-th time (from 1);
// "" answers normally.
func (s *SMTPServer) Reply(f func(cmd string, n int) string) {
	s.mu.Lock()
	s.reply = f
	s.mu.Unlock()
}

// Mails returns what the server accepted so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

func (s *SMTPServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
		}()
	}
}

func (s *SMTPServer) answer(cmd string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[cmd]++
	if s.reply == nil {
		return ""
	}
	return s.reply(cmd, s.counts[cmd])
}

func (s *SMTPServer) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	_, secure := c.(*tls.Conn)
	var m Mail
	user := ""
	say("220 labflow-test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"250-labflow-test", "250-8BITMIME"}
			if s.starttls && !secure {
				ext = append(ext, "250-STARTTLS")
			}
			if s.users != nil {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 SMTPUTF8")
			say(ext...)
		case "STARTTLS":
			if !s.starttls || secure {
				say("502 not offered")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(c, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if s.users == nil || !strings.EqualFold(mech, "PLAIN") {
				say("504 unrecognised authentication type")
				continue
			}
			if resp == "" {
				say("334 ")
				resp, _ = r.ReadString('\n')
				resp = strings.TrimSpace(resp)
			}
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 || s.users[parts[1]] == "" || s.users[parts[1]] != parts[2] {
				say("535 5.7.8 authentication credentials invalid")
				continue
			}
			user = parts[1]
			say("235 2.7.0 authentication successful")
		case "MAIL":
			if a := s.answer("MAIL"); a != "" {
				say(a)
				continue
			}
			m = Mail{From: addrOf(arg), TLS: secure, User: user}
			say("250 ok")
		case "RCPT":
			if a := s.answer("RCPT"); a != "" {
				say(a)
				continue
			}
			m.To = append(m.To, addrOf(arg))
			say("250 ok")
		case "DATA":
			say("354 end with <CRLF>.<CRLF>")
			var buf bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				buf.WriteString(strings.TrimPrefix(l, "."))
			}
			if a := s.answer("DATA"); a != "" {
				say(a)
				continue
			}
			if msg, err := parse(buf.Bytes()); err == nil {
				msg.From, msg.To, msg.TLS, msg.User = m.From, m.To, m.TLS, m.User
				s.mu.Lock()
				s.mails = append(s.mails, msg)
				s.mu.Unlock()
				say("250 ok: queued")
			} else {
				say("554 unreadable message")
			}
		case "RSET":
			m = Mail{}
			say("250 ok")
		case "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("500 unknown command")
		}
	}
}

func addrOf(arg string) string {
	if i, j := strings.Index(arg, "<"), strings.Index(arg, ">"); i >= 0 && j > i {
		return arg[i+1 : j]
	}
	return arg
}

// parse reads a message as a mail client would: the header, the subject
// decoded (RFC 2047), the body decoded (base64 or as is).
func parse(b []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return Mail{}, err
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return Mail{}, err
	}
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "base64") {
		if body, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body))); err != nil {
			return Mail{}, err
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Mail{}, err
	}
	return Mail{Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Header: msg.Header}, nil
}

var cert struct {
	once sync.Once
	conf *tls.Config
	pool *x509.CertPool
}

// selfSigned returns the test servers' certificate for 127.0.0.1 and
// localhost (one per test binary, so that one pool trusts every server),
// and a pool that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	cert.once.Do(func() { cert.conf, cert.pool = makeCert(t) })
	if cert.conf == nil {
		t.Fatal("no test certificate")
	}
	return cert.conf, cert.pool
}

func makeCert(t testing.TB) (*tls.Config, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "labflow-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true,
		BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
