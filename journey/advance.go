package journey

import (
	"context"
	"math"
	"net/url"
	"time"

	"github.com/epiloguehq/epilogue"
)

// retryRun is how long a run that could not read what it needs waits before trying again.
const retryRun = time.Minute

// advanceDue runs the enrollments whose time has come: waits that ended, events that came,
// runs that failed a read and try again.
func (s *Scheduler) advanceDue(ctx context.Context) (int, error) {
	now := s.c.Clock.Now().UTC()
	ens, err := s.c.Store.ClaimEnrollments(ctx, now, s.owner, s.c.Lease, s.c.Batch)
	if err != nil || len(ens) == 0 {
		return 0, err
	}
	b := &Batch{Owner: s.owner, Now: now}
	for _, en := range ens {
		cfg, err := s.c.Shops.get(ctx, en.ShopID, s.c.From)
		if err != nil {
			return 0, err // the leases run out and the enrollments come back
		}
		r := &Run{Enrollment: en}
		s.advance(ctx, cfg, r, s.subject(ctx, en.ShopID, en), now)
		b.Advance = append(b.Advance, r)
	}
	if err := s.c.Store.CommitBatch(ctx, b); err != nil {
		return 0, err
	}
	s.nudge()
	return len(ens), nil
}

// advance runs an enrollment's steps from where it stands until it waits or ends. A step that
// cannot read what it needs leaves the enrollment on that step, due again in a minute; what
// the steps before it did is kept.
func (s *Scheduler) advance(ctx context.Context, cfg *shopConfig, r *Run, x *subject, now time.Time) {
	en := r.Enrollment
	en.UpdatedAt = now
	j := cfg.byID[en.JourneyID]
	switch {
	case j == nil:
		r.exit("journey deleted", now)
		return
	case j.Status != StatusActive:
		r.exit("journey "+j.Status, now)
		return
	}
	for en.Status == EnrollActive {
		if en.Step == "" || en.Step == End {
			en.Status, en.Step, en.Waiting, en.WaitEvent = EnrollCompleted, "", false, ""
			return
		}
		i := j.index(en.Step)
		switch {
		case i < 0:
			r.exit("step "+en.Step+" was removed from the journey", now)
			return
		case en.State.Steps >= 2*maxSteps:
			r.exit("too many steps", now)
			return
		}
		if en.Waiting {
			if en.WakeAt.After(now) {
				return
			}
			en.Waiting, en.WaitEvent, en.Step = false, "", j.next(i)
			continue
		}
		next := s.runStep(ctx, cfg, j, i, r, x, now)
		if x.err != nil {
			s.c.Log.Warn("journeys: a step could not read what it needs; trying again later", "shop", en.ShopID,
				"enrollment", en.ID, "step", en.Step, "err", x.err)
			x.err = nil
			en.WakeAt = now.Add(retryRun)
			return
		}
		if en.Status != EnrollActive || en.Waiting {
			continue
		}
		en.State.Steps++
		en.Step = next
	}
}

// runStep runs step i and returns the id of the step that follows.
func (s *Scheduler) runStep(ctx context.Context, cfg *shopConfig, j *Journey, i int, r *Run, x *subject, now time.Time) string {
	st, en := &j.Steps[i], r.Enrollment
	next := j.next(i)
	switch st.Type {
	case StepWait:
		s.wait(cfg, st, r, x, now)
	case StepCondition:
		e := cfg.exprs[j.ID+"/"+st.ID]
		switch {
		case e != nil && e.Eval(x.vars(e)):
			if st.Then != "" {
				next = st.Then
			}
		case st.Else != "":
			next = st.Else
		default:
			next = End
		}
	case StepSend, StepReviewRequest, StepSurvey, StepWebhook:
		if m := s.compose(cfg, j, st, r, x); x.err == nil {
			r.Messages = append(r.Messages, m)
		}
	case StepOffers:
		s.offers(ctx, cfg, st, en, x)
	case StepPoints:
		s.points(cfg, st, r, x, now)
	}
	return next
}

// wait puts the enrollment in a wait step. Waits count from when the enrollment became due,
// so a scheduler that was down does not push every later step back.
func (s *Scheduler) wait(cfg *shopConfig, st *Step, r *Run, x *subject, now time.Time) {
	en := r.Enrollment
	base := en.WakeAt
	var wake time.Time
	switch st.Until {
	case "":
		wake = base.Add(time.Duration(st.Duration))
	case UntilEvent:
		wake = base.Add(time.Duration(st.Timeout))
		en.WaitEvent = st.Event
	case UntilSendWindow:
		c := x.Customer()
		wake = cfg.settings.QuietHours.QuietUntil(now, location(c, cfg.shop))
	case UntilReplenish:
		o := x.Order()
		if x.err != nil {
			return
		}
		var after time.Duration
		if o != nil {
			for _, it := range o.Items {
				if d := time.Duration(it.ReplenishAfter); d > 0 && (after == 0 || d < after) {
					after = d
				}
			}
		}
		if after == 0 {
			r.exit("nothing in the order to replenish", now)
			return
		}
		wake = o.CreatedAt.Add(after)
	}
	if x.err == nil {
		en.Waiting, en.WakeAt = true, wake.UTC()
	}
}

