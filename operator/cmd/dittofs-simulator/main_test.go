package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--admin-password", "sim-pass-123", "--access-ttl", "90s"}, w, io.Discard)
		_ = w.Close()
	}()
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL: %v (run: %v)", err, <-done)
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q", url)
	}

	c, err := dittofs.New(dittofs.Config{BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	tctx, tcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer tcancel()
	tok, err := c.Login(tctx, "admin", "sim-pass-123")
	if err != nil || tok.ExpiresIn != 90*time.Second {
		t.Fatalf("login: %v, %v", tok, err)
	}
	if adapters, err := c.ListAdapters(tctx, tok.AccessToken); err != nil || len(adapters) != 2 {
		t.Errorf("adapters %v, %v", adapters, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop on cancellation")
	}
	if err := c.Health(tctx); !dittofs.IsTransient(err) {
		t.Errorf("server still answering after stop: %v", err)
	}
}

func TestFlagValidation(t *testing.T) {
	bad := [][]string{
		{"--listen", "0.0.0.0:8080"},
		{"--listen", "10.0.0.1:8080"},
		{"--listen", "no-port"},
		{"--access-ttl", "0s"},
		{"--refresh-ttl", "-1m"},
		{"extra"},
		{"--unknown"},
	}
	for _, args := range bad {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
}

func TestAdminPasswordFromEnvironment(t *testing.T) {
	t.Setenv(adminPasswordEnv, "from-env-123")
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || cfg.adminPassword != "from-env-123" || cfg.listen != "127.0.0.1:8080" {
		t.Errorf("defaults %+v, %v", cfg, err)
	}
}
