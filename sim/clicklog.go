package sim

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// clickLog writes the impression log as a click log for `epilogue eval log`: the context a
// decision saw, the offer shown, whether it was clicked (engaged with) and when.
type clickLog struct {
	w   *bufio.Writer
	err error
}

const clickHeader = "time,surface,placement,device,country,customer_type,tier,segment,payment,cart_category,amount,offer,kind,advertiser,category,payout,click\n"

func newClickLog(w io.Writer) *clickLog {
	l := &clickLog{w: bufio.NewWriter(w)}
	_, l.err = l.w.WriteString(clickHeader)
	return l
}

func (l *clickLog) row(v *visit, o *epilogue.Offer, clicked bool) {
	if l.err != nil {
		return
	}
	req := v.req
	customer := "new"
	if v.returning == 1 {
		customer = "returning"
	}
	cart := ""
	if len(req.Cart) > 0 {
		cart = req.Cart[0].Category
	}
	click := "0"
	if clicked {
		click = "1"
	}
	fields := []string{v.at.UTC().Format(time.RFC3339), placements[v.placement].surface, req.Placement, req.Context.Device,
		req.Context.Country, customer, req.Customer.Attributes["tier"], req.Customer.Attributes["segment"], req.Transaction.PaymentType,
		cart, amountBucket(req.Transaction.Amount.Float()), o.ID, o.Kind, o.Advertiser, o.Category, o.Payout.Model, click}
	_, l.err = l.w.WriteString(strings.Join(fields, ",") + "\n")
}

func (l *clickLog) flush() error {
	if l.err != nil {
		return l.err
	}
	return l.w.Flush()
}

// amountBucket is the order total as a band, so the log stays categorical.
func amountBucket(a float64) string {
	switch {
	case a < 25:
		return "lt25"
	case a < 50:
		return "25-50"
	case a < 100:
		return "50-100"
	case a < 200:
		return "100-200"
	}
	return "200+"
}
