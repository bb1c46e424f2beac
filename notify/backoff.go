package notify

import (
	"errors"
	"math/rand/v2"
	"time"
)

const (
	backoffBase = 30 * time.Second
	backoffCap  = 2 * time.Hour
)

// Backoff returns how long to wait before retry number attempt (1 for the first retry): it
// doubles from 30 seconds up to two hours, and a random half of it is jitter, so messages that
// failed together (a relay restart) do not all come back in the same second.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := backoffCap
	if attempt < 16 { // beyond that the shift would pass the cap anyway
		d = min(backoffBase<<(attempt-1), backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}

// RetryDelay returns how long to wait before retry number attempt of a send that failed with
// err: Backoff(attempt), or the receiver's Retry-After when it asked for longer.
func RetryDelay(err error, attempt int) time.Duration {
	d := Backoff(attempt)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > d {
		return min(e.RetryAfter, backoffCap)
	}
	return d
}
