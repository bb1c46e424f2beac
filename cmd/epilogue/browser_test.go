package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/epiloguehq/epilogue/journey"
)

// browser starts headless Chromium (Debian's package) for a test, or skips when it is not
// installed — except in CI, where .ci/run installs it and its absence is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (apt-get install chromium)")
		}
		t.Skip("chromium is not installed; skipping the browser test (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(420, 900)) // a phone-sized window: these pages are opened from emails
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// TestReviewPageInABrowser: a customer opens the review link from their email on a phone,
// picks four stars, writes a line and sends it; the review is stored and the page thanks them.
func TestReviewPageInABrowser(t *testing.T) {
	ctx := browser(t)
	e := startEnv(t, "")
	e.call("POST", "/v1/orders", e.a.sk, `{"id":"1001","customer":{"id":"c1","email":"ana@example.com","first_name":"Ana"},"items":[{"sku":"X1","title":"Espresso machine","price":"499.00","quantity":1}],"total":"499.00","currency":"USD","created_at":"2026-11-20T10:00:00Z"}`).must(t, 201)
	shop := e.shop(e.a.id)
	token := journey.SignLink(shop.Secret, journey.Link{Kind: journey.LinkReview, ShopID: shop.ID, OrderID: "1001", CustomerID: "c1",
		Channel: "email", Expires: time.Now().Add(24 * time.Hour)})

	if err := chromedp.Do(ctx, chromedp.Navigate(e.base+"/r/"+token), chromedp.WaitVisible(`form`)); err != nil {
		t.Fatal(err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(`h1`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`input[name="rating"][value="4"]`),
		chromedp.SendKeys(`textarea[name="comment"]`, "Great machine, fast delivery"))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`button[type="submit"]`), chromedp.WaitNotPresent(`form`)); err != nil {
		t.Fatal(err)
	}
	thanks, err := chromedp.Run(ctx, chromedp.Text(`body`))
	if err != nil {
		t.Fatal(err)
	}
	if heading == "" || len(shot) < 1000 {
		t.Fatalf("review page did not render: heading %q, screenshot %d bytes", heading, len(shot))
	}
	if !strings.Contains(thanks, "Thank you") {
		t.Fatalf("after sending: %q", thanks)
	}
	tl := e.call("GET", "/v1/orders/1001/timeline", e.a.sk, nil).must(t, 200)
	if !strings.Contains(string(tl.raw), "review_submitted") {
		t.Fatalf("the review is not on the order's timeline: %s", tl.raw)
	}
}
