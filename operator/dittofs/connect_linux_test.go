//go:build linux

package dittofs_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
)

// unresponsiveAddr returns a loopback address whose accept queue is full, so
// Linux drops further SYNs and a connect hangs as toward a host that does
// not answer.
func unresponsiveAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("socket: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Skipf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skipf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Skipf("getsockname: %v", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 8 {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full: connects now hang
		}
		t.Cleanup(func() { _ = conn.Close() })
	}
	t.Skip("could not fill the accept queue")
	return ""
}

func TestConnectTimeout(t *testing.T) {
	addr := unresponsiveAddr(t)
	c := newClient(t, dittofs.Config{
		BaseURL:        "http://" + addr,
		ConnectTimeout: 300 * time.Millisecond,
		Timeout:        20 * time.Second,
	})
	start := time.Now()
	err := c.Health(context.Background())
	elapsed := time.Since(start)
	if elapsed > 5*time.Second {
		t.Errorf("connect took %v despite a 300ms connect timeout", elapsed)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !dittofs.IsTransient(err) {
		t.Errorf("connect timeout: %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) && elapsed >= 20*time.Second {
		t.Error("the overall timeout fired, not the connect timeout")
	}
}
