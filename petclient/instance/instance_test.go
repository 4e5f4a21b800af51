package instance

import (
	"errors"
	"path/filepath"
	"testing"
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
	if got := DefaultPath(); got != "/run/user/1000/tachikoma/pet.lock" {
		t.Errorf("with a runtime dir: %s", got)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_DATA_HOME", "/data")
	if got := DefaultPath(); got != "/data/tachikoma/pet.lock" {
		t.Errorf("without: %s", got)
	}
}
