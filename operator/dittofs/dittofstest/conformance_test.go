package dittofstest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// The recordings of a real DittoFS v0.29.0 server (see
// ../../../../shared/contract/README.md for how they were made). Their
// exchange counts are checked: a different count means a recording changed
// and this test must be read again.
const (
	recordingPath       = "../testdata/dittofs-api-v0.29.json"
	recordedExchanges   = 34
	statesRecordingPath = "../testdata/dittofs-api-v0.29-states.json"
	statesExchanges     = 30
)

type recording struct {
	Exchanges []exchange `json:"exchanges"`
}

type exchange struct {
	Note    string `json:"note"`
	Request struct {
		Method string          `json:"method"`
		Path   string          `json:"path"`
		Body   json.RawMessage `json:"body"`
		Auth   *string         `json:"auth"`
	} `json:"request"`
	Response struct {
		Status      int             `json:"status"`
		ContentType *string         `json:"content_type"`
		Body        json.RawMessage `json:"body"`
	} `json:"response"`
}

func loadRecording(t *testing.T, path string, want int) []exchange {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading recording: %v", err)
	}
	var rec recording
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("decoding recording: %v", err)
	}
	if len(rec.Exchanges) != want {
		t.Fatalf("%s has %d exchanges, want %d", path, len(rec.Exchanges), want)
	}
	return rec.Exchanges
}

// recordedStart is when the recordings were made; the simulator's clock
// starts there and moves only when a replay says so.
var recordedStart = time.Date(2026, 12, 1, 9, 26, 6, 0, time.UTC)

// TestConformance replays every exchange of both recordings, in order,
// against a fresh simulator each and checks status, content type and body:
// text exactly, JSON by keys, types and values (ids, tokens and times by
// type only). A change that breaks it is a change that breaks the real
// server.
func TestConformance(t *testing.T) {
	t.Run("v0.29", func(t *testing.T) {
		clock := clocktesting.NewFakeClock(recordedStart)
		sim := dittofstest.NewForTest(t, dittofstest.Options{AdminPassword: "adminpass123", Now: clock.Now})
		for _, problem := range replayCalls(t, sim.URL(), clock) {
			t.Error(problem)
		}
	})
	t.Run("v0.29 states", func(t *testing.T) {
		clock := clocktesting.NewFakeClock(recordedStart)
		sim := dittofstest.NewForTest(t, statesServer(clock))
		for _, problem := range replayStates(t, sim.URL(), clock) {
			t.Error(problem)
		}
	})
}

// TestConformanceCatchesReadinessGatedOnAdapters proves the replay fails a
// simulator that invents a state: one that answers 503 on /health/ready
// while no adapter runs, which a real v0.29 server answers with 200.
func TestConformanceCatchesReadinessGatedOnAdapters(t *testing.T) {
	clock := clocktesting.NewFakeClock(recordedStart)
	sim := dittofstest.NewForTest(t, statesServer(clock))
	gated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/health/ready" && !anyRunning(sim.Adapters()) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"status":"unhealthy","timestamp":"2026-12-01T09:26:06Z","error":"no adapters running"}`+"\n")
			return
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	defer gated.Close()
	problems := replayStates(t, gated.URL, clock)
	if len(problems) == 0 {
		t.Fatal("the replay accepted a 503 on /health/ready with no adapter running")
	}
	for _, p := range problems {
		if !strings.HasPrefix(p, "06 readiness with no adapter running") {
			t.Errorf("a problem outside the readiness exchange: %s", p)
		}
	}
}

func anyRunning(adapters []dittofstest.AdapterState) bool {
	for _, a := range adapters {
		if a.Running {
			return true
		}
	}
	return false
}

// statesServer is configured like the server of the states recording:
// access tokens 4 s, refresh tokens 12 s, adapters on ports 32049 and 32445
// (smb bound to loopback), not yet checked by the health monitor.
func statesServer(clock *clocktesting.FakeClock) dittofstest.Options {
	return dittofstest.Options{
		AdminPassword: "adminpass123",
		AccessTTL:     4 * time.Second,
		RefreshTTL:    12 * time.Second,
		Now:           clock.Now,
		Adapters: []dittofstest.AdapterSeed{
			{Type: "nfs", Enabled: true, Port: 32049, Health: "unknown", HealthMessage: "NFS adapter has not started yet"},
			{Type: "smb", Enabled: true, Port: 32445, Config: map[string]any{"bind_address": "127.0.0.1"},
				Health: "unknown", HealthMessage: "SMB adapter has not started yet"},
		},
	}
}

