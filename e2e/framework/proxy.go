package framework

import (
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// ServiceProxy plays the chart's webhook Service for operator processes
// running outside the cluster. The ValidatingWebhookConfiguration names one
// address (webhook.url); each connection to it goes on to an operator process
// that accepts connections, as a Service sends traffic to ready endpoints
// only. So admission keeps working while one operator process is killed and
// another serves, and two replicas can each run a webhook server.
type ServiceProxy struct {
	l net.Listener

	mu       sync.Mutex
	backends []string
	next     int
	conns    map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// NewServiceProxy listens on addr ("127.0.0.1:0" for any free port).
func NewServiceProxy(addr string) (*ServiceProxy, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("webhook service proxy: %w", err)
	}
	p := &ServiceProxy{l: l, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Port is the port the proxy listens on.
func (p *ServiceProxy) Port() int { return p.l.Addr().(*net.TCPAddr).Port }

// AddBackend adds an endpoint (host:port).
func (p *ServiceProxy) AddBackend(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.backends, addr) {
		p.backends = append(p.backends, addr)
	}
}

// RemoveBackend removes an endpoint.
func (p *ServiceProxy) RemoveBackend(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backends = slices.DeleteFunc(p.backends, func(b string) bool { return b == addr })
}

// Close stops listening and closes every proxied connection.
func (p *ServiceProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.l.Close()
	p.wg.Wait()
	return err
}

func (p *ServiceProxy) serve() {
	defer p.wg.Done()
	for {
		conn, err := p.l.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.forward(conn)
		}()
	}
}

// candidates are the backends in round-robin order.
func (p *ServiceProxy) candidates() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.backends)
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, p.backends[(p.next+i)%n])
	}
	p.next++
	return out
}

func (p *ServiceProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *ServiceProxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *ServiceProxy) forward(in net.Conn) {
	defer func() { _ = in.Close() }()
	if !p.track(in) {
		return
	}
	defer p.untrack(in)
	var out net.Conn
	for _, addr := range p.candidates() {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			out = c
			break
		}
	}
	if out == nil {
		return // no endpoint: the API server sees a closed connection
	}
	defer func() { _ = out.Close() }()
	if !p.track(out) {
		return
	}
	defer p.untrack(out)
	// TLS over HTTP needs no half-closed connections: when either side is
	// done, both are closed, so a killed operator process does not leave the
	// API server's connection open.
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	_ = in.Close()
	_ = out.Close()
	<-done
}
