package dittofs

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// API paths, relative to Config.BaseURL.
const (
	pathLogin    = "/api/v1/auth/login"
	pathRefresh  = "/api/v1/auth/refresh"
	pathMe       = "/api/v1/auth/me"
	pathUsers    = "/api/v1/users"
	pathAdapters = "/api/v1/adapters"
	pathHealth   = "/health"
	pathReady    = "/health/ready"
)

// Login exchanges a username and password for a token pair.
func (c *Client) Login(ctx context.Context, username, password string) (*Tokens, error) {
	if username == "" || password == "" {
		return nil, argError(http.MethodPost, pathLogin, "username and password are required")
	}
	body := map[string]string{"username": username, "password": password}
	t, err := c.tokens(ctx, request{method: http.MethodPost, path: pathLogin, body: body})
	return t, scrub(err, password)
}

// Refresh exchanges a refresh token for a new token pair. It fails with a
// 401 for an access token, an expired token or a deleted user.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, argError(http.MethodPost, pathRefresh, "refresh token is required")
	}
	body := map[string]string{"refresh_token": refreshToken}
	t, err := c.tokens(ctx, request{method: http.MethodPost, path: pathRefresh, body: body})
	return t, scrub(err, refreshToken)
}

func (c *Client) tokens(ctx context.Context, rq request) (*Tokens, error) {
	sentAt := c.clock()
	resp, err := c.do(ctx, rq)
	if err != nil {
		return nil, err
	}
	t, err := decodeTokens(resp.body, sentAt)
	if err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w", rq.method, rq.path, err)
	}
	return t, nil
}

// Me returns the user a token belongs to.
func (c *Client) Me(ctx context.Context, token string) (*User, error) {
	if token == "" {
		return nil, argError(http.MethodGet, pathMe, "token is required")
	}
	u, err := c.user(ctx, request{method: http.MethodGet, path: pathMe, token: token})
	return u, scrub(err, token)
}

// CreateUser creates a user; it needs an admin token. The password is
// checked locally first (see ValidatePassword). An existing user is a
// conflict (IsConflict).
func (c *Client) CreateUser(ctx context.Context, adminToken string, u NewUser) (*User, error) {
	if adminToken == "" || u.Username == "" {
		return nil, argError(http.MethodPost, pathUsers, "admin token and username are required")
	}
	if err := ValidatePassword(u.Password); err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w", http.MethodPost, pathUsers, err)
	}
	body := map[string]string{"username": u.Username, "password": u.Password}
	if u.Role != "" {
		body["role"] = u.Role
	}
	created, err := c.user(ctx, request{method: http.MethodPost, path: pathUsers, token: adminToken, body: body})
	return created, scrub(err, adminToken, u.Password)
}

func (c *Client) user(ctx context.Context, rq request) (*User, error) {
	resp, err := c.do(ctx, rq)
	if err != nil {
		return nil, err
	}
	u, err := decodeUser(resp.body)
	if err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w", rq.method, rq.path, err)
	}
	return u, nil
}

// ResetPassword sets a user's password; it needs an admin token. The
// password is checked locally first (see ValidatePassword).
func (c *Client) ResetPassword(ctx context.Context, adminToken, username, newPassword string) error {
	path := userPath(username) + "/password"
	if adminToken == "" || username == "" {
		return argError(http.MethodPost, path, "admin token and username are required")
	}
	if err := ValidatePassword(newPassword); err != nil {
		return fmt.Errorf("dittofs: %s %s: %w", http.MethodPost, path, err)
	}
	body := map[string]string{"new_password": newPassword}
	_, err := c.do(ctx, request{method: http.MethodPost, path: path, token: adminToken, body: body})
	return scrub(err, adminToken, newPassword)
}

// DeleteUser deletes a user; it needs an admin token. DittoFS refuses to
// delete "admin" (IsForbidden). Tokens already issued to the user stay valid
// until they expire.
func (c *Client) DeleteUser(ctx context.Context, adminToken, username string) error {
	path := userPath(username)
	if adminToken == "" || username == "" {
		return argError(http.MethodDelete, path, "admin token and username are required")
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: path, token: adminToken})
	return scrub(err, adminToken)
}

func userPath(username string) string { return pathUsers + "/" + url.PathEscape(username) }

// ListAdapters returns every configured adapter, enabled or not; roles
// admin and operator may call it. Ports of 0 are replaced by the type's
// default (see Adapter.PortDefaulted).
func (c *Client) ListAdapters(ctx context.Context, token string) ([]Adapter, error) {
	if token == "" {
		return nil, argError(http.MethodGet, pathAdapters, "token is required")
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: pathAdapters, token: token})
	if err != nil {
		return nil, scrub(err, token)
	}
	adapters, err := decodeAdapters(resp.body)
	if err != nil {
		return nil, scrub(fmt.Errorf("dittofs: %s %s: %w", http.MethodGet, pathAdapters, err), token)
	}
	return adapters, nil
}

// Health is the liveness probe: nil when the server answers 2xx.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathHealth})
	return err
}

// Ready is the readiness probe. An initialised server answers 200 whether
// or not an adapter runs (Readiness counts them); before it is initialised
// it answers 503, returned as an *APIError whose Detail says why.
func (c *Client) Ready(ctx context.Context) (*Readiness, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: pathReady})
	if err != nil {
		return nil, err
	}
	r, err := decodeReadiness(resp.body)
	if err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w", http.MethodGet, pathReady, err)
	}
	return r, nil
}

// ValidatePassword checks a password against the length bounds DittoFS
// enforces (MinPasswordLength to MaxPasswordLength bytes). The error never
// contains the password.
func ValidatePassword(password string) error {
	if n := len(password); n < MinPasswordLength || n > MaxPasswordLength {
		return fmt.Errorf("%w: must be %d to %d bytes long", ErrInvalidPassword, MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

func argError(method, path, why string) error {
	return fmt.Errorf("dittofs: %s %s: %w: %s", method, path, ErrInvalidArgument, why)
}