// replayCalls replays the first recording, whose placeholders name the
// token to send ("<access token of admin>", "<refresh token>", ...).
func replayCalls(t *testing.T, baseURL string, clock *clocktesting.FakeClock) []string {
	tokens := &replayTokens{}
	var problems []string
	for i, ex := range loadRecording(t, recordingPath, recordedExchanges) {
		auth := ""
		if ex.Request.Auth != nil {
			auth = tokens.substitute(*ex.Request.Auth)
		}
		body := tokens.substitute(requestBody(ex))
		problems = append(problems, replayOne(t, baseURL, i, ex, auth, body, tokens)...)
	}
	return problems
}

// stateStep is how the states replay sends one exchange, whose recording
// replaced every token by "<jwt>": the clock moves first by advance, then
// the request carries the token auth names and, in a refresh, the token
// body names.
type stateStep struct {
	note    string // a part of the exchange's note, guarding against a changed recording
	advance time.Duration
	auth    string
	body    string
}

// Token names of the states replay.
const (
	adminAccess          = "admin"
	operatorAccess       = "operator"
	forgedAccess         = "forged"         // the operator's, signed by someone else
	firstOperatorAccess  = "first operator" // expired by then
	firstOperatorRefresh = "first operator refresh"
	lastRefresh          = "last refresh"
	freshAdmin           = "fresh admin" // the admin logs in again first (not recorded)
)

// statesSteps are the exchanges of the states recording that carry a token
// or need the clock to move. The recorded times say how: the operator's
// first token was 4 s old at the "expired" listing; the admin's had expired
// when it deleted the operator; the last refresh token was 12 s old.
var statesSteps = map[int]stateStep{
	3:  {note: "admin disables nfs", auth: adminAccess},
	4:  {note: "admin disables smb", auth: adminAccess},
	5:  {note: "listing with no adapter enabled", auth: adminAccess},
	8:  {note: "admin creates the operator account", auth: adminAccess},
	10: {note: "operator listing", auth: operatorAccess},
	11: {note: "admin enables nfs", auth: adminAccess},
	12: {note: "admin enables smb with port 0", auth: adminAccess},
	13: {note: "smb reports port 0", auth: operatorAccess},
	14: {note: "ports endpoint as the operator", auth: operatorAccess},
	15: {note: "admin moves smb", auth: adminAccess},
	16: {note: "listing 2 s after", advance: 2 * time.Second, auth: operatorAccess},
	19: {note: "signature is wrong", auth: forgedAccess},
	20: {note: "expired access token", advance: 3 * time.Second, auth: firstOperatorAccess},
	21: {note: "refresh after the access token expired", body: firstOperatorRefresh},
	22: {note: "refresh with an access token", body: firstOperatorAccess},
	24: {note: "admin deletes the operator user", auth: freshAdmin},
	25: {note: "refresh by a deleted user", body: lastRefresh},
	27: {note: "admin creates a user", auth: adminAccess},
	29: {note: "expired refresh token", advance: 13 * time.Second, body: lastRefresh},
}

// replayStates replays the states recording on the fake clock the
// simulator behind baseURL reads.
func replayStates(t *testing.T, baseURL string, clock *clocktesting.FakeClock) []string {
	tokens := &replayTokens{}
	exchanges := loadRecording(t, statesRecordingPath, statesExchanges)
	for i, step := range statesSteps {
		if !strings.Contains(exchanges[i].Note, step.note) {
			t.Fatalf("exchange %d is %q, the replay expects %q", i, exchanges[i].Note, step.note)
		}
	}
	var problems []string
	for i, ex := range exchanges {
		step := statesSteps[i]
		clock.Step(step.advance)
		if step.auth == freshAdmin {
			tokens.loginAdmin(t, baseURL)
		}
		auth := ""
		if ex.Request.Auth != nil {
			auth = tokens.named(t, step.auth)
			if auth != "" {
				auth = "Bearer " + auth
			}
		}
		body := requestBody(ex)
		if step.body != "" {
			body = strings.Replace(body, "<jwt>", tokens.named(t, step.body), 1)
		}
		problems = append(problems, replayOne(t, baseURL, i, ex, auth, body, tokens)...)
	}
	return problems
}

// replayTokens are the tokens a replay obtained in earlier exchanges.
type replayTokens struct {
	access        map[string]string // latest, by role
	latestAccess  string
	latestRefresh string
	// firstOperator is the first token pair issued to the operator role.
	firstOperator struct{ access, refresh string }
}

