package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// AdminAPI changes a DittoFS server's adapters through its REST control
// plane as an administrator, the way `dfsctl adapter enable|disable` does.
// The operator never does this; tests and the demo do, to play the user.
type AdminAPI struct {
	// BaseURL is the API's address, e.g. "http://127.0.0.1:8080".
	BaseURL string
	// Password is the "admin" user's.
	Password string

	http *http.Client
}

// NewAdminAPI reaches the API at baseURL as "admin".
func NewAdminAPI(baseURL, password string) *AdminAPI {
	return &AdminAPI{BaseURL: strings.TrimSuffix(baseURL, "/"), Password: password, http: &http.Client{Timeout: 10 * time.Second}}
}

// Adapter is an adapter as GET /api/v1/adapters reports it.
type Adapter struct {
	Type    string `json:"type"`
	Enabled bool   `json:"enabled"`
	Running bool   `json:"running"`
	Port    int32  `json:"port"`
}

// login returns a fresh admin access token.
func (a *AdminAPI) login(ctx context.Context) (string, error) {
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	body := map[string]string{"username": "admin", "password": a.Password}
	if err := a.call(ctx, http.MethodPost, "/api/v1/auth/login", "", body, &tokens); err != nil {
		return "", fmt.Errorf("logging in as admin: %w", err)
	}
	return tokens.AccessToken, nil
}

// Adapters lists the adapters.
func (a *AdminAPI) Adapters(ctx context.Context) ([]Adapter, error) {
	token, err := a.login(ctx)
	if err != nil {
		return nil, err
	}
	var out []Adapter
	if err := a.call(ctx, http.MethodGet, "/api/v1/adapters", token, nil, &out); err != nil {
		return nil, fmt.Errorf("listing adapters: %w", err)
	}
	return out, nil
}

// Adapter returns one adapter.
func (a *AdminAPI) Adapter(ctx context.Context, adapterType string) (*Adapter, error) {
	adapters, err := a.Adapters(ctx)
	if err != nil {
		return nil, err
	}
	for i := range adapters {
		if adapters[i].Type == adapterType {
			return &adapters[i], nil
		}
	}
	return nil, fmt.Errorf("the DittoFS API has no %s adapter", adapterType)
}

// Disable stops an adapter: PUT /api/v1/adapters/{type} {"enabled": false},
// as `dfsctl adapter disable <type>`.
func (a *AdminAPI) Disable(ctx context.Context, adapterType string) error {
	return a.put(ctx, adapterType, map[string]any{"enabled": false})
}

// Enable starts an adapter on port (0 keeps its port), as `dfsctl adapter
// enable <type> --port <port>`.
func (a *AdminAPI) Enable(ctx context.Context, adapterType string, port int32) error {
	body := map[string]any{"enabled": true}
	if port != 0 {
		body["port"] = port
	}
	return a.put(ctx, adapterType, body)
}

func (a *AdminAPI) put(ctx context.Context, adapterType string, body map[string]any) error {
	token, err := a.login(ctx)
	if err != nil {
		return err
	}
	if err := a.call(ctx, http.MethodPut, "/api/v1/adapters/"+adapterType, token, body, nil); err != nil {
		return fmt.Errorf("updating adapter %s with %v: %w", adapterType, body, err)
	}
	return nil
}

func (a *AdminAPI) call(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.BaseURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
