package dittofstest

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"
)

// access is who may call a route.
type access struct {
	roles []string // nil: any authenticated user
	gate  bool     // blocked while the user must change its password
	// denied is the text/plain 403 message for other roles.
	denied string
}

var (
	// meAccess is /auth/me: authenticated, but exempt from the password gate.
	meAccess        = access{}
	anyRole         = access{gate: true}
	adminOnly       = access{roles: []string{RoleAdmin}, gate: true, denied: "Admin access required"}
	adminOrOperator = access{roles: []string{RoleAdmin, RoleOperator}, gate: true, denied: "Insufficient permissions"}
)

type claimsKey struct{}

// authorized wraps h with the real middleware chain: JWT check, password
// change gate, role check, each failing with a text/plain answer.
func (s *Server) authorized(a access, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r)
		if !ok {
			http.Error(w, "Authorization header required", http.StatusUnauthorized)
			return
		}
		c, err := s.verifyToken(token, tokenAccess)
		if err != nil {
			http.Error(w, "Invalid or expired token", http.StatusUnauthorized)
			return
		}
		if a.gate && c.MustChangePassword {
			http.Error(w, "Password change required. Please change your password before proceeding.", http.StatusForbidden)
			return
		}
		if a.roles != nil && !contains(a.roles, c.Role) {
			http.Error(w, a.denied, http.StatusForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
	}
}

func claimsOf(r *http.Request) *claims {
	c, _ := r.Context().Value(claimsKey{}).(*claims)
	return c
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return token, true
}

// bearerClaims identifies the caller for request records, nil if the
// request carries no valid access token.
func (s *Server) bearerClaims(r *http.Request) *claims {
	token, ok := bearerToken(r)
	if !ok {
		return nil
	}
	c, err := s.verifyToken(token, tokenAccess)
	if err != nil {
		return nil
	}
	return c
}

// verifyToken checks a token's signature, expiry and kind.
func (s *Server) verifyToken(token, kind string) (*claims, error) {
	s.mu.Lock()
	key := s.signKey
	s.mu.Unlock()
	c, err := verify(key, token, s.now())
	if err != nil {
		return nil, err
	}
	if c.TokenType != kind {
		return nil, errBadToken
	}
	return c, nil
}

type tokenResponse struct {
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	TokenType    string       `json:"token_type"`
	ExpiresIn    int64        `json:"expires_in"`
	ExpiresAt    time.Time    `json:"expires_at"`
	User         userResponse `json:"user"`
}

// issueLocked signs a new token pair for u; s.mu must be held.
func (s *Server) issueLocked(u *user) tokenResponse {
	now := s.now()
	expiresAt := now.Add(s.opts.AccessTTL)
	base := claims{
		Issuer: "dittofs", Subject: u.username, UserID: u.id, Username: u.username,
		Role: u.role, MustChangePassword: u.mustChangePassword, IssuedAt: unixSeconds(now),
	}
	access, refresh := base, base
	access.TokenType, access.Expiry, access.ID = tokenAccess, unixSeconds(expiresAt), randomID()
	refresh.TokenType, refresh.Expiry, refresh.ID = tokenRefresh, unixSeconds(now.Add(s.opts.RefreshTTL)), randomID()
	return tokenResponse{
		AccessToken:  sign(s.signKey, access),
		RefreshToken: sign(s.signKey, refresh),
		TokenType:    "Bearer",
		ExpiresIn:    int64(math.Ceil(s.opts.AccessTTL.Seconds())),
		ExpiresAt:    expiresAt,
		User:         u.response(),
	}
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Username == "" || req.Password == "" {
		writeProblem(w, http.StatusBadRequest, "Username and password are required")
		return
	}
	s.mu.Lock()
	u := s.users[req.Username]
	if u == nil || subtle.ConstantTimeCompare([]byte(u.password), []byte(req.Password)) != 1 {
		s.mu.Unlock()
		writeProblem(w, http.StatusUnauthorized, "Invalid username or password")
		return
	}
	now := s.now()
	u.lastLogin = &now
	resp := s.issueLocked(u)
	s.mu.Unlock()
	rec := recordOf(r)
	rec.Username, rec.Role = u.username, u.role
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.RefreshToken == "" {
		writeProblem(w, http.StatusBadRequest, "Refresh token is required")
		return
	}
	c, err := s.verifyToken(req.RefreshToken, tokenRefresh)
	if err != nil {
		detail := "Invalid refresh token"
		if errors.Is(err, errExpiredToken) {
			detail = "Refresh token has expired"
		}
		writeProblem(w, http.StatusUnauthorized, detail)
		return
	}
	s.refreshFor(w, r, c.Username)
}

func (s *Server) refreshFor(w http.ResponseWriter, r *http.Request, username string) {
	s.mu.Lock()
	u := s.users[username]
	if u == nil {
		s.mu.Unlock()
		writeProblem(w, http.StatusUnauthorized, "User not found")
		return
	}
	resp := s.issueLocked(u)
	s.mu.Unlock()
	rec := recordOf(r)
	rec.Username, rec.Role = u.username, u.role
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := s.users[claimsOf(r).Username]
	var resp userResponse
	if u != nil {
		resp = u.response()
	}
	s.mu.Unlock()
	if u == nil {
		writeProblem(w, http.StatusUnauthorized, "User not found")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
