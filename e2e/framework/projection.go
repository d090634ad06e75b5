package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// dataLink is the link the kubelet swaps to publish a new set of files.
const dataLink = "..data"

// Projection keeps a folder holding a set of files the way the kubelet
// projects a ConfigMap or Secret volume: the files live in a timestamped
// hidden folder, "..data" links to it, and every visible file is a link
// through "..data". A change swaps "..data" with one rename, so a reader sees
// the old set or the new one, never a mix; that is what the operator's policy
// loader and certificate watcher are written against.
type Projection struct {
	dir string

	mu      sync.Mutex
	current map[string][]byte
	written bool
}

// NewProjection projects into dir, which it creates.
func NewProjection(dir string) (*Projection, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the projected folder: %w", err)
	}
	return &Projection{dir: dir}, nil
}

// Dir is the projected folder.
func (p *Projection) Dir() string { return p.dir }

// Write publishes files (name to content) and reports whether they differed
// from the set published before.
func (p *Projection) Write(files map[string][]byte) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.written && maps.EqualFunc(p.current, files, bytes.Equal) {
		return false, nil
	}
	for name := range files {
		if name == "" || name[0] == '.' || filepath.Base(name) != name {
			return false, fmt.Errorf("projecting %q: only plain file names are supported", name)
		}
	}
	stamp := time.Now().UTC().Format("..2006_01_02_15_04_05.")
	version, err := os.MkdirTemp(p.dir, stamp)
	if err != nil {
		return false, fmt.Errorf("creating the projection's data folder: %w", err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(version, name), data, 0o644); err != nil {
			return false, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	old, _ := os.Readlink(filepath.Join(p.dir, dataLink))
	tmpLink := filepath.Join(p.dir, "..data_tmp")
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(version), tmpLink); err != nil {
		return false, fmt.Errorf("linking the new data folder: %w", err)
	}
	if err := os.Rename(tmpLink, filepath.Join(p.dir, dataLink)); err != nil {
		return false, fmt.Errorf("swapping %s: %w", dataLink, err)
	}
	// Visible names link through ..data, so existing links follow the swap;
	// only added and removed names need a change.
	for name := range files {
		link := filepath.Join(p.dir, name)
		if _, err := os.Lstat(link); errors.Is(err, os.ErrNotExist) {
			if err := os.Symlink(filepath.Join(dataLink, name), link); err != nil {
				return false, fmt.Errorf("linking %s: %w", name, err)
			}
		}
	}
	for name := range p.current {
		if _, ok := files[name]; !ok {
			_ = os.Remove(filepath.Join(p.dir, name))
		}
	}
	if old != "" && old != filepath.Base(version) {
		_ = os.RemoveAll(filepath.Join(p.dir, old))
	}
	p.current, p.written = maps.Clone(files), true
	return true, nil
}

// Files are the names currently published, sorted.
func (p *Projection) Files() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(maps.Keys(p.current))
}

// projectionPeriod is how often a mounted object is read again. The kubelet
// takes up to a minute; a test has no reason to wait that long.
const projectionPeriod = 200 * time.Millisecond

// MountConfigMap keeps dir in step with a ConfigMap until ctx ends. A missing
// ConfigMap leaves the folder as it is, as the kubelet does.
func MountConfigMap(ctx context.Context, c client.Reader, key client.ObjectKey, p *Projection) {
	mount(ctx, p, func() (map[string][]byte, error) {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, key, &cm); err != nil {
			return nil, err
		}
		files := map[string][]byte{}
		for k, v := range cm.Data {
			files[k] = []byte(v)
		}
		maps.Copy(files, cm.BinaryData)
		return files, nil
	})
}

// MountSecret keeps dir in step with a Secret until ctx ends.
func MountSecret(ctx context.Context, c client.Reader, key client.ObjectKey, p *Projection) {
	mount(ctx, p, func() (map[string][]byte, error) {
		var secret corev1.Secret
		if err := c.Get(ctx, key, &secret); err != nil {
			return nil, err
		}
		return secret.Data, nil
	})
}

func mount(ctx context.Context, p *Projection, read func() (map[string][]byte, error)) {
	for {
		files, err := read()
		switch {
		case err == nil:
			if _, err := p.Write(files); err != nil {
				fmt.Fprintf(os.Stderr, "projecting into %s: %v\n", p.Dir(), err)
			}
		case apierrors.IsNotFound(err), ctx.Err() != nil:
		default:
			fmt.Fprintf(os.Stderr, "reading the object projected into %s: %v\n", p.Dir(), err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(projectionPeriod):
		}
	}
}
