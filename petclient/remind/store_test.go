package remind

import (
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

func TestDefaultPath(t *testing.T) {
	xdgdirtest.Check(t, xdgdir.Data, DefaultPath, "tachikoma/reminders.json", "reminders: ")
}
