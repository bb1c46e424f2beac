package journey

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// Page is what a page behind a signed link shows: the link's subject in the shop's brand.
type Page struct {
	Link  Link
	Brand notify.Brand
}

// maxComment bounds the text of a review or survey comment, in characters.
const maxComment = 2000

// OpenLink checks a token of the given kind (LinkUnsubscribe, LinkReview, LinkSurvey) and
// returns its page. A token that is not valid is not_found, whatever is wrong with it.
func (s *Service) OpenLink(ctx context.Context, token, kind string) (*Page, error) {
	shopID, ok := LinkShop(token)
	if !ok {
		return nil, epilogue.Errorf(epilogue.ENotFound, "this link is not valid")
	}
	cfg, err := s.installed(ctx, shopID)
	if epilogue.ErrorCode(err) == epilogue.ENotFound {
		return nil, epilogue.Errorf(epilogue.ENotFound, "this link is not valid")
	}
	if err != nil {
		return nil, err
	}
	l, err := VerifyLink(cfg.shop.Secret, token, kind, s.now())
	if err != nil {
		return nil, err
	}
	// An erased customer's review or survey link would store their words again: it is a link
	// that never was. Their unsubscribe link still works.
	if kind != LinkUnsubscribe && l.CustomerID != "" {
		c, err := s.c.Store.Customer(ctx, l.ShopID, l.CustomerID)
		if err == nil && c.ErasedAt != nil {
			return nil, epilogue.Errorf(epilogue.ENotFound, "this link is not valid")
		}
		if err != nil && epilogue.ErrorCode(err) != epilogue.ENotFound {
			return nil, err
		}
	}
	return &Page{Link: l, Brand: cfg.brand}, nil
}

// Unsubscribe stops marketing to the link's address, offers in order updates included; the
// order updates themselves still go. The customer's consent for the channel is withdrawn too,
// so the shop sees it. Unsubscribing twice is harmless.
func (s *Service) Unsubscribe(ctx context.Context, token string) (*Page, error) {
	p, err := s.OpenLink(ctx, token, LinkUnsubscribe)
	if err != nil {
		return nil, err
	}
	l, now := p.Link, s.now()
	err = s.c.Store.AddSuppression(ctx, &Suppression{ShopID: l.ShopID, Channel: l.Channel, AddressHash: l.Address,
		Scope: ScopeMarketing, Reason: "unsubscribed", CreatedAt: now})
	if err != nil || l.CustomerID == "" {
		return p, err
	}
	// The consent is withdrawn on the customer as stored, again if the shop changed them
	// meanwhile, so neither change is lost.
	_, err = s.c.Store.UpdateCustomer(ctx, l.ShopID, l.CustomerID, func(c *epilogue.Customer, found bool) error {
		if !found || c.ErasedAt != nil {
			return errNoProfile
		}
		no := false
		switch l.Channel {
		case epilogue.ChannelEmail:
			c.Consent.Email = &no
		case epilogue.ChannelSMS:
			c.Consent.SMS = &no
		}
		c.UpdatedAt = now
		return nil
	})
	if errors.Is(err, errNoProfile) {
		return p, nil
	}
	return p, err
}

// errNoProfile stops an unsubscribe's change of a customer without a profile to change (none
// was put, or it was erased): the suppression alone is what they asked for.
var errNoProfile = errors.New("no customer profile to change")

// SubmitFeedback stores a review (score 1 to 5) or an NPS answer (0 to 10) sent from a
// link, writes the activity it causes (which may end or start journeys) and credits the
// shop's loyalty points for it, all at once. A link answers once: created is false for a
// second answer, which changes nothing.
func (s *Service) SubmitFeedback(ctx context.Context, token, kind string, score int, comment string) (p *Page, created bool, err error) {
	linkKind, field, lo, hi, act := LinkReview, "rating", 1, 5, epilogue.ActivityReviewSubmitted
	if kind == FeedbackNPS {
		linkKind, field, lo, hi, act = LinkSurvey, "score", 0, 10, epilogue.ActivitySurveyAnswered
	}
	if p, err = s.OpenLink(ctx, token, linkKind); err != nil {
		return nil, false, err
	}
	if score < lo || score > hi {
		return p, false, epilogue.Invalid(field, "must be between %d and %d", lo, hi)
	}
	// Browsers send a textarea's line breaks as CRLF, and its maxlength counts them as one.
	comment = strings.TrimSpace(strings.ReplaceAll(comment, "\r\n", "\n"))
	if !utf8.ValidString(comment) {
		return p, false, epilogue.Invalid("comment", "holds characters that are not text; please type it again")
	}
	// Other control characters (a NUL, which PostgreSQL cannot store) are no part of a comment.
	comment = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, comment)
	if utf8.RuneCountInString(comment) > maxComment {
		return p, false, epilogue.Invalid("comment", "must be at most %d characters", maxComment)
	}
	l, now := p.Link, s.now()
	of := l.OrderID
	if of == "" {
		of = l.Ref
	}
	f := &Feedback{ID: stableID("fb_", l.ShopID, kind, of), ShopID: l.ShopID, Kind: kind, OrderID: l.OrderID,
		CustomerID: l.CustomerID, Score: score, Comment: comment, Time: now}
	a := &epilogue.Activity{ShopID: l.ShopID, Kind: act, OrderID: l.OrderID, CustomerID: l.CustomerID, Time: now,
		Data: map[string]string{field: strconv.Itoa(score), "feedback_id": f.ID}}
	var pts *LoyaltyEntry
	if cfg, err := s.installed(ctx, l.ShopID); err != nil {
		return p, false, err
	} else if n := map[string]int{FeedbackReview: cfg.settings.Loyalty.Review, FeedbackNPS: cfg.settings.Loyalty.Survey}[kind]; n > 0 && l.CustomerID != "" {
		pts = &LoyaltyEntry{ID: f.ID, ShopID: l.ShopID, CustomerID: l.CustomerID, Points: n, Reason: kind, OrderID: l.OrderID, Time: now}
	}
	created, err = s.c.Store.SaveFeedback(ctx, f, a, pts)
	return p, created, err
}
