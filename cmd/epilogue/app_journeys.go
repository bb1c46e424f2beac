package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/decide"
	"github.com/epiloguehq/epilogue/internal/tick"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify"
	"github.com/epiloguehq/epilogue/store"
)

// defaultFromAddress is the sender of shops whose brand names none.
const defaultFromAddress = "no-reply@epilogue.localhost"

// journeyConfig is how a serving app sends its messages.
type journeyConfig struct {
	// smtpURL is the relay (smtp://user:pass@host:port); without one, email goes to the
	// outbox file.
	smtpURL     string
	fromAddress string
	outbox      string // the outbox file; notify.DefaultOutboxPath when empty
	// publicURL is where links in messages point (unsubscribe, reviews, offer clicks).
	publicURL string
	sms       notify.SMSConfig // texts go to the outbox file without an account
	// lease is how long a claimed message or enrollment is held; after a crash another
	// process takes it over when it runs out (30 s when zero).
	lease time.Duration
	// webhookClient, when set, posts outbound webhooks (tests point it at loopback, which the
	// default client refuses).
	webhookClient *http.Client
	// manual leaves the scheduler out of the background loops: a test steps it.
	manual bool
	// cacheTTL is how long shops' messaging configuration is cached (journey.DefaultShopsTTL
	// when zero); tests that change placements and order at once shorten it.
	cacheTTL time.Duration
}

// journeyFlags declares the flags of journeyConfig; the returned function builds it once the
// flags are parsed. addr is the listening address, the default base of public links.
func (f *flags) journeyFlags() func(addr string) (journeyConfig, error) {
	smtpURL := f.str("smtp-url", "", "email relay: smtp://user:pass@host:port or smtps://… (without one, messages go to the outbox file)")
	from := f.str("from-address", defaultFromAddress, "sender address of shops whose brand sets none")
	outbox := f.str("outbox", notify.DefaultOutboxPath, "file that messages are written to when no relay is configured")
	public := f.str("public-url", "", "base URL of the links in messages (default: http:// and the listening address)")
	sid := f.str("sms-account-sid", "", "Twilio-compatible SMS account SID (without one, texts go to the outbox file)")
	token := f.secret("sms-auth-token", "SMS auth token")
	smsFrom := f.str("sms-from", "", "sending number (E.164) or messaging service SID")
	smsBase := f.str("sms-base-url", notify.DefaultSMSBaseURL, "SMS provider API")
	lease := f.Duration("journey-lease", 30*time.Second, "how long a claimed message is held before another process may take it over")
	f.fromEnv("journey-lease")
	return func(addr string) (journeyConfig, error) {
		c := journeyConfig{smtpURL: *smtpURL, fromAddress: *from, outbox: *outbox, publicURL: strings.TrimRight(*public, "/"),
			sms: notify.SMSConfig{BaseURL: *smsBase, AccountSID: *sid, AuthToken: *token, From: *smsFrom}, lease: *lease}
		if c.lease <= 0 {
			return c, fmt.Errorf("--journey-lease must be positive, not %v", c.lease)
		}
		if a, err := mail.ParseAddress(c.fromAddress); err != nil || a.Address != c.fromAddress {
			return c, fmt.Errorf("--from-address must be a bare email address such as orders@shop.example, not %q", c.fromAddress)
		}
		if c.publicURL != "" && !epilogue.WebURL(c.publicURL) {
			return c, fmt.Errorf("--public-url must be an http or https URL such as https://epilogue.shop.example, not %q", c.publicURL)
		}
		if c.publicURL == "" {
			c.publicURL = "http://" + publicHost(addr)
		}
		// Every email carries a one-click unsubscribe link, which must be https (RFC 8058) off
		// this machine: with a plain http base every email would fail when due, for good.
		if u, _ := url.Parse(c.publicURL); u.Scheme == "http" && !notify.Loopback(u.Hostname()) {
			if *public == "" {
				return c, fmt.Errorf("the links in messages would be %s, plain http off this machine, which email unsubscribe links may not be: set --public-url to the https address customers reach this server at", c.publicURL)
			}
			return c, fmt.Errorf("--public-url must be https (email unsubscribe links must be), or plain http only on this machine (localhost, 127.0.0.1), not %q", c.publicURL)
		}
		return c, nil
	}
}

