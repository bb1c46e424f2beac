package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify/smtptest"
	"github.com/epiloguehq/epilogue/store"
)

// The crash test: a real `epilogue serve` child process takes orders and sends their
// confirmations to a local SMTP server; it is killed with SIGKILL mid-run and started again.
// Clients retry every order that was not acknowledged (an order carries its own id, so a
// retry changes nothing). At the end every order must have exactly one confirmation at the
// SMTP server: none lost, none sent twice as two different messages. A crash between the
// server's acceptance of a message and the outbox commit may send the identical message again,
// with the same Message-ID; those copies are counted, and must be byte for byte the same.

// crashConfig shapes a crash test.
type crashConfig struct {
	orders, workers int
	dbURL           string    // a fresh SQLite file when empty
	log             io.Writer // the child's log and progress
	// exe and env run the child: this program by default; a test runs its own binary with
	// an environment variable that makes it act as the command.
	exe string
	env []string
	// lease is how long a message claimed by the dead process waits before the new one takes
	// it over (the child's --journey-lease).
	lease time.Duration
}

// crashResult is what the crash test counts at the SMTP server.
type crashResult struct {
	Orders      int     `json:"orders"`
	Delivered   int     `json:"delivered"` // orders whose confirmation arrived
	Lost        int     `json:"lost"`
	Duplicates  int     `json:"duplicates"`             // orders with two different messages
	Resent      int     `json:"resent_same_message_id"` // identical copies of a message sent again
	Accepted    int     `json:"smtp_accepted"`          // messages the SMTP server accepted in all
	AtKill      int     `json:"smtp_accepted_at_kill"`
	AckedAtKill int     `json:"orders_acknowledged_at_kill"`
	Retries     int64   `json:"client_retries"` // order posts that failed and were sent again
	Seconds     float64 `json:"seconds"`
}

func (r crashResult) String() string {
	return fmt.Sprintf("crash test: %d orders, killed with SIGKILL after %d acknowledged and %d emails accepted; "+
		"%d client retries; at the end %d delivered, %d lost, %d duplicates, %d identical resends (same Message-ID), "+
		"%d emails accepted in all, %.1f s", r.Orders, r.AckedAtKill, r.AtKill, r.Retries, r.Delivered, r.Lost, r.Duplicates,
		r.Resent, r.Accepted, r.Seconds)
}

// ok reports whether every order got exactly one message.
func (r crashResult) ok() bool { return r.Lost == 0 && r.Duplicates == 0 && r.Delivered == r.Orders }

func crashTest(ctx context.Context, c crashConfig) (crashResult, error) {
	res := crashResult{Orders: c.orders}
	start := time.Now()
	if c.exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return res, err
		}
		c.exe = exe
	}
	if c.lease <= 0 {
		c.lease = 2 * time.Second
	}
	if c.log == nil {
		c.log = io.Discard
	}
	dir, err := os.MkdirTemp("", "epilogue-crash-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	url := c.dbURL
	if url == "" {
		url = "sqlite://" + filepath.Join(dir, "crash.db")
	}
	relay, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		return res, err
	}
	defer relay.Close()
	db, err := store.Open(ctx, url)
	if err != nil {
		return res, err
	}
	_, _, sk, err := createShop(ctx, db, "Crash Coffee", epilogue.DefaultSettings(), time.Now())
	db.Close()
	if err != nil {
		return res, err
	}
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	base := "http://" + addr
	args := []string{"serve", "--db", url, "--addr", addr, "--smtp-url", relay.URL() + "?starttls=off",
		"--public-url", base, "--journey-lease", c.lease.String(), "--outbox", filepath.Join(dir, "outbox.jsonl"), "--log-level", "warn"}
	child, err := startChild(ctx, c, args, base)
	if err != nil {
		return res, err
	}
	defer func() {
		if child != nil {
			child.Process.Kill()
			child.Wait()
		}
	}()

	// Clients post every order until it is acknowledged, whatever happens to the server.
	post := orderPoster(base, sk, c.workers)
	var acked, next, retries atomic.Int64
	var wg sync.WaitGroup
	clients, stopClients := context.WithTimeout(ctx, 2*time.Minute)
	defer stopClients()
	for range c.workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= c.orders {
					return
				}
				for post(clients, "crash", i) != nil {
					if clients.Err() != nil {
						return
					}
					retries.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				acked.Add(1)
			}
		})
	}

	// Kill the server once a third of the emails went out, while orders still come in and
	// messages are in flight.
	if err := waitCount(ctx, relay, c.orders/3, time.Minute); err != nil {
		return res, err
	}
	child.Process.Kill()
	child.Wait()
	res.AtKill, res.AckedAtKill = relay.Count(), int(acked.Load())
	fmt.Fprintf(c.log, "crash test: killed the server after %d emails and %d acknowledged orders; restarting\n", res.AtKill, res.AckedAtKill)
	if child, err = startChild(ctx, c, args, base); err != nil {
		return res, err
	}
	wg.Wait()
	res.Retries = retries.Load()
	if n := acked.Load(); n != int64(c.orders) {
		return res, fmt.Errorf("only %d of %d orders were acknowledged", n, c.orders)
	}
	// Every order's confirmation must arrive; those the dead process held arrive once their
	// lease runs out.
	deadline := time.Now().Add(time.Minute + 2*c.lease)
	for countOrders(relay) < c.orders && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	// Wait a little longer than a lease, so a copy sent late would be seen too.
	time.Sleep(c.lease + time.Second)
	child.Process.Signal(syscall.SIGTERM)
	child.Wait()
	child = nil

	if err := tally(&res, relay.Messages()); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	if !res.ok() {
		return res, fmt.Errorf("%s", res)
	}
	return res, nil
}

// tally counts, per order (its customer's address), the distinct messages (by Message-ID) and
// the identical copies.
func tally(res *crashResult, msgs []smtptest.Message) error {
	byOrder := map[string]map[string]bool{}
	first := map[string][]byte{}
	for _, m := range msgs {
		h, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			return err
		}
		id := h.Header.Get("Message-Id")
		if len(m.To) != 1 || id == "" {
			return fmt.Errorf("unexpected message to %v with Message-ID %q", m.To, id)
		}
		if prev, seen := first[id]; seen {
			if !bytes.Equal(prev, m.Data) {
				return fmt.Errorf("message %s was sent again with different content", id)
			}
			res.Resent++
			continue
		}
		first[id] = m.Data
		if byOrder[m.To[0]] == nil {
			byOrder[m.To[0]] = map[string]bool{}
		}
		byOrder[m.To[0]][id] = true
	}
	res.Accepted = len(msgs)
	res.Delivered = len(byOrder)
	res.Lost = res.Orders - res.Delivered
	for _, ids := range byOrder {
		if len(ids) > 1 {
			res.Duplicates++
		}
	}
	return nil
}

// countOrders returns how many customers got at least one message.
func countOrders(relay *smtptest.Server) int {
	seen := map[string]bool{}
	for _, m := range relay.Messages() {
		if len(m.To) > 0 {
			seen[m.To[0]] = true
		}
	}
	return len(seen)
}

// startChild starts `epilogue serve` and waits until it answers.
func startChild(ctx context.Context, c crashConfig, args []string, base string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, c.exe, args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = c.log, c.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, nil
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, errors.New("the server did not become ready in 30 s")
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strings.Replace(ln.Addr().String(), "[::1]", "127.0.0.1", 1), nil
}
