package smtptest_test

import (
	"context"
	"crypto/tls"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue/notify/smtptest"
)

func TestSinkKeepsAndRefuses(t *testing.T) {
	serverTLS, roots, err := smtptest.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := smtptest.Start(smtptest.Options{
		TLSConfig: serverTLS, Username: "u", Password: "p",
		Rcpt: func(to string) error {
			if strings.HasPrefix(to, "nobody@") {
				return smtptest.Reply(550, "5.1.1", "user unknown")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: roots}); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(smtp.PlainAuth("", "u", "p", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("shop@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("nobody@example.com"); err == nil || !strings.HasPrefix(err.Error(), "550") || !strings.Contains(err.Error(), "5.1.1") {
		t.Errorf("refused recipient: %v", err)
	}
	if err := c.Rcpt("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: hi\r\n\r\nhello\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "shop@example.com" || len(got[0].To) != 1 || !got[0].TLS || got[0].User != "u" ||
		!strings.Contains(string(got[0].Data), "hello") {
		t.Fatalf("kept %+v", got)
	}
	if srv.Conns() != 1 || srv.Count() != 1 {
		t.Errorf("conns %d, count %d", srv.Conns(), srv.Count())
	}
}
