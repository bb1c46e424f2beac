package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
	"github.com/epiloguehq/epilogue/notify/smtptest"
)

var created = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func testMessage(key string) *epilogue.Message {
	return &epilogue.Message{
		ID:             "msg_" + key,
		ShopID:         "shop_1",
		IdempotencyKey: key,
		Channel:        epilogue.ChannelEmail,
		To:             "ada@example.com",
		From:           "orders@brew.example",
		FromName:       "Brew & Co",
		ReplyTo:        "help@brew.example",
		Subject:        "Your order #1001 is on its way — ça arrive",
		HTML:           "<p>Hello Ada, your parcel ships today.</p>",
		Text:           "Hello Ada, your parcel ships today.",
		UnsubscribeURL: "https://epilogue.example/u/tok123",
		CreatedAt:      created,
	}
}

func newSender(t testing.TB, cfg notify.SMTPConfig) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(cfg, epilogue.NewManualClock(created))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func startSink(t testing.TB, opts smtptest.Options) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func mustParseURL(t testing.TB, raw string) notify.SMTPConfig {
	t.Helper()
	cfg, err := notify.ParseSMTPURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// parts parses a received email into its headers and its parts by content type.
func parts(t *testing.T, raw []byte) (*mail.Message, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %s, want multipart/alternative", mt)
	}
	got := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		got[ct] = string(b)
	}
	return msg, got
}

