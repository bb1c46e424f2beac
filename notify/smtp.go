package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/epiloguehq/epilogue"
	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SMTP sends email through a relay, over a small pool of connections that each carry many
// messages: a TLS handshake and AUTH per message would cap throughput far below what a journey
// burst (a carrier's morning scans) needs.
type SMTP struct {
	cfg    SMTPConfig
	client *gomail.Client // holds the settings; the connections live in slots
	mail   emailer
	// busy bounds the connections in use to PoolSize; idle is a stack, so a quiet period
	// runs on one warm connection while the others age out.
	busy   chan struct{}
	mu     sync.Mutex
	idle   []*smtpConn
	closed bool
}

// smtpConn is one pooled connection.
type smtpConn struct {
	c    *gosmtp.Client
	raw  *guardConn
	used time.Time // when it last carried a message
	sent int
}

// probeAfter is how long a pooled connection may sit idle before it is checked with NOOP;
// idleLimit is when it is dropped unchecked, since relays hang up on idle clients (Postfix
// after 300 s).
const (
	probeAfter = 5 * time.Second
	idleLimit  = 120 * time.Second
)

// NewSMTP returns an email sender for the relay described by cfg. It does not connect until
// the first Send. clock dates messages that carry no creation time.
func NewSMTP(cfg SMTPConfig, clock epilogue.Clock) (*SMTP, error) {
	cfg = cfg.withDefaults()
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if cfg.From != "" {
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("smtp: default sender %q is not an email address", cfg.From)
		}
	}
	if cfg.UnsubscribeMailto != "" {
		if _, err := mail.ParseAddress(cfg.UnsubscribeMailto); err != nil {
			return nil, fmt.Errorf("smtp: unsubscribe mailto %q is not an email address", cfg.UnsubscribeMailto)
		}
	}
	s := &SMTP{
		cfg:  cfg,
		mail: emailer{from: cfg.From, fromName: cfg.FromName, mailto: cfg.UnsubscribeMailto, domain: cfg.MessageIDDomain, clock: clock},
		busy: make(chan struct{}, cfg.PoolSize),
	}
	tlsConfig := &tls.Config{
		ServerName:         cfg.Host,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		RootCAs:            cfg.RootCAs,
		MinVersion:         tls.VersionTLS12,
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(s.dialer(tlsConfig)),
		// The pool checks idle connections itself; NOOP and RSET around every message would
		// double the round trips of a send.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch {
	case cfg.ImplicitTLS:
		// The dialer does the TLS; what go-mail sees is already encrypted and offers no
		// STARTTLS, which "opportunistic" accepts and "mandatory" would not.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case cfg.StartTLS == StartTLSRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case cfg.StartTLS == StartTLSOff:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if cfg.Username != "" {
		mech, ok := map[string]gomail.SMTPAuthType{
			AuthPlain: gomail.SMTPAuthPlain, AuthLogin: gomail.SMTPAuthLogin, AuthCRAMMD5: gomail.SMTPAuthCramMD5,
			AuthSCRAMSHA256: gomail.SMTPAuthSCRAMSHA256, AuthAuto: gomail.SMTPAuthAutoDiscover,
		}[cfg.Auth]
		if !ok {
			return nil, fmt.Errorf("smtp: unknown auth mechanism %q", cfg.Auth)
		}
		opts = append(opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	s.client = c
	return s, nil
}

// Send delivers m to the relay. A resend of the same message (same shop and idempotency key)
// produces the same email, Message-ID and Date included.
func (s *SMTP) Send(ctx context.Context, m *epilogue.Message) error {
	msg, err := s.mail.compose(m)
	if err != nil {
		return err
	}
	select {
	case s.busy <- struct{}{}:
	case <-ctx.Done():
		return &Error{Channel: epilogue.ChannelEmail, Temp: true, Err: ctx.Err()}
	}
	conn, ok := s.take()
	defer func() { s.release(conn) }()
	if !ok {
		return &Error{Channel: epilogue.ChannelEmail, Temp: true, Err: errors.New("smtp: sender closed")}
	}
	conn = s.check(ctx, conn)
	reused := conn != nil
	if conn == nil {
		if conn, err = s.dial(ctx); err != nil {
			return dialError(err)
		}
	}
	err = s.deliver(ctx, conn, msg)
	if err != nil && reused && unanswered(err) && ctx.Err() == nil {
		// The relay dropped an idle connection under us before MAIL FROM was answered:
		// nothing was delivered, so one retry on a fresh connection is safe.
		s.discard(conn)
		if conn, err = s.dial(ctx); err != nil {
			return dialError(err)
		}
		err = s.deliver(ctx, conn, msg)
	}
	if err != nil {
		// A refusal leaves the connection usable once the transaction is reset (go-mail resets
		// after MAIL and RCPT refusals, not after DATA ones); anything else may have left it
		// mid-conversation.
		if !conn.c.HasConnection() || conn.raw.aborted.Load() || !answered(err) || smtpCode(err) == 421 || conn.c.Reset() != nil {
			s.discard(conn)
			conn = nil
		}
		return classifySMTP(err)
	}
	if conn.sent >= s.cfg.MaxPerConn {
		s.discard(conn)
		conn = nil
	}
	return nil
}

// deliver sends msg on conn, aborting the conversation if ctx ends first.
func (s *SMTP) deliver(ctx context.Context, conn *smtpConn, msg *gomail.Msg) error {
	stop := context.AfterFunc(ctx, conn.raw.abort)
	err := s.client.SendWithSMTPClient(conn.c, msg)
	if !stop() && err == nil {
		// ctx ended just as the server accepted: the message is sent, the connection is not
		// reusable.
		conn.raw.abort()
	}
	conn.used = time.Now()
	conn.sent++
	return err
}

// check returns conn if it is still worth using, or nil after closing it.
func (s *SMTP) check(ctx context.Context, conn *smtpConn) *smtpConn {
	if conn == nil {
		return nil
	}
	idle := time.Since(conn.used)
	if idle > idleLimit || !conn.c.HasConnection() || conn.raw.aborted.Load() {
		s.discard(conn)
		return nil
	}
	if idle > probeAfter {
		stop := context.AfterFunc(ctx, conn.raw.abort)
		err := conn.c.UpdateDeadline(s.cfg.Timeout)
		if err == nil {
			err = conn.c.Noop()
		}
		stop()
		if err != nil {
			s.discard(conn)
			return nil
		}
	}
	return conn
}

// dial opens, secures and authenticates a new connection.
func (s *SMTP) dial(ctx context.Context) (*smtpConn, error) {
	h := &connHolder{}
	stop := context.AfterFunc(ctx, h.abort)
	defer stop()
	c, err := s.client.DialToSMTPClientWithContext(context.WithValue(ctx, connHolderKey{}, h))
	if err != nil {
		if raw := h.get(); raw != nil {
			raw.Close()
		}
		return nil, err
	}
	raw := h.get()
	if raw == nil || raw.aborted.Load() {
		_ = c.Close()
		return nil, context.Cause(ctx)
	}
	return &smtpConn{c: c, raw: raw, used: time.Now()}, nil
}

// dialer returns the dial function given to go-mail: it records the raw connection so a
// cancelled context can abort a conversation, and does the TLS of smtps:// itself.
func (s *SMTP) dialer(tlsConfig *tls.Config) gomail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: s.cfg.Timeout, KeepAlive: 30 * time.Second}
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		raw := &guardConn{Conn: nc}
		if h, ok := ctx.Value(connHolderKey{}).(*connHolder); ok {
			h.set(raw)
		}
		if !s.cfg.ImplicitTLS {
			return raw, nil
		}
		tc := tls.Client(raw, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		return tc, nil
	}
}

