//go:build tools

// Package tools pins the chart test tools: ct (chart-testing) and the
// standalone helm-unittest binary.
package tools

import (
	_ "github.com/helm-unittest/helm-unittest/cmd/helm-unittest"
	_ "github.com/helm/chart-testing/v3/ct"
)
