package dittofstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// answer is one HTTP exchange's result.
type answer struct {
	status      int
	contentType string
	body        string
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(a.body), v); err != nil {
		t.Fatalf("answer %d %q is not JSON: %v", a.status, a.body, err)
	}
}

func call(t *testing.T, method, url, token, body string) answer {
	t.Helper()
	a, err := tryCall(context.Background(), method, url, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

func tryCall(ctx context.Context, method, url, token, body string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}, err
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

func loginAs(t *testing.T, sim *dittofstest.Server, username, password string) tokenPair {
	t.Helper()
	a := call(t, "POST", sim.URL()+"/api/v1/auth/login", "", `{"username":"`+username+`","password":"`+password+`"}`)
	if a.status != http.StatusOK {
		t.Fatalf("login as %s: %d %s", username, a.status, a.body)
	}
	var p tokenPair
	a.json(t, &p)
	return p
}

// userWithRole creates a user with role and returns its tokens.
func userWithRole(t *testing.T, sim *dittofstest.Server, admin, name, role string) tokenPair {
	t.Helper()
	a := call(t, "POST", sim.URL()+"/api/v1/users", admin, `{"username":"`+name+`","password":"password-123","role":"`+role+`"}`)
	if a.status != http.StatusCreated {
		t.Fatalf("creating %s: %d %s", name, a.status, a.body)
	}
	return loginAs(t, sim, name, "password-123")
}

func TestSeededState(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{AdminPassword: "initial-pass"})
	adapters := sim.Adapters()
	if len(adapters) != 2 || adapters[0].Type != "nfs" || adapters[0].Port != 12049 || !adapters[0].Running ||
		adapters[1].Type != "smb" || adapters[1].Port != 1445 || !adapters[1].Running {
		t.Errorf("seeded adapters %+v", adapters)
	}
	users := sim.Users()
	if len(users) != 1 || users[0].Username != "admin" || users[0].Role != dittofstest.RoleAdmin || users[0].MustChangePassword {
		t.Errorf("seeded users %+v", users)
	}
	if !sim.CheckPassword("admin", "initial-pass") || sim.CheckPassword("admin", "adminpass123") {
		t.Error("admin password is not the one given")
	}
}

func TestTokens(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	sim := dittofstest.NewForTest(t, dittofstest.Options{AccessTTL: 1500 * time.Millisecond, Now: clock.Now})
	tok := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword)
	if tok.ExpiresIn != 2 {
		t.Errorf("expires_in = %d for a 1.5s TTL, want 2", tok.ExpiresIn)
	}
	if parts := strings.Split(tok.AccessToken, "."); len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", tok.AccessToken)
	}
	list := sim.URL() + "/api/v1/adapters"
	if a := call(t, "GET", list, tok.AccessToken, ""); a.status != http.StatusOK {
		t.Fatalf("fresh token refused: %d", a.status)
	}
	other := dittofstest.NewForTest(t, dittofstest.Options{})
	foreign := loginAs(t, other, "admin", dittofstest.DefaultAdminPassword)
	tampered := tok.AccessToken[:len(tok.AccessToken)-2] + "xx"
	for name, token := range map[string]string{
		"signed by another server": foreign.AccessToken,
		"tampered":                 tampered,
		"refresh as access":        tok.RefreshToken,
	} {
		if a := call(t, "GET", list, token, ""); a.status != http.StatusUnauthorized || a.body != "Invalid or expired token\n" {
			t.Errorf("%s: %d %q", name, a.status, a.body)
		}
	}
	clock.Step(1499 * time.Millisecond)
	if a := call(t, "GET", list, tok.AccessToken, ""); a.status != http.StatusOK {
		t.Errorf("token refused before it expired: %d", a.status)
	}
	clock.Step(time.Millisecond)
	if a := call(t, "GET", list, tok.AccessToken, ""); a.status != http.StatusUnauthorized {
		t.Errorf("expired token accepted: %d", a.status)
	}
	refreshed := call(t, "POST", sim.URL()+"/api/v1/auth/refresh", "", `{"refresh_token":"`+tok.RefreshToken+`"}`)
	if refreshed.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", refreshed.status, refreshed.body)
	}
	var fresh tokenPair
	refreshed.json(t, &fresh)
	sim.RotateSigningKey()
	if a := call(t, "GET", list, fresh.AccessToken, ""); a.status != http.StatusUnauthorized {
		t.Errorf("token survived key rotation: %d", a.status)
	}
}