func (s *SMTP) discard(conn *smtpConn) {
	if conn == nil {
		return
	}
	if conn.c.HasConnection() && !conn.raw.aborted.Load() {
		_ = conn.c.UpdateDeadline(time.Second)
		if conn.c.Quit() == nil {
			return
		}
	}
	_ = conn.c.Close()
}

// take returns an idle connection (nil if none) and false once the sender is closed.
func (s *SMTP) take() (*smtpConn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	n := len(s.idle)
	if n == 0 {
		return nil, true
	}
	conn := s.idle[n-1]
	s.idle = s.idle[:n-1]
	return conn, true
}

// release returns a connection (or nil for none) to the pool.
func (s *SMTP) release(conn *smtpConn) {
	if conn != nil {
		s.mu.Lock()
		closed := s.closed
		if !closed {
			s.idle = append(s.idle, conn)
		}
		s.mu.Unlock()
		if closed {
			s.discard(conn)
		}
	}
	<-s.busy
}

// Close says goodbye on the idle connections and makes later sends fail as temporary;
// connections in use close when their send ends.
func (s *SMTP) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	for _, conn := range idle {
		s.discard(conn)
	}
	return nil
}

// classifySMTP turns a go-mail send error into an *Error.
func classifySMTP(err error) *Error {
	e := &Error{Channel: epilogue.ChannelEmail, Err: err, Temp: true}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return e
	}
	e.Code, e.Detail = smtpCode(err), se.EnhancedStatusCode()
	switch {
	case se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded:
		e.Temp = false
	case e.Code == 530 || e.Code >= 500 && e.Code != 552 && se.Reason == gomail.ErrSMTPMailFrom:
		// Authentication required, or the sender refused (550 5.1.8 "sender address
		// rejected"): the relay's setup or the brand's sender is wrong, an outage to fix, not a
		// verdict on this message (see dialError). 552 there is the message's size.
	case e.Code >= 500:
		e.Temp = false
		// 552 on RCPT is "mailbox full", which RFC 5321 says to treat as temporary.
		if e.Code == 552 && se.Reason == gomail.ErrSMTPRcptTo {
			e.Temp = true
		} else {
			e.Bounce = se.Reason == gomail.ErrSMTPRcptTo || strings.HasPrefix(e.Detail, "5.1.")
		}
	}
	return e
}

