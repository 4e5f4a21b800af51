package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/dbustest"
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

// Without a home there is no settings file to default to: the pet says so
// before GTK starts instead of using one under the working directory.
func TestNoSettingsFileWithoutHome(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	t.Setenv("DISPLAY", "") // were GTK started, it would fail
	for _, args := range [][]string{nil, {"--config", ""}} {
		if code := run(args); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
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

// Launched while a pet runs (twice from the desktop menu), tachikoma asks
// that pet to show itself and add pets, and ends without a second GTK
// process that would say every reminder again.
func TestSecondLaunchAsksTheRunningPet(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("DISPLAY", "") // were GTK started, it would fail
	cfg := filepath.Join(t.TempDir(), "settings.yaml")
	release, err := lockInstance()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// The running pet is not on the bus yet: say so, start nothing.
	if code := run([]string{"--config", cfg}); code != 1 {
		t.Fatalf("pet not on the bus: exit %d, want 1", code)
	}
	pet := serveScriptedPet(t)
	for _, args := range [][]string{{"--lang", "zh"}, {"--pets", "3"}} {
		if code := run(append([]string{"--config", cfg}, args...)); code != 0 {
			t.Fatalf("%v: exit %d, want 0", args, code)
		}
	}
	pet.mu.Lock()
	defer pet.mu.Unlock()
	if !slices.Equal(pet.added, []int{1, 3}) {
		t.Fatalf("the running pet was asked to add %v, want [1 3]", pet.added)
	}
}