func TestRolesAndPasswordGate(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	admin := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword).AccessToken
	op := userWithRole(t, sim, admin, "op", dittofstest.RoleOperator).AccessToken
	plain := userWithRole(t, sim, admin, "plain", dittofstest.RoleUser).AccessToken
	newAdmin := userWithRole(t, sim, admin, "admin2", dittofstest.RoleAdmin).AccessToken
	base := sim.URL() + "/api/v1"
	const textPlain = "text/plain; charset=utf-8"
	cases := []struct {
		name, method, path, token string
		status                    int
		body                      string
	}{
		{"user lists adapters", "GET", "/adapters", plain, 403, "Insufficient permissions\n"},
		{"user reads ports", "GET", "/adapters/ports", plain, 200, ""},
		{"operator reads one adapter", "GET", "/adapters/nfs", op, 403, "Admin access required\n"},
		{"operator resets a password", "POST", "/users/op/password", op, 403, "Admin access required\n"},
		{"operator deletes a user", "DELETE", "/users/plain", op, 403, "Admin access required\n"},
		{"admin reads one adapter", "GET", "/adapters/nfs", admin, 200, ""},
		{"admin reads settings", "GET", "/adapters/smb/settings", admin, 200, ""},
		{"new admin must change password", "GET", "/adapters", newAdmin, 403,
			"Password change required. Please change your password before proceeding.\n"},
		{"new admin may still read itself", "GET", "/auth/me", newAdmin, 200, ""},
		{"malformed Authorization", "GET", "/adapters", "", 401, "Authorization header required\n"},
	}
	for _, tc := range cases {
		a := call(t, tc.method, base+tc.path, tc.token, "")
		if a.status != tc.status || (tc.body != "" && (a.body != tc.body || a.contentType != textPlain)) {
			t.Errorf("%s: %d %q %q", tc.name, a.status, a.contentType, a.body)
		}
	}
}

func TestAdminAPIChangesAdapters(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	admin := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword).AccessToken
	put := func(typ, body string) answer { return call(t, "PUT", sim.URL()+"/api/v1/adapters/"+typ, admin, body) }

	if a := put("nfs", `{"port":22049}`); a.status != 200 {
		t.Fatalf("moving nfs: %d %s", a.status, a.body)
	}
	if a := put("smb", `{"enabled":false}`); a.status != 200 {
		t.Fatalf("disabling smb: %d %s", a.status, a.body)
	}
	got := sim.Adapters()
	if got[0].Port != 22049 || !got[0].Running || got[1].Enabled || got[1].Running {
		t.Errorf("after PUTs: %+v", got)
	}
	problems := map[string]struct {
		typ, body string
		status    int
		detail    string
	}{
		"bad body":     {"nfs", `{"port":`, 400, "Invalid request body"},
		"bad port":     {"nfs", `{"port":70000}`, 400, "invalid port: must be between 0 and 65535"},
		"unknown type": {"nope", `{}`, 404, "Adapter not found"},
		"port clash":   {"smb", `{"enabled":true,"port":22049}`, 500, "Failed to update adapter: listen tcp :22049: bind: address already in use"},
	}
	for name, p := range problems {
		a := put(p.typ, p.body)
		var prob struct{ Detail string }
		a.json(t, &prob)
		if a.status != p.status || a.contentType != "application/problem+json" || prob.Detail != p.detail {
			t.Errorf("%s: %d %q %q", name, a.status, a.contentType, prob.Detail)
		}
	}
	if !sim.SetAdapterRunning("nfs", false) || sim.SetAdapterRunning("nope", false) {
		t.Error("SetAdapterRunning reports existence wrongly")
	}
	var listed []struct {
		Type             string
		Enabled, Running bool
		Status           struct{ Status string }
	}
	call(t, "GET", sim.URL()+"/api/v1/adapters", admin, "").json(t, &listed)
	if !listed[0].Enabled || listed[0].Running || listed[0].Status.Status != "unhealthy" {
		t.Errorf("enabled-but-not-running nfs listed as %+v", listed[0])
	}
	if !sim.RemoveAdapter("nfs") || sim.RemoveAdapter("nfs") || len(sim.Adapters()) != 1 {
		t.Error("RemoveAdapter")
	}
}

