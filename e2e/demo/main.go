// Command demo tells the operator's story on this machine, from nothing: it
// starts a local Kubernetes API (kube-apiserver, etcd, kube-controller-
// manager), installs the Helm chart, starts a DittoFS API, runs the operator
// as the chart's ServiceAccount, creates a DittoServer and shows, step by
// step, the cluster following the DittoFS API as an adapter is disabled and
// enabled again. `make demo` runs it.
//
// Environment:
//
//	DITTOFS_URL             a real DittoFS control plane (e.g. http://127.0.0.1:8080)
//	                        instead of the built-in simulator; adapters are
//	                        toggled through it and left as they were found
//	DITTOFS_ADMIN_PASSWORD  its "admin" password (required with DITTOFS_URL)
//	DEMO_HOLD               after the story, keep everything running for this
//	                        long (e.g. 10m, or "forever") to look around with
//	                        kubectl; Ctrl-C ends it early. Default: stop at once.
//	DEMO_KUBECTL            the kubectl to show objects with (default: kubectl
//	                        from PATH); "none" prints the API server's tables
//	                        without kubectl
//
// Everything it starts is stopped when the story ends or on SIGINT/SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := configFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "\n%s: stopping everything the demo started…\n", sig)
		cancel()
		// Further signals are absorbed: cleaning up takes a few seconds, and
		// leaving it half done would orphan the control plane's processes.
		for sig := range signals {
			fmt.Fprintf(os.Stderr, "%s: still cleaning up, please wait\n", sig)
		}
	}()
	err = run(ctx, cfg, os.Stdout)
	signal.Stop(signals)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// Interrupted: whatever failed, failed because of the signal.
		fmt.Fprintln(os.Stderr, "demo: interrupted; everything it started is stopped")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
