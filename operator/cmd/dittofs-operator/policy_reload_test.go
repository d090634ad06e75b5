package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dittofs/dittofs-operator/operator/networking"
)

// TestRefusedNoteNamesTheConfigMapKeyAndLine: a module of the mounted
// ConfigMap that calls http.send gives a note naming the key, the line and
// the refused built-in, and what keeps serving.
func TestRefusedNoteNamesTheConfigMapKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	module := "package dittofs.networking.custom.net\n\ndeny contains msg if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"http://example.com\"})\n\tmsg := r.body\n}\n"
	if err := writeFile(filepath.Join(dir, "platform.rego"), module); err != nil {
		t.Fatal(err)
	}
	var got []networking.ReloadResult
	_, err := networking.NewEngine(networking.Options{PolicyDir: dir, OnReload: func(r networking.ReloadResult) { got = append(got, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Err == nil {
		t.Fatalf("loads reported: %+v", got)
	}
	note := refusedNote(got[0], dir+string(filepath.Separator))
	for _, want := range []string{
		"Refused policy bundle " + got[0].Revision + " (no bundle serves, so adapter objects stay as they are until one loads): " +
			"platform.rego:4: dittofs_refused_builtin: http.send is not allowed in policies",
	} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q\nwant %q", note, want)
		}
	}
	if strings.Contains(note, dir) {
		t.Errorf("note %q names the mount folder", note)
	}
	serving := refusedNote(networking.ReloadResult{Revision: "new", Serving: "old", Err: errors.New("x")}, "")
	if serving != "Refused policy bundle new (revision old keeps serving): x" {
		t.Errorf("note = %q", serving)
	}
}

func TestTruncateFitsTheEventsAPI(t *testing.T) {
	if got := truncate("short"); got != "short" {
		t.Errorf("truncate(short) = %q", got)
	}
	long := strings.Repeat("é", maxEventNote)
	got := truncate(long)
	if len(got) > maxEventNote || !utf8.ValidString(got) || !strings.HasSuffix(got, "...") {
		t.Errorf("truncate gave %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
}

func writeFile(name, content string) error {
	return os.WriteFile(name, []byte(content), 0o600)
}
