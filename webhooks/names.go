package webhooks

import (
	"regexp"
	"strings"
)

// AdapterTypes are the adapter types a fresh DittoFS server seeds, in order:
// every adapter Service name template must name them, and the types of
// spec.adapterService.overrides, validly and uniquely. DittoFS may report
// others; the operator publishes whatever type it reports.
var AdapterTypes = []string{"nfs", "smb"}

// adapterTypePattern is what an adapter type may look like: the objects of
// an adapter carry its type as the value of the dittofs.io/adapter label.
// The CRD's rule on spec.adapterService.overrides uses the same pattern.
var adapterTypePattern = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// maxAdapterTypeLength is the length limit of a label value.
const maxAdapterTypeLength = 63

// maxNameLength is the length limit of a DNS-1035 label (a Service name).
const maxNameLength = 63

// The functions below repeat data.dittofs.networking.lib of the default
// policy bundle (policies/lib.rego) so that admission names adapter
// Services exactly as the controller will; names_test.go evaluates the Rego
// functions to keep both in step.

var (
	validLabel    = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	notLabelChars = regexp.MustCompile(`[^a-z0-9-]`)
	beforeLetter  = regexp.MustCompile(`^[^a-z]+`)
)

// placeholders are what a name template fills in.
var placeholders = []string{"{instance}", "{adapter}"}

// unknownPlaceholder finds, in template, the first brace that is not part of
// a known placeholder, with what follows it up to the next closing brace:
// "{namespace}" in "{instance}-{namespace}-{adapter}". It is "" when there
// is none.
func unknownPlaceholder(template string) string {
	for _, p := range placeholders {
		template = strings.ReplaceAll(template, p, "")
	}
	return strayBrace.FindString(template)
}

var strayBrace = regexp.MustCompile(`\{[^{}]*\}?|\}`)

// renderTemplate fills an adapter Service name template: {instance} is the
// DittoServer's name and {adapter} the adapter type (lib.render_template).
func renderTemplate(template, instance, adapter string) string {
	return strings.ReplaceAll(strings.ReplaceAll(template, "{instance}", instance), "{adapter}", adapter)
}

// dns1035Label makes s a DNS-1035 label as lib.dns1035_label does: lowercase,
// every other character outside [a-z0-9-] turned into "-", whatever precedes
// the first letter dropped, at most 63 characters, no trailing dash. The
// result is "" or a valid label.
func dns1035Label(s string) string {
	if validLabel.MatchString(s) {
		return s
	}
	s = beforeLetter.ReplaceAllString(notLabelChars.ReplaceAllString(strings.ToLower(s), "-"), "")
	if len(s) > maxNameLength {
		s = s[:maxNameLength]
	}
	return strings.TrimRight(s, "-")
}

// serviceName is the name of an adapter's Service and NetworkPolicy
// (lib.service_name).
func serviceName(template, instance, adapter string) string {
	return dns1035Label(renderTemplate(template, instance, adapter))
}

// apiObjectName is the name of the control-plane API Service and of its
// baseline NetworkPolicy, which no adapter Service may take.
func apiObjectName(instance string) string {
	return dns1035Label(instance + "-api")
}
