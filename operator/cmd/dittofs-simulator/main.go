// Command dittofs-simulator serves the in-process DittoFS control-plane
// simulator (package dittofstest) on a loopback address, for end-to-end
// tests and demos of the operator without a real DittoFS.
//
// It prints the API's base URL on the first line of standard output, then
// serves until SIGINT or SIGTERM. Adapters are changed through the admin
// API, as `dfsctl adapter enable|disable` would:
//
//	dittofs-simulator --listen 127.0.0.1:8080 --admin-password adminpass123
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dittofs/dittofs-operator/operator/dittofs/dittofstest"
)

// adminPasswordEnv is the variable the real server seeds "admin" from; the
// simulator honours it as the default of --admin-password.
const adminPasswordEnv = "DITTOFS_ADMIN_INITIAL_PASSWORD"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dittofs-simulator:", err)
		os.Exit(1)
	}
}

type config struct {
	listen        string
	adminPassword string
	accessTTL     time.Duration
	refreshTTL    time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet("dittofs-simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "loopback address to serve the API on")
	fs.StringVar(&cfg.adminPassword, "admin-password", envOr(adminPasswordEnv, dittofstest.DefaultAdminPassword),
		"password of the seeded admin user (default from "+adminPasswordEnv+")")
	fs.DurationVar(&cfg.accessTTL, "access-ttl", dittofstest.DefaultAccessTTL, "access token lifetime")
	fs.DurationVar(&cfg.refreshTTL, "refresh-ttl", dittofstest.DefaultRefreshTTL, "refresh token lifetime")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if cfg.accessTTL <= 0 || cfg.refreshTTL <= 0 {
		return config{}, errors.New("token lifetimes must be positive")
	}
	return cfg, checkLoopback(cfg.listen)
}

// checkLoopback refuses non-loopback addresses: the simulator accepts a
// well-known admin password and must not be reachable from elsewhere.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: not a loopback address", addr)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	sim, err := dittofstest.New(dittofstest.Options{
		Addr:          cfg.listen,
		AdminPassword: cfg.adminPassword,
		AccessTTL:     cfg.accessTTL,
		RefreshTTL:    cfg.refreshTTL,
	})
	if err != nil {
		return err
	}
	defer sim.Close()
	if _, err := fmt.Fprintln(stdout, sim.URL()); err != nil {
		return fmt.Errorf("printing the URL: %w", err)
	}
	<-ctx.Done()
	return nil
}
