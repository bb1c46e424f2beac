package httpapi

import (
	"embed"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
	"github.com/epiloguehq/epilogue/notify"
)

// The pages behind the links in messages: unsubscribe (GET asks, POST does it: a link scanner
// that follows every link must not unsubscribe anyone), the review form and the NPS survey. They
// are plain server-rendered HTML in the shop's brand, and take no API key: the signed token in
// the path is the authority.

//go:embed pages/page.html
var pageFS embed.FS

var pageTemplate = template.Must(template.ParseFS(pageFS, "pages/page.html"))

// maxForm bounds a page's form body. A comment of 2000 characters percent-encodes to up to
// 24,000 bytes (4 bytes of UTF-8 a character, 3 characters a byte), and a browser sends it all.
const maxForm = 32 << 10

// pageView is what page.html shows.
type pageView struct {
	Lang       string
	Title      string
	Brand      notify.Brand
	ButtonText string
	Lines      []string
	Error      string
	Form       string // "", unsubscribe, review or survey
	Scale      []int
	Selected   int
	Comment    string
}

func (s *Server) page(w http.ResponseWriter, status int, p *journey.Page, v pageView) {
	if p != nil {
		v.Brand = p.Brand
	}
	if v.Brand.Name == "" {
		v.Brand = notify.DefaultBrand("Epilogue", "")
	}
	v.Lang, v.ButtonText = "en", readableOn(v.Brand.PrimaryColor)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// The token in the URL must not leak to the logo's host or a linked site.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, v); err != nil {
		s.log.Error("rendering a page", "err", err)
	}
}

// pageError shows a failure as a page: a bad or expired link is a 404, a bad answer a 400.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, p *journey.Page, err error, retry pageView) {
	switch epilogue.ErrorCode(err) {
	case epilogue.ENotFound:
		m := messageOf(err) // "this link has expired": a sentence of its own here
		s.page(w, http.StatusNotFound, p, pageView{Title: "This link does not work", Lines: []string{strings.ToUpper(m[:1]) + m[1:] + "."}})
	case epilogue.EInvalid, epilogue.ETooLarge, codeUnsupportedMedia:
		retry.Error = "Please check your answer: " + messageOf(err) + "."
		s.page(w, statusOf[epilogue.ErrorCode(err)], p, retry)
	default:
		s.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err, "request_id", requestID(r.Context()))
		s.page(w, http.StatusInternalServerError, p, pageView{Title: "Something went wrong", Lines: []string{"Please try again in a moment."}})
	}
}

func messageOf(err error) string {
	var e *epilogue.Error
	if errors.As(err, &e) && e.Message != "" {
		if e.Field != "" {
			return e.Field + " " + e.Message
		}
		return e.Message
	}
	return "unexpected error"
}

func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	p, err := s.journeys.OpenLink(r.Context(), r.PathValue("token"), journey.LinkUnsubscribe)
	if err != nil {
		s.pageError(w, r, p, err, pageView{})
		return
	}
	s.page(w, http.StatusOK, p, pageView{Title: "Unsubscribe from " + p.Brand.Name + "?", Form: "unsubscribe",
		Lines: []string{"You will stop getting marketing from us on this " + channelWord(p.Link.Channel) + ". " +
			"You will still hear about orders you place: confirmations and shipping updates."}})
}

// unsubscribe does it: the RFC 8058 one-click POST from the mail client, or the page's button.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	p, err := s.journeys.Unsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.pageError(w, r, p, err, pageView{})
		return
	}
	s.page(w, http.StatusOK, p, pageView{Title: "You are unsubscribed",
		Lines: []string{"You will not get marketing from " + p.Brand.Name + " on this " + channelWord(p.Link.Channel) + " any more. " +
			"Updates about your orders will still reach you."}})
}

func channelWord(channel string) string {
	if channel == epilogue.ChannelSMS {
		return "phone number"
	}
	return "email address"
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) {
	s.feedbackPage(w, r, journey.FeedbackReview)
}

func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request) {
	s.feedbackPage(w, r, journey.FeedbackNPS)
}

