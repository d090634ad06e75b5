package charttest

import (
	"os"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dittofs/dittofs-operator/hack/chart/gen"
)

// markerRules are the rules controller-gen derives from the kubebuilder RBAC
// markers of the controllers and webhooks.
func markerRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	role, err := os.ReadFile(repoPath(t, "operator", "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := gen.ParseRole(role)
	if err != nil {
		t.Fatalf("operator/config/rbac/role.yaml: %v", err)
	}
	return rules
}

func isClusterScoped(group, resource string) bool {
	return gen.IsClusterScoped(group, resource)
}

// grant is one permission: a verb on a resource of a group, or on a
// non-resource URL.
type grant struct{ group, resource, verb string }

func grants(rules []rbacv1.PolicyRule) map[grant]bool {
	out := map[grant]bool{}
	for _, r := range rules {
		for _, verb := range r.Verbs {
			for _, url := range r.NonResourceURLs {
				out[grant{"", url, verb}] = true
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					out[grant{g, res, verb}] = true
				}
			}
		}
	}
	return out
}

// compareGrants fails the test for every permission only one side has.
func compareGrants(t *testing.T, what string, got, want map[grant]bool) {
	t.Helper()
	for g := range got {
		if !want[g] {
			t.Errorf("%s grants %q on %s/%s, which no marker asks for", what, g.verb, g.group, g.resource)
		}
	}
	for g := range want {
		if !got[g] {
			t.Errorf("%s lacks %q on %s/%s, which the markers ask for", what, g.verb, g.group, g.resource)
		}
	}
}

func roleRules(t *testing.T, objs []*unstructured.Unstructured, kind, namespace, name string) []rbacv1.PolicyRule {
	t.Helper()
	var role rbacv1.ClusterRole
	into(t, find(t, objs, kind, namespace, name), &role)
	return role.Rules
}

// The operator's ClusterRole grants what the controllers' markers need and
// nothing more.
func TestClusterRoleEqualsMarkerRole(t *testing.T) {
	want := markerRules(t)
	objs := objects(t, mustRender(t, loadChart(t), nil))
	got := roleRules(t, objs, "ClusterRole", "", releaseName)
	if !slices.EqualFunc(got, want, ruleEqual) {
		t.Errorf("the ClusterRole's rules differ from operator/config/rbac/role.yaml:\n got %v\nwant %v", got, want)
	}
	compareGrants(t, "the ClusterRole", grants(got), grants(want))

	var binding rbacv1.ClusterRoleBinding
	into(t, find(t, objs, "ClusterRoleBinding", "", releaseName), &binding)
	if binding.RoleRef.Name != releaseName || len(binding.Subjects) != 1 ||
		binding.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: releaseName, Namespace: releaseNamespace}) {
		t.Errorf("the ClusterRoleBinding does not bind the ClusterRole to the operator's ServiceAccount: %+v", binding)
	}
}

// With rbac.watchNamespaces the same permissions are split: cluster-scoped
// ones in the ClusterRole, the others in a Role in every watched namespace
// and the release namespace, and nothing namespaced is granted cluster-wide.
func TestWatchNamespacesSplitsTheMarkerRole(t *testing.T) {
	want := markerRules(t)
	objs := objects(t, mustRender(t, loadChart(t), parseValues(t, "rbac: {watchNamespaces: [team-a, storage]}")))
	cluster := roleRules(t, objs, "ClusterRole", "", releaseName)
	for _, r := range cluster {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if !isClusterScoped(g, res) {
					t.Errorf("the ClusterRole grants namespaced %s/%s cluster-wide", g, res)
				}
			}
		}
	}
	var namespaced []rbacv1.PolicyRule
	for _, ns := range []string{"storage", "team-a", releaseNamespace} {
		rules := roleRules(t, objs, "Role", ns, releaseName)
		if namespaced != nil && !slices.EqualFunc(rules, namespaced, ruleEqual) {
			t.Errorf("the Role in %s differs from the others", ns)
		}
		namespaced = rules
		var binding rbacv1.RoleBinding
		into(t, find(t, objs, "RoleBinding", ns, releaseName), &binding)
		if binding.RoleRef.Kind != "Role" || binding.RoleRef.Name != releaseName {
			t.Errorf("the RoleBinding in %s refers to %+v", ns, binding.RoleRef)
		}
	}
	compareGrants(t, "the ClusterRole and Roles", grants(append(slices.Clone(cluster), namespaced...)), grants(want))
}

func ruleEqual(a, b rbacv1.PolicyRule) bool {
	return slices.Equal(a.APIGroups, b.APIGroups) && slices.Equal(a.Resources, b.Resources) &&
		slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.ResourceNames, b.ResourceNames) &&
		slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}
