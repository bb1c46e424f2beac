package notify

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"
)

// Error is a failed send, classified for the caller's retry policy.
type Error struct {
	Channel string // email, sms or webhook
	// Code is the SMTP reply code or HTTP status; 0 when the failure came before any answer.
	Code int
	// Detail is the SMTP enhanced status code ("5.1.1") or the provider's own error code.
	Detail string
	// Temp reports that the same message may go through later.
	Temp bool
	// Bounce reports that the recipient does not exist or refuses this channel for good.
	Bounce bool
	// RetryAfter is how long the receiver asked us to wait, when it said so.
	RetryAfter time.Duration
	Err        error
}

// Error returns the channel, the code if any, and the cause.
func (e *Error) Error() string {
	s := e.Channel + ": "
	if e.Code != 0 {
		s += strconv.Itoa(e.Code) + " "
	}
	if e.Err != nil {
		s += e.Err.Error()
	}
	return s
}

// Unwrap returns the cause, so errors.As finds an *epilogue.Error behind an invalid message.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether a send that failed with err may succeed if retried later:
// connection failures, timeouts, SMTP 4xx replies and HTTP 408, 429 and 5xx answers.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temp
	}
	return transient(err)
}

// HardBounce reports whether err means the recipient will never accept the message (an SMTP
// 5xx "user unknown", an invalid or opted-out phone number), so the address must be suppressed.
func HardBounce(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Bounce
}

// transient recognises failures of the network and of waiting, as opposed to verdicts.
func transient(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &ne):
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
