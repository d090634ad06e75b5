package networking

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// RefusedBuiltins are the built-in functions a policy may not call; modules
// calling them fail to compile. A decision must depend on its input and data
// only: no network access (http.send, net.lookup_ip_addr), no view of the
// operator's process (opa.runtime), no side channel (trace), and nothing that
// changes between two evaluations of the same input (rand.intn, time.now_ns,
// uuid.rfc4122), or objects would flap at every poll. Pure functions such as
// net.cidr_contains stay available.
var RefusedBuiltins = []string{
	"http.send",
	"net.lookup_ip_addr",
	"opa.runtime",
	"rand.intn",
	"time.now_ns",
	"trace",
	"uuid.rfc4122",
}

// capabilities are OPA's, without RefusedBuiltins.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool {
		return slices.Contains(RefusedBuiltins, b.Name)
	})
	caps.AllowNet = []string{}
	return caps
}
