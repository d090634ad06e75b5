package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/pem"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The unprivileged user and group the image runs as, by number: Kubernetes'
// runAsNonRoot needs a numeric user to check it.
const (
	nonRootUID  = 65532
	nonRootName = "nonroot"
)

// file is one entry of a layer.
type file struct {
	name string // without a leading slash
	mode int64
	dir  bool
	uid  int
	data []byte
}

// baseFiles are what every operator image holds besides the binary: user
// and group databases naming the unprivileged user (tools that print user
// names find it), and the Mozilla root certificates (a DittoFS API behind a
// publicly trusted certificate can be verified without a CA bundle in the
// DittoServer). The roots come from a pinned Go module, so that the image
// does not depend on the building machine's trust store.
func baseFiles() ([]file, error) {
	roots, err := rootCertificates()
	if err != nil {
		return nil, err
	}
	return []file{
		{name: "etc", dir: true, mode: 0o755},
		{name: "etc/group", mode: 0o644, data: fmt.Appendf(nil, "root:x:0:\n%s:x:%d:\n", nonRootName, nonRootUID)},
		{name: "etc/passwd", mode: 0o644, data: fmt.Appendf(nil,
			"root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n",
			nonRootName, nonRootUID, nonRootUID, nonRootName, nonRootName)},
		{name: "etc/ssl", dir: true, mode: 0o755},
		{name: "etc/ssl/certs", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: roots},
		{name: "home", dir: true, mode: 0o755},
		{name: "home/" + nonRootName, dir: true, mode: 0o700, uid: nonRootUID},
		{name: "tmp", dir: true, mode: 0o1777},
	}, nil
}

// rootCertificates is the PEM bundle of the NSS roots that carry no
// constraint. A root that NSS distrusts after a date cannot say so in a PEM
// file, so it is left out rather than trusted for every date.
func rootCertificates() ([]byte, error) {
	var out bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, err
		}
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("the root certificate bundle is empty")
	}
	return out.Bytes(), nil
}

// layerTar writes files as a tar archive with every varying field fixed:
// names in order, owner by number only, one modification time.
func layerTar(files []file, modTime time.Time) ([]byte, error) {
	sorted := append([]file(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range sorted {
		hdr := &tar.Header{
			Name:    f.name,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.uid,
			ModTime: modTime.UTC(),
			Format:  tar.FormatPAX,
		}
		if f.dir {
			hdr.Typeflag = tar.TypeDir
			hdr.Name = path.Clean(f.name) + "/"
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header of %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("tar content of %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipped compresses data with no name or time in the gzip header, so the
// same data always gives the same bytes (for one Go release).
func gzipped(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteRootFS writes the base files and the binary into dir, as the image
// holds them (owners included when run as root), for a Dockerfile to copy.
func WriteRootFS(dir, binary, name string) error {
	if dir == "" || binary == "" {
		return fmt.Errorf("-out and -binary are required")
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	files, err := baseFiles()
	if err != nil {
		return err
	}
	files = append(files, file{name: name, mode: 0o755, data: data})
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.name))
		if f.dir {
			err = os.MkdirAll(path, os.FileMode(f.mode).Perm())
		} else {
			err = os.WriteFile(path, f.data, os.FileMode(f.mode).Perm())
		}
		if err != nil {
			return err
		}
		// The umask may have narrowed the mode, and the sticky bit needs chmod.
		mode := os.FileMode(f.mode).Perm()
		if f.mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		if f.uid != 0 && os.Geteuid() == 0 {
			if err := os.Chown(path, f.uid, f.uid); err != nil {
				return err
			}
		}
	}
	return nil
}