// feedbackView is the form of a review (stars 1 to 5) or a survey (0 to 10). A score in the
// query string (the survey email's buttons) is preselected, never submitted: a GET changes
// nothing.
func feedbackView(kind, brand string, selected int, comment string) pageView {
	if kind == journey.FeedbackNPS {
		return pageView{Title: "How likely are you to recommend " + brand + " to a friend?", Form: "survey",
			Scale: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Selected: selected, Comment: comment}
	}
	return pageView{Title: "How was your order?", Form: "review", Lines: []string{"Rate it from 1 to 5 stars and tell other customers what you think."},
		Scale: []int{1, 2, 3, 4, 5}, Selected: selected, Comment: comment}
}

func linkKindOf(feedbackKind string) string {
	if feedbackKind == journey.FeedbackNPS {
		return journey.LinkSurvey
	}
	return journey.LinkReview
}

func (s *Server) feedbackPage(w http.ResponseWriter, r *http.Request, kind string) {
	p, err := s.journeys.OpenLink(r.Context(), r.PathValue("token"), linkKindOf(kind))
	if err != nil {
		s.pageError(w, r, p, err, pageView{})
		return
	}
	selected := -1
	if v, err := strconv.Atoi(r.URL.Query().Get("score")); err == nil {
		selected = v
	}
	s.page(w, http.StatusOK, p, feedbackView(kind, p.Brand.Name, selected, ""))
}

func (s *Server) submitReview(w http.ResponseWriter, r *http.Request) {
	s.submitFeedback(w, r, journey.FeedbackReview, "rating")
}

func (s *Server) submitSurvey(w http.ResponseWriter, r *http.Request) {
	s.submitFeedback(w, r, journey.FeedbackNPS, "score")
}

func (s *Server) submitFeedback(w http.ResponseWriter, r *http.Request, kind, field string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := readForm(r); err != nil {
		// Shown with the form again, in the shop's brand, if the link is good.
		p, lerr := s.journeys.OpenLink(r.Context(), r.PathValue("token"), linkKindOf(kind))
		if lerr != nil {
			s.pageError(w, r, nil, lerr, pageView{})
			return
		}
		s.pageError(w, r, p, err, feedbackView(kind, p.Brand.Name, -1, ""))
		return
	}
	comment := r.PostForm.Get("comment")
	score, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(field)))
	if err != nil {
		score = -1 // refused below, with the form shown again
	}
	p, created, err := s.journeys.SubmitFeedback(r.Context(), r.PathValue("token"), kind, score, comment)
	if err != nil {
		brand := ""
		if p != nil {
			brand = p.Brand.Name
		}
		s.pageError(w, r, p, err, feedbackView(kind, brand, score, comment))
		return
	}
	lines := []string{"Thank you: your answer helps " + p.Brand.Name + " get better."}
	if !created {
		lines = []string{"We already have your answer for this order. Thank you!"}
	}
	s.page(w, http.StatusOK, p, pageView{Title: "Thank you", Lines: lines})
}

// readForm parses the form of a page: the page's own forms send
// application/x-www-form-urlencoded, and anything else (multipart, JSON) would otherwise read as
// a form without answers.
func readForm(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return &epilogue.Error{Code: codeUnsupportedMedia, Field: "form", Message: "must be sent as application/x-www-form-urlencoded"}
		}
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &epilogue.Error{Code: epilogue.ETooLarge, Field: "comment", Message: "is too long"}
		}
		return epilogue.Invalid("form", "could not be read")
	}
	return nil
}

// readableOn returns the text colour for a button of colour c: white on dark, near-black on
// light (a shop with a yellow brand still gets a readable button).
func readableOn(c string) string {
	v, err := strconv.ParseUint(strings.TrimPrefix(c, "#"), 16, 32)
	if err != nil || len(c) != 7 {
		return "#ffffff"
	}
	if 0.299*float64(v>>16&0xff)+0.587*float64(v>>8&0xff)+0.114*float64(v&0xff) > 160 {
		return "#111111"
	}
	return "#ffffff"
}
