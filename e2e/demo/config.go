package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// forever is a DEMO_HOLD that lasts until a signal.
const forever = time.Duration(1<<63 - 1)

type config struct {
	// dittofsURL and adminPassword reach a real DittoFS; empty URL means the
	// simulator.
	dittofsURL    string
	adminPassword string
	hold          time.Duration
	kubectl       string // "" prints tables without kubectl
}

func configFromEnv() (config, error) {
	cfg := config{
		dittofsURL:    strings.TrimSuffix(os.Getenv("DITTOFS_URL"), "/"),
		adminPassword: os.Getenv("DITTOFS_ADMIN_PASSWORD"),
	}
	if cfg.dittofsURL != "" && cfg.adminPassword == "" {
		return cfg, errors.New("DITTOFS_URL is set: DITTOFS_ADMIN_PASSWORD must hold the password of its admin user")
	}
	switch hold := os.Getenv("DEMO_HOLD"); hold {
	case "", "0":
	case "forever", "inf":
		cfg.hold = forever
	default:
		d, err := time.ParseDuration(hold)
		if err != nil || d < 0 {
			return cfg, fmt.Errorf("DEMO_HOLD=%q: want a duration such as 10m, or \"forever\"", hold)
		}
		cfg.hold = d
	}
	switch k := os.Getenv("DEMO_KUBECTL"); k {
	case "none":
	case "":
		cfg.kubectl, _ = lookPath("kubectl")
	default:
		path, err := lookPath(k)
		if err != nil {
			return cfg, fmt.Errorf("DEMO_KUBECTL=%q: %w", k, err)
		}
		cfg.kubectl = path
	}
	return cfg, nil
}
