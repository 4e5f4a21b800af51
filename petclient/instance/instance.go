// Package instance lets one pet process run per user: the first holds a
// lock file, and a second launch learns that a pet is already running.
package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// ErrRunning means another process holds the lock.
var ErrRunning = errors.New("a Tachikoma is already running")

// DefaultPath is $XDG_RUNTIME_DIR/tachikoma/pet.lock, or beside the pet's
// data ($XDG_DATA_HOME/tachikoma/pet.lock) where there is no runtime dir.
func DefaultPath() (string, error) {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
		return filepath.Join(dir, xdgdir.App, "pet.lock"), nil
	}
	p, err := xdgdir.Data.Path("pet.lock")
	if err != nil {
		return "", fmt.Errorf("instance lock: no $XDG_RUNTIME_DIR and %w", err)
	}
	return p, nil
}

// Lock takes the lock at path for as long as the process runs (the kernel
// drops it when the process ends, even killed). ErrRunning when another
// process holds it.
func Lock(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrRunning, path)
		}
		return nil, fmt.Errorf("instance lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
