// Command dittofs-operator runs the DittoFS Kubernetes operator, or, as
// `dittofs-operator policy eval|test`, evaluates and tests networking
// policies the way the operator runs them.
package main

import (
	"fmt"
	"os"

	"github.com/dittofs/dittofs-operator/operator/networking/policycli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "policy" {
		os.Exit(policycli.Run(os.Args[2:], os.Stdout, os.Stderr))
	}
	if err := runOperator(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dittofs-operator:", err)
		os.Exit(1)
	}
}
