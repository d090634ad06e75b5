package dittofs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// The recordings of a real DittoFS v0.29.0 server, with their exchange
// counts: a different count means a recording changed.
var recordings = []struct {
	path      string
	exchanges int
}{
	{"testdata/dittofs-api-v0.29.json", 34},
	{"testdata/dittofs-api-v0.29-states.json", 30},
}

// fakeJWT stands in for the recording's "<jwt>" placeholders.
const fakeJWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

type recordedExchange struct {
	Note    string `json:"note"`
	Request struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"request"`
	Response struct {
		Status      int             `json:"status"`
		ContentType *string         `json:"content_type"`
		Body        json.RawMessage `json:"body"`
	} `json:"response"`
}

// recordedAnswer returns what the real server sent: status, content type
// and the body bytes (text bodies unquoted, tokens replaced by fakeJWT).
func (ex recordedExchange) recordedAnswer() (int, string, []byte) {
	contentType := ""
	if ex.Response.ContentType != nil {
		contentType = *ex.Response.ContentType
	}
	var text string
	if json.Unmarshal(ex.Response.Body, &text) == nil {
		return ex.Response.Status, contentType, []byte(text)
	}
	body := strings.ReplaceAll(string(ex.Response.Body), "<jwt>", fakeJWT)
	return ex.Response.Status, contentType, []byte(body)
}

func loadExchanges(tb testing.TB, path string, want int) []recordedExchange {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("reading recording: %v", err)
	}
	var rec struct {
		Exchanges []recordedExchange `json:"exchanges"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		tb.Fatalf("decoding recording: %v", err)
	}
	if len(rec.Exchanges) != want {
		tb.Fatalf("%s has %d exchanges, want %d", path, len(rec.Exchanges), want)
	}
	return rec.Exchanges
}

// sentAt is the client's clock in the decoding test: token expiry is
// counted from it.
var sentAt = time.Date(2026, 12, 1, 9, 26, 6, 0, time.UTC)

// TestClientDecodesRecording serves every recorded answer of both
// recordings to the client call that would receive it and checks the
// typed result or error.
func TestClientDecodesRecording(t *testing.T) {
	for _, rec := range recordings {
		for i, ex := range loadExchanges(t, rec.path, rec.exchanges) {
			t.Run(fmt.Sprintf("%s/%02d %s", rec.path, i, ex.Note), func(t *testing.T) { decodeRecorded(t, ex) })
		}
	}
}

// decodeRecorded serves one recorded answer to the client call that would
// receive it.
func decodeRecorded(t *testing.T, ex recordedExchange) {
	status, contentType, body := ex.recordedAnswer()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != ex.Request.Method || r.URL.Path != ex.Request.Path {
			t.Errorf("client sent %s %s, recording has %s %s", r.Method, r.URL.Path, ex.Request.Method, ex.Request.Path)
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Now: func() time.Time { return sentAt }})
	if err != nil {
		t.Fatal(err)
	}
	result, err := callFor(context.Background(), c, ex.Request.Method, ex.Request.Path)
	if status >= 300 {
		checkRecordedError(t, err, status, contentType, body)
		return
	}
	if err != nil {
		t.Fatalf("recorded %d answer failed to decode: %v", status, err)
	}
	checkRecordedValue(t, result, body)
}

// callFor makes the client call that targets method and path, with valid
// arguments: what is under test is the decoding of the answer.
func callFor(ctx context.Context, c *Client, method, path string) (any, error) {
	const token, password = "tok-123", "valid-password"
	switch {
	case method == http.MethodPost && path == pathLogin:
		return c.Login(ctx, "admin", password)
	case method == http.MethodPost && path == pathRefresh:
		return c.Refresh(ctx, token)
	case method == http.MethodGet && path == pathMe:
		return c.Me(ctx, token)
	case method == http.MethodPost && path == pathUsers:
		return c.CreateUser(ctx, token, NewUser{Username: "k8s-operator", Password: password, Role: RoleOperator})
	case method == http.MethodPost && strings.HasSuffix(path, "/password"):
		user := strings.TrimSuffix(strings.TrimPrefix(path, pathUsers+"/"), "/password")
		return nil, c.ResetPassword(ctx, token, user, password)
	case method == http.MethodDelete && strings.HasPrefix(path, pathUsers+"/"):
		return nil, c.DeleteUser(ctx, token, strings.TrimPrefix(path, pathUsers+"/"))
	case method == http.MethodGet && path == pathAdapters:
		return c.ListAdapters(ctx, token)
	case method == http.MethodGet && path == pathReady:
		return c.Ready(ctx)
	default: // routes the operator does not call: only errors are decoded
		_, err := c.do(ctx, request{method: method, path: path, token: token})
		return nil, err
	}
}

