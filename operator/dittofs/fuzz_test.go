package dittofs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fuzzSecret marks token-like values in seeds; no decoding error may quote it.
const fuzzSecret = "fuzz-secret-token"

// malformedSeeds are bodies that break the contract in the ways a broken
// server or a proxy would.
var malformedSeeds = []string{
	``, ` `, `null`, `true`, `0`, `"x"`, `{`, `[`, `{}`, `[]`, `[null]`, `[[]]`, `[{}]`,
	`{not json`, `<html>502 Bad Gateway</html>`, "\xff\xfe\x00",
	`[{"type":"nfs","enabled":true,"running":true,"port":0}]`,
	`[{"type":"smb","enabled":true,"running":false,"port":0,"status":{"status":"unhealthy"}}]`,
	`[{"type":"webdav","enabled":true,"running":true,"port":0}]`,
	`[{"type":"nfs","enabled":true,"running":true,"port":-1}]`,
	`[{"type":"nfs","enabled":true,"running":true,"port":65536}]`,
	`[{"type":"nfs","enabled":true,"running":true,"port":1e400}]`,
	`[{"type":"nfs","enabled":"yes","running":true,"port":1}]`,
	`[{"type":"` + fuzzSecret + `","port":"` + fuzzSecret + `"}]`,
	`{"access_token":"` + fuzzSecret + `","refresh_token":"r","expires_in":-5}`,
	`{"access_token":"` + fuzzSecret + `","refresh_token":"r","expires_in":1e30}`,
	`{"access_token":"` + fuzzSecret + `","refresh_token":"r","expires_in":60,"expires_at":"` + fuzzSecret + `"}`,
	`{"access_token":"` + fuzzSecret + `","refresh_token":"r","expires_in":60,"user":[]}`,
	`{"access_token":null,"refresh_token":null,"expires_in":null}`,
	`{"type":"about:blank","title":"Conflict","status":409,"detail":"User already exists"}`,
	`{"type":7,"title":null,"status":"x","detail":["` + fuzzSecret + `"]}`,
	`{"status":"unhealthy","error":"no adapters running"}`,
	strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
}

// FuzzDecodeResponses feeds arbitrary bodies to every response decoder: none
// may panic, successful decodes must satisfy the contract's invariants, and
// no error may quote a token from the body. Its seed corpus (every recorded
// answer plus malformed ones) runs with go test.
func FuzzDecodeResponses(f *testing.F) {
	for _, rec := range recordings {
		for _, ex := range loadExchanges(f, rec.path, rec.exchanges) {
			status, contentType, body := ex.recordedAnswer()
			f.Add(status, contentType, body)
		}
	}
	for _, body := range malformedSeeds {
		f.Add(200, "application/json", []byte(body))
		f.Add(500, "application/problem+json", []byte(body))
	}
	f.Add(401, "text/plain; charset=utf-8", []byte("Invalid or expired token\n"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		checkAdapterInvariants(t, body)
		checkTokenInvariants(t, body)
		checkProblemInvariants(t, status, contentType, body)
		_, err := decodeUser(body)
		checkErrorHidesSecret(t, err)
		_, err = decodeReadiness(body)
		checkErrorHidesSecret(t, err)
	})
}

func checkAdapterInvariants(t *testing.T, body []byte) {
	adapters, err := decodeAdapters(body)
	if err != nil {
		checkErrorHidesSecret(t, err)
		return
	}
	for _, a := range adapters {
		def, known := DefaultPort(a.Type)
		switch {
		case a.Type == "":
			t.Errorf("adapter without type: %+v", a)
		case a.Port < 0 || a.Port > 65535:
			t.Errorf("port out of range: %+v", a)
		case a.PortDefaulted && (!known || a.Port != def):
			t.Errorf("defaulted port is not the type's default: %+v", a)
		case known && a.Port == 0:
			t.Errorf("known type left on port 0: %+v", a)
		}
	}
}

func checkTokenInvariants(t *testing.T, body []byte) {
	sent := time.Now()
	tok, err := decodeTokens(body, sent)
	if err != nil {
		checkErrorHidesSecret(t, err)
		return
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn <= 0 || !tok.ExpiresAt.After(sent) {
		t.Errorf("accepted incomplete tokens: %v", tok)
	}
}

func checkProblemInvariants(t *testing.T, status int, contentType string, body []byte) {
	e := decodeProblem("GET", "/p", status, contentType, body, false)
	if e == nil || e.Status != status {
		t.Fatalf("decodeProblem lost the status: %#v", e)
	}
	if len(e.Detail) > maxDetailBytes+len("...") || strings.ContainsAny(e.Detail, "\n\r\x00") {
		t.Errorf("detail not cleaned: %q", e.Detail)
	}
	_ = e.Error()
	if !errors.As(error(e), new(*APIError)) {
		t.Error("not an *APIError")
	}
}

func checkErrorHidesSecret(t *testing.T, err error) {
	if err == nil {
		return
	}
	if !errors.Is(err, ErrMalformedResponse) {
		t.Errorf("decoding error is not ErrMalformedResponse: %v", err)
	}
	if strings.Contains(err.Error(), fuzzSecret) {
		t.Errorf("error quotes the body: %v", err)
	}
}
