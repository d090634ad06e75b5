package dittofstest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

const recordingPath = "../testdata/dittofs-api-v0.29.json"

// recordedExchanges is the number of exchanges in the v0.29 recording; a
// different count means the recording changed and this test must be read
// again.
const recordedExchanges = 34

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

func loadRecording(t *testing.T) []exchange {
	t.Helper()
	raw, err := os.ReadFile(recordingPath)
	if err != nil {
		t.Fatalf("reading recording: %v", err)
	}
	var rec recording
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("decoding recording: %v", err)
	}
	if len(rec.Exchanges) != recordedExchanges {
		t.Fatalf("recording has %d exchanges, want %d", len(rec.Exchanges), recordedExchanges)
	}
	return rec.Exchanges
}

// TestConformance replays every recorded exchange, in order, against one
// fresh simulator and checks status, content type and body: text exactly,
// JSON by keys, types and values (ids, tokens and times by type only). A
// change that breaks it is a change that breaks the real server.
func TestConformance(t *testing.T) {
	exchanges := loadRecording(t)
	sim := dittofstest.NewForTest(t, dittofstest.Options{AdminPassword: "adminpass123"})
	tokens := &replayTokens{access: map[string]string{}}
	for i, ex := range exchanges {
		name := fmt.Sprintf("%02d %s", i, ex.Note)
		status, contentType, body := replay(t, sim.URL(), ex, tokens)
		for _, problem := range checkAnswer(ex, status, contentType, body) {
			t.Errorf("%s: %s", name, problem)
		}
		tokens.learn(status, body)
	}
}

// replayTokens resolves the recording's token placeholders with tokens the
// replay obtained in earlier exchanges.
type replayTokens struct {
	access        map[string]string // by role
	latestAccess  string
	latestRefresh string
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

func replay(t *testing.T, baseURL string, ex exchange, tokens *replayTokens) (int, string, []byte) {
	t.Helper()
	var body io.Reader
	if raw := ex.Request.Body; len(raw) > 0 && string(raw) != "null" {
		var text string
		if json.Unmarshal(raw, &text) == nil {
			raw = []byte(text) // a string body is sent verbatim, e.g. "{not json"
		}
		body = strings.NewReader(tokens.substitute(string(raw)))
	}
	req, err := http.NewRequest(ex.Request.Method, baseURL+ex.Request.Path, body)
	if err != nil {
		t.Fatalf("%s: building request: %v", ex.Note, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ex.Request.Auth != nil {
		auth := tokens.substitute(*ex.Request.Auth)
		if strings.Contains(auth, "<") {
			t.Fatalf("%s: unresolved placeholder in %q", ex.Note, *ex.Request.Auth)
		}
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", ex.Note, err)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading answer: %v", ex.Note, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), answer
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
		"expires_at": true, "checked_at": true, "timestamp": true,
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
