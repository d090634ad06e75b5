// Command image builds the operator's OCI image without a container engine,
// and pushes it.
//
//	image build -out DIR -tag TAG -version V -revision SHA -created UNIX \
//	    -binary linux/amd64=PATH -binary linux/arm64=PATH [...]
//	    writes a multi-platform image index as an OCI image layout in DIR
//	    and prints its digest
//	image digest -layout DIR
//	    prints the digest of the index in DIR
//	image push -layout DIR -image REPOSITORY[:TAG]
//	    pushes the index (with the layout's tag when REPOSITORY has none)
//	    and prints REPOSITORY:TAG@DIGEST
//	image rootfs -out DIR -binary PATH
//	    writes the files of one platform's image into DIR, for the Dockerfile
//
// Pushing authenticates with the credentials of `docker login` (or `crane
// auth login`), from ~/.docker/config.json or $DOCKER_CONFIG.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: image build|digest|push [flags]")
	}
	fs := flag.NewFlagSet("image "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "build":
		return runBuild(fs, args[1:], out)
	case "digest":
		dir := fs.String("layout", "", "the OCI image layout")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		idx, _, err := ReadLayout(*dir)
		if err != nil {
			return err
		}
		digest, err := idx.Digest()
		if err != nil {
			return err
		}
		fmt.Fprintln(out, digest)
		return nil
	case "push":
		dir := fs.String("layout", "", "the OCI image layout")
		image := fs.String("image", "", "where to push: REPOSITORY or REPOSITORY:TAG")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ref, digest, err := Push(ctx, *dir, *image)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s@%s\n", ref, digest)
		return nil
	case "rootfs":
		dir := fs.String("out", "", "folder to write the image's files into")
		binary := fs.String("binary", "", "the operator binary")
		binaryName := fs.String("name", defaultName, "file name of the binary in the image root")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return WriteRootFS(*dir, *binary, *binaryName)
	default:
		return fmt.Errorf("unknown command %q: want build, digest, push or rootfs", args[0])
	}
}

// Label defaults: the Dockerfile sets the same (dockerfile_test.go).
const (
	defaultName        = "dittofs-operator"
	defaultSource      = "https://github.com/dittofs/dittofs-operator"
	defaultLicenses    = "Apache-2.0"
	defaultTitle       = "dittofs-operator"
	defaultDescription = "Kubernetes operator for DittoFS"
)

func runBuild(fs *flag.FlagSet, args []string, out io.Writer) error {
	var o Options
	var dir, created string
	var binaries binaryFlags
	fs.StringVar(&dir, "out", "", "folder to write the OCI image layout into (replaced)")
	fs.StringVar(&o.Name, "name", defaultName, "file name of the binary in the image root, and the entrypoint")
	fs.StringVar(&o.Tag, "tag", "", "tag of the image in the layout")
	fs.StringVar(&o.Version, "version", "", "version label")
	fs.StringVar(&o.Revision, "revision", "", "commit label")
	fs.StringVar(&o.Source, "source", defaultSource, "source repository label")
	fs.StringVar(&o.Licenses, "licenses", defaultLicenses, "SPDX licence expression label")
	fs.StringVar(&o.Title, "title", defaultTitle, "title label")
	fs.StringVar(&o.Description, "description", defaultDescription, "description label")
	fs.StringVar(&created, "created", "", "creation time, in seconds since the epoch (the commit's time, SOURCE_DATE_EPOCH)")
	fs.Var(&binaries, "binary", "OS/ARCH[/VARIANT]=PATH of the binary for one platform; repeat for each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if dir == "" {
		return errors.New("-out is required")
	}
	seconds, err := strconv.ParseInt(created, 10, 64)
	if err != nil {
		return fmt.Errorf("-created=%q: want seconds since the epoch: %w", created, err)
	}
	o.Created = time.Unix(seconds, 0).UTC()
	o.Binaries = binaries
	idx, err := Build(o)
	if err != nil {
		return err
	}
	digest, err := WriteLayout(dir, idx, o.Tag)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, digest)
	return nil
}

// binaryFlags collects -binary OS/ARCH=PATH.
type binaryFlags []Binary

func (b *binaryFlags) String() string { return fmt.Sprint(*b) }

func (b *binaryFlags) Set(value string) error {
	platform, path, ok := strings.Cut(value, "=")
	if !ok || path == "" {
		return fmt.Errorf("%q: want OS/ARCH=PATH", value)
	}
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		return err
	}
	if p.OS == "" || p.Architecture == "" {
		return fmt.Errorf("%q: want OS/ARCH=PATH", value)
	}
	*b = append(*b, Binary{Platform: *p, Path: path})
	return nil
}

// Push pushes the layout's index to image, tagged with image's tag or else
// the layout's, and returns the tagged reference and the digest.
func Push(ctx context.Context, dir, image string) (name.Tag, v1.Hash, error) {
	if image == "" {
		return name.Tag{}, v1.Hash{}, errors.New("-image is required")
	}
	idx, layoutTag, err := ReadLayout(dir)
	if err != nil {
		return name.Tag{}, v1.Hash{}, err
	}
	ref, err := pushReference(image, layoutTag)
	if err != nil {
		return name.Tag{}, v1.Hash{}, err
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return name.Tag{}, v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	digest, err := idx.Digest()
	return ref, digest, err
}

// pushReference is image with layoutTag when it names no tag. A digest is
// refused: the pushed index's digest is what it is.
func pushReference(image, layoutTag string) (name.Tag, error) {
	if strings.Contains(image, "@") {
		return name.Tag{}, fmt.Errorf("-image=%q: name a repository and optionally a tag, not a digest", image)
	}
	ref, err := name.ParseReference(image, name.StrictValidation)
	if err == nil {
		if tag, ok := ref.(name.Tag); ok {
			return tag, nil
		}
	}
	repo, err := name.NewRepository(image, name.StrictValidation)
	if err != nil {
		return name.Tag{}, fmt.Errorf("-image=%q: %w", image, err)
	}
	if layoutTag == "" {
		return name.Tag{}, fmt.Errorf("-image=%q names no tag, and the layout has none", image)
	}
	return repo.Tag(layoutTag), nil
}
