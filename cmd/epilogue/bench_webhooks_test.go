package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

// BenchmarkWebhooks measures signed Shopify webhooks per second through the whole server (HTTP,
// signature, parsing, group commit, SQLite with synchronous=FULL), with the load generator on
// the same machine: go test -run=^$ -bench=Webhooks ./cmd/epilogue/
func BenchmarkWebhooks(b *testing.B) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(b.TempDir(), "bench.db")
	s, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	st := epilogue.DefaultSettings()
	st.ShopifyWebhookSecret = "whsec_bench"
	shop, _, _, err := createShop(ctx, s, "Bench", st, time.Now())
	s.Close()
	if err != nil {
		b.Fatal(err)
	}
	a, err := openApp(ctx, appConfig{db: url, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	serving, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.serve(serving, ln) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	var perSec float64
	for b.Loop() {
		if perSec, err = measureWebhooks(ctx, "http://"+ln.Addr().String(), shop.ID, "whsec_bench", 5*time.Second, 64); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(perSec, "webhooks/s")
}
