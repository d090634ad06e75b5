package dittofs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Decoding errors name the offending field but never quote response bodies:
// a body can carry tokens, and error text ends up in logs and CR status.

// maxTokenLifetime bounds expires_in so the conversion to time.Duration
// cannot overflow; no real token lives for a century.
const maxTokenLifetime = 100 * 365 * 24 * time.Hour

// jsonTime decodes an RFC 3339 timestamp without echoing a bad value into
// the error, as time.Time's own decoder would.
type jsonTime struct{ time.Time }

// UnmarshalJSON accepts null or an RFC 3339 string.
func (t *jsonTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("timestamp is not a string")
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return errors.New("timestamp is not RFC 3339")
	}
	t.Time = parsed
	return nil
}

type wireUser struct {
	ID                 string    `json:"id"`
	Username           string    `json:"username"`
	DisplayName        string    `json:"display_name"`
	Email              string    `json:"email"`
	Role               string    `json:"role"`
	UID                *uint32   `json:"uid"`
	Groups             []string  `json:"groups"`
	Enabled            bool      `json:"enabled"`
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          *jsonTime `json:"created_at"`
	LastLogin          *jsonTime `json:"last_login"`
}

func (w *wireUser) user() User {
	u := User{
		ID: w.ID, Username: w.Username, DisplayName: w.DisplayName, Email: w.Email,
		Role: w.Role, UID: w.UID, Groups: w.Groups, Enabled: w.Enabled,
		MustChangePassword: w.MustChangePassword,
	}
	if w.CreatedAt != nil {
		u.CreatedAt = w.CreatedAt.Time
	}
	if w.LastLogin != nil {
		u.LastLogin = w.LastLogin.Time
	}
	return u
}

