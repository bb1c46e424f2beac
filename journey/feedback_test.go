package journey_test

import (
	"strings"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/journey"
)

// A comment is stored as text on both databases: control characters other than line breaks
// and tabs are taken out (PostgreSQL refuses a NUL, and the page answered 500), and bytes
// that are not UTF-8 are refused as such, not as a comment too long.
func TestFeedbackCommentsAreText(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := open(t, openDB(t, dialect))
			now := time.Now().UTC()
			seedOrders(t, db, 1, now)
			svc := journey.NewService(journey.Config{Store: db, Clock: epilogue.NewManualClock(now)})
			link := func(kind, ref string) string {
				return journey.SignLink("sec", journey.Link{Kind: kind, ShopID: "s1", OrderID: "1000", CustomerID: "c0",
					Channel: "email", Ref: ref, Expires: now.Add(time.Hour)})
			}
			if _, created, err := svc.SubmitFeedback(ctx, link(journey.LinkReview, "r1"), journey.FeedbackReview, 5, "nice\x00evil\x1b[31m\nsecond line"); err != nil || !created {
				t.Fatalf("a comment with a NUL: %v %v", created, err)
			}
			_, _, err := svc.SubmitFeedback(ctx, link(journey.LinkSurvey, "s1"), journey.FeedbackNPS, 9, "\xff\xfe")
			if e := epilogue.ErrorCode(err); e != epilogue.EInvalid || strings.Contains(err.Error(), "at most") {
				t.Fatalf("a comment that is not UTF-8: %v", err)
			}
		})
	}
}
