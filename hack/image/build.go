package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OCI annotation keys, used both as image labels and as annotations of the
// index (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
const (
	annotationCreated     = "org.opencontainers.image.created"
	annotationSource      = "org.opencontainers.image.source"
	annotationVersion     = "org.opencontainers.image.version"
	annotationRevision    = "org.opencontainers.image.revision"
	annotationLicenses    = "org.opencontainers.image.licenses"
	annotationTitle       = "org.opencontainers.image.title"
	annotationDescription = "org.opencontainers.image.description"
	annotationRefName     = "org.opencontainers.image.ref.name"
)

// Binary is the operator built for one platform.
type Binary struct {
	Platform v1.Platform
	Path     string
}

// Options describe the image to build.
type Options struct {
	// Binaries are the operator's builds, one per platform, in the order
	// the index lists them.
	Binaries []Binary
	// Name is the binary's file name in the image root; it is the entrypoint.
	Name string
	// Tag names the index in the layout (org.opencontainers.image.ref.name).
	Tag string
	// Version, Revision, Source, Licenses, Title and Description become
	// the OCI labels.
	Version, Revision, Source, Licenses, Title, Description string
	// Created is the time every file and the image carry: the commit's
	// time, so that one commit gives one image.
	Created time.Time
}

func (o Options) validate() error {
	var missing []string
	for name, value := range map[string]string{"name": o.Name, "tag": o.Tag, "version": o.Version, "revision": o.Revision, "source": o.Source, "licenses": o.Licenses} {
		if value == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if len(o.Binaries) == 0 {
		return fmt.Errorf("no binary given")
	}
	if o.Created.IsZero() {
		return fmt.Errorf("no creation time given")
	}
	seen := map[string]bool{}
	for _, b := range o.Binaries {
		key := b.Platform.String()
		if seen[key] {
			return fmt.Errorf("two binaries for %s", key)
		}
		seen[key] = true
	}
	return nil
}

func (o Options) labels() map[string]string {
	labels := map[string]string{
		annotationCreated:  o.Created.UTC().Format(time.RFC3339),
		annotationSource:   o.Source,
		annotationVersion:  o.Version,
		annotationRevision: o.Revision,
		annotationLicenses: o.Licenses,
	}
	if o.Title != "" {
		labels[annotationTitle] = o.Title
	}
	if o.Description != "" {
		labels[annotationDescription] = o.Description
	}
	return labels
}

// Build assembles the multi-platform image index.
func Build(o Options) (v1.ImageIndex, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	base, err := baseLayer(o.Created)
	if err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range o.Binaries {
		img, err := platformImage(o, base, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Platform, err)
		}
		platform := b.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &platform}})
	}
	annotated, ok := mutate.Annotations(idx, o.labels()).(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("annotating the index")
	}
	return annotated, nil
}

func baseLayer(created time.Time) (v1.Layer, error) {
	files, err := baseFiles()
	if err != nil {
		return nil, err
	}
	return layerOf(files, created)
}

// platformImage is the image of one platform: the base layer, then the
// binary.
func platformImage(o Options, base v1.Layer, b Binary) (v1.Image, error) {
	data, err := os.ReadFile(b.Path)
	if err != nil {
		return nil, fmt.Errorf("reading the binary: %w", err)
	}
	binary, err := layerOf([]file{{name: o.Name, mode: 0o755, data: data}}, o.Created)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	created := v1.Time{Time: o.Created.UTC()}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "hack/image: /etc/passwd, /etc/group, /etc/ssl/certs/ca-certificates.crt", Comment: "base files",
		}},
		mutate.Addendum{Layer: binary, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "hack/image: /" + o.Name, Comment: o.Version,
		}},
	)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = created
	cfg.OS, cfg.Architecture, cfg.Variant, cfg.OSVersion = b.Platform.OS, b.Platform.Architecture, b.Platform.Variant, b.Platform.OSVersion
	cfg.Author = ""
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonRootUID, nonRootUID),
		Entrypoint: []string{"/" + o.Name},
		WorkingDir: "/",
		Env:        []string{"HOME=/home/" + nonRootName},
		Labels:     o.labels(),
	}
	return mutate.ConfigFile(img, cfg)
}

// layerOf is a gzip-compressed layer holding files. It is compressed once
// here: the layer is then the same bytes whenever it is written or pushed.
func layerOf(files []file, created time.Time) (v1.Layer, error) {
	raw, err := layerTar(files, created)
	if err != nil {
		return nil, err
	}
	compressed, err := gzipped(raw)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(compressed)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// WriteLayout writes the index as the only entry of a new OCI image layout
// in dir, replacing whatever dir held, and returns its digest.
func WriteLayout(dir string, idx v1.ImageIndex, tag string) (v1.Hash, error) {
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return v1.Hash{}, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+"-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{annotationRefName: tag})); err != nil {
		return v1.Hash{}, fmt.Errorf("writing the layout: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return v1.Hash{}, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return v1.Hash{}, err
	}
	// MkdirTemp made the folder private; the layout is not.
	if err := os.Chmod(dir, 0o755); err != nil {
		return v1.Hash{}, err
	}
	return digest, nil
}

// ReadLayout returns the image index of a layout written by WriteLayout,
// and its tag.
func ReadLayout(dir string) (v1.ImageIndex, string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, "", fmt.Errorf("reading the OCI layout %s (run `make image`): %w", dir, err)
	}
	root, err := p.ImageIndex()
	if err != nil {
		return nil, "", err
	}
	manifest, err := root.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	if len(manifest.Manifests) != 1 || manifest.Manifests[0].MediaType != types.OCIImageIndex {
		return nil, "", fmt.Errorf("the OCI layout %s holds %d entries, want one image index", dir, len(manifest.Manifests))
	}
	desc := manifest.Manifests[0]
	idx, err := root.ImageIndex(desc.Digest)
	if err != nil {
		return nil, "", err
	}
	return idx, desc.Annotations[annotationRefName], nil
}
