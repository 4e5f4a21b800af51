//go:build linux

package x11world

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests need an X server. They start their own Xvfb when the binary is
// installed (so they never touch a real desktop session, whatever DISPLAY
// says); otherwise they use $DISPLAY; with neither they fail.
func TestMain(m *testing.M) {
	stop, err := ensureDisplay()
	if err != nil {
		fmt.Fprintln(os.Stderr, "x11world tests need an X server:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func ensureDisplay() (func(), error) {
	if _, err := exec.LookPath("Xvfb"); err == nil {
		disp, stop, err := startXvfb("-screen", "0", "3200x1200x24")
		if err != nil {
			return nil, err
		}
		os.Setenv("DISPLAY", disp)
		return stop, nil
	}
	if os.Getenv("DISPLAY") != "" {
		return func() {}, nil
	}
	return nil, fmt.Errorf("DISPLAY is not set and Xvfb is not installed (apt-get install xvfb)")
}

// startXvfb starts an Xvfb on a free display number (-displayfd) and
// returns that display.
func startXvfb(args ...string) (string, func(), error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-nolisten", "tcp", "-noreset"}, args...)...)
	cmd.ExtraFiles = []*os.File{w} // fd 3
	// Xvfb chatters on stderr (e.g. while -displayfd skips busy displays):
	// keep it for the error message only.
	var errOut lockedBuffer
	cmd.Stderr = &errOut
	// Don't outlive a test binary that panics.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		w.Close()
		return "", nil, fmt.Errorf("start Xvfb: %w", err)
	}
	w.Close()
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			stop()
			return "", nil, fmt.Errorf("Xvfb exited without reporting a display: %s", errOut.String())
		}
		return ":" + n, stop, nil
	case <-time.After(20 * time.Second):
		stop()
		return "", nil, fmt.Errorf("Xvfb did not report a display within 20s: %s", errOut.String())
	}
}

// needXvfb is for tests that start a second, differently configured server.
func needXvfb(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("this test needs the Xvfb binary (apt-get install xvfb)")
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