// offers asks the decision engine for offers on the shop's email placement; the messages that
// follow show them, each behind a tracked, signed link. Nothing is chosen for a customer who
// unsubscribed from marketing, or when the shop has no email placement.
func (s *Scheduler) offers(ctx context.Context, cfg *shopConfig, st *Step, en *Enrollment, x *subject) {
	en.State.Offers, en.State.Decision = nil, ""
	placement := st.Placement
	if placement == "" {
		placement = cfg.placement[epilogue.SurfaceEmail]
	}
	if s.c.Decider == nil || placement == "" {
		return
	}
	c, o := x.Customer(), x.Order()
	if c == nil || c.ErasedAt != nil || x.err != nil {
		return
	}
	if c.Email != "" {
		sup, err := s.c.Store.Suppression(ctx, en.ShopID, epilogue.ChannelEmail, AddressHash(c.Email))
		if err != nil {
			x.fail(err)
			return
		}
		if sup != nil {
			return
		}
	}
	req := &epilogue.DecisionRequest{Placement: placement,
		Transaction: epilogue.Transaction{ConfirmationRef: en.OrderID},
		Customer:    epilogue.CustomerRef{ID: c.ID, EmailSHA256: c.EmailSHA256},
		Context:     epilogue.RequestContext{Locale: c.Locale}}
	if o != nil {
		req.Transaction.Amount, req.Transaction.Currency = o.Total, o.Currency
		for _, it := range o.Items {
			req.Cart = append(req.Cart, epilogue.CartItem{SKU: it.SKU, ProductID: it.ProductID, Category: it.Category,
				Price: it.Price, Quantity: it.Quantity})
		}
	}
	if err := req.Normalize(); err != nil {
		s.c.Log.Warn("journeys: offers request refused", "shop", en.ShopID, "order", en.OrderID, "err", err)
		return
	}
	res, err := s.c.Decider.Decide(en.ShopID, req, false)
	if err != nil {
		s.c.Log.Warn("journeys: deciding offers", "shop", en.ShopID, "order", en.OrderID, "err", err)
		return
	}
	en.State.Decision = res.Decision.ID
	for _, sh := range res.Offers {
		en.State.Offers = append(en.State.Offers, ChosenOffer{OfferID: sh.Offer.ID, Title: sh.Offer.Title, Body: sh.Offer.Body,
			ImageURL: sh.Offer.ImageURL, CTA: sh.Offer.CTA, Token: sh.Token,
			URL: s.c.BaseURL + "/c/" + url.PathEscape(en.ShopID) + "/" + sh.Token})
	}
}

// points credits loyalty points: the step's fixed number, or per currency unit of the order
// total (the step's rate, else the shop's). The entry's id is the enrollment and step, so it
// is credited once.
func (s *Scheduler) points(cfg *shopConfig, st *Step, r *Run, x *subject, now time.Time) {
	en := r.Enrollment
	n := st.Points
	if n == 0 {
		rate := st.PerUnit
		if rate == 0 {
			rate = cfg.settings.Loyalty.PerUnit
		}
		if o := x.Order(); o != nil && rate > 0 {
			n = int(math.Floor(o.Total.Float())) * rate
		}
	}
	if n <= 0 {
		return
	}
	customer := en.CustomerID
	if c := x.Customer(); c != nil {
		customer = c.ID
	}
	if customer == "" || x.err != nil {
		return
	}
	reason := st.Reason
	if reason == "" {
		reason = "journey " + en.JourneyID
	}
	r.Points = append(r.Points, &LoyaltyEntry{ID: en.ID + "/" + st.ID, ShopID: en.ShopID, CustomerID: customer, Points: n,
		Reason: reason, OrderID: en.OrderID, Time: now})
	en.State.Points += n
}

// exit ends the run's enrollment early; the messages it made and did not send are skipped.
func (r *Run) exit(reason string, now time.Time) {
	en := r.Enrollment
	en.Status, en.Reason, en.Step, en.Waiting, en.WaitEvent, en.UpdatedAt = EnrollExited, reason, "", false, "", now
	for _, m := range r.Messages {
		if m.Status == MsgQueued {
			m.Status, m.Reason = MsgSkipped, "journey ended: "+reason
		}
	}
}

// index returns the position of the step with the given id, or -1.
func (j *Journey) index(id string) int {
	for i := range j.Steps {
		if j.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

// next returns the id of the step after step i: its Next, else the following one, else End.
func (j *Journey) next(i int) string {
	if n := j.Steps[i].Next; n != "" {
		return n
	}
	if i+1 < len(j.Steps) {
		return j.Steps[i+1].ID
	}
	return End
}
