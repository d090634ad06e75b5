package framework

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// LocalFlags are what an operator process outside the cluster needs on top
// of the chart's arguments: it reaches DittoFS APIs on loopback through the
// dittofs.io/api-url annotation, serves its webhook on loopback only, and
// gets a certificate the API server accepts for "localhost" (the rotator
// issues DNS names only).
var LocalFlags = []string{
	"--allow-api-url-override",
	"--webhook-host=127.0.0.1",
	"--webhook-cert-extra-dns-names=localhost",
}

// PortFlags are the chart's arguments that a local process must change so
// that several operator processes can run side by side.
var PortFlags = []string{"--metrics-bind-address", "--health-probe-bind-address", "--webhook-port"}

// Flag is one command-line flag, "--name" or "--name=value".
type Flag struct {
	Name  string // without dashes
	Value string
	Bool  bool // written without a value
}

func (f Flag) String() string {
	if f.Bool {
		return "--" + f.Name
	}
	return "--" + f.Name + "=" + f.Value
}

// ParseFlags splits arguments of the form --name or --name=value.
func ParseFlags(args []string) ([]Flag, error) {
	out := make([]Flag, 0, len(args))
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("argument %q is not a flag", a)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		out = append(out, Flag{Name: name, Value: value, Bool: !hasValue})
	}
	return out, nil
}

// LocalArgs turns the chart's operator container into the command line of a
// local process. Flags in set replace the chart's flag of the same name (or
// are added), with a PortFlags flag required to exist in the chart, so a
// renamed chart flag fails loudly instead of being silently doubled; a value
// under a volume's mount path is moved to the local folder mounts gives for
// that path; flags in extra are added last.
func LocalArgs(ctr *corev1.Container, set map[string]string, mounts map[string]string, extra ...string) ([]string, error) {
	flags, err := ParseFlags(ctr.Args)
	if err != nil {
		return nil, fmt.Errorf("the chart's operator arguments: %w", err)
	}
	for _, name := range PortFlags {
		name = strings.TrimLeft(name, "-")
		if _, ok := set[name]; ok && !slices.ContainsFunc(flags, func(f Flag) bool { return f.Name == name }) {
			return nil, fmt.Errorf("the chart no longer passes --%s, which a local run must change", name)
		}
	}
	done := map[string]bool{}
	var out []string
	for _, f := range flags {
		if v, ok := set[f.Name]; ok {
			f.Value, f.Bool, done[f.Name] = v, false, true
		} else if !f.Bool {
			f.Value = moveUnderMount(f.Value, mounts)
		}
		out = append(out, f.String())
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if !done[name] {
			out = append(out, Flag{Name: name, Value: set[name]}.String())
		}
	}
	return append(out, extra...), nil
}

// moveUnderMount rewrites a path under one of the mount paths.
func moveUnderMount(value string, mounts map[string]string) string {
	for mountPath, local := range mounts {
		if value == mountPath {
			return local
		}
		if rest, ok := strings.CutPrefix(value, strings.TrimSuffix(mountPath, "/")+"/"); ok {
			return local + "/" + rest
		}
	}
	return value
}

// LocalEnv is the container's environment for a process of a pod named pod
// in namespace: literal values, and the downward-API fields the operator
// reads.
func LocalEnv(ctr *corev1.Container, namespace, pod string) ([]string, error) {
	var out []string
	for _, e := range ctr.Env {
		switch {
		case e.ValueFrom == nil:
			out = append(out, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			out = append(out, e.Name+"="+namespace)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			out = append(out, e.Name+"="+pod)
		case e.ValueFrom.ResourceFieldRef != nil:
			value, err := resourceValue(ctr, e.ValueFrom.ResourceFieldRef)
			if err != nil {
				return nil, fmt.Errorf("the operator container's variable %s: %w", e.Name, err)
			}
			out = append(out, e.Name+"="+value)
		default:
			return nil, fmt.Errorf("the operator container's variable %s comes from a source a local run does not emulate", e.Name)
		}
	}
	return out, nil
}

// resourceValue is what the kubelet gives a resourceFieldRef variable: the
// container's request or limit, in units of the divisor (1 by default).
func resourceValue(ctr *corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok {
		return "", fmt.Errorf("resource %q is not <requests|limits>.<name>", ref.Resource)
	}
	list := ctr.Resources.Limits
	if kind == "requests" {
		list = ctr.Resources.Requests
	}
	quantity, ok := list[corev1.ResourceName(name)]
	if !ok {
		return "", fmt.Errorf("the container sets no %s", ref.Resource)
	}
	divisor := ref.Divisor.Value()
	if divisor == 0 {
		divisor = 1
	}
	return strconv.FormatInt((quantity.Value()+divisor-1)/divisor, 10), nil
}

// Volume is a Secret or ConfigMap volume the operator container mounts.
type Volume struct {
	Name      string
	MountPath string
	// Secret or ConfigMap names the object projected into the folder.
	Secret, ConfigMap string
}

// Volumes lists the container's Secret and ConfigMap mounts.
func Volumes(spec *corev1.PodSpec, ctr *corev1.Container) ([]Volume, error) {
	var out []Volume
	for _, m := range ctr.VolumeMounts {
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 {
			return nil, fmt.Errorf("the operator container mounts an undefined volume %q", m.Name)
		}
		v := Volume{Name: m.Name, MountPath: m.MountPath}
		switch src := spec.Volumes[i].VolumeSource; {
		case src.Secret != nil:
			v.Secret = src.Secret.SecretName
		case src.ConfigMap != nil:
			v.ConfigMap = src.ConfigMap.Name
		default:
			return nil, fmt.Errorf("volume %q is neither a Secret nor a ConfigMap: a local run cannot emulate it", m.Name)
		}
		out = append(out, v)
	}
	return out, nil
}
