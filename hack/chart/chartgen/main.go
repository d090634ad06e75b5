// Command chartgen regenerates the derived files of the Helm chart.
//
//	chartgen manifests -chart DIR -crds DIR -role FILE   CRD templates and RBAC rules
//	chartgen docs -chart DIR                              README values table
//	chartgen schemas -swagger FILE -out DIR               kubeconform schemas of the Kubernetes API
//	chartgen package -chart DIR -out DIR -image REPO:TAG [-digest sha256:...] -created UNIX
//	                                                      the chart archive, appVersion TAG, the image pinned
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dittofs/dittofs-operator/hack/chart/gen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chartgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: chartgen manifests|docs|schemas|package [flags]")
	}
	fs := flag.NewFlagSet("chartgen "+args[0], flag.ContinueOnError)
	chart := fs.String("chart", "charts/dittofs-operator", "the chart's folder")
	switch args[0] {
	case "manifests":
		crds := fs.String("crds", "operator/config/crd", "folder of the generated CRDs")
		role := fs.String("role", "operator/config/rbac/role.yaml", "the generated ClusterRole")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		files, err := gen.Manifests(".", *crds, *role)
		if err != nil {
			return err
		}
		return gen.WriteManifests(*chart, files)
	case "docs":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		values, err := os.ReadFile(filepath.Join(*chart, "values.yaml"))
		if err != nil {
			return err
		}
		readmePath := filepath.Join(*chart, "README.md")
		readme, err := os.ReadFile(readmePath)
		if err != nil {
			return err
		}
		out, err := gen.Readme(readme, values)
		if err != nil {
			return err
		}
		return os.WriteFile(readmePath, out, 0o644)
	case "schemas":
		swagger := fs.String("swagger", "", "api/openapi-spec/swagger.json of k8s.io/kubernetes")
		out := fs.String("out", "", "folder to write the schemas into")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		n, err := gen.KubeconformSchemas(*swagger, *out)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %d schemas into %s\n", n, *out)
		return nil
	case "package":
		out := fs.String("out", "bin/chart", "folder to write the chart archive into")
		image := fs.String("image", "", "the image the chart installs, REPOSITORY:TAG; TAG becomes the appVersion")
		digest := fs.String("digest", "", "the image's digest, pinned in values.yaml (image.digest)")
		created := fs.Int64("created", 0, "modification time of the archive's files, in seconds since the epoch (the commit's time)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		path, err := gen.Package(*chart, *out, gen.PackageOptions{Image: *image, Digest: *digest, Created: time.Unix(*created, 0)})
		if err != nil {
			return err
		}
		fmt.Println(path)
		return nil
	default:
		return fmt.Errorf("unknown command %q: want manifests, docs, schemas or package", args[0])
	}
}
