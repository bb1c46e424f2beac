package journey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// compose builds the message of a send, review request, survey or webhook step, rendered now
// and stored whole, so a resend after a crash is the same message. A message that cannot go
// (no address, no consent, SMS off) is still made, as skipped with the reason, so the order's
// timeline says why nothing was sent.
func (s *Scheduler) compose(cfg *shopConfig, j *Journey, st *Step, r *Run, x *subject) *Message {
	en := r.Enrollment
	key := en.ID + "/" + st.ID
	now := s.c.Clock.Now().UTC() // after the steps before it (a decision), for the timeline's order
	m := &Message{
		Message: epilogue.Message{ID: stableID("msg_", en.ShopID, key), ShopID: en.ShopID, IdempotencyKey: key,
			OrderID: en.OrderID, CustomerID: en.CustomerID, Status: MsgQueued, NextAttemptAt: now, CreatedAt: now},
		JourneyID: j.ID, EnrollmentID: en.ID, StepID: st.ID, Template: st.Template,
		Why: fmt.Sprintf("journey %q step %q, started by %s", j.Name, st.ID, triggerText(en.State.Trigger)),
	}
	if st.Type == StepWebhook {
		return webhookMessage(m, j, st, en)
	}
	m.Transactional = transactionalTemplates[st.Template]
	if st.Transactional != nil {
		m.Transactional = *st.Transactional
	}
	if st.ExpiresAfter > 0 {
		t := now.Add(time.Duration(st.ExpiresAfter))
		m.ExpiresAt = &t
	}
	skip := func(reason string) *Message {
		m.Status, m.Reason = MsgSkipped, reason
		return m
	}
	c := x.Customer()
	switch {
	case x.err != nil:
		return m
	case c == nil:
		return skip("no customer")
	case c.ErasedAt != nil:
		return skip("customer erased")
	}
	m.CustomerID = c.ID
	m.Channel = st.Channel
	if m.Channel == ChannelAuto {
		m.Channel = epilogue.ChannelEmail
		if cfg.settings.SMS && notify.ValidPhone(c.Phone) && c.Consent.SMS != nil && *c.Consent.SMS {
			m.Channel = epilogue.ChannelSMS
		}
	}
	switch m.Channel {
	case epilogue.ChannelSMS:
		switch {
		case !cfg.settings.SMS:
			return skip("text messages are off for this shop")
		case c.Consent.SMS == nil || !*c.Consent.SMS:
			return skip("no consent to text messages")
		case !notify.ValidPhone(c.Phone):
			return skip("no mobile number")
		}
		m.To = c.Phone
	default:
		switch {
		case c.Email == "":
			return skip("no email address")
		case !m.Transactional && !marketingConsent(c, cfg.settings):
			return skip("no consent to marketing email")
		}
		m.To = c.Email
	}
	tmpl, ok := cfg.template(st.Template, c.Locale)
	if !ok {
		m.Status, m.Reason = MsgFailed, "no template "+st.Template
		return m
	}
	data := s.data(cfg, st, r, x, c, m, now)
	if x.err != nil {
		return m
	}
	subject, html, text, err := s.c.Renderer.Render(tmpl, cfg.brand, data)
	if err != nil {
		// Templates are validated when saved, so this is a template saved before a change
		// to the data it reads: fail visibly rather than send something broken.
		m.Status, m.Reason = MsgFailed, "render: "+err.Error()
		return m
	}
	m.Subject = subject
	if m.Channel == epilogue.ChannelEmail {
		m.HTML, m.Text, m.UnsubscribeURL = html, text, data.Links.Unsubscribe
		cfg.brand.Apply(&m.Message)
		return m
	}
	m.Text = smsText(cfg.brand.Name, subject, smsLink(st, data.Links), !m.Transactional)
	return m
}

// marketingConsent reports whether the customer may get marketing email: an explicit no
// stops it, and so does no answer when the shop asks for opt-in.
func marketingConsent(c *epilogue.Customer, s Settings) bool {
	if c.Consent.Email != nil {
		return *c.Consent.Email
	}
	return !s.MarketingOptIn
}

