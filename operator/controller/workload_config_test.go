package controller

import (
	"reflect"
	"testing"
)

func TestMergeMaps(t *testing.T) {
	base := map[string]any{
		"logging":      map[string]any{"level": "INFO", "format": "json"},
		"controlplane": map[string]any{"host": "0.0.0.0"},
		"cache":        map[string]any{"path": "/cache"},
	}
	over := map[string]any{
		"logging": map[string]any{"level": "DEBUG"},
		"cache":   "off", // a value replaces a map
		"extra":   map[string]any{"x": 1},
	}
	got := mergeMaps(base, over)
	want := map[string]any{
		"logging":      map[string]any{"level": "DEBUG", "format": "json"},
		"controlplane": map[string]any{"host": "0.0.0.0"},
		"cache":        "off",
		"extra":        map[string]any{"x": 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeMaps = %v, want %v", got, want)
	}
	if base["logging"].(map[string]any)["level"] != "INFO" {
		t.Error("mergeMaps changed its base")
	}
}