func TestReadinessCountsAdapters(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	sim.SetAdapter("nfs", false, 12049)
	a := call(t, "GET", sim.URL()+"/health/ready", "", "")
	if a.status != 200 || !strings.Contains(a.body, `"adapters":{"running":1,"types":["smb"]}`) {
		t.Errorf("readiness with smb running: %d %s", a.status, a.body)
	}
	sim.SetAdapterRunning("smb", false)
	a = call(t, "GET", sim.URL()+"/health/ready", "", "")
	if a.status != 200 || !strings.Contains(a.body, `"adapters":{"running":0,"types":[]}`) {
		t.Errorf("readiness with nothing running: %d %s", a.status, a.body)
	}
	if h := call(t, "GET", sim.URL()+"/health", "", ""); h.status != 200 || !strings.Contains(h.body, `"status":"healthy"`) {
		t.Errorf("liveness: %d %s", h.status, h.body)
	}
}

func TestResetUsers(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	admin := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword).AccessToken
	op := userWithRole(t, sim, admin, "op", dittofstest.RoleOperator)
	if a := call(t, "POST", sim.URL()+"/api/v1/users/admin/password", admin, `{"new_password":"changed-pass"}`); a.status != 204 {
		t.Fatalf("reset admin password: %d", a.status)
	}
	sim.ResetUsers()
	if users := sim.Users(); len(users) != 1 || users[0].Username != "admin" || users[0].MustChangePassword {
		t.Errorf("after reset: %+v", users)
	}
	loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword)
	if a := call(t, "GET", sim.URL()+"/api/v1/adapters", op.AccessToken, ""); a.status != 200 {
		t.Errorf("issued token stopped working after a user reset: %d", a.status)
	}
	if a := call(t, "POST", sim.URL()+"/api/v1/auth/refresh", "", `{"refresh_token":"`+op.RefreshToken+`"}`); a.status != 401 ||
		!strings.Contains(a.body, "User not found") {
		t.Errorf("refresh of a wiped user: %d %s", a.status, a.body)
	}
}

func TestFaults(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	admin := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword).AccessToken
	list, health := sim.URL()+"/api/v1/adapters", sim.URL()+"/health"

	sim.FailWith(503, dittofstest.RouteListAdapters)
	if a := call(t, "GET", list, admin, ""); a.status != 503 || a.contentType != "application/problem+json" {
		t.Errorf("failed route: %d %q", a.status, a.contentType)
	}
	if a := call(t, "GET", health, "", ""); a.status != 200 {
		t.Errorf("other route affected: %d", a.status)
	}

	sim.SetFault(dittofstest.Fault{Status: 502, Times: 2})
	sim.SetFault(dittofstest.Fault{Status: 504}, dittofstest.RouteListAdapters)
	statuses := []int{
		call(t, "GET", list, admin, "").status, call(t, "GET", health, "", "").status,
		call(t, "GET", sim.URL()+"/nope", "", "").status, call(t, "GET", health, "", "").status,
	}
	if want := []int{504, 502, 502, 200}; !equalInts(statuses, want) {
		t.Errorf("statuses %v, want %v (route fault wins, Times counts)", statuses, want)
	}
	sim.ClearFaults()

	sim.MalformedBodies(dittofstest.RouteLogin)
	if a := call(t, "POST", sim.URL()+"/api/v1/auth/login", "", `{}`); a.status != 200 || a.body != dittofstest.MalformedBody || json.Valid([]byte(a.body)) {
		t.Errorf("malformed: %d %q", a.status, a.body)
	}
	sim.OversizedBodies(4096, dittofstest.RouteListAdapters)
	if a := call(t, "GET", list, admin, ""); len(a.body) != 4096 || !json.Valid([]byte(a.body)) {
		t.Errorf("oversized body of %d bytes", len(a.body))
	}
	sim.ClearFaults()
	if a := call(t, "GET", list, admin, ""); a.status != 200 || !strings.Contains(a.body, "nfs") {
		t.Errorf("after ClearFaults: %d", a.status)
	}
}

