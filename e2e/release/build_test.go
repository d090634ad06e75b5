package release

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/dittofs/dittofs-operator/operator/kubetest"
)

// release is what `make image-push chart-push` built and pushed, and what
// a second `make image` of the same commit built.
type release struct {
	root   string // the repository
	commit string // git rev-parse HEAD, found here, not by the Makefile
	// registry is host:port of the registry on loopback.
	registry  string
	imageRepo string
	tag       string
	// digest is the index digest of the first build's OCI layout; rebuilt
	// that of the second build, from a copy of the sources elsewhere.
	digest, rebuilt v1.Hash
	chartVersion    string
	work            string // removed by TestMain
	helm            string
}

var (
	buildOnce sync.Once
	built     *release
	buildErr  error
	server    *httptest.Server
	work      string
)

func TestMain(m *testing.M) {
	flag.Parse()
	ctrllog.SetLogger(logr.Discard()) // the local control plane's start-up chatter
	code := m.Run()
	if server != nil {
		server.Close()
	}
	if work != "" {
		_ = os.RemoveAll(work)
	}
	os.Exit(code)
}

// released builds and pushes the release once for every test of the package.
func released(t *testing.T) *release {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the release image twice and pushes it; skipped under -short")
	}
	buildOnce.Do(func() { built, buildErr = buildRelease(context.Background()) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func buildRelease(ctx context.Context) (*release, error) {
	r := &release{helm: os.Getenv("DITTOFS_HELM")}
	if r.helm == "" {
		return nil, errors.New("DITTOFS_HELM is not set: run the tests with `make test`, which builds helm first")
	}
	var err error
	if r.root, err = kubetest.RepoRoot(); err != nil {
		return nil, err
	}
	if work, err = os.MkdirTemp("", "dittofs-release-"); err != nil {
		return nil, err
	}
	r.work = work
	out, err := run(ctx, r.root, nil, "git", "rev-parse", "HEAD")
	if err != nil {
		return nil, err
	}
	r.commit = strings.TrimSpace(out)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	server = &httptest.Server{Listener: listener, Config: &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}}
	server.Start()
	r.registry = listener.Addr().String()
	r.imageRepo = r.registry + "/dittofs-operator"

	// The release, as the workflow makes it: the image pushed, then the
	// chart pinning it.
	first := filepath.Join(work, "bin")
	start := time.Now()
	if _, err := makeIn(ctx, r.root, "image-push", "chart-push", "BIN_DIR="+first,
		"IMAGE_REPO="+r.imageRepo, "CHART_REGISTRY=oci://"+r.registry+"/charts", "CHART_PUSH_FLAGS=--plain-http"); err != nil {
		return nil, err
	}
	firstTook := time.Since(start)
	var created int64
	if r.digest, r.tag, created, err = readLayout(filepath.Join(first, "image", "oci")); err != nil {
		return nil, err
	}
	charts, err := filepath.Glob(filepath.Join(first, "chart", "dittofs-operator-*.tgz"))
	if err != nil || len(charts) != 1 {
		return nil, fmt.Errorf("make chart-package wrote %v, want one chart archive (%v)", charts, err)
	}
	r.chartVersion = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(charts[0]), "dittofs-operator-"), ".tgz")

	// The same commit built again: from a copy of the sources in another
	// folder, without .git (as a source archive or a Docker build context
	// has it), so that it gets version, commit and time as arguments.
	src := filepath.Join(work, "src")
	if err := copySources(ctx, r.root, src); err != nil {
		return nil, err
	}
	second := filepath.Join(work, "bin-again")
	start = time.Now()
	if _, err := makeIn(ctx, src, "image", "BIN_DIR="+second, "IMAGE_REPO="+r.imageRepo,
		"VERSION="+r.tag, "COMMIT="+r.commit, "SOURCE_DATE_EPOCH="+strconv.FormatInt(created, 10)); err != nil {
		return nil, err
	}
	if r.rebuilt, _, _, err = readLayout(filepath.Join(second, "image", "oci")); err != nil {
		return nil, err
	}
	log.Printf("release: image %s:%s@%s built and pushed with the chart in %s; built again in %s",
		r.imageRepo, r.tag, r.digest, firstTook.Round(time.Second), time.Since(start).Round(time.Second))
	return r, nil
}

// readLayout returns the digest and the tag of the image index an OCI
// layout holds, and the image's creation time.
func readLayout(dir string) (v1.Hash, string, int64, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return v1.Hash{}, "", 0, err
	}
	root, err := p.ImageIndex()
	if err != nil {
		return v1.Hash{}, "", 0, err
	}
	manifest, err := root.IndexManifest()
	if err != nil {
		return v1.Hash{}, "", 0, err
	}
	if len(manifest.Manifests) != 1 {
		return v1.Hash{}, "", 0, fmt.Errorf("%s lists %d entries, want 1", dir, len(manifest.Manifests))
	}
	desc := manifest.Manifests[0]
	idx, err := root.ImageIndex(desc.Digest)
	if err != nil {
		return v1.Hash{}, "", 0, err
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) == 0 {
		return v1.Hash{}, "", 0, fmt.Errorf("%s: the index lists no image (%v)", dir, err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return v1.Hash{}, "", 0, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return v1.Hash{}, "", 0, err
	}
	return desc.Digest, desc.Annotations["org.opencontainers.image.ref.name"], cfg.Created.Unix(), nil
}

// copySources copies the files git would commit (tracked, or new and not
// ignored) as they are in the work tree.
func copySources(ctx context.Context, root, dst string) error {
	out, err := run(ctx, root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimRight(out, "\x00"), "\x00") {
		from, to := filepath.Join(root, name), filepath.Join(dst, name)
		info, err := os.Lstat(from)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, data, info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// makeIn runs make in dir, outside any make that runs the tests.
func makeIn(ctx context.Context, dir string, args ...string) (string, error) {
	return run(ctx, dir, []string{"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}, "make", args...)
}

// run runs a command in dir without the environment variables in unset and
// returns its standard output; an error carries both outputs.
func run(ctx context.Context, dir string, unset []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(unset, key) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s in %s: %w\n%s%s", name, strings.Join(args, " "), dir, err, tail(stdout.String()), tail(stderr.String()))
	}
	return stdout.String(), nil
}

// tail keeps the end of a long output.
func tail(s string) string {
	const keep = 4000
	if len(s) > keep {
		return "…" + s[len(s)-keep:]
	}
	return s
}
