package webhooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	dittov1 "github.com/dittofs/dittofs-operator/operator/api/v1alpha1"
)

// ownedConfigHints say, for the settings of spec.config the operator owns,
// where to set them instead.
var ownedConfigHints = map[string]string{
	"controlplane.host":       "the API always listens on 0.0.0.0 in a pod",
	"controlplane.port":       "set spec.controlPlane.port instead",
	"controlplane.tls":        "set spec.controlPlane.tls instead",
	"controlplane.jwt.secret": "set spec.identity.jwtSecretRef instead",
	"database":                "set spec.database instead",
	"cache.path":              "the cache volume is mounted by the operator; size it with spec.storage.cacheSize",
}

// specChecks are the checks of a DittoServer on its own. Each returns every
// problem it finds; warnings are things admission accepts but the user
// should know.
func specChecks(server *dittov1.DittoServer, config map[string]any) (field.ErrorList, []string) {
	spec := field.NewPath("spec")
	errs, warnings := nameTemplateChecks(server)
	errs = append(errs, intervalChecks(server, spec.Child("adapterPolling", "interval"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(server.Spec.Service.Annotations, spec.Child("service", "annotations"))...)
	errs = append(errs, adapterServiceChecks(&server.Spec, spec.Child("adapterService"))...)
	errs = append(errs, ownedConfigChecks(config, spec.Child("config"))...)
	return errs, warnings
}

// nameTemplateChecks refuse a template with an unknown placeholder, then
// render the adapter Service name of every adapter type as the policy
// bundle does and refuse templates that give an adapter no name, a name cut
// to fit, the name of another adapter or that of the control-plane API
// Service.
func nameTemplateChecks(server *dittov1.DittoServer) (field.ErrorList, []string) {
	path := field.NewPath("spec", "adapterService", "nameTemplate")
	template := server.Spec.NameTemplateOrDefault()
	if unknown := unknownPlaceholder(template); unknown != "" {
		// The words of the CRD's CEL rule. What the template renders to
		// is beside the point until the placeholder is fixed.
		return field.ErrorList{field.Invalid(path, template, fmt.Sprintf(
			"spec.adapterService.nameTemplate %q uses %s, which is not a placeholder: "+
				"only {instance} (the DittoServer's name) and {adapter} (the adapter type) are filled in", template, unknown))}, nil
	}
	if server.Name == "" {
		return nil, nil // a generated name is not known yet
	}
	var errs field.ErrorList
	var warnings []string
	byName := map[string][]string{}
	for _, adapter := range namedAdapterTypes(server) {
		err, warning := checkServiceName(path, template, server.Name, adapter)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if warning != "" {
			warnings = append(warnings, warning)
		}
		name := serviceName(template, server.Name, adapter)
		byName[name] = append(byName[name], adapter)
	}
	return append(errs, duplicateNames(path, template, byName)...), warnings
}

// namedAdapterTypes are the types a name template is checked against: the
// seeded ones and those the overrides name, when they are types at all.
func namedAdapterTypes(server *dittov1.DittoServer) []string {
	types := slices.Clone(AdapterTypes)
	for key := range server.Spec.AdapterService.Overrides {
		if !slices.Contains(types, key) && validAdapterType(key) {
			types = append(types, key)
		}
	}
	slices.Sort(types)
	return types
}

func validAdapterType(t string) bool {
	return len(t) <= maxAdapterTypeLength && adapterTypePattern.MatchString(t)
}

func checkServiceName(path *field.Path, template, instance, adapter string) (*field.Error, string) {
	rendered := renderTemplate(template, instance, adapter)
	name := dns1035Label(rendered)
	switch {
	case len(rendered) > maxNameLength:
		return field.Invalid(path, template, fmt.Sprintf(
			"gives adapter %q the name %q of %d characters; a Service name has at most %d: shorten the template",
			adapter, rendered, len(rendered), maxNameLength)), ""
	case name == "":
		return field.Invalid(path, template, fmt.Sprintf(
			"gives adapter %q no valid name: a DNS-1035 label needs a letter", adapter)), ""
	case len(validation.IsDNS1035Label(name)) > 0:
		return field.Invalid(path, template, fmt.Sprintf(
			"gives adapter %q the name %q, which is not a valid DNS-1035 label: %s",
			adapter, name, strings.Join(validation.IsDNS1035Label(name), "; "))), ""
	case name == apiObjectName(instance):
		return field.Invalid(path, template, fmt.Sprintf(
			"gives adapter %q the name %q of the control-plane API Service and NetworkPolicy", adapter, name)), ""
	case name != rendered:
		// The same words as the bundle's warning, so that both read alike.
		return nil, fmt.Sprintf("the Service name %q of adapter %q became %q to be a valid DNS-1035 label", rendered, adapter, name)
	}
	return nil, ""
}

func duplicateNames(path *field.Path, template string, byName map[string][]string) field.ErrorList {
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs field.ErrorList
	for _, name := range names {
		if adapters := byName[name]; len(adapters) > 1 {
			errs = append(errs, field.Invalid(path, template, fmt.Sprintf(
				"adapters %v would all get the name %q: the template must include {adapter}", adapters, name)))
		}
	}
	return errs
}

// intervalChecks repeat the CRD's bounds on the polling interval, for API
// servers that do not run its CEL rule.
func intervalChecks(server *dittov1.DittoServer, path *field.Path) field.ErrorList {
	interval := server.Spec.AdapterPolling.Interval
	if interval == nil {
		return nil
	}
	if d := interval.Duration; d < dittov1.MinPollInterval || d > dittov1.MaxPollInterval {
		return field.ErrorList{field.Invalid(path, d.String(), fmt.Sprintf(
			"must be between %s and %s", dittov1.MinPollInterval, dittov1.MaxPollInterval))}
	}
	return nil
}

func adapterServiceChecks(spec *dittov1.DittoServerSpec, path *field.Path) field.ErrorList {
	as := &spec.AdapterService
	errs := apivalidation.ValidateAnnotations(as.Annotations, path.Child("annotations"))
	errs = append(errs, retentionChecks(as.Retention, path.Child("retention"))...)
	for i, cidr := range as.LoadBalancerSourceRanges {
		// The same rule as the Service field the value is copied to.
		errs = append(errs, validation.IsValidCIDRForLegacyField(
			path.Child("loadBalancerSourceRanges").Index(i), strings.TrimSpace(cidr), true, nil)...)
	}
	keys := make([]string, 0, len(as.Overrides))
	for key := range as.Overrides {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	publishers := map[int32]string{}
	for _, key := range keys {
		p := path.Child("overrides").Key(key)
		if !validAdapterType(key) {
			// The words of the CRD's rule.
			errs = append(errs, field.Invalid(p, key, fmt.Sprintf(
				"spec.adapterService.overrides key %q is not an adapter type: adapter types are named as 'dfsctl adapter list' shows them "+
					"(nfs, smb, webdav, ...), with at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit", key)))
		}
		errs = append(errs, apivalidation.ValidateAnnotations(as.Overrides[key].Annotations, p.Child("annotations"))...)
		errs = append(errs, publishedPortChecks(spec, key, as.Overrides[key].Port, publishers, p.Child("port"))...)
	}
	return errs
}

// publishedPortChecks refuse an override that publishes the control-plane
// port, or a port another override publishes: each adapter Service of a
// server publishes a port of its own. publishers records, by port, the
// first adapter type publishing it.
func publishedPortChecks(spec *dittov1.DittoServerSpec, adapter string, port *int32, publishers map[int32]string, path *field.Path) field.ErrorList {
	if port == nil {
		return nil
	}
	if *port == spec.APIPort() {
		return field.ErrorList{field.Invalid(path, *port, fmt.Sprintf(
			"is the control-plane port of the DittoFS API (spec.controlPlane.port), which no adapter Service publishes: choose another port for adapter %q",
			adapter))}
	}
	if first, taken := publishers[*port]; taken {
		return field.ErrorList{field.Invalid(path, *port, fmt.Sprintf(
			"adapter %q publishes it already (spec.adapterService.overrides[%s].port): each adapter Service publishes a port of its own", first, first))}
	}
	publishers[*port] = adapter
	return nil
}

// retentionChecks repeat the CRD's bounds on the retention, for API servers
// that do not run its CEL rule.
func retentionChecks(retention *metav1.Duration, path *field.Path) field.ErrorList {
	if retention == nil {
		return nil
	}
	if d := retention.Duration; d < 0 || d > dittov1.MaxRetention {
		return field.ErrorList{field.Invalid(path, d.String(), fmt.Sprintf("must be between 0s and %s", dittov1.MaxRetention))}
	}
	return nil
}

// ownedConfigChecks refuse settings of spec.config the operator writes
// itself (adapters are refused by legacyChecks, with their own message).
func ownedConfigChecks(config map[string]any, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, setting := range dittov1.OwnedConfigConflicts(config) {
		if setting == "adapters" {
			continue
		}
		keys := strings.Split(setting, ".")
		detail := "is set by the operator; remove it from spec.config"
		if hint := ownedConfigHints[setting]; hint != "" {
			detail += ": " + hint
		}
		errs = append(errs, &field.Error{
			Type:     field.ErrorTypeForbidden,
			Field:    path.Child(keys[0], keys[1:]...).String(),
			BadValue: canonicalJSON(valueAt(config, keys)),
			Detail:   detail,
		})
	}
	return errs
}

func valueAt(m map[string]any, keys []string) any {
	var v any = m
	for _, k := range keys {
		child, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = child[k]
	}
	return v
}

// configSettings decodes spec.config into plain values.
func configSettings(server *dittov1.DittoServer) (map[string]any, field.ErrorList) {
	settings := map[string]any{}
	if server.Spec.Config == nil {
		return settings, nil
	}
	path := field.NewPath("spec", "config")
	var errs field.ErrorList
	for key, raw := range server.Spec.Config.Settings {
		var v any
		if err := json.Unmarshal(raw.Raw, &v); err != nil {
			errs = append(errs, field.Invalid(path.Child(key), string(raw.Raw), fmt.Sprintf("not valid JSON: %v", err)))
			continue
		}
		settings[key] = v
	}
	return settings, errs
}
