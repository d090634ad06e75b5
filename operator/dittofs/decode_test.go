package dittofs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func adapterJSON(fields string) string {
	return `[{"id":"a1",` + fields + `}]`
}

func TestDecodeAdapters(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []Adapter
	}{
		{
			name: "port 0 nfs gets its default",
			body: adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":0`),
			want: []Adapter{{ID: "a1", Type: "nfs", Port: 12049, PortDefaulted: true, Enabled: true, Running: true}},
		},
		{
			name: "port 0 smb gets its default",
			body: adapterJSON(`"type":"smb","enabled":true,"running":false,"port":0,"status":{"status":"unhealthy"}`),
			want: []Adapter{{ID: "a1", Type: "smb", Port: 12445, PortDefaulted: true, Enabled: true, Status: "unhealthy"}},
		},
		{
			name: "unknown type passes through, port 0 kept",
			body: adapterJSON(`"type":"webdav","enabled":true,"running":true,"port":0,"extra":{"x":[1]}`),
			want: []Adapter{{ID: "a1", Type: "webdav", Enabled: true, Running: true}},
		},
		{
			name: "explicit port kept",
			body: adapterJSON(`"type":"smb","enabled":false,"running":false,"port":1445,"status":"healthy"`),
			want: []Adapter{{ID: "a1", Type: "smb", Port: 1445, Status: "healthy"}},
		},
		{name: "empty list", body: " []\n", want: []Adapter{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeAdapters([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v", got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("got %+v, want %+v", got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDecodeAdaptersRejectsOffContract(t *testing.T) {
	bodies := map[string]string{
		"object instead of array": `{"adapters":[]}`,
		"null":                    `null`,
		"empty":                   ``,
		"null element":            `[null]`,
		"missing type":            adapterJSON(`"enabled":true,"running":true,"port":1`),
		"missing running":         adapterJSON(`"type":"nfs","enabled":true,"port":1`),
		"missing port":            adapterJSON(`"type":"nfs","enabled":true,"running":true`),
		"string port":             adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":"12049"`),
		"negative port":           adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":-1`),
		"port too large":          adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":65536`),
		"fractional port":         adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":1.5`),
		"huge port":               adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":1e40`),
		"status of wrong type":    adapterJSON(`"type":"nfs","enabled":true,"running":true,"port":1,"status":7`),
		"truncated":               `[{"type":"nfs","port":`,
		"trailing garbage":        `[] []`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			if got, err := decodeAdapters([]byte(body)); !errors.Is(err, ErrMalformedResponse) {
				t.Errorf("got %+v, %v; want ErrMalformedResponse", got, err)
			}
		})
	}
}

func TestDecodeTokens(t *testing.T) {
	sent := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body := `{"access_token":"A","refresh_token":"R","expires_in":60,"expires_at":"2030-01-01T00:00:00Z","unknown":true,` +
		`"user":{"username":"op","role":"operator","uid":5,"groups":["g"],"last_login":"2026-01-01T00:00:00Z"}}`
	tok, err := decodeTokens([]byte(body), sent)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "A" || tok.RefreshToken != "R" || tok.TokenType != "Bearer" || tok.ExpiresIn != time.Minute ||
		!tok.ExpiresAt.Equal(sent.Add(time.Minute)) || tok.ServerExpiresAt.Year() != 2030 ||
		tok.User.Username != "op" || *tok.User.UID != 5 || tok.User.LastLogin.IsZero() {
		t.Errorf("decoded %+v / %+v", tok, tok.User)
	}
	bad := map[string]string{
		"array":             `[]`,
		"null":              `null`,
		"missing access":    `{"refresh_token":"R","expires_in":60}`,
		"empty access":      `{"access_token":"","refresh_token":"R","expires_in":60}`,
		"numeric access":    `{"access_token":5,"refresh_token":"R","expires_in":60}`,
		"missing refresh":   `{"access_token":"A","expires_in":60}`,
		"missing expiry":    `{"access_token":"A","refresh_token":"R"}`,
		"zero expiry":       `{"access_token":"A","refresh_token":"R","expires_in":0}`,
		"overflowing":       `{"access_token":"A","refresh_token":"R","expires_in":9223372036854775807}`,
		"string expiry":     `{"access_token":"A","refresh_token":"R","expires_in":"60"}`,
		"bad expires_at":    `{"access_token":"A","refresh_token":"R","expires_in":60,"expires_at":"soon"}`,
		"user not object":   `{"access_token":"A","refresh_token":"R","expires_in":60,"user":"op"}`,
		"bad user time":     `{"access_token":"A","refresh_token":"R","expires_in":60,"user":{"created_at":5}}`,
		"truncated":         `{"access_token":"A","refresh_`,
		"text from a proxy": `<html>502</html>`,
	}
	for name, body := range bad {
		if got, err := decodeTokens([]byte(body), sent); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("%s: got %v, %v; want ErrMalformedResponse", name, got, err)
		}
	}
}

func TestDecodeErrorsDoNotQuoteBodies(t *testing.T) {
	const secret = "tok-SECRET-value-123"
	bodies := []string{
		`{"access_token":"` + secret + `","refresh_token":"R","expires_in":"` + secret + `"}`,
		`{"access_token":"` + secret + `","refresh_token":"R","expires_in":60,"expires_at":"` + secret + `"}`,
		`{"access_token":"` + secret + `","refresh_token":"R","expires_in":60,"user":{"last_login":"` + secret + `"}}`,
		`{"access_token":"` + secret + `", ` + secret,
		`"` + secret + `"`,
		`[{"type":"` + secret + `","port":"` + secret + `"}]`,
	}
	for _, body := range bodies {
		_, err1 := decodeTokens([]byte(body), time.Now())
		_, err2 := decodeAdapters([]byte(body))
		_, err3 := decodeUser([]byte(body))
		_, err4 := decodeReadiness([]byte(body))
		for _, err := range []error{err1, err2, err3, err4} {
			if err == nil || strings.Contains(err.Error(), secret) {
				t.Errorf("body %s: error %v", body, err)
			}
		}
	}
}

func TestDecodeUserAndReadiness(t *testing.T) {
	if _, err := decodeUser([]byte(`{"id":"x","role":"operator"}`)); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("user without username accepted: %v", err)
	}
	r, err := decodeReadiness([]byte(`{"status":"healthy","data":{"adapters":{"running":1,"types":["nfs"]}}}`))
	if err != nil || r.RunningAdapters != 1 || r.AdapterTypes[0] != "nfs" {
		t.Errorf("readiness %+v, %v", r, err)
	}
	if _, err := decodeReadiness([]byte(`{"data":{}}`)); !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("readiness without status accepted: %v", err)
	}
}

func TestDefaultPort(t *testing.T) {
	for typ, want := range map[string]int32{"nfs": 12049, "smb": 12445} {
		if got, ok := DefaultPort(typ); !ok || got != want {
			t.Errorf("DefaultPort(%q) = %d, %v", typ, got, ok)
		}
	}
	if _, ok := DefaultPort("webdav"); ok {
		t.Error("unknown type has a default port")
	}
}
