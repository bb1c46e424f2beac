// Package smtptest runs a real SMTP server on loopback that keeps or counts what it receives,
// for tests and benchmarks of anything that sends email. It is built on go-smtp, so the client
// under test speaks real SMTP: STARTTLS, AUTH, refusals and all.
package smtptest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape the server. The zero value accepts everything without TLS or AUTH.
type Options struct {
	// TLSConfig, when set, makes the server offer STARTTLS (or, with ImplicitTLS, speak TLS
	// from the first byte).
	TLSConfig   *tls.Config
	ImplicitTLS bool
	// Username and Password, when set, make AUTH PLAIN mandatory before MAIL FROM. The server
	// offers AUTH only over TLS when TLSConfig is set, like a real submission server.
	Username, Password string
	// Rcpt, when set, may refuse a recipient by returning an error (see Reply).
	Rcpt func(to string) error
	// Data, when set, may refuse a message after its content arrived.
	Data func(m *Message) error
	// Discard keeps no copies, only the count: for benchmarks.
	Discard bool
	// Addr is where to listen; a free port on 127.0.0.1 when empty. Giving the address of a
	// closed server stands for a relay restart.
	Addr string
}

// Message is one email the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte // the raw message, CRLF line endings
	TLS  bool   // the session was encrypted when the message was sent
	User string // the authenticated user, if any
}

// Server is a running sink. Close it when done.
type Server struct {
	Addr string // host:port it listens on

	opts    Options
	srv     *smtp.Server
	ln      net.Listener
	mu      sync.Mutex
	msgs    []Message
	count   atomic.Int64
	conns   atomic.Int64
	arrived chan struct{} // signalled after each accepted message
	served  chan struct{}
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, arrived: make(chan struct{}, 1), served: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 16 << 20
	srv.MaxRecipients = 100
	srv.TLSConfig = opts.TLSConfig
	// Without TLS there is nothing to protect the password with; a test relay allows it.
	srv.AllowInsecureAuth = opts.TLSConfig == nil
	srv.ErrorLog = log.New(io.Discard, "", 0)
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	if opts.ImplicitTLS {
		if opts.TLSConfig == nil {
			return nil, errors.New("smtptest: ImplicitTLS needs a TLSConfig")
		}
		ln, err = tls.Listen("tcp", addr, opts.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	s.srv, s.ln, s.Addr = srv, ln, ln.Addr().String()
	go func() {
		defer close(s.served)
		_ = srv.Serve(countingListener{ln, &s.conns})
	}()
	return s, nil
}

// URL returns an smtp:// (or smtps://) URL of the server, without credentials.
func (s *Server) URL() string {
	if s.opts.ImplicitTLS {
		return "smtps://" + s.Addr
	}
	return "smtp://" + s.Addr
}

// Port returns the port the server listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the server and drops its connections.
func (s *Server) Close() error {
	err := s.srv.Close()
	// Serve may not have registered the listener yet, in which case srv.Close missed it.
	s.ln.Close()
	<-s.served
	return err
}

// Messages returns copies of the messages kept so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages the server accepted.
func (s *Server) Count() int { return int(s.count.Load()) }

// Wait blocks until the server has accepted at least n messages or ctx ends.
func (s *Server) Wait(ctx context.Context, n int) error {
	for s.Count() < n {
		select {
		case <-s.arrived:
		case <-ctx.Done():
			return fmt.Errorf("smtptest: %d of %d messages arrived: %w", s.Count(), n, ctx.Err())
		}
	}
	return nil
}

// Reply returns an SMTP error reply such as Reply(550, "5.1.1", "user unknown"), for the Rcpt
// and Data hooks.
func Reply(code int, enhanced, text string) error {
	e := &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: text}
	if parts := strings.Split(enhanced, "."); len(parts) == 3 {
		for i, p := range parts {
			e.EnhancedCode[i], _ = strconv.Atoi(p)
		}
	}
	return e
}

// Conns returns how many connections clients opened, to check that they are reused.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c}, nil
}

// session is one client connection's conversation.
type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (ss *session) authorised() bool { return ss.s.opts.Username == "" || ss.user != "" }

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Invalid credentials"}
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authorised() {
		return errAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.authorised() {
		return errAuthRequired
	}
	if ss.s.opts.Rcpt != nil {
		if err := ss.s.opts.Rcpt(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if !ss.authorised() {
		return errAuthRequired
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	m := Message{From: ss.from, To: ss.to, Data: b, TLS: isTLS, User: ss.user}
	if ss.s.opts.Data != nil {
		if err := ss.s.opts.Data(&m); err != nil {
			return err
		}
	}
	if !ss.s.opts.Discard {
		ss.s.mu.Lock()
		ss.s.msgs = append(ss.s.msgs, m)
		ss.s.mu.Unlock()
	}
	ss.s.count.Add(1)
	select {
	case ss.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// SelfSigned returns a server TLS config with a fresh self-signed certificate for 127.0.0.1
// and localhost, and a pool that trusts it for the client side.
func SelfSigned() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool, nil
}
