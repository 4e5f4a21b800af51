//go:build linux

package x11world

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/xvfb"
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
		disp, stop, err := xvfb.Start("-screen", "0", "3200x1200x24")
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

// needXvfb is for tests that start a second, differently configured server.
func needXvfb(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("this test needs the Xvfb binary (apt-get install xvfb)")
	}
}
