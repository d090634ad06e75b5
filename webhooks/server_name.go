package webhooks

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// serverNameChecks refuse DittoServer names that cannot prefix a Service
// name on the oldest Kubernetes the chart supports (1.30): the Services
// <name>-api, <name>-headless and the adapters' are named after the server,
// and Service names are DNS-1035 labels there (no dots, a letter first;
// 1.36 relaxes the latter). The messages are those of the CRD's CEL rules,
// which answer first where they run.
func serverNameChecks(server *dittov1.DittoServer) field.ErrorList {
	name := server.Name
	if name == "" {
		return nil // a generated name is not known yet
	}
	path := field.NewPath("metadata", "name")
	var errs field.ErrorList
	if len(name) > dittov1.MaxNameLength {
		errs = append(errs, field.Invalid(path, name, fmt.Sprintf(
			"metadata.name must be at most %d characters: the StatefulSet, its pods and Services are named after it", dittov1.MaxNameLength)))
	}
	if strings.Contains(name, ".") {
		errs = append(errs, field.Invalid(path, name, fmt.Sprintf(
			"metadata.name %q contains a dot: %s, and a Service name may not contain dots. Choose a name without dots, such as %q",
			name, namedAfter(name), strings.ReplaceAll(name, ".", "-"))))
	}
	if name[0] < 'a' || name[0] > 'z' {
		errs = append(errs, field.Invalid(path, name, fmt.Sprintf(
			"metadata.name %q does not start with a letter: %s, and Kubernetes before 1.36 refuses Service names that do not start with a letter. "+
				"Start the name with a letter, such as %q", name, namedAfter(name), "fs-"+name)))
	}
	return errs
}

func namedAfter(name string) string {
	return fmt.Sprintf("the Services %s-api, %s-headless and those of the adapters are named after it", name, name)
}
