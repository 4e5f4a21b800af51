package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStartRemovesWhatKilledRunsLeft: a test binary killed by its timeout
// or a panic never runs Stop, and its cluster's directory (over 100 MB)
// stays in the temp dir; the next Start removes such directories, and
// keeps those of runs still alive.
func TestStartRemovesWhatKilledRunsLeft(t *testing.T) {
	tmp, err := os.MkdirTemp("", "pgsweep-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil { // the server runs as postgres
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	leftover := func(name string, owner int, age time.Duration) string {
		dir := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if owner != 0 {
			if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(owner)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(dir, old, old); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	killed := leftover("pgtest-1", dead.Process.Pid, 0)
	unowned := leftover("pgtest-2", 0, 2*time.Hour) // left by a version without owner files
	alive := leftover("pgtest-3", os.Getpid(), 2*time.Hour)
	starting := leftover("pgtest-4", 0, 0) // made an instant ago, owner not written yet
	other := leftover("other-1", dead.Process.Pid, 2*time.Hour)

	s, err := Start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for dir, want := range map[string]bool{killed: false, unowned: false, alive: true, starting: true, other: true} {
		_, err := os.Stat(dir)
		if got := err == nil; got != want {
			t.Errorf("%s: kept %v, want %v (%v)", filepath.Base(dir), got, want, err)
		}
	}
	if owner, err := os.ReadFile(filepath.Join(s.dir, "owner.pid")); err != nil || string(owner) != strconv.Itoa(os.Getpid()) {
		t.Errorf("the new cluster's owner file: %q, %v", owner, err)
	}
}

// TestStartEndsServersKilledRunsLeftFrozen: a run killed while its server
// was paused (TestTimeouts freezes it) leaves that server stopped, deaf to
// the signal its parent's death sent, for good; the next Start ends it.
func TestStartEndsServersKilledRunsLeftFrozen(t *testing.T) {
	old, err := Start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer old.Stop()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old.dir, "owner.pid"), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	procs := append(children(old.proc.Process.Pid), old.proc.Process.Pid)
	if err := old.Pause(); err != nil {
		t.Fatal(err)
	}
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	select {
	case <-old.exited:
	case <-time.After(time.Minute):
		t.Fatal("the frozen server of a dead run is still there")
	}
	deadline := time.Now().Add(time.Minute)
	for _, pid := range procs {
		for running(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d of the frozen server is still there", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// running reports a process that exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
