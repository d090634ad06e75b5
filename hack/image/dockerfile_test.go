package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// dockerfile is the repository's Dockerfile as instructions: continuation
// lines joined, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var current strings.Builder
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || (line == "" && current.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			current.WriteString(cont + " ")
			continue
		}
		current.WriteString(line)
		out = append(out, current.String())
		current.Reset()
	}
	return out
}

// labelPattern reads key="value" pairs of a LABEL instruction.
var labelPattern = regexp.MustCompile(`([a-z.]+)="([^"]*)"`)

// TestDockerfileBuildsTheSameImage checks that the Dockerfile's image says
// what `make image` builds: labels, user, entrypoint, environment, and the
// binary from the same Makefile target.
func TestDockerfileBuildsTheSameImage(t *testing.T) {
	o := Options{Name: defaultName, Version: "${VERSION}", Revision: "${COMMIT}", Source: defaultSource, Licenses: defaultLicenses,
		Title: defaultTitle, Description: defaultDescription, Created: time.Unix(1, 0)}
	want := o.labels()
	delete(want, annotationCreated) // Docker records the build's time itself
	got := map[string]string{}
	var user, entrypoint, env string
	var buildsWithMake bool
	for _, instr := range dockerfile(t) {
		keyword, args, _ := strings.Cut(instr, " ")
		switch keyword {
		case "LABEL":
			for _, m := range labelPattern.FindAllStringSubmatch(args, -1) {
				got[m[1]] = m[2]
			}
		case "USER":
			user = args
		case "ENTRYPOINT":
			entrypoint = args
		case "ENV":
			env = args
		case "RUN":
			buildsWithMake = buildsWithMake || strings.Contains(args, "make image-binaries")
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("Dockerfile labels:\n%v\nwant those of make image:\n%v", got, want)
	}

	img, err := platformImage(o, mustBaseLayer(t), fakeBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	entry, _ := json.Marshal(cfg.Config.Entrypoint)
	if user != cfg.Config.User || entrypoint != string(entry) || !slices.Equal([]string{env}, cfg.Config.Env) {
		t.Errorf("Dockerfile USER %q, ENTRYPOINT %s, ENV %q; make image: %q, %s, %q", user, entrypoint, env, cfg.Config.User, entry, cfg.Config.Env)
	}
	if !buildsWithMake {
		t.Error("the Dockerfile does not build the binary with `make image-binaries`, as `make image` does")
	}
}

// TestDockerfileAndReleaseUseOneGoRelease: the Go release decides the
// binary, so the Dockerfile and the release workflow must name the same.
func TestDockerfileAndReleaseUseOneGoRelease(t *testing.T) {
	var dockerGo string
	for _, instr := range dockerfile(t) {
		if v, ok := strings.CutPrefix(instr, "ARG GO_VERSION="); ok {
			dockerGo = v
		}
	}
	workflow, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var workflowGo string
	if m := regexp.MustCompile(`(?m)^\s+GO_VERSION: "([^"]+)"`).FindSubmatch(workflow); m != nil {
		workflowGo = string(m[1])
	}
	if dockerGo == "" || workflowGo != dockerGo {
		t.Errorf("Dockerfile GO_VERSION %q, release workflow GO_VERSION %q: want one Go release", dockerGo, workflowGo)
	}
}

func mustBaseLayer(t *testing.T) v1.Layer {
	t.Helper()
	l, err := baseLayer(time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func fakeBinary(t *testing.T) Binary {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(path, []byte("binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	return Binary{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Path: path}
}