// publicHost turns a listening address into one a browser can reach on this machine.
func publicHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// wireJourneys builds the message channels, the scheduler and the journeys' API service,
// installs the default journeys of every shop, and runs the scheduler in the background.
func (a *app) wireJourneys(ctx context.Context, ac appConfig) error {
	c := ac.journeys
	if c.outbox == "" {
		c.outbox = outboxNextTo(ac.db)
	}
	if c.fromAddress == "" {
		c.fromAddress = defaultFromAddress
	}
	if c.publicURL == "" {
		c.publicURL = "http://localhost"
	}
	router, err := a.channels(c)
	if err != nil {
		return err
	}
	if a.attention == nil {
		a.attention = journey.NewAttention()
	}
	// One budget: partner offers on pages are held to it and spend from it.
	a.engine.SetAttention(a.attention)
	cfg := journey.Config{
		Store: a.db, Shops: journey.NewShops(a.db, a.attention, c.cacheTTL), Orders: orderReader{a.db}, Decider: a.engine,
		Impressions: impressions{a},
		Sender:      router, Attention: a.attention, Clock: a.clock, Log: a.log, BaseURL: c.publicURL, From: c.fromAddress,
		Lease: c.lease,
	}
	a.scheduler = journey.NewScheduler(cfg)
	svc := journey.NewService(cfg)
	a.journeys = svc
	shops, err := a.db.Shops(ctx)
	if err != nil {
		return err
	}
	for _, s := range shops {
		if _, err := svc.Settings(ctx, s.ID); err != nil { // installs the defaults of a new shop
			return fmt.Errorf("journeys of shop %s: %w", s.ID, err)
		}
	}
	if !c.manual {
		a.background = append(a.background, a.scheduler.Run)
	}
	if a.db.Dialect() == "postgres" {
		// Replicas share one database: each reloads the attention budget from it, so marketing
		// sent and partner offers shown through one count on all within seconds.
		att := a.attention
		a.background = append(a.background, func(ctx context.Context) {
			tick.Every(ctx, 10*time.Second, func(ctx context.Context) {
				if err := att.Reload(ctx, a.db, a.clock.Now(), 30*time.Second); err != nil && ctx.Err() == nil {
					a.log.Error("reloading the attention budget", "err", err)
				}
			})
		})
	}
	return nil
}

// outboxNextTo is where an app configured without an outbox path writes it: next to its
// SQLite database (a test's temporary directory), else in the working directory.
func outboxNextTo(dbURL string) string {
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		return filepath.Join(filepath.Dir(path), "outbox.jsonl")
	}
	return notify.DefaultOutboxPath
}

// channels returns a sender per channel: email over SMTP (or to the outbox file), texts
// through the SMS provider (or to the outbox file), and signed webhooks.
func (a *app) channels(c journeyConfig) (notify.Router, error) {
	var outbox *notify.Outbox
	toOutbox := func() (notify.Sender, error) {
		if outbox == nil {
			var err error
			if outbox, err = notify.NewOutbox(c.outbox, a.clock); err != nil {
				return nil, err
			}
			a.closers = append(a.closers, func() { outbox.Close() })
			a.log.Info("messages without a provider go to the outbox file", "path", outbox.Path())
		}
		return outbox, nil
	}
	r := notify.Router{}
	if c.smtpURL != "" {
		sc, err := notify.ParseSMTPURL(c.smtpURL)
		if err != nil {
			return nil, err
		}
		sc.From = c.fromAddress
		smtp, err := notify.NewSMTP(sc, a.clock)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, func() { smtp.Close() })
		r[epilogue.ChannelEmail] = smtp
	} else {
		s, err := toOutbox()
		if err != nil {
			return nil, err
		}
		r[epilogue.ChannelEmail] = s
	}
	if c.sms.AccountSID != "" {
		sms, err := notify.NewSMS(c.sms, nil)
		if err != nil {
			return nil, err
		}
		r[epilogue.ChannelSMS] = sms
	} else {
		s, err := toOutbox()
		if err != nil {
			return nil, err
		}
		r[epilogue.ChannelSMS] = s
	}
	r[epilogue.ChannelWebhook] = notify.NewWebhook(a.webhookSecret, c.webhookClient, a.clock)
	return r, nil
}

// webhookSecret is the key that signs a shop's outbound webhooks (GET /v1/messaging shows it).
func (a *app) webhookSecret(ctx context.Context, shopID string) ([]byte, error) {
	s, err := a.db.Shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	return journey.WebhookSecret(s.Secret), nil
}

// impressions records the offers a sent message showed as impression events, through the
// same checks and durable writer as the events pages send.
type impressions struct{ a *app }

func (i impressions) Shown(ctx context.Context, shopID, messageID string, tokens []string) error {
	var evs []*epilogue.Event
	for n, tok := range tokens {
		ev, err := i.a.engine.Prepare(shopID, decide.EventInput{ID: messageID + "-shown-" + strconv.Itoa(n), Type: epilogue.EventImpression, Token: tok})
		if err != nil {
			continue // an offer whose token expired while the message waited
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		return nil
	}
	fresh, err := i.a.events.Submit(ctx, evs...)
	if err != nil {
		return err
	}
	for j, ev := range evs {
		if fresh[j] {
			i.a.engine.Apply(ev)
		}
	}
	return nil
}

// orderReader gives journeys the orders and shipments of the orders store.
type orderReader struct{ db *store.DB }

func (o orderReader) Order(ctx context.Context, shopID, id string) (*epilogue.Order, error) {
	t, err := o.db.Order(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	return &t.Order, nil
}

func (o orderReader) Shipment(ctx context.Context, shopID, id string) (*epilogue.Shipment, error) {
	return o.db.Shipment(ctx, shopID, id)
}
