// Command dittofs-operator runs the DittoFS Kubernetes operator.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := runOperator(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dittofs-operator:", err)
		os.Exit(1)
	}
}
