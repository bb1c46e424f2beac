package httpapi

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/epiloguehq/epilogue"
)

// The store's cursors are row sequence numbers shared by every shop, so a shop reading them
// could count what other shops create between its own pages. The API hands them out sealed
// (AES-GCM under a key derived from the shop's secret): opaque to the client, and another
// shop's cursor, or an altered one, fails to open and is refused.

func cursorAEAD(shopSecret string) cipher.AEAD {
	k := sha256.Sum256([]byte("epilogue list cursor\x00" + shopSecret))
	b, err := aes.NewCipher(k[:16])
	if err != nil {
		panic(err) // a 16-byte key is always accepted
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err) // AES has the block size GCM needs
	}
	return g
}

// sealCursor returns the cursor the client sees for the store's cursor next ("" stays "").
func sealCursor(shopSecret, next string) string {
	if next == "" {
		return ""
	}
	g := cursorAEAD(shopSecret)
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(next)+g.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(next), nil))
}

// openCursor returns the store's cursor inside a cursor this API gave the shop.
func openCursor(shopSecret, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	g := cursorAEAD(shopSecret)
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(b) > g.NonceSize() {
		if p, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], nil); err == nil {
			return string(p), nil
		}
	}
	return "", epilogue.Invalid("cursor", "is not a cursor this API returned to this shop")
}
