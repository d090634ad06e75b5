package dittofs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

func TestNewValidatesConfig(t *testing.T) {
	bad := map[string]dittofs.Config{
		"empty URL":           {},
		"ftp scheme":          {BaseURL: "ftp://fs1:8080"},
		"no scheme":           {BaseURL: "fs1:8080"},
		"no host":             {BaseURL: "http://"},
		"credentials in URL":  {BaseURL: "http://admin:pw@fs1:8080"},
		"query":               {BaseURL: "http://fs1:8080?x=1"},
		"negative timeout":    {BaseURL: "http://fs1:8080", Timeout: -time.Second},
		"negative body limit": {BaseURL: "http://fs1:8080", MaxBodyBytes: -1},
		"CA bundle not PEM":   {BaseURL: "https://fs1:8080", CABundle: []byte("not a certificate")},
		"CA bundle and HTTPClient": {
			BaseURL: "https://fs1:8080", CABundle: newTestPKI(t).caPEM, HTTPClient: http.DefaultClient,
		},
	}
	for name, cfg := range bad {
		if _, err := dittofs.New(cfg); !errors.Is(err, dittofs.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", name, err)
		}
	}
	c := newClient(t, dittofs.Config{BaseURL: " https://fs1.storage.svc:8080/ "})
	if c.BaseURL() != "https://fs1.storage.svc:8080" {
		t.Errorf("BaseURL() = %q", c.BaseURL())
	}
}