func (rt *replayTokens) learn(status int, body []byte) {
	var answer struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		User         struct {
			Role string `json:"role"`
		} `json:"user"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &answer) != nil || answer.AccessToken == "" {
		return
	}
	if rt.access == nil {
		rt.access = map[string]string{}
	}
	if answer.User.Role == "operator" && rt.firstOperator.access == "" {
		rt.firstOperator.access, rt.firstOperator.refresh = answer.AccessToken, answer.RefreshToken
	}
	rt.access[answer.User.Role] = answer.AccessToken
	rt.latestAccess, rt.latestRefresh = answer.AccessToken, answer.RefreshToken
}

func (rt *replayTokens) substitute(s string) string {
	return strings.NewReplacer(
		"<access token of admin>", rt.access["admin"],
		"<access token of operator>", rt.access["operator"],
		"<access token of caller>", rt.access["admin"],
		"<refresh token>", rt.latestRefresh,
		"<an access token, not a refresh token>", rt.latestAccess,
	).Replace(s)
}

// named resolves a token name of statesSteps.
func (rt *replayTokens) named(t *testing.T, name string) string {
	t.Helper()
	var token string
	switch name {
	case "":
		return ""
	case adminAccess, freshAdmin:
		token = rt.access["admin"]
	case operatorAccess:
		token = rt.access["operator"]
	case forgedAccess:
		token = rt.access["operator"]
		if i := strings.LastIndex(token, "."); i > 0 {
			token = token[:i+1] + base64.RawURLEncoding.EncodeToString([]byte("signed by someone else"))
		}
	case firstOperatorAccess:
		token = rt.firstOperator.access
	case firstOperatorRefresh:
		token = rt.firstOperator.refresh
	case lastRefresh:
		token = rt.latestRefresh
	}
	if token == "" {
		t.Fatalf("the replay has no %s token yet", name)
	}
	return token
}

// loginAdmin logs the admin in again, as the recording's client did
// between exchanges once the admin's 4 s token had expired.
func (rt *replayTokens) loginAdmin(t *testing.T, baseURL string) {
	t.Helper()
	resp, err := http.Post(baseURL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"adminpass123"}`))
	if err != nil {
		t.Fatalf("logging the admin in again: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &answer) != nil {
		t.Fatalf("logging the admin in again: %d %s", resp.StatusCode, body)
	}
	rt.access["admin"] = answer.AccessToken
}

// requestBody is the recorded request body as sent: a JSON document, or a
// string sent verbatim (e.g. "{not json"); "" for none.
func requestBody(ex exchange) string {
	raw := ex.Request.Body
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text
	}
	return string(raw)
}

// replayOne sends one exchange and lists how the answer differs from the
// recorded one, each problem prefixed with the exchange's number and note.
func replayOne(t *testing.T, baseURL string, i int, ex exchange, auth, body string, tokens *replayTokens) []string {
	t.Helper()
	name := fmt.Sprintf("%02d %s", i, ex.Note)
	if strings.Contains(auth+body, "<") {
		t.Fatalf("%s: unresolved placeholder in %q %q", name, auth, body)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(ex.Request.Method, baseURL+ex.Request.Path, rd)
	if err != nil {
		t.Fatalf("%s: building request: %v", name, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading answer: %v", name, err)
	}
	tokens.learn(resp.StatusCode, answer)
	var problems []string
	for _, p := range checkAnswer(ex, resp.StatusCode, resp.Header.Get("Content-Type"), answer) {
		problems = append(problems, name+": "+p)
	}
	return problems
}

// checkAnswer compares one answer with the recording and lists differences.
func checkAnswer(ex exchange, status int, contentType string, body []byte) []string {
	var problems []string
	if status != ex.Response.Status {
		problems = append(problems, fmt.Sprintf("status %d, recorded %d", status, ex.Response.Status))
	}
	wantType := ""
	if ex.Response.ContentType != nil {
		wantType = *ex.Response.ContentType
	}
	if contentType != wantType {
		problems = append(problems, fmt.Sprintf("content type %q, recorded %q", contentType, wantType))
	}
	var text string
	if json.Unmarshal(ex.Response.Body, &text) == nil {
		if string(body) != text {
			problems = append(problems, fmt.Sprintf("body %q, recorded %q", body, text))
		}
		return problems
	}
	var want, got any
	_ = json.Unmarshal(ex.Response.Body, &want)
	if err := json.Unmarshal(body, &got); err != nil {
		return append(problems, fmt.Sprintf("body is not JSON: %q", body))
	}
	return append(problems, compareJSON("$", want, got)...)
}

// Keys whose values differ from run to run: only their type is compared.
var (
	idKeys    = map[string]bool{"id": true}
	tokenKeys = map[string]bool{"access_token": true, "refresh_token": true}
	timeKeys  = map[string]bool{
		"created_at": true, "updated_at": true, "last_login": true,
		"expires_at": true, "checked_at": true, "timestamp": true, "started_at": true,
	}
)

// compareJSON compares recorded and actual JSON recursively: same object
// keys, same types, same values except for ids, tokens and times; arrays of
// scalars are compared as multisets since the server's order is a map's.
func compareJSON(path string, want, got any) []string {
	key := path[strings.LastIndex(path, ".")+1:]
	switch {
	case idKeys[key]:
		return expectString(path, got, func(string) bool { return true }, "a string id")
	case tokenKeys[key]:
		return expectString(path, got, isJWT, "a JWT")
	case timeKeys[key]:
		return expectString(path, got, isRFC3339, "an RFC 3339 time")
	}
	if reflect.TypeOf(want) != reflect.TypeOf(got) {
		return []string{fmt.Sprintf("%s: %T, recorded %T", path, got, want)}
	}
	switch w := want.(type) {
	case map[string]any:
		return compareObjects(path, w, got.(map[string]any))
	case []any:
		return compareArrays(path, w, got.([]any))
	default:
		if want != got {
			return []string{fmt.Sprintf("%s: %v, recorded %v", path, got, want)}
		}
		return nil
	}
}

func compareObjects(path string, want, got map[string]any) []string {
	var problems []string
	for k := range want {
		if _, ok := got[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s.%s: missing", path, k))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s.%s: not in the recording", path, k))
		}
	}
	for k := range want {
		if _, ok := got[k]; ok {
			problems = append(problems, compareJSON(path+"."+k, want[k], got[k])...)
		}
	}
	return problems
}

