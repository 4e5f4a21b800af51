package remind

import (
	"errors"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	if p, err := DefaultPath(); p != "/data/tachikoma/reminders.json" || err != nil {
		t.Errorf("DefaultPath = %q, %v", p, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	p, err := DefaultPath()
	if !errors.Is(err, xdgdir.ErrNoHome) || p != "" || !strings.HasPrefix(err.Error(), "reminders: ") {
		t.Errorf("no home: DefaultPath = %q, %v", p, err)
	}
}
