package notify_test

import (
	"strings"
	"testing"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/notify"
)

// TestBrandRefusesControlCharacters: the brand's words go into every page's title and footer
// and every email's From and footer; a NUL, an escape sequence or a C1 control (NEL) in them
// was stored and shown.
func TestBrandRefusesControlCharacters(t *testing.T) {
	for field, edit := range map[string]func(*notify.Brand){
		"name":           func(b *notify.Brand) { b.Name = "Demo\x00Co" },
		"sender_name":    func(b *notify.Brand) { b.SenderName = "Demo\x1b[31mCo" },
		"postal_address": func(b *notify.Brand) { b.PostalAddress = "1 Main St\u0085Springfield" },
	} {
		b := notify.SampleBrand()
		edit(&b)
		if err := b.Validate(); epilogue.ErrorCode(err) != epilogue.EInvalid || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate = %v", field, err)
		}
	}
	b := notify.SampleBrand()
	b.Name, b.PostalAddress = "Café Zoë \u05e9\u05dc\u05d5\u05dd", "1 Main St\nSpringfield"
	if err := b.Validate(); err != nil {
		t.Errorf("a name in two scripts and an address on two lines: %v", err)
	}
}
