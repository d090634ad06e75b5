package dittofs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestDecodeProblemShapes(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		status                  int
		wantType, wantTitle     string
		wantDetail              string
	}{
		{
			name: "problem+json", status: 409, contentType: "application/problem+json",
			body:     `{"type":"about:blank","title":"Conflict","status":409,"detail":"User already exists"}` + "\n",
			wantType: "about:blank", wantTitle: "Conflict", wantDetail: "User already exists",
		},
		{
			name: "text/plain from the auth middleware", status: 401, contentType: "text/plain; charset=utf-8",
			body: "Invalid or expired token\n", wantTitle: "Unauthorized", wantDetail: "Invalid or expired token",
		},
		{
			name: "unhealthy readiness", status: 503, contentType: "application/json",
			body:      `{"status":"unhealthy","timestamp":"2026-11-28T10:46:26Z","error":"no adapters running"}`,
			wantTitle: "Service Unavailable", wantDetail: "no adapters running",
		},
		{
			name: "empty body", status: 502, contentType: "",
			body: "", wantTitle: "Bad Gateway",
		},
		{
			name: "problem+json that is not JSON", status: 500, contentType: "application/problem+json",
			body: "{oops", wantTitle: "Internal Server Error", wantDetail: "{oops",
		},
		{
			name: "problem fields of the wrong type", status: 400, contentType: "application/problem+json",
			body:      `{"type":1,"title":["x"],"status":"400","detail":{"a":1}}`,
			wantTitle: "Bad Request",
		},
		{
			name: "HTML from a proxy", status: 504, contentType: "text/html",
			body:      "<html>\n<body>Gateway\tTimeout</body>\n</html>",
			wantTitle: "Gateway Timeout", wantDetail: "<html> <body>Gateway Timeout</body> </html>",
		},
		{
			name: "unknown status", status: 599, contentType: "text/plain",
			body: "odd", wantTitle: "", wantDetail: "odd",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := decodeProblem("GET", "/x", tc.status, tc.contentType, []byte(tc.body), false)
			if e.Status != tc.status || e.Type != tc.wantType || e.Title != tc.wantTitle ||
				e.Detail != tc.wantDetail || e.ContentType != tc.contentType {
				t.Errorf("got %#v", e)
			}
			if !strings.HasPrefix(e.Error(), fmt.Sprintf("dittofs: GET /x: %d", tc.status)) {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func TestDecodeProblemBoundsDetail(t *testing.T) {
	long := strings.Repeat("é", maxDetailBytes) // 2 bytes per rune
	e := decodeProblem("GET", "/x", 500, "text/plain", []byte(long), true)
	if len(e.Detail) > maxDetailBytes+len("...") || !strings.HasSuffix(e.Detail, "...") {
		t.Errorf("detail of %d bytes not bounded", len(e.Detail))
	}
	if !strings.Contains(e.Error(), "truncated") {
		t.Errorf("Error() does not say the body was truncated: %q", e.Error())
	}
	if bad := decodeProblem("GET", "/x", 500, "text/plain", []byte{0xff, 'a', 0x00, 'b'}, false); bad.Detail != "\uFFFDa b" {
		t.Errorf("invalid UTF-8 and control bytes kept: %q", bad.Detail)
	}
}

func TestPredicates(t *testing.T) {
	api := func(status int) error { return &APIError{Status: status} }
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	cases := []struct {
		name                                      string
		err                                       error
		unauthorized, forbidden, conflict, notFnd bool
		transient                                 bool
	}{
		{name: "nil"},
		{name: "401", err: api(401), unauthorized: true},
		{name: "wrapped 401", err: fmt.Errorf("login: %w", api(401)), unauthorized: true},
		{name: "403", err: api(403), forbidden: true},
		{name: "404", err: api(404), notFnd: true},
		{name: "409", err: api(409), conflict: true},
		{name: "400", err: api(400)},
		{name: "408", err: api(408), transient: true},
		{name: "429", err: api(429), transient: true},
		{name: "500", err: api(500), transient: true},
		{name: "503", err: api(503), transient: true},
		{name: "connection refused", err: opErr(syscall.ECONNREFUSED), transient: true},
		{name: "connection reset", err: fmt.Errorf("x: %w", opErr(syscall.ECONNRESET)), transient: true},
		{name: "deadline", err: fmt.Errorf("x: %w", context.DeadlineExceeded), transient: true},
		{name: "canceled", err: fmt.Errorf("x: %w", context.Canceled)},
		{name: "unexpected EOF", err: io.ErrUnexpectedEOF, transient: true},
		{name: "dns", err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}, transient: true},
		{name: "timeout net.Error", err: &net.OpError{Op: "read", Err: timeoutErr{}}, transient: true},
		{name: "malformed", err: fmt.Errorf("x: %w", ErrMalformedResponse)},
		{name: "too large", err: fmt.Errorf("x: %w", ErrBodyTooLarge)},
		{name: "bad password", err: fmt.Errorf("x: %w", ErrInvalidPassword)},
		{name: "plain", err: errors.New("boom")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := []bool{IsUnauthorized(tc.err), IsForbidden(tc.err), IsConflict(tc.err), IsNotFound(tc.err), IsTransient(tc.err)}
			want := []bool{tc.unauthorized, tc.forbidden, tc.conflict, tc.notFnd, tc.transient}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("predicates (unauthorized, forbidden, conflict, notFound, transient) = %v, want %v", got, want)
					break
				}
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestScrubRedactsAndKeepsChain(t *testing.T) {
	const secret = "s3cret-value"
	ae := &APIError{Method: "POST", Path: "/p", Status: 400, Title: "Bad " + secret, Detail: "echo " + secret}
	err := scrub(fmt.Errorf("wrapped: %w", ae), secret, "")
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if s := fmt.Sprintf(format, err); strings.Contains(s, secret) {
			t.Errorf("%s shows the secret: %s", format, s)
		}
	}
	if !errors.Is(err, ae) || !IsTransient(scrub(&APIError{Status: 500, Detail: secret}, secret)) {
		t.Error("scrub broke the error chain")
	}
	var got *APIError
	if !errors.As(err, &got) || strings.Contains(got.Detail, secret) {
		t.Errorf("APIError not redacted in place: %#v", got)
	}
	plain := errors.New("nothing to hide")
	if !errors.Is(scrub(plain, secret), plain) || scrub(nil, secret) != nil {
		t.Error("scrub changed an error without secrets")
	}
}
