package main

import (
	"path/filepath"
	"testing"
)

// Bad flags must be rejected before GTK starts (exit status 2), so these
// run without a display.
func TestRejectsBadFlags(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "settings.yaml")
	cases := [][]string{
		{"--scale", "7"},
		{"--lang", "fr"},
		{"--pets", "99"},
		{"--log-level", "loud"},
		{"--no-such-flag"},
		{"stray-argument"},
		{"--server", "http://example.org"},
		{"--server", "mqtt://"},
	}
	for _, args := range cases {
		if code := run(append([]string{"--config", cfg}, args...)); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestVersion(t *testing.T) {
	if code := run([]string{"--version"}); code != 0 {
		t.Fatalf("--version: exit %d", code)
	}
}

func TestDispatchRunsRegisteredSubcommand(t *testing.T) {
	var got []string
	subcommands["test-echo"] = subcommand{summary: "test", run: func(args []string) int { got = args; return 7 }}
	defer delete(subcommands, "test-echo")
	if code := run([]string{"test-echo", "a", "--b"}); code != 7 || len(got) != 2 || got[1] != "--b" {
		t.Fatalf("dispatch: exit %d, args %q", code, got)
	}
	if code := run([]string{"not-a-tool"}); code != 2 {
		t.Fatalf("unknown word: exit %d, want 2", code)
	}
}