func checkRecordedError(t *testing.T, err error, status int, contentType string, body []byte) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *APIError", err)
	}
	if ae.Status != status || ae.ContentType != contentType {
		t.Errorf("APIError status %d type %q, recorded %d %q", ae.Status, ae.ContentType, status, contentType)
	}
	if want := recordedDetail(body); ae.Detail != want {
		t.Errorf("Detail %q, want %q", ae.Detail, want)
	}
	predicates := map[int]func(error) bool{
		http.StatusUnauthorized: IsUnauthorized, http.StatusForbidden: IsForbidden,
		http.StatusNotFound: IsNotFound, http.StatusConflict: IsConflict,
	}
	for code, is := range predicates {
		if is(err) != (code == status) {
			t.Errorf("predicate for %d answers %v on a %d", code, is(err), status)
		}
	}
	if IsTransient(err) != (status >= 500) {
		t.Errorf("IsTransient = %v for a %d", IsTransient(err), status)
	}
}

// recordedDetail is the detail a recorded error body carries.
func recordedDetail(body []byte) string {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil {
		return p.Detail
	}
	return strings.TrimSpace(string(body))
}

func checkRecordedValue(t *testing.T, result any, body []byte) {
	t.Helper()
	switch v := result.(type) {
	case *Tokens:
		checkTokens(t, v, body)
	case *User:
		checkUser(t, *v, body)
	case []Adapter:
		checkAdapters(t, v, body)
	case *Readiness:
		checkReadiness(t, v, body)
	case nil: // 204s and routes decoded only for errors
	default:
		t.Fatalf("unexpected result %T", result)
	}
}

func checkTokens(t *testing.T, tok *Tokens, body []byte) {
	t.Helper()
	var want struct {
		ExpiresIn int64           `json:"expires_in"`
		User      json.RawMessage `json:"user"`
	}
	_ = json.Unmarshal(body, &want)
	lifetime := time.Duration(want.ExpiresIn) * time.Second
	if tok.AccessToken != fakeJWT || tok.RefreshToken != fakeJWT || tok.TokenType != "Bearer" ||
		tok.ExpiresIn != lifetime || tok.ServerExpiresAt.IsZero() {
		t.Errorf("tokens decoded as %+v, recorded expires_in %d", tok, want.ExpiresIn)
	}
	if !tok.ExpiresAt.Equal(sentAt.Add(lifetime)) {
		t.Errorf("ExpiresAt is %v, want the client's clock plus %v", tok.ExpiresAt, lifetime)
	}
	checkUser(t, tok.User, want.User)
}

func checkUser(t *testing.T, u User, body []byte) {
	t.Helper()
	var want struct {
		ID, Username, Role string
		LastLogin          *string `json:"last_login"`
	}
	_ = json.Unmarshal(body, &want)
	if u.ID != want.ID || u.Username != want.Username || u.Role != want.Role || !u.Enabled || u.CreatedAt.IsZero() {
		t.Errorf("user decoded as %+v, recorded %s", u, body)
	}
	if u.LastLogin.IsZero() != (want.LastLogin == nil) {
		t.Errorf("LastLogin %v, recorded %v", u.LastLogin, want.LastLogin)
	}
}

func checkAdapters(t *testing.T, got []Adapter, body []byte) {
	t.Helper()
	var want []struct {
		ID, Type         string
		Port             int32
		Enabled, Running bool
		Status           struct{ Status string }
	}
	_ = json.Unmarshal(body, &want)
	if len(got) != len(want) {
		t.Fatalf("%d adapters decoded, %d recorded", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		// Port 0 means the type's default, and says so.
		port, defaulted := w.Port, false
		if w.Port == 0 {
			port, _ = DefaultPort(w.Type)
			defaulted = true
		}
		if g.ID != w.ID || g.Type != w.Type || g.Port != port || g.PortDefaulted != defaulted ||
			g.Enabled != w.Enabled || g.Running != w.Running || g.Status != w.Status.Status {
			t.Errorf("adapter %d decoded as %+v, recorded %+v", i, g, w)
		}
	}
}

func checkReadiness(t *testing.T, got *Readiness, body []byte) {
	t.Helper()
	var want struct {
		Status string
		Data   struct {
			Adapters struct {
				Running int
				Types   []string
			}
		}
	}
	_ = json.Unmarshal(body, &want)
	if got.Status != want.Status || got.RunningAdapters != want.Data.Adapters.Running ||
		len(got.AdapterTypes) != len(want.Data.Adapters.Types) || got.Timestamp.IsZero() {
		t.Errorf("readiness decoded as %+v, recorded %s", got, body)
	}
}
