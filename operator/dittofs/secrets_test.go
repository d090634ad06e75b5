package dittofs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// Known secret values driven through every failure path.
const (
	secretPassword    = "pw-SECRET-4f9a1c"
	secretNewPassword = "newpw-SECRET-77d2"
	secretToken       = "tok-SECRET-b3e8a0"
	secretRefresh     = "refresh-SECRET-c51d"
)

var allSecrets = []string{secretPassword, secretNewPassword, secretToken, secretRefresh}

// callAll makes every client call with the known secrets and returns the
// errors, named by call.
func callAll(c *dittofs.Client) map[string]error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := map[string]error{}
	_, errs["Login"] = c.Login(ctx, "admin", secretPassword)
	_, errs["Refresh"] = c.Refresh(ctx, secretRefresh)
	_, errs["Me"] = c.Me(ctx, secretToken)
	_, errs["CreateUser"] = c.CreateUser(ctx, secretToken, dittofs.NewUser{Username: "u", Password: secretPassword, Role: dittofs.RoleOperator})
	errs["ResetPassword"] = c.ResetPassword(ctx, secretToken, "u", secretNewPassword)
	errs["DeleteUser"] = c.DeleteUser(ctx, secretToken, "u")
	_, errs["ListAdapters"] = c.ListAdapters(ctx, secretToken)
	return errs
}

// assertNoSecrets fails if any error, in any format, shows a secret. A call
// that succeeded (a 2xx without a body to decode) has nothing to show, but
// every path must fail at least one call.
func assertNoSecrets(t *testing.T, path string, errs map[string]error) {
	t.Helper()
	failed := 0
	for call, err := range errs {
		if err == nil {
			continue
		}
		failed++
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			text := fmt.Sprintf(format, err)
			for _, secret := range allSecrets {
				if strings.Contains(text, secret) {
					t.Errorf("%s: %s error formatted with %s shows %q: %s", path, call, format, secret, text)
				}
			}
		}
	}
	if failed == 0 {
		t.Errorf("%s: no call failed", path)
	}
}

// echoServer is a hostile server that puts everything it received (body
// and Authorization header) into its answer, in the given shape.
func echoServer(t *testing.T, status int, contentType string, shape func(echo string) string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := r.Header.Get("Authorization") + " " + string(body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, shape(echo))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestNoSecretInErrorsFromEchoingServer(t *testing.T) {
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	shapes := map[string]struct {
		status      int
		contentType string
		shape       func(string) string
	}{
		"text 400": {400, "text/plain; charset=utf-8", func(e string) string { return e + "\n" }},
		"text 401": {401, "text/plain; charset=utf-8", func(e string) string { return "Invalid token " + e }},
		"problem 500": {500, "application/problem+json", func(e string) string {
			return `{"type":` + quoted(e) + `,"title":` + quoted(e) + `,"status":500,"detail":` + quoted(e) + `}`
		}},
		"unhealthy 503": {503, "application/json", func(e string) string { return `{"status":"unhealthy","error":` + quoted(e) + `}` }},
		"malformed 200": {200, "application/json", func(e string) string { return `{"access_token":` + quoted(e) + `, "user": ` + quoted(e) }},
		"wrong types 200": {200, "application/json", func(e string) string {
			return `{"access_token":` + quoted(e) + `,"refresh_token":` + quoted(e) + `,"expires_in":` + quoted(e) +
				`,"expires_at":` + quoted(e) + `,"username":5,"type":` + quoted(e) + `}`
		}},
		"array of echoes 200": {200, "application/json", func(e string) string { return `[{"type":` + quoted(e) + `,"port":` + quoted(e) + `}]` }},
		"oversized 502":       {502, "text/plain", func(e string) string { return strings.Repeat(e, 200) }},
	}
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			srv := echoServer(t, s.status, s.contentType, s.shape)
			c := newClient(t, dittofs.Config{BaseURL: srv.URL, MaxBodyBytes: 4096})
			assertNoSecrets(t, name, callAll(c))
		})
	}
}

func TestNoSecretInErrorsFromSimulatorFaults(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	c := newClient(t, dittofs.Config{BaseURL: sim.URL(), Timeout: 300 * time.Millisecond, MaxBodyBytes: 512})
	faults := map[string]func(){
		"invalid tokens and credentials": func() {},
		"server error":                   func() { sim.FailWith(500) },
		"malformed":                      func() { sim.MalformedBodies() },
		"oversized":                      func() { sim.OversizedBodies(4096) },
		"hang":                           func() { sim.Hang() },
		"refused":                        sim.RefuseConnections,
	}
	for name, inject := range faults {
		inject()
		assertNoSecrets(t, name, callAll(c))
		sim.ClearFaults()
		if err := sim.AcceptConnections(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNoSecretInLocalValidationErrors(t *testing.T) {
	c := newClient(t, dittofs.Config{BaseURL: "http://127.0.0.1:1"})
	long := strings.Repeat(secretPassword, 6) // over 72 bytes
	ctx := context.Background()
	_, err1 := c.CreateUser(ctx, secretToken, dittofs.NewUser{Username: "u", Password: long})
	err2 := c.ResetPassword(ctx, secretToken, "u", long)
	_, err3 := c.CreateUser(ctx, secretToken, dittofs.NewUser{Username: "u", Password: "short"})
	assertNoSecrets(t, "local validation", map[string]error{"CreateUser": err1, "ResetPassword": err2, "CreateUser short": err3})
	if strings.Contains(fmt.Sprint(err1), "pw-SECRET") || strings.Contains(fmt.Sprint(err3), "short") {
		t.Errorf("validation error quotes the password: %v / %v", err1, err3)
	}
}

func TestTokensNeverPrintSecrets(t *testing.T) {
	tok := &dittofs.Tokens{
		AccessToken: secretToken, RefreshToken: secretRefresh, TokenType: "Bearer",
		ExpiresIn: time.Minute, ExpiresAt: time.Now().Add(time.Minute),
		User: dittofs.User{Username: "k8s-operator", Role: dittofs.RoleOperator},
	}
	type holder struct{ Tokens dittofs.Tokens }
	var outputs []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs, fmt.Sprintf(format, tok), fmt.Sprintf(format, *tok), fmt.Sprintf(format, holder{*tok}))
	}
	outputs = append(outputs, fmt.Sprint(tok), fmt.Sprintln(*tok), tok.String(), tok.GoString())
	encoded, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("tokens", "tokens", tok, "value", *tok)
	outputs = append(outputs, string(encoded), logged.String())
	for _, out := range outputs {
		if strings.Contains(out, secretToken) || strings.Contains(out, secretRefresh) {
			t.Errorf("tokens printed: %s", out)
		}
	}
	if !strings.Contains(tok.String(), "k8s-operator") || !strings.Contains(tok.String(), "[REDACTED]") {
		t.Errorf("String() lost the useful part: %s", tok)
	}
}
