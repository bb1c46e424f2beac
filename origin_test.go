package epilogue

import "testing"

// An allowed origin is one a browser can send: entries that could never match are refused, and
// the ones kept are written as browsers write them.
func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Shop.Example":       "https://shop.example",
		"https://shop.example:443":   "https://shop.example",
		"http://shop.example:8080/":  "http://shop.example:8080",
		"http://[::1]:3000":          "http://[::1]:3000",
		"http://127.0.0.1:3000":      "http://127.0.0.1:3000",
		"https://shop.example:0443":  "",
		"https://shop.example:":      "",
		"https://shop.example:0":     "",
		"https://shop.example:99999": "",
		"https://*.":                 "",
		"https://*.shop.example":     "",
		"https://shop..example":      "",
		"https://-shop.example":      "",
		"https://shop_1.example":     "",
		"https://[zz::1]":            "",
		"ftp://shop.example":         "",
		"https://shop.example/path":  "",
	} {
		got, ok := NormalizeOrigin(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeOrigin(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
