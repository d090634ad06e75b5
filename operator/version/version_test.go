package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func buildInfo(mainVersion string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
	return func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/dittofs/dittofs-operator", Version: mainVersion}, Settings: settings}, true
	}
}

func TestStampedValuesWin(t *testing.T) {
	got := resolve("v0.2.0", "0123456789abcdef0123456789abcdef01234567",
		buildInfo("v0.1.0", debug.BuildSetting{Key: "vcs.revision", Value: "ffffffffffffffffffffffffffffffffffffffff"}))
	if got.Version != "v0.2.0" || got.Commit != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("resolve = %+v, want the stamped version and commit", got)
	}
	if s := got.String(); !strings.HasPrefix(s, "dittofs-operator v0.2.0 (commit 0123456789abcdef0123456789abcdef01234567, go") {
		t.Errorf("String() = %q", s)
	}
}

func TestFallsBackToTheToolchainsRecord(t *testing.T) {
	got := resolve("", "", buildInfo("v0.1.1", debug.BuildSetting{Key: "vcs.revision", Value: "abc123"}))
	if got.Version != "v0.1.1" || got.Commit != "abc123" {
		t.Errorf("resolve = %+v, want the module version and vcs.revision", got)
	}
}

func TestUnknownWhenNothingWasRecorded(t *testing.T) {
	got := resolve("", "", buildInfo("(devel)"))
	if got.Version != unknown || got.Commit != unknown {
		t.Errorf("resolve = %+v, want %q for both", got, unknown)
	}
	got = resolve("", "", func() (*debug.BuildInfo, bool) { return nil, false })
	if got.Version != unknown || got.Commit != unknown {
		t.Errorf("without build information: resolve = %+v", got)
	}
}