func TestHang(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	sim.Hang(dittofstest.RouteHealth)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := tryCall(ctx, "GET", sim.URL()+"/health", "", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung request: %v", err)
	}

	done := make(chan answer)
	go func() {
		a, _ := tryCall(context.Background(), "GET", sim.URL()+"/health", "", "")
		done <- a
	}()
	waitFor(t, func() bool { return sim.Count(dittofstest.RouteHealth, "") == 1 && sim.InFlight() == 1 })
	sim.ClearFaults()
	select {
	case a := <-done:
		if a.status != 200 {
			t.Errorf("released request answered %d", a.status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ClearFaults did not release the hung request")
	}
	if rec := sim.Requests()[0]; rec.Status != 0 {
		t.Errorf("abandoned request recorded with status %d, want 0", rec.Status)
	}
}

func TestRefuseAndAcceptOnSameAddress(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	addr := sim.Addr()
	keepAlive := &http.Client{Transport: &http.Transport{}}
	if resp, err := keepAlive.Get(sim.URL() + "/health"); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}

	sim.RefuseConnections()
	sim.RefuseConnections() // idempotent
	_, err := net.DialTimeout("tcp", addr, time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial while refusing: %v", err)
	}
	if _, err := keepAlive.Get(sim.URL() + "/health"); err == nil {
		t.Error("a kept-alive connection still answers while refusing")
	}

	if err := sim.AcceptConnections(); err != nil {
		t.Fatal(err)
	}
	if err := sim.AcceptConnections(); err != nil {
		t.Fatal(err)
	}
	if sim.Addr() != addr {
		t.Errorf("address moved from %s to %s", addr, sim.Addr())
	}
	if a := call(t, "GET", sim.URL()+"/health", "", ""); a.status != 200 {
		t.Errorf("after restore: %d", a.status)
	}
}

func TestServeOnGivenListenerAndHandler(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := dittofstest.NewForTest(t, dittofstest.Options{Listener: l})
	if sim.URL() != "http://"+l.Addr().String() {
		t.Errorf("URL %s for listener %s", sim.URL(), l.Addr())
	}
	sim.RefuseConnections()
	if err := sim.AcceptConnections(); err != nil {
		t.Fatal(err)
	}
	if a := call(t, "GET", sim.URL()+"/health", "", ""); a.status != 200 {
		t.Errorf("health: %d", a.status)
	}

	wrapped := httptest.NewServer(sim.Handler())
	defer wrapped.Close()
	if a := call(t, "GET", wrapped.URL+"/health/ready", "", ""); a.status != 200 {
		t.Errorf("through httptest: %d", a.status)
	}
	if sim.Count(dittofstest.RouteReady, "") != 1 {
		t.Error("request through Handler not recorded")
	}
}

func TestRequestRecords(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	start := time.Now()
	admin := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword).AccessToken
	op := userWithRole(t, sim, admin, "op", dittofstest.RoleOperator).AccessToken
	list := sim.URL() + "/api/v1/adapters"
	call(t, "GET", list, op, "")
	call(t, "GET", list, op, "")
	call(t, "GET", list, admin, "")
	call(t, "GET", list, "", "")
	call(t, "GET", list, "garbage", "")
	call(t, "GET", sim.URL()+"/api/v1/nonexistent", admin, "")

	counts := map[string]int{
		"operator": sim.Count(dittofstest.RouteListAdapters, dittofstest.RoleOperator),
		"admin":    sim.Count(dittofstest.RouteListAdapters, dittofstest.RoleAdmin),
		"anon":     sim.Count(dittofstest.RouteListAdapters, ""),
		"any":      sim.Count(dittofstest.RouteListAdapters, dittofstest.AnyRole),
		"logins":   sim.Count(dittofstest.RouteLogin, dittofstest.AnyRole),
		"unknown":  sim.Count("", dittofstest.AnyRole),
		"since":    sim.CountSince(time.Now().Add(time.Hour), dittofstest.RouteListAdapters, dittofstest.AnyRole),
	}
	want := map[string]int{"operator": 2, "admin": 1, "anon": 2, "any": 5, "logins": 2, "unknown": 1, "since": 0}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("count %s = %d, want %d", k, counts[k], n)
		}
	}
	recs := sim.Requests()
	first := recs[0]
	if first.Route != dittofstest.RouteLogin || first.Username != "admin" || first.Role != dittofstest.RoleAdmin ||
		first.Status != 200 || first.Time.Before(start.Add(-time.Second)) {
		t.Errorf("login record %+v", first)
	}
	last := recs[len(recs)-1]
	if last.Route != "" || last.Path != "/api/v1/nonexistent" || last.Status != 404 {
		t.Errorf("unknown-route record %+v", last)
	}
	sim.ResetRequests()
	if len(sim.Requests()) != 0 {
		t.Error("ResetRequests kept records")
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	if a := call(t, "GET", sim.URL()+"/api/v2/adapters", "", ""); a.status != 404 || a.body != "404 page not found\n" ||
		a.contentType != "text/plain; charset=utf-8" {
		t.Errorf("unknown route: %d %q %q", a.status, a.contentType, a.body)
	}
	if a := call(t, "DELETE", sim.URL()+"/api/v1/adapters", "", ""); a.status != http.StatusMethodNotAllowed {
		t.Errorf("wrong method: %d", a.status)
	}
}