// dialError classifies a failure to connect, secure or authenticate. All are temporary: a
// relay that is down or refuses our credentials is an outage to fix, not a verdict on the
// message, which should wait for the fix rather than be dropped.
func dialError(err error) *Error {
	e := &Error{Channel: epilogue.ChannelEmail, Temp: true, Err: fmt.Errorf("connecting to relay: %w", err)}
	var te *textproto.Error
	if errors.As(err, &te) {
		e.Code = te.Code
	}
	return e
}

// smtpCode returns the reply code the server answered with, 0 if it did not answer.
func smtpCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

func answered(err error) bool { return smtpCode(err) != 0 }

// unanswered reports a failure before the server could accept anything of the message.
func unanswered(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.ErrorCode() == 0 &&
		(se.Reason == gomail.ErrConnCheck || se.Reason == gomail.ErrSMTPMailFrom)
}

// guardConn is a connection that a cancelled context can abort: once aborted its deadline
// stays in the past, whatever go-mail sets afterwards, so every blocked read or write returns.
type guardConn struct {
	net.Conn
	aborted atomic.Bool
}

var longAgo = time.Unix(1, 0)

func (c *guardConn) abort() {
	c.aborted.Store(true)
	_ = c.Conn.SetDeadline(longAgo)
}

func (c *guardConn) SetDeadline(t time.Time) error {
	if c.aborted.Load() {
		t = longAgo
	}
	return c.Conn.SetDeadline(t)
}

func (c *guardConn) SetReadDeadline(t time.Time) error {
	if c.aborted.Load() {
		t = longAgo
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *guardConn) SetWriteDeadline(t time.Time) error {
	if c.aborted.Load() {
		t = longAgo
	}
	return c.Conn.SetWriteDeadline(t)
}

// connHolder passes the raw connection out of go-mail's dial, through the context.
type connHolder struct {
	mu      sync.Mutex
	conn    *guardConn
	aborted bool
}

type connHolderKey struct{}

func (h *connHolder) set(c *guardConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conn = c
	if h.aborted {
		c.abort()
	}
}

func (h *connHolder) get() *guardConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn
}

func (h *connHolder) abort() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.aborted = true
	if h.conn != nil {
		h.conn.abort()
	}
}
