package dittofs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrInvalidConfig means Config was rejected by New.
	ErrInvalidConfig = errors.New("invalid client configuration")
	// ErrInvalidArgument means a call was refused locally, before any
	// request, because an argument was empty or malformed.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrInvalidPassword means a password is outside the
	// MinPasswordLength-MaxPasswordLength range DittoFS accepts.
	ErrInvalidPassword = errors.New("invalid password")
	// ErrBodyTooLarge means a response body exceeded Config.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("response body too large")
	// ErrMalformedResponse means a successful response did not have the
	// shape the API contract promises (wrong JSON type, missing field, ...).
	ErrMalformedResponse = errors.New("malformed response")
)

// maxDetailBytes bounds the server text kept in an APIError, so an error
// message stays readable whatever the server sent.
const maxDetailBytes = 512

// APIError is a non-2xx answer from DittoFS. It is built from either body
// format the server uses: RFC 7807 application/problem+json, or the
// text/plain one-liners of its authorization middleware.
type APIError struct {
	// Method and Path identify the request that failed.
	Method string
	Path   string
	// Status is the HTTP status code.
	Status int
	// Type is the problem type URI ("about:blank" for DittoFS), empty for
	// text bodies.
	Type string
	// Title is the problem title, or the status text for text bodies.
	Title string
	// Detail is the server's explanation, e.g. "Invalid or expired token".
	Detail string
	// ContentType is the response's Content-Type header.
	ContentType string
	// Truncated is set when the body exceeded the size limit and the fields
	// were taken from its beginning.
	Truncated bool
}

// Error renders "dittofs: METHOD PATH: STATUS Title: Detail".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dittofs: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Title != "" {
		b.WriteString(" " + e.Title)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Truncated {
		b.WriteString(" (response body truncated)")
	}
	return b.String()
}

// IsUnauthorized reports whether err is a 401: missing, invalid or expired
// token, or bad credentials.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is a 403: the caller's role may not do this.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsConflict reports whether err is a 409, e.g. the user already exists.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsNotFound reports whether err is a 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsTransient reports whether retrying the same call later may succeed:
// connection refused or reset, DNS failures, timeouts (connect, overall or
// the caller's deadline), a connection closed mid-answer, 408, 429 and any
// 5xx. A caller's cancellation is not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusRequestTimeout || ae.Status == http.StatusTooManyRequests ||
			ae.Status >= 500
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	return isTransientTransport(err)
}

func isTransientTransport(err error) bool {
	for _, target := range []error{
		context.DeadlineExceeded, io.ErrUnexpectedEOF, io.EOF,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func hasStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// redactedError hides secrets in the text of an error while keeping its
// chain for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

// Error is the redacted text.
func (e *redactedError) Error() string { return e.msg }

// GoString keeps %#v from printing the wrapped, unredacted chain.
func (e *redactedError) GoString() string { return e.msg }

// Unwrap exposes the original error to errors.Is and errors.As.
func (e *redactedError) Unwrap() error { return e.err }

// scrub removes every non-empty secret from the text of err. An *APIError is
// redacted in place so callers still get the typed error.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	secrets = nonEmpty(secrets)
	if len(secrets) == 0 {
		return err
	}
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Type = redact(ae.Type, secrets)
		ae.Title = redact(ae.Title, secrets)
		ae.Detail = redact(ae.Detail, secrets)
		ae.Path = redact(ae.Path, secrets)
	}
	msg := err.Error()
	if clean := redact(msg, secrets); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

func nonEmpty(values []string) []string {
	out := values[:0:0]
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
