package journey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/epiloguehq/epilogue"
)

// Kinds of signed link a message carries.
const (
	LinkUnsubscribe = "u"
	LinkReview      = "r"
	LinkSurvey      = "s"
)

// feedbackLinkTTL is how long review and survey links work.
const feedbackLinkTTL = 180 * 24 * time.Hour

// Link is what a signed link vouches for. Links are signed with the shop's secret, so nobody
// can unsubscribe someone else, or write a review for an order that is not theirs.
type Link struct {
	Kind       string
	ShopID     string
	OrderID    string
	CustomerID string
	Channel    string
	Address    string // the address's hash (AddressHash): the link never shows the address
	Ref        string // the enrollment it came from
	Expires    time.Time
}

const linkVersion = "l1"

// SignLink returns the token of a link under the shop's secret.
func SignLink(secret string, l Link) string {
	exp := int64(0)
	if !l.Expires.IsZero() {
		exp = l.Expires.Unix()
	}
	payload := strings.Join([]string{linkVersion, l.Kind, l.ShopID, l.OrderID, l.CustomerID, l.Channel, l.Address, l.Ref,
		strconv.FormatInt(exp, 10)}, "\n")
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(linkMAC(secret, payload))
}

func linkMAC(secret, payload string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return m.Sum(nil)[:16]
}

// parseLink splits a token into its fields without checking the signature.
func parseLink(token string) (Link, string, []byte, bool) {
	p64, s64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return Link{}, "", nil, false
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p64)
	sig, err2 := enc.DecodeString(s64)
	if err1 != nil || err2 != nil {
		return Link{}, "", nil, false
	}
	f := strings.Split(string(payload), "\n")
	if len(f) != 9 || f[0] != linkVersion {
		return Link{}, "", nil, false
	}
	exp, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil {
		return Link{}, "", nil, false
	}
	l := Link{Kind: f[1], ShopID: f[2], OrderID: f[3], CustomerID: f[4], Channel: f[5], Address: f[6], Ref: f[7]}
	if exp != 0 {
		l.Expires = time.Unix(exp, 0).UTC()
	}
	return l, string(payload), sig, true
}

// LinkShop returns the shop a token claims to belong to, so the caller can fetch its secret.
func LinkShop(token string) (string, bool) {
	l, _, _, ok := parseLink(token)
	return l.ShopID, ok
}

// VerifyLink checks a token of the given kind under the shop's secret.
func VerifyLink(secret, token, kind string, now time.Time) (Link, error) {
	bad := epilogue.Errorf(epilogue.ENotFound, "this link is not valid")
	l, payload, sig, ok := parseLink(token)
	if !ok || l.Kind != kind || !hmac.Equal(sig, linkMAC(secret, payload)) {
		return Link{}, bad
	}
	if !l.Expires.IsZero() && now.After(l.Expires) {
		return Link{}, epilogue.Errorf(epilogue.ENotFound, "this link has expired")
	}
	return l, nil
}
