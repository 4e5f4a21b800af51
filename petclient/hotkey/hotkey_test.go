package hotkey

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Key{
		"Ctrl+Alt+T":   {xproto.ModMaskControl | xproto.ModMask1, 't'},
		"super + f8":   {xproto.ModMask4, 0xffc5},
		"Ctrl+Shift+7": {xproto.ModMaskControl | xproto.ModMaskShift, '7'},
		"Alt+space":    {xproto.ModMask1, 0x20},
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "T", "Shift+T", "Hyper+T", "Ctrl+Alt+", "Ctrl+F0", "Ctrl+F25", "Ctrl+F1x", "Ctrl+ä", "Ctrl+Alt+Tab"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestGrabUnderXvfb grabs Ctrl+Alt+T on a private Xvfb, presses it with
// xdotool, and checks a second grab of the same keys is refused.
func TestGrabUnderXvfb(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (apt-get install xvfb xdotool)", tool)
		}
	}
	r, w, _ := os.Pipe()
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "640x480x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer func() { x.Process.Kill(); x.Wait() }()
	buf := make([]byte, 16)
	r.SetReadDeadline(time.Now().Add(15 * time.Second))
	n, err := r.Read(buf)
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	display := ":" + strings.TrimSpace(string(buf[:n]))

	k, _ := Parse("Ctrl+Alt+T")
	pressed := make(chan struct{}, 4)
	g, err := Listen(display, k, func() { pressed <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := Listen(display, k, func() {}); !errors.Is(err, ErrTaken) {
		t.Errorf("second grab: %v, want ErrTaken", err)
	}
	for try := 0; ; try++ {
		cmd := exec.Command("xdotool", "key", "ctrl+alt+t")
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool: %v %s", err, out)
		}
		select {
		case <-pressed:
			return
		case <-time.After(3 * time.Second):
			if try == 3 {
				t.Fatal("the hotkey never fired")
			}
		}
	}
}