// TestConcurrentKnobs flips every knob while clients call; run with -race.
func TestConcurrentKnobs(t *testing.T) {
	sim := dittofstest.NewForTest(t, dittofstest.Options{})
	admin := loginAs(t, sim, "admin", dittofstest.DefaultAdminPassword).AccessToken
	client := &http.Client{Timeout: 2 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", sim.URL()+"/api/v1/adapters", nil)
				req.Header.Set("Authorization", "Bearer "+admin)
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			}
		}()
	}
	for i := range 30 {
		sim.SetAdapter("nfs", i%2 == 0, int32(12049+i))
		sim.SetAdapterRunning("smb", i%3 != 0)
		sim.FailWith(500, dittofstest.RouteListAdapters)
		sim.Hang(dittofstest.RouteHealth)
		sim.ClearFaults()
		if i%10 == 0 {
			sim.RefuseConnections()
			if err := sim.AcceptConnections(); err != nil {
				t.Error(err)
			}
		}
		_ = sim.Requests()
		_ = sim.Count(dittofstest.RouteListAdapters, dittofstest.AnyRole)
		sim.ResetUsers()
		time.Sleep(2 * time.Millisecond) // let the readers' requests interleave with the next round of changes
	}
	close(stop)
	wg.Wait()
}

func TestCloseReleasesHungRequests(t *testing.T) {
	sim, err := dittofstest.New(dittofstest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim.Hang()
	errc := make(chan error, 1)
	go func() {
		_, err := tryCall(context.Background(), "GET", sim.URL()+"/health", "", "")
		errc <- err
	}()
	waitFor(t, func() bool { return sim.InFlight() == 1 })
	closed := make(chan struct{})
	go func() { sim.Close(); sim.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hung request")
	}
	// Close releases the hung request; whether it then fails or completes
	// does not matter, only that Close did not wait for it.
	if err := <-errc; err != nil {
		t.Logf("the released request ended with %v", err)
	}
	if err := sim.AcceptConnections(); err == nil {
		t.Error("AcceptConnections after Close succeeded")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond) // polling for a condition, as Eventually does
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
