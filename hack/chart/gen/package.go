package gen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// PackageOptions say which image a packaged chart installs.
type PackageOptions struct {
	// Image is the image's repository and tag, e.g.
	// ghcr.io/dittofs/dittofs-operator:v0.2.0. The tag becomes the chart's
	// appVersion.
	Image string
	// Digest pins the image (image.digest), e.g. sha256:...; empty leaves
	// the image named by its tag.
	Digest string
	// Created is every file's modification time in the archive: the
	// commit's time, so that one commit packages to the same bytes.
	Created time.Time
}

var digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// SplitImage splits REPOSITORY:TAG; a registry port is not a tag.
func SplitImage(image string) (repository, tag string, err error) {
	if strings.Contains(image, "@") {
		return "", "", fmt.Errorf("image %q: name a repository and a tag, not a digest", image)
	}
	slash := strings.LastIndex(image, "/")
	colon := strings.LastIndex(image, ":")
	if colon <= slash || colon == len(image)-1 {
		return "", "", fmt.Errorf("image %q has no tag: want REPOSITORY:TAG", image)
	}
	return image[:colon], image[colon+1:], nil
}

// Package writes the chart in chartDir as outDir/<name>-<version>.tgz, its
// version from Chart.yaml, its appVersion the image's tag, and values.yaml
// naming the image (and pinning its digest). The archive is the same bytes
// for the same inputs. It returns the archive's path.
func Package(chartDir, outDir string, o PackageOptions) (string, error) {
	repository, tag, err := SplitImage(o.Image)
	if err != nil {
		return "", err
	}
	if o.Digest != "" && !digestPattern.MatchString(o.Digest) {
		return "", fmt.Errorf("digest %q: want sha256:<64 hex digits>", o.Digest)
	}
	if o.Created.Unix() <= 0 {
		return "", errors.New("no creation time given (the commit's time, in seconds since the epoch)")
	}
	chrt, err := loader.LoadDir(chartDir)
	if err != nil {
		return "", fmt.Errorf("loading the chart: %w", err)
	}
	chrt.Metadata.AppVersion = tag
	if chrt.Metadata.Annotations != nil {
		if _, ok := chrt.Metadata.Annotations["artifacthub.io/images"]; ok {
			chrt.Metadata.Annotations["artifacthub.io/images"] = fmt.Sprintf("- name: %s\n  image: %s:%s\n", chrt.Name(), repository, tag)
		}
	}
	for _, f := range chrt.Raw {
		if f.Name != chartutil.ValuesfileName {
			continue
		}
		values := f.Data
		if values, err = SetValue(values, []string{"image", "repository"}, repository); err != nil {
			return "", err
		}
		if values, err = SetValue(values, []string{"image", "digest"}, o.Digest); err != nil {
			return "", err
		}
		f.Data = values
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(outDir, ".package-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	saved, err := chartutil.Save(chrt, tmp)
	if err != nil {
		return "", fmt.Errorf("packaging the chart: %w", err)
	}
	out := filepath.Join(outDir, filepath.Base(saved))
	if err := normalizeArchive(saved, out, o.Created); err != nil {
		return "", err
	}
	return out, nil
}

// SetValue replaces the scalar at path in a values.yaml with value, keeping
// every comment and the layout of the rest of the file.
func SetValue(values []byte, path []string, value string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, fmt.Errorf("parsing values.yaml: %w", err)
	}
	if len(doc.Content) != 1 {
		return nil, errors.New("values.yaml holds no document")
	}
	node := doc.Content[0]
	for _, key := range path {
		var next *yaml.Node
		if node.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(node.Content); i += 2 {
				if node.Content[i].Value == key {
					next = node.Content[i+1]
				}
			}
		}
		if next == nil {
			return nil, fmt.Errorf("values.yaml has no %s", strings.Join(path, "."))
		}
		node = next
	}
	if node.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("values.yaml: %s is not a scalar", strings.Join(path, "."))
	}
	lines := bytes.SplitAfter(values, []byte("\n"))
	line := lines[node.Line-1]
	quoted, err := json.Marshal(value) // a JSON string is a YAML double-quoted scalar
	if err != nil {
		return nil, err
	}
	replaced := append([]byte(nil), line[:node.Column-1]...)
	replaced = append(replaced, quoted...)
	if node.LineComment != "" {
		replaced = append(replaced, " "+node.LineComment...)
	}
	if bytes.HasSuffix(line, []byte("\n")) {
		replaced = append(replaced, '\n')
	}
	lines[node.Line-1] = replaced
	return bytes.Join(lines, nil), nil
}

// normalizeArchive copies a chart archive with every entry's time set to
// created: Helm stamps the packaging time otherwise.
func normalizeArchive(src, dst string, created time.Time) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Header.Extra, zw.Header.Comment = zr.Header.Extra, zr.Header.Comment
	tr, tw := tar.NewReader(zr), tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", src, err)
		}
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = created.UTC(), time.Time{}, time.Time{}
		hdr.Format = tar.FormatUSTAR
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}