func TestSMTPSendsMultipartWithHeaders(t *testing.T) {
	srv := startSink(t, smtptest.Options{})
	cfg := mustParseURL(t, srv.URL())
	cfg.UnsubscribeMailto = "unsubscribe@brew.example"
	s := newSender(t, cfg)
	ctx := context.Background()

	if err := s.Send(ctx, testMessage("enr_1:step_2")); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if msgs[0].From != "orders@brew.example" || len(msgs[0].To) != 1 || msgs[0].To[0] != "ada@example.com" {
		t.Errorf("envelope = %s → %v", msgs[0].From, msgs[0].To)
	}
	msg, body := parts(t, msgs[0].Data)
	if !strings.Contains(body["text/plain"], "your parcel ships today") {
		t.Errorf("text part = %q", body["text/plain"])
	}
	if !strings.Contains(body["text/html"], "<p>Hello Ada") {
		t.Errorf("html part = %q", body["text/html"])
	}
	h := msg.Header
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Name != "Brew & Co" || from.Address != "orders@brew.example" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	if got := h.Get("Reply-To"); got != "<help@brew.example>" && got != "help@brew.example" {
		t.Errorf("Reply-To = %q", got)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "Your order #1001 is on its way — ça arrive" {
		t.Errorf("Subject = %q (%v)", subject, err)
	}
	wantUnsub := "<https://epilogue.example/u/tok123>, <mailto:unsubscribe@brew.example?subject=unsubscribe%20"
	if got := h.Get("List-Unsubscribe"); !strings.HasPrefix(got, wantUnsub) {
		t.Errorf("List-Unsubscribe = %q, want prefix %q", got, wantUnsub)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if got, want := h.Get("Message-Id"), "<"+notify.MessageID(testMessage("enr_1:step_2"), "brew.example")+">"; got != want {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if d, err := h.Date(); err != nil || !d.Equal(created) {
		t.Errorf("Date = %v (%v), want %v", d, err, created)
	}

	// A resend after a crash is the same email, byte for byte; another key is another email.
	if err := s.Send(ctx, testMessage("enr_1:step_2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, testMessage("enr_1:step_3")); err != nil {
		t.Fatal(err)
	}
	msgs = srv.Messages()
	if !bytes.Equal(msgs[0].Data, msgs[1].Data) {
		t.Errorf("resent message differs:\n%s\n---\n%s", msgs[0].Data, msgs[1].Data)
	}
	id := func(raw []byte) string {
		m, _ := mail.ReadMessage(bytes.NewReader(raw))
		return m.Header.Get("Message-Id")
	}
	if id(msgs[2].Data) == id(msgs[0].Data) {
		t.Error("two idempotency keys share a Message-ID")
	}
	if srv.Conns() != 1 {
		t.Errorf("3 sequential sends opened %d connections, want 1 reused", srv.Conns())
	}
}

func TestSMTPDefaultSender(t *testing.T) {
	srv := startSink(t, smtptest.Options{})
	cfg := mustParseURL(t, srv.URL())
	cfg.From, cfg.FromName = "no-reply@epilogue.example", "Epilogue"
	s := newSender(t, cfg)
	m := testMessage("k")
	m.From, m.FromName, m.ReplyTo = "", "Corner Shop", ""
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg, _ := parts(t, srv.Messages()[0].Data)
	from, _ := mail.ParseAddress(msg.Header.Get("From"))
	if from.Address != "no-reply@epilogue.example" || from.Name != "Corner Shop" {
		t.Errorf("From = %q, want the shop's name at the default address", msg.Header.Get("From"))
	}
	if msg.Header.Get("Reply-To") != "" {
		t.Errorf("Reply-To = %q, want none", msg.Header.Get("Reply-To"))
	}
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	serverTLS, roots, err := smtptest.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv := startSink(t, smtptest.Options{TLSConfig: serverTLS, Username: "relay", Password: "p@ss word"})

	cfg := mustParseURL(t, fmt.Sprintf("smtp://relay:p%%40ss%%20word@127.0.0.1:%d?starttls=required", srv.Port()))
	cfg.RootCAs = roots
	if err := newSender(t, cfg).Send(context.Background(), testMessage("a")); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "relay" {
		t.Fatalf("received %+v, want one message over TLS from user relay", got)
	}

	// The same relay with a self-signed certificate and no trust: only insecure_skip_verify works.
	cfg = mustParseURL(t, fmt.Sprintf("smtp://relay:p%%40ss%%20word@127.0.0.1:%d?starttls=required", srv.Port()))
	err = newSender(t, cfg).Send(context.Background(), testMessage("b"))
	if err == nil || !notify.Temporary(err) {
		t.Errorf("untrusted certificate: err = %v, want a temporary error", err)
	}
	cfg.InsecureSkipVerify = true
	if err := newSender(t, cfg).Send(context.Background(), testMessage("c")); err != nil {
		t.Errorf("insecure_skip_verify: %v", err)
	}

	// Wrong password: the relay is misconfigured, the message should wait, not die.
	cfg.Password = "wrong"
	err = newSender(t, cfg).Send(context.Background(), testMessage("d"))
	if err == nil || !notify.Temporary(err) || notify.HardBounce(err) {
		t.Errorf("bad credentials: err = %v, want temporary", err)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, roots, err := smtptest.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv := startSink(t, smtptest.Options{TLSConfig: serverTLS, ImplicitTLS: true, Username: "u", Password: "p"})
	cfg := mustParseURL(t, fmt.Sprintf("smtps://u:p@127.0.0.1:%d", srv.Port()))
	cfg.RootCAs = roots
	if err := newSender(t, cfg).Send(context.Background(), testMessage("a")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || !got[0].TLS || got[0].User != "u" {
		t.Fatalf("received %+v, want one message over TLS from user u", got)
	}
}

func TestSMTPRefusals(t *testing.T) {
	srv := startSink(t, smtptest.Options{
		Rcpt: func(to string) error {
			switch {
			case strings.HasPrefix(to, "greylisted"):
				return smtptest.Reply(451, "4.7.1", "greylisted, try again later")
			case strings.HasPrefix(to, "nobody"):
				return smtptest.Reply(550, "5.1.1", "user unknown")
			case strings.HasPrefix(to, "full"):
				return smtptest.Reply(552, "5.2.2", "mailbox full")
			}
			return nil
		},
		Data: func(m *smtptest.Message) error {
			if bytes.Contains(m.Data, []byte("spammy")) {
				return smtptest.Reply(554, "5.7.1", "message refused")
			}
			return nil
		},
	})
	s := newSender(t, mustParseURL(t, srv.URL()))
	ctx := context.Background()
	for _, tc := range []struct {
		to, text          string
		temporary, bounce bool
		code              int
	}{
		{"greylisted@example.com", "hi", true, false, 451},
		{"nobody@example.com", "hi", false, true, 550},
		{"full@example.com", "hi", true, false, 552},
		{"ada@example.com", "spammy", false, false, 554},
	} {
		m := testMessage(tc.to)
		m.To, m.Text = tc.to, tc.text
		err := s.Send(ctx, m)
		var e *notify.Error
		if !errors.As(err, &e) || e.Code != tc.code || notify.Temporary(err) != tc.temporary || notify.HardBounce(err) != tc.bounce {
			t.Errorf("%s: err = %v (code %d), want code %d temporary=%v bounce=%v", tc.to, err, codeOf(err), tc.code, tc.temporary, tc.bounce)
		}
		if tc.code == 550 && e.Detail != "5.1.1" {
			t.Errorf("%s: enhanced status = %q, want 5.1.1", tc.to, e.Detail)
		}
	}
	// Refusals leave the connection usable.
	if err := s.Send(ctx, testMessage("ok")); err != nil {
		t.Fatal(err)
	}
	if srv.Conns() != 1 {
		t.Errorf("refusals cost %d connections, want 1", srv.Conns())
	}
}

// A relay that wants credentials we did not give answers 530 at MAIL FROM: that is its setup,
// to be fixed, and the message waits for the fix instead of failing for good.
func TestSMTPAuthenticationRequiredIsTemporary(t *testing.T) {
	srv := startSink(t, smtptest.Options{Username: "shop", Password: "secret"})
	err := newSender(t, mustParseURL(t, srv.URL())).Send(context.Background(), testMessage("ada@example.com"))
	if codeOf(err) != 530 || !notify.Temporary(err) || notify.HardBounce(err) {
		t.Fatalf("err = %v (code %d), want a temporary 530", err, codeOf(err))
	}
}

func codeOf(err error) int {
	var e *notify.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

func TestSMTPServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	err = newSender(t, mustParseURL(t, "smtp://"+addr)).Send(context.Background(), testMessage("a"))
	if err == nil || !notify.Temporary(err) || notify.HardBounce(err) {
		t.Fatalf("server down: err = %v, want temporary", err)
	}
}

func TestSMTPReconnectsAfterServerDropsIdleConnection(t *testing.T) {
	srv := startSink(t, smtptest.Options{})
	s := newSender(t, mustParseURL(t, srv.URL()))
	ctx := context.Background()
	if err := s.Send(ctx, testMessage("a")); err != nil {
		t.Fatal(err)
	}
	// A new server on the same address stands for a relay restart that cut the pooled connection.
	srv.Close()
	srv2, err := smtptest.Start(smtptest.Options{Addr: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if err := s.Send(ctx, testMessage("b")); err != nil {
		t.Fatalf("send after relay restart: %v", err)
	}
	if srv2.Count() != 1 {
		t.Fatalf("restarted relay got %d messages", srv2.Count())
	}
}

func TestSMTPContextCancelAbortsStuckServer(t *testing.T) {
	// A server that greets and then never answers again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.WriteString(c, "220 stuck ESMTP\r\n")
				io.Copy(io.Discard, c)
			}()
		}
	}()
	cfg := mustParseURL(t, "smtp://"+ln.Addr().String()+"?timeout=30s")
	s := newSender(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, testMessage("a"))
	if err == nil || !notify.Temporary(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send took %v after its context ended", d)
	}
}

func TestSMTPInvalidMessagesArePermanent(t *testing.T) {
	srv := startSink(t, smtptest.Options{})
	s := newSender(t, mustParseURL(t, srv.URL()))
	for name, edit := range map[string]func(m *epilogue.Message){
		"unsubscribe_url": func(m *epilogue.Message) { m.UnsubscribeURL = "" },
		"unsubscribe_url http": func(m *epilogue.Message) {
			m.UnsubscribeURL = "http://epilogue.example/u/x"
		},
		"to":              func(m *epilogue.Message) { m.To = "not an address" },
		"from":            func(m *epilogue.Message) { m.From = "" },
		"subject":         func(m *epilogue.Message) { m.Subject = "two\r\nBcc: evil@example.com" },
		"headers.Subject": func(m *epilogue.Message) { m.Headers = map[string]string{"Subject": "x"} },
		"headers.X-Tag":   func(m *epilogue.Message) { m.Headers = map[string]string{"X-Tag": "a\nb"} },
	} {
		m := testMessage(name)
		edit(m)
		err := s.Send(context.Background(), m)
		if err == nil || notify.Temporary(err) || notify.HardBounce(err) || epilogue.ErrorCode(err) != epilogue.EInvalid {
			t.Errorf("%s: err = %v, want a permanent invalid_request", name, err)
		}
	}
	if srv.Count() != 0 {
		t.Errorf("%d invalid messages reached the server", srv.Count())
	}
}

func TestSMTPConcurrentSendsShareThePool(t *testing.T) {
	srv := startSink(t, smtptest.Options{Discard: true})
	cfg := mustParseURL(t, srv.URL()+"?pool=3")
	s := newSender(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			if err := s.Send(context.Background(), testMessage(fmt.Sprint("k", i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if srv.Count() != 200 || srv.Conns() > 3 {
		t.Fatalf("server got %d messages over %d connections, want 200 over at most 3", srv.Count(), srv.Conns())
	}
}

func asError[T error](err error, target *T) bool { return errors.As(err, target) }

func TestRenderedEmailEndToEnd(t *testing.T) {
	srv := startSink(t, smtptest.Options{})
	cfg := mustParseURL(t, srv.URL())
	cfg.From = "no-reply@epilogue.example"
	s := newSender(t, cfg)

	brand := notify.SampleBrand()
	data := notify.SampleData()
	data.Customer.FirstName = "Zoë <b>"
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "fr-CA")
	subject, html, text, err := notify.NewRenderer(0).Render(tmpl, brand, data)
	if err != nil {
		t.Fatal(err)
	}
	m := &epilogue.Message{ShopID: "shop_1", IdempotencyKey: "enr_9:shipped", Channel: epilogue.ChannelEmail,
		To: "zoe@example.com", Subject: subject, HTML: html, Text: text, UnsubscribeURL: data.Links.Unsubscribe, CreatedAt: created}
	brand.Apply(m)
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg, body := parts(t, srv.Messages()[0].Data)
	from, _ := mail.ParseAddress(msg.Header.Get("From"))
	replyTo, _ := mail.ParseAddress(msg.Header.Get("Reply-To"))
	if from.Name != "Brew & Co" || from.Address != "orders@shop.example" || replyTo.Address != "help@shop.example" {
		t.Errorf("From = %q, Reply-To = %q", msg.Header.Get("From"), msg.Header.Get("Reply-To"))
	}
	gotSubject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if gotSubject != "Votre commande n° 1001 est en route" {
		t.Errorf("Subject = %q", gotSubject)
	}
	if !strings.Contains(body["text/html"], "Bonjour Zoë &lt;b&gt;,") || !strings.Contains(body["text/plain"], "Bonjour Zoë <b>,") {
		t.Errorf("greeting not rendered and escaped per part:\n%s\n%s", grep(body["text/html"], "Bonjour"), grep(body["text/plain"], "Bonjour"))
	}
	if !strings.Contains(body["text/html"], `href="https://epilogue.example/u/tok_sample"`) ||
		msg.Header.Get("List-Unsubscribe") != "<https://epilogue.example/u/tok_sample>" {
		t.Error("unsubscribe link missing from footer or header")
	}
}
