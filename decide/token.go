package decide

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Claims are what an offer token vouches for: this offer was shown by this decision on this
// placement to this customer, and events about it are welcome until Expires.
type Claims struct {
	DecisionID  string
	OfferID     string
	Placement   string
	Arm         string
	CustomerKey string
	Expires     time.Time
}

// TokenTTL is how long events about a shown offer are accepted: long enough for a late
// conversion inside the longest attribution window.
const TokenTTL = 30 * 24 * time.Hour

const tokenVersion = "t1"

// sigLen is the number of HMAC bytes kept: 128 bits is beyond forgery and keeps tokens short.
const sigLen = 16

// Sign returns the token for c under the shop's secret.
func Sign(secret string, c Claims) string {
	return newSigner(secret).sign(c)
}

// signer signs tokens for one shop, reusing HMAC state: on the decision path a token costs one
// allocation (the string itself).
type signer struct {
	pool sync.Pool // of *signState
}

type signState struct {
	mac hash.Hash
	buf []byte
	out []byte
}

func newSigner(secret string) *signer {
	s := &signer{}
	s.pool.New = func() any {
		return &signState{mac: hmac.New(sha256.New, []byte(secret)), buf: make([]byte, 0, 256), out: make([]byte, 0, 512)}
	}
	return s
}

func (s *signer) sign(c Claims) string {
	st := s.pool.Get().(*signState)
	p := append(st.buf[:0], tokenVersion...)
	for _, f := range [...]string{c.DecisionID, c.OfferID, c.Placement, c.Arm} {
		p = append(p, '\n')
		p = append(p, f...)
	}
	p = append(p, '\n')
	p = strconv.AppendInt(p, c.Expires.Unix(), 10)
	p = append(p, '\n')
	p = append(p, c.CustomerKey...)
	st.mac.Reset()
	st.mac.Write(p)
	var sum [sha256.Size]byte
	mac := st.mac.Sum(sum[:0])
	enc := base64.RawURLEncoding
	o := st.out[:0]
	o = enc.AppendEncode(o, p)
	o = append(o, '.')
	o = enc.AppendEncode(o, mac[:sigLen])
	tok := string(o)
	st.buf, st.out = p, o
	s.pool.Put(st)
	return tok
}

// Verify checks a token under the shop's secret and returns its claims. A token signed by
// another shop, altered, or past its expiry is refused.
func Verify(secret, token string, now time.Time) (Claims, error) {
	bad := epilogue.Invalid("token", "is not a valid offer token for this shop")
	if len(token) > 2048 {
		return Claims{}, bad
	}
	p64, s64, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, bad
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p64)
	sig, err2 := enc.DecodeString(s64)
	if err1 != nil || err2 != nil || len(sig) != sigLen {
		return Claims{}, bad
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(payload)
	if !hmac.Equal(mac.Sum(nil)[:sigLen], sig) {
		return Claims{}, bad
	}
	f := strings.Split(string(payload), "\n")
	if len(f) != 7 || f[0] != tokenVersion {
		return Claims{}, bad
	}
	exp, err := strconv.ParseInt(f[5], 10, 64)
	if err != nil {
		return Claims{}, bad
	}
	c := Claims{DecisionID: f[1], OfferID: f[2], Placement: f[3], Arm: f[4], Expires: time.Unix(exp, 0).UTC(), CustomerKey: f[6]}
	if now.After(c.Expires) {
		return Claims{}, epilogue.Invalid("token", "has expired")
	}
	return c, nil
}
