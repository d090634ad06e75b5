// Package version tells which build of the operator is running. Release
// builds (`make image`, the Dockerfile) stamp the version and the commit with
// -ldflags "-X ...version.version=v1.2.3 -X ...version.commit=<sha>"; other
// builds fall back to what the Go toolchain recorded, if anything.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker in release builds.
var (
	version string
	commit  string
)

// unknown stands for a value no build step recorded.
const unknown = "unknown"

// Info describes the running binary.
type Info struct {
	// Version is the release version, e.g. v0.2.0, or a description of the
	// commit (git describe) for builds between releases.
	Version string
	// Commit is the full hash of the commit the binary was built from.
	Commit string
	// GoVersion and Platform are those of the toolchain and the target.
	GoVersion, Platform string
}

// Get returns the running binary's build information.
func Get() Info {
	return resolve(version, commit, readBuildInfo)
}

func readBuildInfo() (*debug.BuildInfo, bool) { return debug.ReadBuildInfo() }

// resolve prefers the stamped values and falls back to the build
// information the toolchain embeds (module version, vcs.revision).
func resolve(stampedVersion, stampedCommit string, buildInfo func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: stampedVersion, Commit: stampedCommit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := buildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && info.Commit == "" {
				info.Commit = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = unknown
	}
	if info.Commit == "" {
		info.Commit = unknown
	}
	return info
}

// String is what `dittofs-operator --version` prints.
func (i Info) String() string {
	return fmt.Sprintf("dittofs-operator %s (commit %s, %s, %s)", i.Version, i.Commit, i.GoVersion, i.Platform)
}
