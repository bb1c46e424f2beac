package epilogue

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ID prefixes of the ids that Epilogue generates.
const (
	PrefixShop     = "shop_"
	PrefixKey      = "key_"
	PrefixOffer    = "off_"
	PrefixDecision = "dec_"
	PrefixJourney  = "jrn_"
	PrefixMessage  = "msg_"
)

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewID returns prefix followed by 20 random base-36 characters (about 103 bits).
func NewID(prefix string) string {
	return prefix + RandomString(20)
}

// RandomString returns n random characters of [0-9a-z] from the system's secure source.
func RandomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		// 252 is the largest multiple of 36 below 256; the tiny bias of a plain modulo is
		// irrelevant for ids, but keys deserve none, so rejection sampling it is.
		for b[i] >= 252 {
			var c [1]byte
			rand.Read(c[:])
			b[i] = c[0]
		}
		b[i] = idAlphabet[b[i]%36]
	}
	return string(b)
}

// EmailSHA256 returns the hex SHA-256 of the trimmed, lower-cased email.
func EmailSHA256(email string) string {
	return SHA256Hex(strings.ToLower(strings.TrimSpace(email)))
}

// SHA256Hex returns the hex SHA-256 of s.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ValidExternalID reports whether s is a safe client-given id: 1 to 128 printable characters without
// spaces or control characters, in valid UTF-8 and without U+FFFD. Ids are kept as given, so
// one a decoder had to repair (invalid bytes, or a lone surrogate escape such as "\ud800",
// both decoded as U+FFFD) is refused: kept, two different ids would become one.
func ValidExternalID(s string) bool {
	// ContainsRune with RuneError finds invalid bytes as well as U+FFFD itself.
	// "." and ".." cannot stand in a URL path: clients and proxies clean them away.
	if s == "" || s == "." || s == ".." || len(s) > 128 || strings.ContainsRune(s, utf8.RuneError) {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && (unicode.IsControl(r) || unicode.IsSpace(r))) { // C1 controls, NEL, NBSP…
			return false
		}
	}
	return true
}
