// Package xdgdirtest checks a caller's path lookup built on xdgdir.
package xdgdirtest

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// defaults are the spec's, written out again so the check does not trust
// the code it checks.
var defaults = map[xdgdir.Base]string{xdgdir.Data: ".local/share", xdgdir.Config: ".config", xdgdir.State: ".local/state"}

// Check runs lookup with b's variable absolute, relative and (with no
// home) empty: it must give rel under the base, ignore the relative value,
// and fail with xdgdir.ErrNoHome and an error starting with prefix.
func Check(t *testing.T, b xdgdir.Base, lookup func() (string, error), rel, prefix string) {
	t.Helper()
	t.Setenv(b.Var(), "/xdg")
	if got, err := lookup(); got != filepath.Join("/xdg", rel) || err != nil {
		t.Errorf("$%s=/xdg: %q, %v; want %q", b.Var(), got, err, filepath.Join("/xdg", rel))
	}
	t.Setenv(b.Var(), "relative")
	t.Setenv("HOME", "/home/mei")
	want := filepath.Join("/home/mei", defaults[b], rel)
	if got, err := lookup(); got != want || err != nil {
		t.Errorf("$%s relative: %q, %v; want %q", b.Var(), got, err, want)
	}
	t.Setenv(b.Var(), "")
	t.Setenv("HOME", "")
	got, err := lookup()
	if got != "" || !errors.Is(err, xdgdir.ErrNoHome) || !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("no home: %q, %v; want ErrNoHome after %q", got, err, prefix)
	}
}
