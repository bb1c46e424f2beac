package notify_test

import (
	"testing"

	"github.com/epiloguehq/epilogue/notify"
)

// BenchmarkRender compiles on every call, as Validate and previews do.
func BenchmarkRender(b *testing.B) {
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "fr")
	brand, data := notify.SampleBrand(), notify.SampleData()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := notify.Render(tmpl, brand, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderer is the journey's hot path: the compiled template is reused.
func BenchmarkRenderer(b *testing.B) {
	tmpl, _ := notify.Builtin(notify.TemplateShipped, "fr")
	brand, data := notify.SampleBrand(), notify.SampleData()
	r := notify.NewRenderer(0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, _, err := r.Render(tmpl, brand, data); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
