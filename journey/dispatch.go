package journey

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/internal/groupcommit"
	"github.com/epiloguehq/epilogue/notify"
)

// sendTimeout bounds one send; a relay that hangs longer is treated as down. A shorter lease
// shortens it (see dispatch).
const sendTimeout = time.Minute

// finishDelay is how long a send's outcome waits for others to be recorded with it.
const finishDelay = 20 * time.Millisecond

// dispatch sends the messages that are due. It claims a batch, decides for each whether it
// may go now (suppressions, consent, quiet hours, the attention budget, expiry), sends those
// concurrently and records each outcome as it comes (a few at a time, in one transaction). A
// message sent but not yet recorded when the process dies is sent again once its lease runs
// out: the same message, with the same Message-ID, which receivers recognise.
//
// The lease is what keeps two replicas from sending one message, so a send starts only while
// enough of it is left for the send to finish and be recorded; the messages whose turn comes
// later are handed back, due at once, for the next claim. A slow relay once made a batch
// outlast its lease: another replica took over the whole batch, sent and unrecorded messages
// alike, and the two sent every message again and again.
func (s *Scheduler) dispatch(ctx context.Context) (int, error) {
	now := s.c.Clock.Now().UTC()
	msgs, err := s.c.Store.ClaimMessages(ctx, now, s.owner, s.c.Lease, s.c.Batch)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	timeout := min(sendTimeout, s.c.Lease/2)
	lastStart := now.Add(s.c.Lease - timeout - s.c.Lease/6)
	var failed error
	var mu sync.Mutex
	finish := groupcommit.New(func(ctx context.Context, outcomes []Outcome) ([]struct{}, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return nil, s.c.Store.FinishMessages(ctx, s.owner, s.c.Clock.Now().UTC(), outcomes)
	}, groupcommit.Options{MaxBatch: s.c.Batch, MaxDelay: finishDelay, OnError: func(err error, _ int) {
		mu.Lock()
		failed = cmp.Or(failed, err)
		mu.Unlock()
	}})
	outcomes := make([]Outcome, len(msgs))
	var send []int
	for i, m := range msgs {
		outcomes[i].Message = m
		if s.hold(ctx, &outcomes[i], now) {
			finish.Enqueue(outcomes[i])
		} else {
			send = append(send, i)
		}
	}
	// Sends in flight finish even when ctx ends, and so does recording them: an interrupted
	// send would be repeated.
	keep := context.WithoutCancel(ctx)
	sem := make(chan struct{}, s.c.Workers)
	var wg sync.WaitGroup
	for _, i := range send {
		sem <- struct{}{}
		// Past lastStart, or shutting down (a stop waits for sends in flight, not for a batch):
		// handed back as it was claimed, with its budget taken if it was.
		if ctx.Err() != nil || s.c.Clock.Now().After(lastStart) {
			<-sem
			finish.Enqueue(outcomes[i])
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.send(keep, &outcomes[i], timeout)
			finish.Enqueue(outcomes[i])
		})
	}
	wg.Wait()
	finish.Close()
	if failed != nil {
		return 0, failed
	}
	if s.c.Impressions != nil {
		shown, cancel := context.WithTimeout(keep, 30*time.Second)
		defer cancel()
		for _, o := range outcomes {
			if m := o.Message; m.Status == MsgSent && len(m.OfferTokens) > 0 {
				if err := s.c.Impressions.Shown(shown, m.ShopID, m.ID, m.OfferTokens); err != nil {
					s.c.Log.Warn("journeys: recording the offers a message showed", "message", m.ID, "err", err)
				}
			}
		}
	}
	return len(msgs), nil
}

