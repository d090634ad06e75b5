package dittofs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 30 * time.Second
	DefaultMaxBodyBytes   = 1 << 20
	DefaultUserAgent      = "dittofs-operator"
)

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is the control plane's root, e.g.
	// "http://fs1-api.storage.svc:8080". Only http and https are accepted;
	// a trailing slash is ignored.
	BaseURL string
	// CABundle holds PEM certificates trusted for an https BaseURL instead
	// of the system roots. Empty means the system roots.
	CABundle []byte
	// ConnectTimeout bounds establishing a connection, TLS handshake
	// included. Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Timeout bounds each call as a whole, reading the answer included.
	// Zero means DefaultTimeout. A shorter deadline on the caller's context
	// wins.
	Timeout time.Duration
	// MaxBodyBytes bounds a response body; a longer one is an error
	// (ErrBodyTooLarge). Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// HTTPClient, if set, is used as is: ConnectTimeout does not apply and
	// CABundle must be empty (configure its transport instead).
	HTTPClient *http.Client
	// UserAgent is sent with every request. Empty means DefaultUserAgent.
	UserAgent string
	// Now tells the time Tokens.ExpiresAt is counted from; nil means
	// time.Now. Tests of token lifetimes give it a fake clock's.
	Now func() time.Time
}

// Client calls one DittoFS control plane. It is safe for concurrent use and
// holds no credentials: every authenticated call takes its token.
type Client struct {
	base      string
	http      *http.Client
	timeout   time.Duration
	maxBody   int64
	userAgent string
	now       func() time.Time
}

// New validates cfg and builds a Client.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout < 0 || cfg.Timeout < 0 || cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("dittofs: %w: negative timeout or body limit", ErrInvalidConfig)
	}
	hc, err := buildHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{
		base:      base,
		http:      hc,
		timeout:   orDefault(cfg.Timeout, DefaultTimeout),
		maxBody:   orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes),
		userAgent: orDefault(cfg.UserAgent, DefaultUserAgent),
		now:       cfg.Now,
	}, nil
}

// BaseURL returns the control plane's root URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// CloseIdleConnections closes the connections kept alive for reuse; call it
// when replacing a Client, e.g. after the CA bundle changed.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// clock is the time by which token lifetimes are counted.
func (c *Client) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("dittofs: %w: base URL does not parse", ErrInvalidConfig)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("dittofs: %w: base URL scheme must be http or https", ErrInvalidConfig)
	case u.Host == "":
		return "", fmt.Errorf("dittofs: %w: base URL has no host", ErrInvalidConfig)
	case u.User != nil:
		return "", fmt.Errorf("dittofs: %w: base URL must not carry credentials", ErrInvalidConfig)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("dittofs: %w: base URL must not have a query or fragment", ErrInvalidConfig)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func buildHTTPClient(cfg Config) (*http.Client, error) {
	if cfg.HTTPClient != nil {
		if len(cfg.CABundle) > 0 {
			return nil, fmt.Errorf("dittofs: %w: CABundle cannot be combined with HTTPClient", ErrInvalidConfig)
		}
		return cfg.HTTPClient, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.CABundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CABundle) {
			return nil, fmt.Errorf("dittofs: %w: CABundle holds no PEM certificate", ErrInvalidConfig)
		}
		tlsConfig.RootCAs = pool
	}
	connect := orDefault(cfg.ConnectTimeout, DefaultConnectTimeout)
	dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: connect,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport: transport,
		// A redirect is not part of the API; following one could send the
		// token elsewhere, so the 3xx is returned as an APIError instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// request is one API call.
type request struct {
	method string
	path   string
	token  string // bearer token; empty for anonymous calls
	body   any    // JSON-encoded when non-nil
}

// response is a 2xx answer, body fully read.
type response struct {
	status      int
	contentType string
	body        []byte
}

// do sends rq and returns its 2xx answer; any other status becomes an
// *APIError. The whole exchange, body included, runs under c.timeout.
func (c *Client) do(ctx context.Context, rq request) (*response, error) {
	if ctx == nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w: nil context", rq.method, rq.path, ErrInvalidArgument)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newHTTPRequest(ctx, rq)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w", rq.method, rq.path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, truncated, err := readLimited(resp.Body, c.maxBody)
	if err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: reading response: %w", rq.method, rq.path, err)
	}
	contentType := resp.Header.Get("Content-Type")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeProblem(rq.method, rq.path, resp.StatusCode, contentType, body, truncated)
	}
	if truncated {
		return nil, fmt.Errorf("dittofs: %s %s: %w (limit %d bytes)", rq.method, rq.path, ErrBodyTooLarge, c.maxBody)
	}
	return &response{status: resp.StatusCode, contentType: contentType, body: body}, nil
}

func (c *Client) newHTTPRequest(ctx context.Context, rq request) (*http.Request, error) {
	var body io.Reader
	if rq.body != nil {
		encoded, err := json.Marshal(rq.body)
		if err != nil {
			return nil, fmt.Errorf("dittofs: %s %s: encoding request: %w", rq.method, rq.path, err)
		}
		body = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, c.base+rq.path, body)
	if err != nil {
		return nil, fmt.Errorf("dittofs: %s %s: %w", rq.method, rq.path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if rq.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	return req, nil
}

// readLimited reads at most limit bytes of r and reports whether more
// followed. The rest is not drained: a huge body is dropped with its
// connection rather than read to the end.
func readLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		return body[:limit], true, nil
	}
	return body, false, nil
}
