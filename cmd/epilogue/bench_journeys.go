package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify/smtptest"
	"github.com/epiloguehq/epilogue/store"
)

// benchJourneys measures the follow-up path end to end: orders posted to POST /v1/orders, the
// order-confirmation journey, rendered emails accepted by a local SMTP server. With --crash it
// runs the crash test instead (crash.go).
func benchJourneys(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("bench journeys", "bench journeys [flags]", env, stderr)
	orders := f.Int("orders", 20000, "orders to post (one confirmation email each)")
	workers := f.Int("workers", 32, "concurrent clients posting orders")
	dbURL := f.String("db", "", "database (default: a fresh SQLite file in a temporary directory)")
	hooks := f.Duration("webhook-duration", 5*time.Second, "how long to measure webhook ingestion (0 to skip)")
	asJSON := f.Bool("json", false, "print one JSON document")
	crash := f.Bool("crash", false, "run the crash test: SIGKILL a real `epilogue serve` mid-run, restart it, count every email")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of the measured run to this file")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.positive("orders", "workers"); err != nil {
		return err
	}
	if *crash {
		res, err := crashTest(ctx, crashConfig{orders: min(*orders, 2000), workers: *workers, dbURL: *dbURL, log: stderr})
		if err != nil {
			return err
		}
		return report(stdout, *asJSON, res, res.String())
	}
	url, dir, cleanup, err := benchDB(*dbURL)
	if err != nil {
		return err
	}
	defer cleanup()
	relay, err := smtptest.Start(smtptest.Options{Discard: true})
	if err != nil {
		return err
	}
	defer relay.Close()
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }

	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	st := epilogue.DefaultSettings()
	hookSecret := epilogue.RandomString(32)
	st.ShopifyWebhookSecret = hookSecret
	shop, _, sk, err := createShop(ctx, db, "Bench Coffee", st, time.Now())
	db.Close()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, appConfig{db: url, log: slog.New(slog.DiscardHandler), journeys: journeyConfig{
		smtpURL: relay.URL() + "?starttls=off&pool=8", publicURL: "http://127.0.0.1:8080", outbox: benchOutbox(dir)}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.close()
		return err
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.serve(serveCtx, ln) }()
	defer func() { stop(); <-served }()
	base := "http://" + ln.Addr().String()
	post := orderPoster(base, sk, *workers)

	warm := 500
	progress("warming up: %d orders", warm)
	if err := postOrders(ctx, post, "warm", warm, *workers); err != nil {
		return err
	}
	if err := waitCount(ctx, relay, warm, time.Minute); err != nil {
		return err
	}
	progress("measuring: %d orders from %d clients, until every confirmation is accepted by the SMTP server", *orders, *workers)
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	start := time.Now()
	if err := postOrders(ctx, post, "run", *orders, *workers); err != nil {
		return err
	}
	posted := time.Since(start)
	if err := waitCount(ctx, relay, warm+*orders, 5*time.Minute); err != nil {
		return err
	}
	elapsed := time.Since(start)
	stopProfile()
	res := journeyBench{Orders: *orders, Workers: *workers, DB: a.db.Dialect(), Seconds: elapsed.Seconds(),
		MessagesPerSec: float64(*orders) / elapsed.Seconds(), OrdersPerSec: float64(*orders) / posted.Seconds(),
		SMTPConnections: relay.Conns()}
	if *hooks > 0 {
		progress("measuring webhook ingestion for %v", *hooks)
		rate, err := measureWebhooks(ctx, base, shop.ID, hookSecret, *hooks, *workers)
		if err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		res.WebhooksPerSec = &rate
	}
	return report(stdout, *asJSON, res, res.String())
}

// journeyBench is what bench journeys reports.
type journeyBench struct {
	MessagesPerSec  float64  `json:"messages_per_sec"`
	WebhooksPerSec  *float64 `json:"webhooks_per_sec"`
	OrdersPerSec    float64  `json:"orders_per_sec"` // how fast the orders were taken in
	Orders          int      `json:"orders"`
	Workers         int      `json:"workers"`
	Seconds         float64  `json:"seconds"`
	DB              string   `json:"db"`
	SMTPConnections int      `json:"smtp_connections"`
}

func (r journeyBench) String() string {
	s := fmt.Sprintf("journeys: %d orders in %.2f s on %s: %.0f messages/s end to end (orders taken in at %.0f/s, %d SMTP connections)",
		r.Orders, r.Seconds, r.DB, r.MessagesPerSec, r.OrdersPerSec, r.SMTPConnections)
	if r.WebhooksPerSec != nil {
		s += fmt.Sprintf("\nwebhooks: %.0f/s ingested", *r.WebhooksPerSec)
	}
	return s
}

func report(w io.Writer, asJSON bool, v any, text string) error {
	if asJSON {
		return json.NewEncoder(w).Encode(v)
	}
	_, err := fmt.Fprintln(w, text)
	return err
}

// orderPoster returns a function that posts order i of a run and reports whether the server
// acknowledged it (2xx). Each order has its own customer, so the run measures the path, not one
// customer's history.
func orderPoster(base, key string, workers int) func(ctx context.Context, run string, i int) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: time.Minute,
	}}
	return func(ctx context.Context, run string, i int) error {
		body := fmt.Appendf(nil, `{"id":"%[1]s-%[2]d","customer":{"id":"c-%[1]s-%[2]d","email":"c-%[1]s-%[2]d@bench.example","first_name":"Ana","locale":"en"},
"items":[{"sku":"BEANS-1KG","title":"Espresso beans, 1 kg","category":"coffee","price":"34.00","quantity":1},
{"sku":"FILTER-100","title":"Paper filters","category":"accessories","price":"6.25","quantity":2}],
"total":"46.50","currency":"USD"}`, run, i)
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/orders", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("order %d: %d %s", i, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		return nil
	}
}

// postOrders posts orders 0 to n-1 of a run from workers clients; the first failure ends it.
func postOrders(ctx context.Context, post func(context.Context, string, int) error, run string, n, workers int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := post(ctx, run, i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// waitCount waits until the relay has accepted n messages.
func waitCount(ctx context.Context, relay *smtptest.Server, n int, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return relay.Wait(ctx, n)
}
