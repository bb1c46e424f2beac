package notify_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
	"github.com/epiloguehq/epilogue/notify/smtptest"
)

// BenchmarkSMTPSend measures the email sender alone against a local go-smtp sink: pooled
// connections, parallel senders, a realistic 12 KB HTML body.
func BenchmarkSMTPSend(b *testing.B) {
	for _, pool := range []int{1, 4, 8} {
		b.Run("pool="+strconv.Itoa(pool), func(b *testing.B) {
			srv := startSink(b, smtptest.Options{Discard: true})
			s := newSender(b, mustParseURL(b, srv.URL()+"?pool="+strconv.Itoa(pool)))
			html := strings.Repeat("<tr><td style=\"padding:8px;color:#222222\">Espresso beans, 1 kg — €24.00</td></tr>\n", 150)
			var n atomic.Int64
			b.SetParallelism(pool)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m := testMessage("bench-" + strconv.FormatInt(n.Add(1), 10))
					m.HTML = html
					if err := s.Send(context.Background(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkRenderAndSend is the journey's whole path for one email: render a built-in
// template (compiled once) and send it through the pooled sender to a local SMTP server.
func BenchmarkRenderAndSend(b *testing.B) {
	srv := startSink(b, smtptest.Options{Discard: true})
	s := newSender(b, mustParseURL(b, srv.URL()+"?pool=4"))
	r := notify.NewRenderer(0)
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "en")
	brand, data := notify.SampleBrand(), notify.SampleData()
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			subject, html, text, err := r.Render(tmpl, brand, data)
			if err != nil {
				b.Error(err)
				return
			}
			m := &epilogue.Message{ShopID: "shop_1", IdempotencyKey: "bench-" + strconv.FormatInt(n.Add(1), 10),
				Channel: epilogue.ChannelEmail, To: "ada@example.com", Subject: subject, HTML: html, Text: text,
				UnsubscribeURL: data.Links.Unsubscribe, CreatedAt: created}
			brand.Apply(m)
			if err := s.Send(context.Background(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