func TestUserLifecycleAndTypedErrors(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	ctx := ctxFor(t)
	admin := login(t, c, "admin", adminPassword)
	if admin.User.Role != dittofs.RoleAdmin || admin.ExpiresIn != 15*time.Minute {
		t.Errorf("admin tokens %v", admin)
	}

	op := createOperator(t, c, admin.AccessToken)
	_, err := c.CreateUser(ctx, admin.AccessToken, dittofs.NewUser{Username: "k8s-operator", Password: "another-pass-1", Role: dittofs.RoleOperator})
	expectAPIError(t, err, dittofs.IsConflict, http.StatusConflict, "application/problem+json", "User already exists")

	_, err = c.CreateUser(ctx, op.AccessToken, dittofs.NewUser{Username: "y", Password: "operator-pass-123", Role: dittofs.RoleUser})
	expectAPIError(t, err, dittofs.IsForbidden, http.StatusForbidden, "text/plain; charset=utf-8", "Admin access required")

	if err := c.ResetPassword(ctx, admin.AccessToken, "k8s-operator", "operator-pass-456"); err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	_, err = c.Login(ctx, "k8s-operator", "operator-pass-123")
	expectAPIError(t, err, dittofs.IsUnauthorized, http.StatusUnauthorized, "application/problem+json", "Invalid username or password")
	op = login(t, c, "k8s-operator", "operator-pass-456")
	if me, err := c.Me(ctx, op.AccessToken); err != nil || me.Username != "k8s-operator" || me.Role != dittofs.RoleOperator {
		t.Errorf("Me = %+v, %v", me, err)
	}

	err = c.DeleteUser(ctx, admin.AccessToken, "admin")
	expectAPIError(t, err, dittofs.IsForbidden, http.StatusForbidden, "application/problem+json", "Cannot delete admin user")
	if err := c.DeleteUser(ctx, admin.AccessToken, "k8s-operator"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	err = c.DeleteUser(ctx, admin.AccessToken, "k8s-operator")
	expectAPIError(t, err, dittofs.IsNotFound, http.StatusNotFound, "application/problem+json", "User not found")
	err = c.ResetPassword(ctx, admin.AccessToken, "k8s-operator", "operator-pass-789")
	expectAPIError(t, err, dittofs.IsNotFound, http.StatusNotFound, "application/problem+json", "User not found")

	// A deleted user's access token works until it expires; refresh does not.
	if _, err := c.ListAdapters(ctx, op.AccessToken); err != nil {
		t.Errorf("deleted user's token refused: %v", err)
	}
	_, err = c.Refresh(ctx, op.RefreshToken)
	expectAPIError(t, err, dittofs.IsUnauthorized, http.StatusUnauthorized, "application/problem+json", "User not found")

	if n := sim.Count(dittofstest.RouteListAdapters, dittofstest.RoleOperator); n != 1 {
		t.Errorf("simulator saw %d adapter listings by the operator role, want 1", n)
	}
}

func TestRefreshAndExpiry(t *testing.T) {
	clock := newFakeClock()
	_, c := simAndClient(t, dittofstest.Options{Now: clock.Now, AccessTTL: time.Minute, RefreshTTL: time.Hour})
	ctx := ctxFor(t)
	admin := login(t, c, "admin", adminPassword)
	if admin.ExpiresIn != time.Minute {
		t.Errorf("ExpiresIn = %v, want 1m", admin.ExpiresIn)
	}

	_, err := c.Refresh(ctx, admin.AccessToken)
	expectAPIError(t, err, dittofs.IsUnauthorized, http.StatusUnauthorized, "application/problem+json", "Invalid refresh token")

	clock.Advance(2 * time.Minute)
	_, err = c.ListAdapters(ctx, admin.AccessToken)
	expectAPIError(t, err, dittofs.IsUnauthorized, http.StatusUnauthorized, "text/plain; charset=utf-8", "Invalid or expired token")

	fresh, err := c.Refresh(ctx, admin.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if fresh.AccessToken == admin.AccessToken || fresh.RefreshToken == admin.RefreshToken {
		t.Error("refresh did not return a new pair")
	}
	if _, err := c.ListAdapters(ctx, fresh.AccessToken); err != nil {
		t.Errorf("refreshed token refused: %v", err)
	}

	clock.Advance(2 * time.Hour)
	_, err = c.Refresh(ctx, fresh.RefreshToken)
	expectAPIError(t, err, dittofs.IsUnauthorized, http.StatusUnauthorized, "application/problem+json", "Refresh token has expired")
}

func TestLocalValidationSendsNothing(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	ctx := ctxFor(t)
	admin := login(t, c, "admin", adminPassword)
	sim.ResetRequests()

	for _, pw := range []string{"", "short", "1234567", strings.Repeat("x", 73)} {
		_, err := c.CreateUser(ctx, admin.AccessToken, dittofs.NewUser{Username: "u", Password: pw, Role: dittofs.RoleUser})
		if !errors.Is(err, dittofs.ErrInvalidPassword) || dittofs.IsTransient(err) {
			t.Errorf("CreateUser with a %d-byte password: %v", len(pw), err)
		}
		if err := c.ResetPassword(ctx, admin.AccessToken, "admin", pw); !errors.Is(err, dittofs.ErrInvalidPassword) {
			t.Errorf("ResetPassword with a %d-byte password: %v", len(pw), err)
		}
	}
	for _, pw := range []string{"12345678", strings.Repeat("x", 72)} {
		if err := dittofs.ValidatePassword(pw); err != nil {
			t.Errorf("%d-byte password refused: %v", len(pw), err)
		}
	}
	argErrors := []error{
		func() error { _, err := c.Login(ctx, "", "x"); return err }(),
		func() error { _, err := c.Refresh(ctx, ""); return err }(),
		func() error { _, err := c.ListAdapters(ctx, ""); return err }(),
		func() error { _, err := c.Me(ctx, ""); return err }(),
		func() error {
			_, err := c.CreateUser(ctx, "", dittofs.NewUser{Username: "u", Password: "long-enough"})
			return err
		}(),
		c.DeleteUser(ctx, admin.AccessToken, ""),
		c.ResetPassword(ctx, "", "u", "long-enough"),
	}
	for i, err := range argErrors {
		if !errors.Is(err, dittofs.ErrInvalidArgument) {
			t.Errorf("call %d: %v, want ErrInvalidArgument", i, err)
		}
	}
	if n := len(sim.Requests()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestServerErrorsAreTransient(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	ctx := ctxFor(t)
	admin := login(t, c, "admin", adminPassword)
	for _, status := range []int{500, 502, 503, 504, 429} {
		sim.FailWith(status, dittofstest.RouteListAdapters)
		_, err := c.ListAdapters(ctx, admin.AccessToken)
		var ae *dittofs.APIError
		if !errors.As(err, &ae) || ae.Status != status || !dittofs.IsTransient(err) {
			t.Errorf("%d: %v", status, err)
		}
	}
	sim.FailWith(http.StatusNotFound, dittofstest.RouteListAdapters)
	if _, err := c.ListAdapters(ctx, admin.AccessToken); !dittofs.IsNotFound(err) || dittofs.IsTransient(err) {
		t.Errorf("404: %v", err)
	}
	sim.ClearFaults()
	// DittoFS answers 500 for a bad password; the client never sends one,
	// but a 500 for any other reason is still transient.
	sim.SetFault(dittofstest.Fault{Status: 500, Times: 1}, dittofstest.RouteCreateUser)
	_, err := c.CreateUser(ctx, admin.AccessToken, dittofs.NewUser{Username: "u1", Password: "long-enough", Role: dittofs.RoleUser})
	if !dittofs.IsTransient(err) {
		t.Errorf("500 on create: %v", err)
	}
	if _, err := c.CreateUser(ctx, admin.AccessToken, dittofs.NewUser{Username: "u1", Password: "long-enough", Role: dittofs.RoleUser}); err != nil {
		t.Errorf("retry after a one-shot fault: %v", err)
	}
}

func TestConnectionRefusedThenRestored(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	ctx := ctxFor(t)
	admin := login(t, c, "admin", adminPassword)

	sim.RefuseConnections()
	_, err := c.ListAdapters(ctx, admin.AccessToken)
	if !dittofs.IsTransient(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("refused connection: %v", err)
	}
	if err := c.Health(ctx); !dittofs.IsTransient(err) {
		t.Errorf("health while refused: %v", err)
	}

	if err := sim.AcceptConnections(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListAdapters(ctx, admin.AccessToken); err != nil {
		t.Errorf("after restore: %v", err)
	}
}

func TestOverallTimeoutWithHangingServer(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	c := newClient(t, dittofs.Config{BaseURL: sim.URL(), Timeout: 300 * time.Millisecond})
	sim.Hang(dittofstest.RouteHealth)

	start := time.Now()
	err := c.Health(context.Background())
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("call took %v despite a 300ms timeout", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !dittofs.IsTransient(err) {
		t.Errorf("hung call: %v", err)
	}

	// The caller's own cancellation is not transient.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if err := c.Health(ctx); !errors.Is(err, context.Canceled) || dittofs.IsTransient(err) {
		t.Errorf("cancelled call: %v", err)
	}

	sim.ClearFaults()
	if err := c.Health(context.Background()); err != nil {
		t.Errorf("after releasing: %v", err)
	}
}

func TestTLSWithCustomCA(t *testing.T) {
	pki := newTestPKI(t)
	sim := dittofstest.NewForTest(t, dittofstest.Options{TLSConfig: newServerTLS(pki)})
	if !strings.HasPrefix(sim.URL(), "https://") {
		t.Fatalf("URL %q is not https", sim.URL())
	}
	ctx := ctxFor(t)

	trusted := newClient(t, dittofs.Config{BaseURL: sim.URL(), CABundle: pki.caPEM})
	admin := login(t, trusted, "admin", adminPassword)
	if adapters, err := trusted.ListAdapters(ctx, admin.AccessToken); err != nil || len(adapters) != 2 {
		t.Errorf("ListAdapters over TLS: %v, %v", adapters, err)
	}

	for name, cfg := range map[string]dittofs.Config{
		"system roots": {BaseURL: sim.URL()},
		"other CA":     {BaseURL: sim.URL(), CABundle: newTestPKI(t).caPEM},
	} {
		err := newClient(t, cfg).Health(ctx)
		if err == nil || !strings.Contains(err.Error(), "certificate") || dittofs.IsTransient(err) {
			t.Errorf("%s: %v, want a non-transient certificate error", name, err)
		}
	}
}

func TestBodySizeLimit(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	c := newClient(t, dittofs.Config{BaseURL: sim.URL(), MaxBodyBytes: 1024})
	def := newClient(t, dittofs.Config{BaseURL: sim.URL()})
	ctx := ctxFor(t)
	admin := login(t, def, "admin", adminPassword) // a token pair is over 1 KiB

	sim.OversizedBodies(1024, dittofstest.RouteListAdapters)
	if adapters, err := c.ListAdapters(ctx, admin.AccessToken); err != nil || len(adapters) != 0 {
		t.Errorf("body at the limit: %v, %v", adapters, err)
	}
	sim.OversizedBodies(1025, dittofstest.RouteListAdapters)
	_, err := c.ListAdapters(ctx, admin.AccessToken)
	if !errors.Is(err, dittofs.ErrBodyTooLarge) || dittofs.IsTransient(err) {
		t.Errorf("body over the limit: %v", err)
	}

	// An oversized error answer keeps its status and says it was cut.
	sim.SetFault(dittofstest.Fault{Status: 503, ContentType: "text/plain", Body: []byte(strings.Repeat("x", 5000))}, dittofstest.RouteListAdapters)
	_, err = c.ListAdapters(ctx, admin.AccessToken)
	var ae *dittofs.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !ae.Truncated || !dittofs.IsTransient(err) {
		t.Errorf("oversized error answer: %v", err)
	}

	// The default limit is 1 MiB.
	sim.OversizedBodies(dittofs.DefaultMaxBodyBytes+1, dittofstest.RouteListAdapters)
	if _, err := def.ListAdapters(ctx, admin.AccessToken); !errors.Is(err, dittofs.ErrBodyTooLarge) {
		t.Errorf("default limit: %v", err)
	}
}

func TestMalformedAnswers(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	ctx := ctxFor(t)
	admin := login(t, c, "admin", adminPassword)
	sim.MalformedBodies()
	checks := map[string]error{
		"adapters": func() error { _, err := c.ListAdapters(ctx, admin.AccessToken); return err }(),
		"login":    func() error { _, err := c.Login(ctx, "admin", adminPassword); return err }(),
		"refresh":  func() error { _, err := c.Refresh(ctx, admin.RefreshToken); return err }(),
		"ready":    func() error { _, err := c.Ready(ctx); return err }(),
		"create": func() error {
			_, err := c.CreateUser(ctx, admin.AccessToken, dittofs.NewUser{Username: "u", Password: "long-enough"})
			return err
		}(),
	}
	for name, err := range checks {
		if !errors.Is(err, dittofs.ErrMalformedResponse) || dittofs.IsTransient(err) {
			t.Errorf("%s: %v, want a non-transient ErrMalformedResponse", name, err)
		}
	}
}

func TestAdapterPortsAndStates(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	admin := login(t, c, "admin", adminPassword)
	op := createOperator(t, c, admin.AccessToken)

	sim.SetAdapter("nfs", true, 0)
	sim.SetAdapter("webdav", true, 0)
	sim.SetAdapterRunning("smb", false)
	adapters, err := c.ListAdapters(ctxFor(t), op.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]dittofs.Adapter{
		"nfs":    {Type: "nfs", Port: 12049, PortDefaulted: true, Enabled: true, Running: true, Status: "healthy"},
		"smb":    {Type: "smb", Port: 1445, Enabled: true, Running: false, Status: "unhealthy"},
		"webdav": {Type: "webdav", Port: 0, Enabled: true, Running: true, Status: "healthy"},
	}
	if len(adapters) != len(want) {
		t.Fatalf("adapters %+v", adapters)
	}
	for _, a := range adapters {
		w := want[a.Type]
		w.ID = a.ID
		if a != w || a.ID == "" {
			t.Errorf("adapter %+v, want %+v", a, w)
		}
	}

	sim.RemoveAdapter("webdav")
	sim.SetAdapter("smb", false, 1445)
	adapters, _ = c.ListAdapters(ctxFor(t), op.AccessToken)
	if len(adapters) != 2 || adapters[1].Enabled || adapters[1].Running {
		t.Errorf("after disabling smb: %+v", adapters)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	sim, c := simAndClient(t, dittofstest.Options{})
	ctx := ctxFor(t)
	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	r, err := c.Ready(ctx)
	if err != nil || r.Status != "healthy" || r.RunningAdapters != 2 || len(r.AdapterTypes) != 2 {
		t.Fatalf("Ready = %+v, %v", r, err)
	}
	// A real v0.29 server is ready with no adapter running: it counts them.
	sim.SetAdapter("nfs", false, 12049)
	sim.SetAdapter("smb", false, 1445)
	r, err = c.Ready(ctx)
	if err != nil || r.Status != "healthy" || r.RunningAdapters != 0 || len(r.AdapterTypes) != 0 {
		t.Errorf("Ready with no adapter running = %+v, %v", r, err)
	}
	// Before it is initialised it answers 503, here played by a fault.
	sim.FailWith(http.StatusServiceUnavailable, dittofstest.RouteReady)
	_, err = c.Ready(ctx)
	var ae *dittofs.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !dittofs.IsTransient(err) {
		t.Errorf("Ready before initialisation: %v", err)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed to %s with Authorization %q", r.URL, r.Header.Get("Authorization"))
	}))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	c := newClient(t, dittofs.Config{BaseURL: srv.URL})
	_, err := c.ListAdapters(ctxFor(t), "tok")
	var ae *dittofs.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTemporaryRedirect {
		t.Errorf("redirect: %v", err)
	}
}

func TestUserAgentAndHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	defer srv.Close()
	c := newClient(t, dittofs.Config{BaseURL: srv.URL, UserAgent: "test-agent/1"})
	defer c.CloseIdleConnections()
	if _, err := c.ListAdapters(ctxFor(t), "tok"); err != nil {
		t.Fatal(err)
	}
	if got.Get("User-Agent") != "test-agent/1" || got.Get("Authorization") != "Bearer tok" {
		t.Errorf("headers %v", got)
	}
}

// expectAPIError checks an error's predicate, status, content type and detail.
func expectAPIError(t *testing.T, err error, is func(error) bool, status int, contentType, detail string) {
	t.Helper()
	var ae *dittofs.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *APIError", err)
	}
	if !is(err) || ae.Status != status || ae.ContentType != contentType || ae.Detail != detail {
		t.Errorf("got %#v, want %d %q %q", ae, status, contentType, detail)
	}
}
