package dittofstest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults for zero Options fields, those of a fresh DittoFS server.
const (
	DefaultAdminPassword = "adminpass123"
	DefaultAccessTTL     = 15 * time.Minute
	DefaultRefreshTTL    = 7 * 24 * time.Hour
	DefaultAddr          = "127.0.0.1:0"
)

// Options configure a Server. The zero value is a fresh DittoFS v0.29
// server on a random loopback port.
type Options struct {
	// AdminPassword is the password of the seeded "admin" user, as
	// DITTOFS_ADMIN_INITIAL_PASSWORD would set it.
	AdminPassword string
	// AccessTTL and RefreshTTL are the token lifetimes. expires_in is the
	// access TTL rounded up to whole seconds.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// Addr is the TCP address to listen on when Listener is nil.
	Addr string
	// Listener, if set, is served instead of listening on Addr. It must be
	// a TCP listener: after RefuseConnections, AcceptConnections listens
	// again on its address.
	Listener net.Listener
	// TLSConfig, if set, makes the server speak HTTPS with it.
	TLSConfig *tls.Config
	// Now is the clock for tokens and timestamps; nil means time.Now. Tests
	// of token lifetimes give it a fake clock's Now instead of sleeping.
	Now func() time.Time
	// Adapters seed the adapter table; nil seeds those of a fresh server:
	// nfs on 12049 and smb on 1445, both running and healthy.
	Adapters []AdapterSeed
}

// AdapterSeed is one adapter a Server starts with.
type AdapterSeed struct {
	Type    string
	Enabled bool
	// Port as DittoFS stores it; 0 means the type's default and is listed
	// as 0.
	Port int32
	// Config is the adapter's configuration object, listed as "config"
	// when set (e.g. {"bind_address": "127.0.0.1"}).
	Config map[string]any
	// Health and HealthMessage are the adapter's status object; an empty
	// Health means "healthy" with no message. A server that has just
	// started lists "unknown" with "<TYPE> adapter has not started yet".
	Health, HealthMessage string
}

// Server is a running simulator. Like httptest.Server it serves on a real
// loopback socket, but it owns its listener so that RefuseConnections and
// AcceptConnections can take the address down and bring it back.
type Server struct {
	opts    Options
	addr    string
	scheme  string
	mux     *http.ServeMux
	httpSrv *http.Server
	started time.Time

	mu        sync.Mutex
	listener  net.Listener // nil while refusing connections
	conns     map[net.Conn]struct{}
	closed    bool
	signKey   []byte
	users     map[string]*user
	adapters  []*adapter
	faults    map[string]*faultState
	hangGate  chan struct{} // closed to release hung requests
	records   []RequestRecord
	serveDone sync.WaitGroup
	inFlight  atomic.Int64
}

// New starts a simulator seeded like a fresh DittoFS server: user "admin"
// and, unless Options.Adapters says otherwise, adapters nfs on 12049 and
// smb on 1445, both running.
func New(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	s := &Server{
		opts:     opts,
		scheme:   "http",
		conns:    map[net.Conn]struct{}{},
		signKey:  randomKey(),
		faults:   map[string]*faultState{},
		hangGate: make(chan struct{}),
	}
	if opts.TLSConfig != nil {
		s.scheme = "https"
	}
	s.started = s.now()
	s.mux = s.newMux()
	s.seedUsers()
	s.seedAdapters()
	s.httpSrv = &http.Server{
		Handler:           s,
		ConnState:         s.trackConn,
		ReadHeaderTimeout: 10 * time.Second,
		// Failed TLS handshakes are expected in tests of certificate
		// errors; they are not worth a log line.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	l := opts.Listener
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("dittofstest: listen on %s: %w", opts.Addr, err)
		}
	}
	s.addr = l.Addr().String()
	s.mu.Lock()
	s.startServing(l)
	s.mu.Unlock()
	return s, nil
}

// NewForTest starts a simulator that is closed when the test ends, failing
// the test if it cannot start.
func NewForTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("starting DittoFS simulator: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

func withDefaults(o Options) Options {
	if o.AdminPassword == "" {
		o.AdminPassword = DefaultAdminPassword
	}
	if o.AccessTTL <= 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// URL is the base URL of the API, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.scheme + "://" + s.addr }

// Addr is the host:port the simulator listens on; it does not change across
// RefuseConnections and AcceptConnections.
func (s *Server) Addr() string { return s.addr }

// Handler is the simulator's HTTP handler, with request recording and fault
// injection, for serving it some other way (e.g. httptest.NewServer).
func (s *Server) Handler() http.Handler { return s }

// Close stops the simulator: it releases hung requests, closes the listener
// and every connection, and waits for the serving goroutine.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.releaseHungLocked()
	s.mu.Unlock()
	_ = s.httpSrv.Close()
	s.serveDone.Wait()
}

// RefuseConnections closes the listener and every open connection, so
// clients get "connection refused" as from a server that is down.
func (s *Server) RefuseConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return
	}
	_ = s.listener.Close()
	s.listener = nil
	for c := range s.conns {
		_ = c.Close()
	}
}

// AcceptConnections undoes RefuseConnections, listening again on the same
// address. It retries for a couple of seconds if the port is still busy.
func (s *Server) AcceptConnections() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("dittofstest: server is closed")
	}
	if s.listener != nil {
		return nil
	}
	l, err := listenAgain(s.addr)
	if err != nil {
		return fmt.Errorf("dittofstest: listen again on %s: %w", s.addr, err)
	}
	s.startServing(l)
	return nil
}

func listenAgain(addr string) (net.Listener, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startServing serves l in the background; s.mu must be held.
func (s *Server) startServing(l net.Listener) {
	if s.opts.TLSConfig != nil {
		l = tls.NewListener(l, s.opts.TLSConfig)
	}
	s.listener = l
	s.serveDone.Add(1)
	go func() {
		defer s.serveDone.Done()
		_ = s.httpSrv.Serve(l) // returns when l is closed
	}()
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		s.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

// ServeHTTP records the request and answers it, unless a fault takes over.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	_, route := s.mux.Handler(r)
	rec := &RequestRecord{Time: s.now(), Method: r.Method, Path: r.URL.Path, Route: route}
	if c := s.bearerClaims(r); c != nil {
		rec.Username, rec.Role = c.Username, c.Role
	}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
	if !s.injectFault(sw, r, route) {
		s.mux.ServeHTTP(sw, r)
	}
	rec.Status = sw.status
	s.mu.Lock()
	s.records = append(s.records, *rec)
	s.mu.Unlock()
}

// InFlight is the number of requests being served right now, hung ones
// included; tests use it to wait until a call is held by Hang.
func (s *Server) InFlight() int { return int(s.inFlight.Load()) }

type recordKey struct{}

// recordOf returns the record of the request being served, so handlers can
// note who logged in.
func recordOf(r *http.Request) *RequestRecord {
	rec, _ := r.Context().Value(recordKey{}).(*RequestRecord)
	if rec == nil {
		return &RequestRecord{}
	}
	return rec
}

// statusWriter remembers the status written; 0 means no answer was sent
// (e.g. the client gave up on a hung request).
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader notes the first status written.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write notes the implicit 200 of a body written without a status.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
