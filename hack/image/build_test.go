package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var commitTime = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// options builds fake binaries, one per platform, into a temporary folder.
func options(t *testing.T) Options {
	t.Helper()
	dir := t.TempDir()
	var binaries []Binary
	for _, arch := range []string{"amd64", "arm64"} {
		path := filepath.Join(dir, arch)
		if err := os.WriteFile(path, []byte("binary for "+arch), 0o600); err != nil {
			t.Fatal(err)
		}
		binaries = append(binaries, Binary{Platform: v1.Platform{OS: "linux", Architecture: arch}, Path: path})
	}
	return Options{
		Binaries: binaries, Name: "dittofs-operator", Tag: "v0.2.0", Version: "v0.2.0",
		Revision: "0123456789abcdef0123456789abcdef01234567", Source: "https://example.com/src", Licenses: "Apache-2.0",
		Created: commitTime,
	}
}

func digestOf(t *testing.T, o Options) v1.Hash {
	t.Helper()
	idx, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSameInputsSameDigest(t *testing.T) {
	o := options(t)
	first := digestOf(t, o)
	// Written into two layouts, at two moments, with another umask.
	dirs := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")}
	for _, dir := range dirs {
		idx, err := Build(o)
		if err != nil {
			t.Fatal(err)
		}
		written, err := WriteLayout(dir, idx, o.Tag)
		if err != nil {
			t.Fatal(err)
		}
		read, tag, err := ReadLayout(dir)
		if err != nil {
			t.Fatal(err)
		}
		readDigest, _ := read.Digest()
		if written != first || readDigest != first || tag != o.Tag {
			t.Errorf("%s: written %s, read back %s tagged %q; built %s", dir, written, readDigest, tag, first)
		}
	}
}

func TestEveryInputChangesTheDigest(t *testing.T) {
	base := digestOf(t, options(t))
	changes := map[string]func(*Options){
		"created":  func(o *Options) { o.Created = o.Created.Add(time.Second) },
		"revision": func(o *Options) { o.Revision = strings.Repeat("f", 40) },
		"binary": func(o *Options) {
			if err := os.WriteFile(o.Binaries[1].Path, []byte("another build"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, change := range changes {
		o := options(t)
		change(&o)
		if digestOf(t, o) == base {
			t.Errorf("changing %s kept the digest %s", name, base)
		}
	}
}

func TestImageConfigAndLayers(t *testing.T) {
	o := options(t)
	idx, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := manifest.Annotations[annotationRevision]; got != o.Revision {
		t.Errorf("index revision annotation = %q", got)
	}
	if len(manifest.Manifests) != 2 {
		t.Fatalf("index lists %d manifests, want 2", len(manifest.Manifests))
	}
	var baseDigests []v1.Hash
	for i, desc := range manifest.Manifests {
		if desc.Platform == nil || desc.Platform.String() != o.Binaries[i].Platform.String() {
			t.Errorf("manifest %d: platform %v, want %v", i, desc.Platform, o.Binaries[i].Platform)
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Config.User != "65532:65532" || strings.Join(cfg.Config.Entrypoint, " ") != "/dittofs-operator" || cfg.Architecture != o.Binaries[i].Platform.Architecture {
			t.Errorf("%s: user %q, entrypoint %q, architecture %q", desc.Platform, cfg.Config.User, cfg.Config.Entrypoint, cfg.Architecture)
		}
		if !cfg.Created.Equal(commitTime) || cfg.Config.Labels[annotationCreated] != "2026-12-01T10:00:00Z" {
			t.Errorf("%s: created %s, label %q", desc.Platform, cfg.Created, cfg.Config.Labels[annotationCreated])
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 2 {
			t.Fatalf("%s: %d layers (%v), want 2", desc.Platform, len(layers), err)
		}
		d, _ := layers[0].Digest()
		baseDigests = append(baseDigests, d)
		entries := tarEntries(t, layers[1])
		bin, ok := entries["dittofs-operator"]
		if !ok || bin.Mode != 0o755 || bin.Uid != 0 || !bin.ModTime.Equal(commitTime) {
			t.Errorf("%s: binary entry %+v", desc.Platform, bin)
		}
		base := tarEntries(t, layers[0])
		for _, name := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "home/nonroot/"} {
			if _, ok := base[name]; !ok {
				t.Errorf("%s: the base layer has no %s", desc.Platform, name)
			}
		}
		if home := base["home/nonroot/"]; home.Uid != 65532 {
			t.Errorf("home/nonroot/ belongs to %d", home.Uid)
		}
	}
	if baseDigests[0] != baseDigests[1] {
		t.Errorf("the platforms do not share the base layer: %v", baseDigests)
	}
}

func tarEntries(t *testing.T, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[hdr.Name] = hdr
	}
}

func TestBuildRefusesIncompleteOptions(t *testing.T) {
	o := options(t)
	o.Revision, o.Tag = "", ""
	if _, err := Build(o); err == nil || !strings.Contains(err.Error(), "revision, tag") {
		t.Errorf("Build without revision and tag: %v", err)
	}
	o = options(t)
	o.Binaries = append(o.Binaries, o.Binaries[0])
	if _, err := Build(o); err == nil || !strings.Contains(err.Error(), "two binaries for linux/amd64") {
		t.Errorf("Build with a platform twice: %v", err)
	}
}

func TestPushReference(t *testing.T) {
	for image, want := range map[string]string{
		"ghcr.io/dittofs/dittofs-operator":           "ghcr.io/dittofs/dittofs-operator:layout-tag",
		"ghcr.io/dittofs/dittofs-operator:v1":        "ghcr.io/dittofs/dittofs-operator:v1",
		"127.0.0.1:5000/dittofs-operator":            "127.0.0.1:5000/dittofs-operator:layout-tag",
		"127.0.0.1:5000/team/dittofs-operator:debug": "127.0.0.1:5000/team/dittofs-operator:debug",
	} {
		got, err := pushReference(image, "layout-tag")
		if err != nil || got.String() != want {
			t.Errorf("pushReference(%q) = %v, %v; want %s", image, got, err, want)
		}
	}
	if _, err := pushReference("ghcr.io/x@sha256:"+strings.Repeat("0", 64), "t"); err == nil {
		t.Error("a digest reference was accepted")
	}
	if _, err := pushReference("ghcr.io/x", ""); err == nil {
		t.Error("no tag anywhere was accepted")
	}
}