// hold decides whether a claimed message must wait or not go, and if so records why.
// Transactional messages wait only for a suppression of the address (a hard bounce or
// complaint) and are skipped when their journey is no longer active; marketing also waits for
// consent, quiet hours and the attention budget.
func (s *Scheduler) hold(ctx context.Context, o *Outcome, now time.Time) bool {
	m := o.Message
	set := func(status, reason string) bool {
		m.Status, m.Reason = status, reason
		o.Event = &MessageEvent{ShopID: m.ShopID, MessageID: m.ID, OrderID: m.OrderID, Status: status, Reason: reason, Time: now}
		return true
	}
	later := func(err error) bool { // a read failed: look again in a minute, nothing to tell
		s.c.Log.Warn("journeys: checking a message before sending", "message", m.ID, "err", err)
		m.NextAttemptAt = now.Add(retryRun)
		return true
	}
	postpone := func(until time.Time, reason string) bool {
		if m.ExpiresAt != nil && until.After(*m.ExpiresAt) {
			return set(MsgExpired, reason+" until after the message expires")
		}
		m.NextAttemptAt = until
		return set(MsgDeferred, reason)
	}
	if m.ExpiresAt != nil && now.After(*m.ExpiresAt) {
		reason := "not sent in time"
		if m.Reason != "" {
			reason += " (" + m.Reason + ")"
		}
		return set(MsgExpired, reason)
	}
	sup, err := s.c.Store.Suppression(ctx, m.ShopID, m.Channel, AddressHash(m.To))
	if err != nil {
		return later(err)
	}
	if sup != nil && (sup.Scope == ScopeAll || !m.Transactional) {
		return set(MsgSuppressed, sup.Reason)
	}
	cfg, err := s.c.Shops.get(ctx, m.ShopID, s.c.From)
	if err != nil {
		return later(err)
	}
	// A journey paused or archived while its message waited (quiet hours, the budget, a retry)
	// sends nothing more: pausing is how a shop stops a journey that is wrong.
	if j := cfg.byID[m.JourneyID]; j != nil && j.Status != StatusActive {
		return set(MsgSkipped, "journey "+j.Status)
	}
	if m.Transactional {
		return false
	}
	var c *epilogue.Customer
	if m.CustomerID != "" {
		if c, err = s.c.Store.Customer(ctx, m.ShopID, m.CustomerID); err != nil && epilogue.ErrorCode(err) != epilogue.ENotFound {
			return later(err)
		}
	}
	switch {
	case c != nil && c.ErasedAt != nil:
		return set(MsgSkipped, "customer erased")
	case c != nil && m.Channel == epilogue.ChannelEmail && !marketingConsent(c, cfg.settings):
		return set(MsgSkipped, "no consent to marketing email")
	case c != nil && m.Channel == epilogue.ChannelSMS && (c.Consent.SMS == nil || !*c.Consent.SMS):
		return set(MsgSkipped, "no consent to text messages")
	}
	q := cfg.settings.QuietHours
	if until := q.QuietUntil(now, location(c, cfg.shop)); until.After(now) {
		return postpone(until, "quiet hours "+q.String()+" in the customer's time")
	}
	if !m.Charged {
		if ok, next := s.c.Attention.take(m.ShopID, customerKeys(c, m.CustomerID), now); !ok {
			return postpone(next, "attention budget")
		}
		m.Charged = true
	}
	return false
}

// customerKeys are the keys the attention budget knows a customer by: the decision engine
// counts partner offers under "id:…" or "em:…", whichever the page sent.
func customerKeys(c *epilogue.Customer, id string) []string {
	if c == nil {
		if id == "" {
			return nil
		}
		return []string{(&epilogue.CustomerRef{ID: id}).Key()}
	}
	keys := []string{(&epilogue.CustomerRef{ID: c.ID}).Key()}
	if c.EmailSHA256 != "" {
		keys = append(keys, (&epilogue.CustomerRef{EmailSHA256: c.EmailSHA256}).Key())
	}
	return keys
}

// send sends one message and records the outcome: sent; tried again later with backoff
// (a temporary failure); or failed, with the address suppressed when it bounced hard.
func (s *Scheduler) send(ctx context.Context, o *Outcome, timeout time.Duration) {
	m := o.Message
	ctx, cancel := context.WithTimeout(ctx, timeout)
	err := s.c.Sender.Send(ctx, &m.Message)
	cancel()
	now := s.c.Clock.Now().UTC()
	m.Attempts++
	ev := &MessageEvent{ShopID: m.ShopID, MessageID: m.ID, OrderID: m.OrderID, Attempt: m.Attempts, Time: now}
	o.Event = ev
	var why string
	if err != nil {
		why = withoutAddress(err.Error(), m.To)
	}
	switch {
	case err == nil:
		m.Status, m.Reason, m.SentAt = MsgSent, "", &now
		ev.Status = MsgSent
	case notify.HardBounce(err):
		m.Status, m.Reason = MsgFailed, "bounced: "+why
		ev.Status, ev.Reason = MsgFailed, m.Reason
		o.Suppress = &Suppression{ShopID: m.ShopID, Channel: m.Channel, AddressHash: AddressHash(m.To), Scope: ScopeAll,
			Reason: "hard bounce: " + why, CreatedAt: now}
	case notify.Temporary(err) && m.Attempts < s.c.MaxAttempts:
		m.Status, m.Reason = MsgQueued, why
		m.NextAttemptAt = now.Add(notify.RetryDelay(err, m.Attempts))
		ev.Status, ev.Reason = MsgRetry, why
	default:
		m.Status, m.Reason = MsgFailed, why
		if notify.Temporary(err) {
			m.Reason = "gave up after " + strconv.Itoa(m.Attempts) + " attempts: " + m.Reason
		}
		ev.Status, ev.Reason = MsgFailed, m.Reason
	}
	if err != nil {
		s.c.Log.Warn("journeys: send failed", "message", m.ID, "channel", m.Channel, "attempt", m.Attempts, "status", m.Status, "err", why)
	}
}

// withoutAddress takes the recipient's address out of a relay's error ("550 5.1.1
// <ana@example.com>: no such user"): the reason is kept in the message's history, the
// timeline and a bounce's suppression, all of which outlive an erasure of the customer.
func withoutAddress(reason, to string) string {
	if to == "" {
		return reason
	}
	// ASCII case only, so that offsets in the lowered text are offsets in the reason.
	lower, addr := asciiLower(reason), asciiLower(to)
	var b strings.Builder
	for {
		i := strings.Index(lower, addr)
		if i < 0 {
			b.WriteString(reason)
			return b.String()
		}
		b.WriteString(reason[:i])
		b.WriteString("the recipient")
		reason, lower = reason[i+len(addr):], lower[i+len(addr):]
	}
}

func asciiLower(s string) string {
	b := []byte(s) // bytes, not runes: invalid UTF-8 keeps its length
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
