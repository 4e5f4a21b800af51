package instance

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

func TestSecondLockRefusedUntilReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "运行", "pet.lock")
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path); !errors.Is(err, ErrRunning) {
		t.Fatalf("second lock: %v, want ErrRunning", err)
	}
	release()
	again, err := Lock(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if got, err := DefaultPath(); got != "/run/user/1000/tachikoma/pet.lock" || err != nil {
		t.Errorf("with a runtime dir: %q, %v", got, err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "run") // relative: ignored, as the spec says
	xdgdirtest.Check(t, xdgdir.Data, DefaultPath, "tachikoma/pet.lock", "instance lock: no $XDG_RUNTIME_DIR and ")
}