// data is what the message's template sees.
func (s *Scheduler) data(cfg *shopConfig, st *Step, r *Run, x *subject, c *epilogue.Customer, m *Message, now time.Time) notify.Data {
	en := r.Enrollment
	d := notify.Data{Customer: notify.Customer{FirstName: c.FirstName}}
	if o := x.Order(); o != nil {
		d.Order = notify.NewOrder(o)
	}
	if sh := x.Shipment(); sh != nil {
		d.Shipment = notify.NewShipment(sh)
	} else if t := en.State.Trigger; t.Kind == epilogue.ActivityShipmentStatus && en.ShipmentID != "" {
		d.Shipment = &notify.Shipment{Status: t.Status, Carrier: t.Data["carrier"], TrackingNumber: t.Data["tracking_number"],
			TrackingURL: t.Data["tracking_url"]}
	}
	secret := cfg.shop.Secret
	d.Links = notify.Links{Shop: cfg.brand.WebsiteURL, Reorder: cfg.brand.WebsiteURL, Loyalty: cfg.brand.WebsiteURL}
	if d.Shipment != nil {
		d.Links.Tracking = d.Shipment.TrackingURL
	}
	d.Links.Unsubscribe = s.c.BaseURL + "/u/" + SignLink(secret, Link{Kind: LinkUnsubscribe, ShopID: en.ShopID,
		CustomerID: c.ID, Channel: m.Channel, Address: AddressHash(m.To), Ref: en.ID})
	feedback := Link{ShopID: en.ShopID, OrderID: en.OrderID, CustomerID: c.ID, Ref: en.ID, Expires: now.Add(feedbackLinkTTL)}
	switch st.Type {
	case StepReviewRequest:
		feedback.Kind = LinkReview
		d.Links.Review = s.c.BaseURL + "/r/" + SignLink(secret, feedback)
	case StepSurvey:
		feedback.Kind = LinkSurvey
		d.Links.Survey = s.c.BaseURL + "/s/" + SignLink(secret, feedback)
	}
	if m.Channel == epilogue.ChannelEmail {
		for _, o := range en.State.Offers {
			d.Offers = append(d.Offers, notify.Offer{Title: o.Title, Body: o.Body, ImageURL: o.ImageURL, CTA: o.CTA, URL: o.URL})
			m.OfferTokens = append(m.OfferTokens, o.Token)
		}
	}
	if en.State.Points > 0 {
		balance, err := s.c.Store.LoyaltyBalance(x.ctx, en.ShopID, c.ID)
		x.fail(err)
		for _, p := range r.Points { // credited by this run, not committed yet
			balance += p.Points
		}
		d.Loyalty = &notify.Loyalty{Points: en.State.Points, Balance: balance}
	}
	return d
}

// smsText is a text message made from an email's subject: who sends it, what happened, the
// one link that matters, and how to stop marketing texts.
func smsText(brand, subject, link string, marketing bool) string {
	var b strings.Builder
	b.WriteString(brand + ": " + subject)
	if link != "" {
		b.WriteString(" " + link)
	}
	if marketing {
		b.WriteString(" Reply STOP to opt out.")
	}
	return b.String()
}

func smsLink(st *Step, l notify.Links) string {
	switch {
	case st.Type == StepReviewRequest:
		return l.Review
	case st.Type == StepSurvey:
		return l.Survey
	case l.Tracking != "":
		return l.Tracking
	}
	return l.Shop
}

// webhookMessage is a webhook step's message: a signed JSON event to the step's URL. It goes
// to the shop's systems, not to the customer, so no budget, quiet hours or consent apply.
func webhookMessage(m *Message, j *Journey, st *Step, en *Enrollment) *Message {
	m.Channel, m.To, m.Transactional = epilogue.ChannelWebhook, st.URL, true
	m.Subject = st.EventName
	if m.Subject == "" {
		m.Subject = "journey.step"
	}
	offers := make([]string, 0, len(en.State.Offers))
	for _, o := range en.State.Offers {
		offers = append(offers, o.OfferID)
	}
	body, _ := json.Marshal(map[string]any{
		"journey_id": j.ID, "journey": j.Name, "step": st.ID, "enrollment_id": en.ID, "order_id": en.OrderID,
		"shipment_id": en.ShipmentID, "customer_id": en.CustomerID, "trigger": en.State.Trigger,
		"points": en.State.Points, "offers": offers,
	})
	m.Text = string(body)
	return m
}

// WebhookSecret returns the key that signs a shop's outbound webhooks. It is derived from the
// shop's secret, which never leaves the server, so the shop can be given this one.
func WebhookSecret(shopSecret string) []byte {
	mac := hmac.New(sha256.New, []byte(shopSecret))
	mac.Write([]byte("epilogue webhook signing"))
	return []byte("whsec_" + hex.EncodeToString(mac.Sum(nil)))
}

// triggerText says what started an enrollment, for timelines.
func triggerText(t TriggerInfo) string {
	if t.Status != "" {
		return t.Kind + " " + t.Status
	}
	return t.Kind
}
