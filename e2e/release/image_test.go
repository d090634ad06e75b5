package release

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// pulled is the image index pulled back from the registry.
func pulled(t *testing.T, r *release) v1.ImageIndex {
	t.Helper()
	ref, err := name.NewTag(r.imageRepo + ":" + r.tag)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	return idx
}

func TestImageIsReproducible(t *testing.T) {
	r := released(t)
	got, err := pulled(t, r).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != r.digest {
		t.Errorf("the registry serves %s, make image wrote %s", got, r.digest)
	}
	if r.rebuilt != r.digest {
		t.Errorf("two builds of commit %s: %s, then %s from a copy of the sources", r.commit, r.digest, r.rebuilt)
	}
}

// imageFiles is the image's file system, entry name to header and content.
type imageFiles map[string]struct {
	hdr  *tar.Header
	data []byte
}

func filesOf(t *testing.T, img v1.Image) imageFiles {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := imageFiles{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(hdr.Name, "/")] = struct {
			hdr  *tar.Header
			data []byte
		}{hdr, data}
	}
}

func TestImagePulledFromTheRegistry(t *testing.T) {
	r := released(t)
	idx := pulled(t, r)
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != types.OCIImageIndex {
		t.Errorf("media type %s, want an OCI image index", manifest.MediaType)
	}
	var platforms []string
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		platforms = append(platforms, desc.Platform.String())
		t.Run(desc.Platform.String(), func(t *testing.T) {
			img, err := idx.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			checkImage(t, r, img, *desc.Platform)
		})
	}
	slices.Sort(platforms)
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Errorf("the index has %v, want %v", platforms, want)
	}
}

// machines are the ELF machine of each architecture's binary.
var machines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

func checkImage(t *testing.T, r *release, img v1.Image, platform v1.Platform) {
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != platform.OS || cfg.Architecture != platform.Architecture {
		t.Errorf("config is for %s/%s", cfg.OS, cfg.Architecture)
	}
	if user, _, _ := strings.Cut(cfg.Config.User, ":"); user != "65532" {
		t.Errorf("user %q, want 65532", cfg.Config.User)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{"/dittofs-operator"}) || len(cfg.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q; want the binary alone", cfg.Config.Entrypoint, cfg.Config.Cmd)
	}
	labels := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/dittofs/dittofs-operator",
		"org.opencontainers.image.version":  r.tag,
		"org.opencontainers.image.revision": r.commit,
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	for key, want := range labels {
		if got := cfg.Config.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}

	files := filesOf(t, img)
	for name := range files {
		switch base := filepath.Base(name); {
		case strings.HasPrefix(name, "bin") || strings.HasPrefix(name, "usr") || base == "sh" || base == "bash" || base == "busybox":
			t.Errorf("the image holds %s: no shell, no tools", name)
		}
	}
	passwd := string(files["etc/passwd"].data)
	if !strings.Contains(passwd, ":65532:65532:") {
		t.Errorf("/etc/passwd names no user 65532:\n%s", passwd)
	}
	binary, ok := files["dittofs-operator"]
	if !ok {
		t.Fatal("the image has no /dittofs-operator")
	}
	if binary.hdr.Mode&0o111 == 0 {
		t.Errorf("/dittofs-operator has mode %o: not executable", binary.hdr.Mode)
	}
	exe, err := elf.NewFile(bytes.NewReader(binary.data))
	if err != nil {
		t.Fatalf("/dittofs-operator is no ELF binary: %v", err)
	}
	if exe.Machine != machines[platform.Architecture] {
		t.Errorf("/dittofs-operator is built for %s", exe.Machine)
	}
	if exe.Section(".interp") != nil {
		t.Error("/dittofs-operator is dynamically linked; the image has no libc")
	}
	checkBuildSettings(t, r, binary.data)

	// The binary runs here for the platform of this machine.
	if platform.Architecture != runtime.GOARCH {
		return
	}
	path := filepath.Join(t.TempDir(), "dittofs-operator")
	if err := os.WriteFile(path, binary.data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := run(context.Background(), t.TempDir(), nil, path, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "commit "+r.commit) || !strings.Contains(out, r.tag) {
		t.Errorf("dittofs-operator --version printed %q; want version %s and commit %s", out, r.tag, r.commit)
	}
	t.Logf("%s: %s", platform, strings.TrimSpace(out))
}

// checkBuildSettings reads how the binary was built (what `go version -m`
// prints): static, without local paths, without a VCS stamp (which would
// differ between a clone and a source archive). -trimpath leaves -ldflags
// out of it: the commit is checked by running the binary.
func checkBuildSettings(t *testing.T, r *release, binary []byte) {
	t.Helper()
	info, err := buildinfo.Read(bytes.NewReader(binary))
	if err != nil {
		t.Fatalf("reading the build information: %v", err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
		if strings.HasPrefix(s.Key, "vcs") {
			t.Errorf("the binary carries %s=%s: the build probed the VCS (-buildvcs=false)", s.Key, s.Value)
		}
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("built with CGO_ENABLED=%q, -trimpath=%q; want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}
}
