// Package rofs gives tests a read-only folder that stays read-only for
// root too (a tmpfs remounted read-only).
package rofs

import (
	"os"
	"os/exec"
	"testing"
)

// Dir mounts a small tmpfs, lets fill write into it, remounts it
// read-only and returns it; unmounted when the test ends. The test is
// skipped where mounting is not allowed (not root, no mount).
func Dir(t testing.TB, fill func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("a read-only folder needs root to mount a tmpfs")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	fill(dir)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v %s", err, out)
	}
	return dir
}
