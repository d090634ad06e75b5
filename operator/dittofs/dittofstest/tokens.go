package dittofstest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
)

// Token kinds, as in the real server's token_type claim.
const (
	tokenAccess  = "access"
	tokenRefresh = "refresh"
)

var (
	errBadToken     = errors.New("invalid token")
	errExpiredToken = errors.New("expired token")
)

// claims mirrors the real server's JWT claims. Authorization uses only
// them, never the user database, which is why a deleted user's access token
// keeps working until it expires.
type claims struct {
	Issuer             string  `json:"iss"`
	Subject            string  `json:"sub"`
	UserID             string  `json:"uid"`
	Username           string  `json:"username"`
	Role               string  `json:"role"`
	TokenType          string  `json:"token_type"`
	MustChangePassword bool    `json:"must_change_password,omitempty"`
	IssuedAt           float64 `json:"iat"`
	Expiry             float64 `json:"exp"`
	ID                 string  `json:"jti"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// sign issues an HS256 JWT. Times carry milliseconds so sub-second TTLs
// work in tests.
func sign(key []byte, c claims) string {
	payload, _ := json.Marshal(c) // claims has only plain fields: cannot fail
	unsigned := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac(key, unsigned))
}

func mac(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// verify checks the signature and expiry of a token and returns its claims.
func verify(key []byte, token string, now time.Time) (*claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != jwtHeader {
		return nil, errBadToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac(key, parts[0]+"."+parts[1])) {
		return nil, errBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errBadToken
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errBadToken
	}
	if unixTime(c.Expiry).Before(now) || unixTime(c.Expiry).Equal(now) {
		return &c, errExpiredToken
	}
	return &c, nil
}

func unixSeconds(t time.Time) float64 {
	return math.Round(float64(t.UnixMilli())) / 1000
}

func unixTime(seconds float64) time.Time {
	return time.UnixMilli(int64(math.Round(seconds * 1000)))
}

func randomKey() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	return key
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40 // UUID version 4
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
