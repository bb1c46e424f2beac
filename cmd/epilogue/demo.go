package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

//go:embed demo/offers.json
var demoOffersJSON []byte

const demoShopID = "shop_demo"

var demoPlacements = []epilogue.Placement{
	{ID: "cart", Surface: epilogue.SurfaceCart, MaxOffers: 1},
	{ID: "payment", Surface: epilogue.SurfacePayment, MaxOffers: 1},
	{ID: "upsell", Surface: epilogue.SurfaceUpsell, MaxOffers: 1},
	{ID: "thank_you", Surface: epilogue.SurfaceThankYou, MaxOffers: 3},
	{ID: "confirmation", Surface: epilogue.SurfaceConfirmation, MaxOffers: 3},
	{ID: "order_status", Surface: epilogue.SurfaceOrderStatus, MaxOffers: 2},
	{ID: "tracking", Surface: epilogue.SurfaceTracking, MaxOffers: 2},
	{ID: "email", Surface: epilogue.SurfaceEmail, MaxOffers: 3},
}

func runDemo(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("demo", "demo [flags]", env, stderr)
	db := f.String("db", "sqlite://./epilogue-demo.db", "database for the demo shop (kept between runs)")
	addr := f.String("addr", "127.0.0.1:8080", "address to listen on")
	asJSON := f.Bool("json", false, "print the keys as one JSON document instead of the guide")
	config := f.serverFlags(stderr)
	if err := f.parse(args); err != nil {
		return err
	}
	c, err := config(*db, *addr)
	if err != nil {
		return err
	}
	pk, sk, err := prepareDemo(ctx, *db, time.Now())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another Epilogue running? try --addr 127.0.0.1:8081)", *addr, err)
	}
	a, err := openApp(ctx, c)
	if err != nil {
		ln.Close()
		return err
	}
	base := "http://" + ln.Addr().String()
	if *asJSON {
		json.NewEncoder(stdout).Encode(map[string]string{"shop_id": demoShopID, "publishable_key": pk, "secret_key": sk, "url": base})
	} else {
		mail := "watch the confirmation email land in " + c.journeys.outbox + " (no mail server needed)"
		if c.journeys.outbox == "" {
			mail = "watch the confirmation email land in " + outboxNextTo(c.db) + " (no mail server needed)"
		}
		if c.journeys.smtpURL != "" {
			mail = "the confirmation email goes out through your mail relay"
		}
		printDemoGuide(stdout, base, pk, sk, mail)
	}
	return a.serve(ctx, ln)
}

// prepareDemo creates the demo shop with its offers and placements on first run, and on every
// run replaces its keys with fresh ones (keys are stored hashed, so old ones cannot be shown).
func prepareDemo(ctx context.Context, url string, now time.Time) (pk, sk string, err error) {
	s, err := store.Open(ctx, url)
	if err != nil {
		return "", "", err
	}
	defer s.Close()
	_, err = s.Shop(ctx, demoShopID)
	switch {
	case epilogue.ErrorCode(err) == epilogue.ENotFound:
		if err := seedDemo(ctx, s, now); err != nil {
			return "", "", fmt.Errorf("creating the demo shop: %w", err)
		}
	case err != nil:
		return "", "", err
	}
	old, err := s.Keys(ctx, demoShopID)
	if err != nil {
		return "", "", err
	}
	for _, k := range old {
		if k.RevokedAt == nil {
			if err := s.RevokeKey(ctx, demoShopID, k.ID, now); err != nil {
				return "", "", err
			}
		}
	}
	pub, pk := epilogue.NewKey(demoShopID, epilogue.KeyPublishable, now)
	sec, sk := epilogue.NewKey(demoShopID, epilogue.KeySecret, now)
	for _, k := range []epilogue.Key{pub, sec} {
		if err := s.CreateKey(ctx, k); err != nil {
			return "", "", err
		}
	}
	return pk, sk, nil
}

func seedDemo(ctx context.Context, s *store.DB, now time.Time) error {
	st := epilogue.DefaultSettings()
	shop := &epilogue.Shop{ID: demoShopID, Name: "Demo Coffee Co.", Secret: epilogue.RandomString(40), Settings: st, CreatedAt: now.UTC()}
	if err := s.CreateShop(ctx, shop); err != nil {
		return err
	}
	for _, p := range demoPlacements {
		p.ShopID, p.CreatedAt, p.UpdatedAt = demoShopID, now.UTC(), now.UTC()
		p.Defaults()
		if err := p.Validate(); err != nil {
			return fmt.Errorf("placement %s: %w", p.ID, err)
		}
		if err := s.CreatePlacement(ctx, &p); err != nil {
			return err
		}
	}
	offers, err := demoOffers(now)
	if err != nil {
		return err
	}
	for _, o := range offers {
		if err := s.CreateOffer(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// demoOffers returns the demo shop's offers, validated.
func demoOffers(now time.Time) ([]*epilogue.Offer, error) {
	var offers []*epilogue.Offer
	if err := json.Unmarshal(demoOffersJSON, &offers); err != nil {
		return nil, fmt.Errorf("demo offers: %w", err)
	}
	for i, o := range offers {
		o.ID = fmt.Sprintf("off_demo%02d", i+1)
		o.ShopID, o.CreatedAt, o.UpdatedAt = demoShopID, now.UTC(), now.UTC()
		o.Defaults("USD")
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("demo offer %d (%s): %w", i+1, o.Title, err)
		}
	}
	return offers, nil
}

func printDemoGuide(w io.Writer, base, pk, sk, mail string) {
	fmt.Fprintf(w, `
Epilogue demo: "Demo Coffee Co." is open at %[1]s

  publishable key (browser: decisions and events): %[2]s
  secret key (server: everything):                 %[3]s

Ask for offers on the confirmation page:

  curl -s %[1]s/v1/decisions -H 'Authorization: Bearer %[3]s' -d '{
    "placement": "confirmation",
    "transaction": {"confirmationref": "1001", "amount": "499.00", "currency": "USD"},
    "customer": {"id": "cust_42", "email": "ana@example.com", "attributes": {"loyalty_tier": "gold"}},
    "cart": [{"sku": "X1", "category": "coffee machines", "price": "499.00", "quantity": 1}],
    "context": {"device": "mobile", "country": "US"},
    "explain": true}'

Then report what the customer did with an offer (use a token from the answer):

  curl -s %[1]s/v1/events -H 'Authorization: Bearer %[2]s' -d '{"events": [
    {"id": "evt-1", "type": "impression", "token": "TOKEN"}]}'

Post an order, and %[5]s:

  curl -s %[1]s/v1/orders -H 'Authorization: Bearer %[3]s' -d '{"id": "1001",
    "customer": {"id": "cust_42", "email": "ana@example.com", "first_name": "Ana"},
    "items": [{"sku": "X1", "title": "Espresso machine", "category": "coffee machines", "price": "499.00", "quantity": 1}],
    "total": "499.00", "currency": "USD", "created_at": "%[4]s"}'
  curl -s %[1]s/v1/orders/1001/timeline -H 'Authorization: Bearer %[3]s'

Offers: GET %[1]s/v1/offers   Metrics: %[1]s/metrics   Stop with Ctrl-C.

`, base, pk, sk, time.Now().UTC().Format(time.RFC3339), mail)
}
