package notify

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// STARTTLS modes of SMTPConfig.StartTLS.
const (
	StartTLSOpportunistic = "opportunistic" // upgrade when the server offers it
	StartTLSRequired      = "required"      // refuse to talk to a server that does not offer it
	StartTLSOff           = "off"           // never upgrade (a local relay on loopback)
)

// SMTP authentication mechanisms of SMTPConfig.Auth.
const (
	AuthPlain       = "plain"
	AuthLogin       = "login"
	AuthCRAMMD5     = "cram-md5"
	AuthSCRAMSHA256 = "scram-sha-256"
	AuthAuto        = "auto" // the strongest the server offers
)

// SMTPConfig says how to reach the mail relay. ParseSMTPURL fills the connection fields from
// the --smtp-url flag; the rest are set by the program.
type SMTPConfig struct {
	Host        string
	Port        int
	Username    string
	Password    string
	ImplicitTLS bool   // smtps://: TLS from the first byte (port 465)
	StartTLS    string // StartTLSOpportunistic, StartTLSRequired or StartTLSOff
	// InsecureSkipVerify accepts any certificate: for self-signed test relays only.
	InsecureSkipVerify bool
	Auth               string        // an Auth… mechanism; used only with a username
	HELO               string        // name given in EHLO; the host name when empty
	PoolSize           int           // connections kept open to the relay
	Timeout            time.Duration // for dialing and for each command

	// From is the sender address of messages that name none (shops without a brand).
	From string
	// FromName goes with From.
	FromName string
	// UnsubscribeMailto, when set, is offered in List-Unsubscribe next to the one-click URL.
	UnsubscribeMailto string
	// MessageIDDomain is the right-hand side of Message-IDs; the sender's domain when empty.
	MessageIDDomain string
	// MaxPerConn is how many messages one connection carries before it is renewed.
	MaxPerConn int
	// RootCAs verifies the relay's certificate; the system pool when nil.
	RootCAs *x509.CertPool
}

// Defaults used when a field is left zero.
const (
	defaultPoolSize   = 4
	defaultTimeout    = 15 * time.Second
	defaultMaxPerConn = 1000
)

// ParseSMTPURL parses smtp://[user:pass@]host[:port][?options] or smtps://… into a config.
// Options: starttls=opportunistic|required|off, insecure_skip_verify=1, auth=plain|login|
// cram-md5|scram-sha-256|auto, helo=NAME, pool=N, timeout=DURATION. The port defaults to 25
// for smtp and 465 for smtps. User and password are URL-encoded (a "@" is "%40").
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return c, fmt.Errorf("smtp url: %v", redactURLError(err))
	}
	switch u.Scheme {
	case "smtp":
		c.Port = 25
	case "smtps":
		c.Port, c.ImplicitTLS = 465, true
	default:
		return c, fmt.Errorf("smtp url: scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return c, fmt.Errorf("smtp url: missing host, expected smtp://user:pass@host:port")
	}
	if u.Path != "" && u.Path != "/" {
		return c, fmt.Errorf("smtp url: unexpected path %q", u.Path)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, fmt.Errorf("smtp url: missing host, expected smtp://user:pass@host:port")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("smtp url: port must be 1 to 65535, not %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return c, fmt.Errorf("smtp url: a password needs a user name (smtp://user:pass@host)")
		}
	}
	c.StartTLS = StartTLSOpportunistic
	c.Auth = AuthPlain
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("smtp url: bad query: %v", err)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "starttls":
			switch v {
			case StartTLSOpportunistic, StartTLSRequired, StartTLSOff:
				c.StartTLS = v
			default:
				return c, fmt.Errorf("smtp url: starttls must be opportunistic, required or off, not %q", v)
			}
		case "insecure_skip_verify":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("smtp url: insecure_skip_verify must be 1 or 0, not %q", v)
			}
			c.InsecureSkipVerify = b
		case "auth":
			switch strings.ToLower(v) {
			case AuthPlain, AuthLogin, AuthCRAMMD5, AuthSCRAMSHA256, AuthAuto:
				c.Auth = strings.ToLower(v)
			default:
				return c, fmt.Errorf("smtp url: auth must be plain, login, cram-md5, scram-sha-256 or auto, not %q", v)
			}
		case "helo":
			if v == "" || strings.ContainsAny(v, " \r\n") {
				return c, fmt.Errorf("smtp url: helo must be a host name, not %q", v)
			}
			c.HELO = v
		case "pool":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 64 {
				return c, fmt.Errorf("smtp url: pool must be 1 to 64 connections, not %q", v)
			}
			c.PoolSize = n
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return c, fmt.Errorf("smtp url: timeout must be a duration such as 10s, not %q", v)
			}
			c.Timeout = d
		default:
			return c, fmt.Errorf("smtp url: unknown option %q (known: starttls, insecure_skip_verify, auth, helo, pool, timeout)", k)
		}
	}
	if c.ImplicitTLS && q.Has("starttls") {
		return c, fmt.Errorf("smtp url: starttls does not apply to smtps://, which is TLS from the start")
	}
	return c, nil
}

// redactURLError keeps a password out of url.Parse's error, which quotes the whole input.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// String returns the config as a URL with the password hidden, for logs.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	q := url.Values{}
	if !c.ImplicitTLS && c.StartTLS != "" && c.StartTLS != StartTLSOpportunistic {
		q.Set("starttls", c.StartTLS)
	}
	if c.InsecureSkipVerify {
		q.Set("insecure_skip_verify", "1")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// withDefaults fills the zero fields.
func (c SMTPConfig) withDefaults() SMTPConfig {
	if c.Port == 0 {
		c.Port = 25
		if c.ImplicitTLS {
			c.Port = 465
		}
	}
	if c.StartTLS == "" {
		c.StartTLS = StartTLSOpportunistic
	}
	if c.Auth == "" {
		c.Auth = AuthPlain
	}
	if c.PoolSize <= 0 {
		c.PoolSize = defaultPoolSize
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	if c.MaxPerConn <= 0 {
		c.MaxPerConn = defaultMaxPerConn
	}
	return c
}