func compareArrays(path string, want, got []any) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("%s: %d elements, recorded %d", path, len(got), len(want))}
	}
	if allScalars(want) && allScalars(got) {
		if !reflect.DeepEqual(sortedStrings(want), sortedStrings(got)) {
			return []string{fmt.Sprintf("%s: %v, recorded %v", path, got, want)}
		}
		return nil
	}
	var problems []string
	for i := range want {
		problems = append(problems, compareJSON(fmt.Sprintf("%s[%d]", path, i), want[i], got[i])...)
	}
	return problems
}

func allScalars(values []any) bool {
	for _, v := range values {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func sortedStrings(values []any) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf("%T:%v", v, v)
	}
	sort.Strings(out)
	return out
}

func expectString(path string, got any, ok func(string) bool, what string) []string {
	s, isString := got.(string)
	if !isString || !ok(s) {
		return []string{fmt.Sprintf("%s: %v is not %s", path, got, what)}
	}
	return nil
}

func isJWT(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil || p == "" {
			return false
		}
	}
	return true
}

func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// TestCompareJSONCatchesDifferences guards the comparator itself: a
// conformance test that cannot fail proves nothing.
func TestCompareJSONCatchesDifferences(t *testing.T) {
	recorded := `{"id":"x","type":"nfs","port":12049,"running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["smb","nfs"]}`
	cases := map[string]string{
		"same, other id and time and order": `{"id":"y","type":"nfs","port":12049,"running":true,"created_at":"2027-01-01T00:00:00Z","status":{"status":"healthy"},"types":["nfs","smb"]}`,
		"other port":                        `{"id":"x","type":"nfs","port":1,"running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["smb","nfs"]}`,
		"missing key":                       `{"id":"x","type":"nfs","running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["smb","nfs"]}`,
		"extra key":                         `{"id":"x","type":"nfs","port":12049,"running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["smb","nfs"],"x":1}`,
		"wrong type":                        `{"id":"x","type":"nfs","port":"12049","running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["smb","nfs"]}`,
		"nested":                            `{"id":"x","type":"nfs","port":12049,"running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"down"},"types":["smb","nfs"]}`,
		"bad time":                          `{"id":"x","type":"nfs","port":12049,"running":true,"created_at":"yesterday","status":{"status":"healthy"},"types":["smb","nfs"]}`,
		"array length":                      `{"id":"x","type":"nfs","port":12049,"running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["nfs"]}`,
		"id of wrong type":                  `{"id":1,"type":"nfs","port":12049,"running":true,"created_at":"2026-11-28T10:46:11Z","status":{"status":"healthy"},"types":["smb","nfs"]}`,
	}
	var want any
	_ = json.Unmarshal([]byte(recorded), &want)
	for name, body := range cases {
		var got any
		_ = json.Unmarshal([]byte(body), &got)
		problems := compareJSON("$", want, got)
		if same := strings.HasPrefix(name, "same"); same != (len(problems) == 0) {
			t.Errorf("%s: problems %v", name, problems)
		}
	}
	if !isJWT("YQ.Yg.Yw") || isJWT("<jwt>") || isJWT("a.b") {
		t.Error("isJWT misjudges")
	}
}