type wireTokens struct {
	AccessToken  *string   `json:"access_token"`
	RefreshToken *string   `json:"refresh_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    *int64    `json:"expires_in"`
	ExpiresAt    *jsonTime `json:"expires_at"`
	User         *wireUser `json:"user"`
}

type wireAdapter struct {
	ID      string          `json:"id"`
	Type    *string         `json:"type"`
	Enabled *bool           `json:"enabled"`
	Running *bool           `json:"running"`
	Port    *int64          `json:"port"`
	Status  json.RawMessage `json:"status"`
}

type wireReadiness struct {
	Status    *string   `json:"status"`
	Timestamp *jsonTime `json:"timestamp"`
	Data      *struct {
		Adapters *struct {
			Running int      `json:"running"`
			Types   []string `json:"types"`
		} `json:"adapters"`
	} `json:"data"`
}

// malformed wraps ErrMalformedResponse with what was wrong.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedResponse, fmt.Sprintf(format, args...))
}

// unmarshalObject decodes a JSON object into v, refusing other JSON types.
func unmarshalObject(body []byte, v any) error {
	if firstByte(body) != '{' {
		return malformed("expected a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return malformed("%s", describeJSONError(err))
	}
	return nil
}

// describeJSONError keeps the parts of a json error that help debugging
// (position, field, expected type) and drops anything quoted from the body.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong JSON type (want %s)", typ.Field, typ.Type)
	default:
		return "invalid JSON value"
	}
}

func firstByte(body []byte) byte {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return 0
	}
	return trimmed[0]
}

// decodeTokens decodes a login or refresh answer; sentAt is when the request
// left, the base of the local ExpiresAt.
func decodeTokens(body []byte, sentAt time.Time) (*Tokens, error) {
	var w wireTokens
	if err := unmarshalObject(body, &w); err != nil {
		return nil, err
	}
	if w.AccessToken == nil || *w.AccessToken == "" {
		return nil, malformed("missing access_token")
	}
	if w.RefreshToken == nil || *w.RefreshToken == "" {
		return nil, malformed("missing refresh_token")
	}
	if w.ExpiresIn == nil || *w.ExpiresIn <= 0 || *w.ExpiresIn > int64(maxTokenLifetime/time.Second) {
		return nil, malformed("missing or out-of-range expires_in")
	}
	t := &Tokens{
		AccessToken:  *w.AccessToken,
		RefreshToken: *w.RefreshToken,
		TokenType:    w.TokenType,
		ExpiresIn:    time.Duration(*w.ExpiresIn) * time.Second,
	}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	t.ExpiresAt = sentAt.Add(t.ExpiresIn)
	if w.ExpiresAt != nil {
		t.ServerExpiresAt = w.ExpiresAt.Time
	}
	if w.User != nil {
		t.User = w.User.user()
	}
	return t, nil
}

// decodeUser decodes a user object, which must name the user.
func decodeUser(body []byte) (*User, error) {
	var w wireUser
	if err := unmarshalObject(body, &w); err != nil {
		return nil, err
	}
	if w.Username == "" {
		return nil, malformed("missing username")
	}
	u := w.user()
	return &u, nil
}

// DecodeAdapters reads a body of GET /api/v1/adapters as ListAdapters does,
// for tools given a saved answer: `policy eval` reads its input's adapters
// with it.
func DecodeAdapters(body []byte) ([]Adapter, error) {
	return decodeAdapters(body)
}

// decodeAdapters decodes the bare JSON array of GET /api/v1/adapters.
// type, enabled, running and port are required: reading a missing running
// as false would make the operator tear down a live adapter's Service.
func decodeAdapters(body []byte) ([]Adapter, error) {
	if firstByte(body) != '[' {
		return nil, malformed("expected a JSON array")
	}
	var wire []wireAdapter
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, malformed("%s", describeJSONError(err))
	}
	out := make([]Adapter, 0, len(wire))
	for i := range wire {
		a, err := wire[i].adapter()
		if err != nil {
			return nil, fmt.Errorf("adapter %d: %w", i, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (w *wireAdapter) adapter() (Adapter, error) {
	if w.Type == nil || *w.Type == "" {
		return Adapter{}, malformed("missing type")
	}
	if w.Enabled == nil || w.Running == nil {
		return Adapter{}, malformed("missing enabled or running")
	}
	if w.Port == nil || *w.Port < 0 || *w.Port > math.MaxUint16 {
		return Adapter{}, malformed("missing or out-of-range port")
	}
	status, err := adapterStatus(w.Status)
	if err != nil {
		return Adapter{}, err
	}
	a := Adapter{
		ID: w.ID, Type: *w.Type, Port: int32(*w.Port),
		Enabled: *w.Enabled, Running: *w.Running, Status: status,
	}
	if a.Port == 0 {
		if p, ok := DefaultPort(a.Type); ok {
			a.Port, a.PortDefaulted = p, true
		}
	}
	return a, nil
}

// adapterStatus reads "status", an object {"status": "healthy", ...} in
// v0.29; a bare string is accepted too.
func adapterStatus(raw json.RawMessage) (string, error) {
	switch firstByte(raw) {
	case 0, 'n':
		if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
			return "", nil
		}
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, nil
		}
	case '{':
		var obj struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(raw, &obj) == nil {
			return obj.Status, nil
		}
	}
	return "", malformed("status has the wrong JSON type")
}

// decodeReadiness decodes a 2xx answer of GET /health/ready.
func decodeReadiness(body []byte) (*Readiness, error) {
	var w wireReadiness
	if err := unmarshalObject(body, &w); err != nil {
		return nil, err
	}
	if w.Status == nil {
		return nil, malformed("missing status")
	}
	r := &Readiness{Status: *w.Status}
	if w.Timestamp != nil {
		r.Timestamp = w.Timestamp.Time
	}
	if w.Data != nil && w.Data.Adapters != nil {
		r.RunningAdapters = w.Data.Adapters.Running
		r.AdapterTypes = w.Data.Adapters.Types
	}
	return r, nil
}

// decodeProblem turns any non-2xx answer into an *APIError. It never fails:
// a body that is neither a problem document nor text still yields the
// status, so the predicates work on whatever a proxy in between returned.
func decodeProblem(method, path string, status int, contentType string, body []byte, truncated bool) *APIError {
	e := &APIError{
		Method: method, Path: path, Status: status,
		ContentType: contentType, Truncated: truncated,
	}
	if !fillFromJSON(e, contentType, body) {
		e.Detail = cleanText(string(body))
	}
	if e.Title == "" {
		e.Title = http.StatusText(status)
	}
	return e
}

// fillFromJSON reads type, title and detail (or the "error" field of the
// health endpoints) from a JSON body, leniently: a field of the wrong type
// is ignored rather than failing the whole error.
func fillFromJSON(e *APIError, contentType string, body []byte) bool {
	media, _, _ := mime.ParseMediaType(contentType)
	if !strings.HasSuffix(media, "json") || firstByte(body) != '{' {
		return false
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return false
	}
	e.Type = cleanText(jsonString(fields["type"]))
	e.Title = cleanText(jsonString(fields["title"]))
	e.Detail = cleanText(jsonString(fields["detail"]))
	if e.Detail == "" {
		e.Detail = cleanText(jsonString(fields["error"]))
	}
	return true
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// cleanText makes server text fit on one line of an error message: valid
// UTF-8, no control characters, at most maxDetailBytes.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxDetailBytes {
		return s
	}
	cut := maxDetailBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
