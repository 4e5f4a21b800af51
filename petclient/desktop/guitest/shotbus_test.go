//go:build gui

package guitest

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot/xshottest"
)

// TestScreenshotThroughThePet runs `tachikoma screenshot` while a pet owns
// the session bus: --full comes back without the pet in it, no flags shows
// the pet's area overlay (dragged with xdotool, Enter saves exactly that
// rectangle to --output; Ctrl+P pins it in the pet), Esc makes the command exit 1 "cancelled", an
// unwritable folder leaves the image on the clipboard, --pin pins. Then,
// with no pet, --alone shows the overlay itself.
func TestScreenshotThroughThePet(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	want := xshottest.Pattern(64, 48)
	xshottest.ShowImage(t, s.display, want, 700, 100)
	busEnv := s.startBus()
	p := startBusPet(t, s, busEnv)
	overlayUp := func() bool { return s.visible(shotOverlay) }
	pinUp := func() bool { return s.visible(shotPin) }
	cli := func(env []string, args ...string) func() (int, string) {
		return startShot(t, s, env, args...).wait
	}

	pe := p.read().Pets[0]
	full := filepath.Join(s.dir, "full.png")
	if code, out := cli(busEnv, "--full", "--output", full)(); code != 0 || !strings.Contains(out, "Saved to "+full) {
		t.Fatalf("--full: exit %d: %s", code, out)
	}
	img := readPNG(t, full)
	if err := xshottest.Diff(img, image.Pt(700, 100), want); err != nil {
		t.Fatalf("--full: %v", err)
	}
	for y := pe.WinY; y < pe.WinY+pe.H; y++ {
		for x := pe.WinX; x < pe.WinX+pe.W; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); uint8(r>>8) != backdrop.R || uint8(g>>8) != backdrop.G || uint8(b>>8) != backdrop.B {
				t.Fatalf("the pet is in the screenshot at (%d,%d)", x, y)
			}
		}
	}

	// A folder that cannot be made: a clear error, the image waits on the
	// clipboard, the pet keeps running.
	blocker := filepath.Join(s.dir, "blocker")
	os.WriteFile(blocker, []byte("x"), 0o644)
	code, out := cli(busEnv, "--full", "--output", filepath.Join(blocker, "x.png"))()
	if code != 1 || !strings.Contains(out, "create folder "+blocker) || !strings.Contains(out, "（图片已改为复制到剪贴板）") {
		t.Fatalf("unwritable: exit %d: %s", code, out)
	}
	onClipboard := func() bool {
		cmd := exec.Command("xclip", "-selection", "clipboard", "-t", "image/png", "-o")
		cmd.Env = s.env
		data, _ := cmd.Output()
		img, err := png.Decode(bytes.NewReader(data))
		return err == nil && img.Bounds() == image.Rect(0, 0, 1280, 800) && xshottest.Diff(img, image.Pt(700, 100), want) == nil
	}
	waitFor(t, 15*time.Second, "the full screen on the clipboard", onClipboard)

	// A full disk (a 4 KiB tmpfs): the same, and no half file left there.
	if os.Geteuid() == 0 {
		tiny := filepath.Join(s.dir, "tiny")
		os.Mkdir(tiny, 0o755)
		s.run(nil, "mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", tiny)
		t.Cleanup(func() { exec.Command("umount", tiny).Run() })
		s.run(nil, "sh", "-c", "xclip -selection clipboard -i </dev/null >/dev/null 2>&1") // forget the last image
		code, out := cli(busEnv, "--full", "--output", filepath.Join(tiny, "x.png"))()
		if code != 1 || !strings.Contains(out, "the disk is full") || !strings.Contains(out, "（图片已改为复制到剪贴板）") {
			t.Fatalf("full disk: exit %d: %s", code, out)
		}
		waitFor(t, 15*time.Second, "the full screen on the clipboard after a full disk", onClipboard)
		if left, _ := os.ReadDir(tiny); len(left) != 0 {
			t.Errorf("left on the full disk: %v", left)
		}
	}

	area := filepath.Join(s.dir, "area.png")
	wait := cli(busEnv, "--output", area)
	waitFor(t, 15*time.Second, "the pet's overlay", overlayUp, func() string { return tail(s.logOf("pet"), 30) })
	overlayKeys(t, s, 1)
	s.xdotool("mousemove", "710", "108", "mousedown", "1")
	s.xdotool("mousemove", "725", "118")
	s.xdotool("mousemove", "741", "127", "mouseup", "1") // inclusive: 32×20 from (710,108)
	s.xdotool("key", "Return")
	if code, out := wait(); code != 0 || !strings.Contains(out, "Saved to "+area) {
		t.Fatalf("area: exit %d: %s", code, out)
	}
	if err := xshottest.Diff(readPNG(t, area), image.Point{}, shot.Crop(want, image.Rect(10, 8, 42, 28))); err != nil {
		t.Fatalf("area: %v", err)
	}

	// The command gets the whole overlay, the annotation keys too: Ctrl+P
	// pins the selection in the pet.
	wait = cli(busEnv)
	waitFor(t, 15*time.Second, "the pet's overlay to pin from", overlayUp)
	overlayKeys(t, s, 2)
	s.xdotool("mousemove", "710", "108", "mousedown", "1")
	s.xdotool("mousemove", "725", "118")
	s.xdotool("mousemove", "741", "127", "mouseup", "1")
	s.xdotool("key", "ctrl+p")
	if code, out := wait(); code != 0 || !strings.Contains(out, "Pinned on the screen.") {
		t.Fatalf("Ctrl+P: exit %d: %s", code, out)
	}
	waitFor(t, 15*time.Second, "the pinned selection", pinUp)
	s.xdotool("key", "Escape")
	waitFor(t, 15*time.Second, "the pin to close on Esc", func() bool { return !pinUp() })

	wait = cli(busEnv)
	waitFor(t, 15*time.Second, "the pet's overlay again", overlayUp)
	overlayKeys(t, s, 3)
	s.xdotool("key", "Escape")
	if code, out := wait(); code != 1 || !strings.Contains(out, "cancelled") {
		t.Fatalf("Esc: exit %d: %s", code, out)
	}
	waitFor(t, 15*time.Second, "the overlay to close", func() bool { return !overlayUp() })

	// --pin: the pet pins the shot in its own window; a double click closes
	// it and leaves the pointer free (the overlay below needs it).
	if code, out := cli(busEnv, "--full", "--pin")(); code != 0 || !strings.Contains(out, "Pinned on the screen.") {
		t.Fatalf("--pin: exit %d: %s", code, out)
	}
	waitFor(t, 15*time.Second, "the pin window", pinUp)
	s.xdotool("mousemove", "640", "400", "click", "--repeat", "2", "--delay", "80", "1")
	waitFor(t, 15*time.Second, "the pin to close on a double click", func() bool { return !pinUp() })

	// No pet asked: the command's own overlay; a double click inside the
	// selection ends it without needing the keyboard grab.
	alone := filepath.Join(s.dir, "alone.png")
	wait = cli(chineseSettings(s), "--alone", "--output", alone)
	waitFor(t, 15*time.Second, "the command's own overlay", overlayUp)
	s.xdotool("mousemove", "702", "102", "mousedown", "1")
	s.xdotool("mousemove", "720", "120")
	s.xdotool("mousemove", "741", "131", "mouseup", "1") // 40×30 from (702,102)
	s.xdotool("mousemove", "720", "115", "click", "--repeat", "2", "--delay", "80", "1")
	if code, out := wait(); code != 0 || !strings.Contains(out, "Saved to "+alone) {
		t.Fatalf("alone: exit %d: %s", code, out)
	}
	if err := xshottest.Diff(readPNG(t, alone), image.Point{}, shot.Crop(want, image.Rect(2, 2, 42, 32))); err != nil {
		t.Fatalf("alone: %v", err)
	}
}

// TestScreenshotWaylandPet runs the pet as on a Wayland session (through
// XWayland, here Xvfb) with a stand-in screenshot portal on the bus: the
// shot is the portal's image, not the X root, and the pet's overlay offers
// it for selecting: a dragged area is exactly that part of the portal's image.
func TestScreenshotWaylandPet(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	busEnv := s.startBus()
	portalImg := xshottest.Pattern(1280, 800)
	file := filepath.Join(s.dir, "Screenshot from the portal.png")
	savePNG(t, file, portalImg)
	s.start("portal", busEnv, bins.portal, "-uri", "file://"+strings.ReplaceAll(file, " ", "%20"))
	waitFor(t, 5*time.Second, "the portal", func() bool { return strings.Contains(s.logOf("portal"), "ready") })
	wayland := append([]string{"XDG_SESSION_TYPE=wayland"}, busEnv...)
	startBusPet(t, s, wayland)

	full := filepath.Join(s.dir, "full.png")
	if code, out := startShot(t, s, wayland, "--full", "--output", full).wait(); code != 0 || !strings.Contains(out, "Saved to "+full) {
		t.Fatalf("--full: exit %d: %s", code, out)
	}
	if err := xshottest.Diff(readPNG(t, full), image.Point{}, portalImg); err != nil {
		t.Fatalf("--full is not the portal's image: %v", err)
	}

	area := filepath.Join(s.dir, "area.png")
	cmd := startShot(t, s, wayland, "--output", area)
	waitFor(t, 15*time.Second, "the overlay on the portal's image", func() bool { return s.visible(shotOverlay) },
		func() string { return tail(s.logOf("pet"), 30) })
	overlayKeys(t, s, 1)
	s.xdotool("mousemove", "710", "108", "mousedown", "1")
	s.xdotool("mousemove", "725", "118")
	s.xdotool("mousemove", "741", "127", "mouseup", "1")
	s.xdotool("key", "Return")
	if code, out := cmd.wait(); code != 0 || !strings.Contains(out, "Saved to "+area) {
		t.Fatalf("area: exit %d: %s", code, out)
	}
	if err := xshottest.Diff(readPNG(t, area), image.Point{}, shot.Crop(portalImg, image.Rect(710, 108, 742, 128))); err != nil {
		t.Fatalf("area: %v", err)
	}
}

// TestScreenshotScreenVanishes takes screens away mid-selection. Two
// monitors (xrandr --setmonitor on one Xvfb screen): a selection across
// both, then the right one is removed before Enter; the pet saves exactly
// the frozen pixels and keeps running. Then the command's own overlay
// loses its X server: it exits 1 with GDK's message, no Go panic.
func TestScreenshotScreenVanishes(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	want := xshottest.Pattern(200, 100)
	xshottest.ShowImage(t, s.display, want, 540, 100) // across x=640
	s.run(nil, "xrandr", "--setmonitor", "left", "640/170x800/212+0+0", "none")
	s.run(nil, "xrandr", "--setmonitor", "right", "640/170x800/212+640+0", "none")
	// Xvfb keeps its whole-screen monitor beside them.
	if m := s.run(nil, "xrandr", "--listmonitors"); !strings.Contains(m, " left ") || !strings.Contains(m, " right ") {
		t.Fatalf("two monitors wanted:\n%s", m)
	}
	busEnv := s.startBus()
	p := startBusPet(t, s, busEnv)
	overlayUp := func() bool { return s.visible(shotOverlay) }

	area := filepath.Join(s.dir, "area.png")
	cmd := startShot(t, s, busEnv, "--output", area)
	waitFor(t, 15*time.Second, "the pet's overlay", overlayUp, func() string { return tail(s.logOf("pet"), 30) })
	overlayKeys(t, s, 1)
	s.xdotool("mousemove", "600", "120", "mousedown", "1")
	s.xdotool("mousemove", "650", "140")
	s.xdotool("mousemove", "699", "159", "mouseup", "1") // 100×40 across both monitors
	s.run(nil, "xrandr", "--delmonitor", "right")
	s.xdotool("key", "Return")
	if code, out := cmd.wait(); code != 0 || !strings.Contains(out, "Saved to "+area) {
		t.Fatalf("exit %d: %s", code, out)
	}
	if err := xshottest.Diff(readPNG(t, area), image.Point{}, shot.Crop(want, image.Rect(60, 20, 160, 60))); err != nil {
		t.Fatalf("area: %v", err)
	}
	if !running(p.cmd) {
		t.Fatal("the pet stopped")
	}
	p.waitState("the pet back after the grab", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && st.Pets[0].Visible
	})

	// The command's own overlay, then the X server goes away.
	cmd = startShot(t, s, chineseSettings(s), "--alone", "--output", filepath.Join(s.dir, "lost.png"))
	waitFor(t, 15*time.Second, "the command's overlay", overlayUp)
	s.x.Process.Kill()
	if code, out := cmd.wait(); code != 1 || strings.Contains(out, "panic") || !strings.Contains(out, "X server") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "lost.png")); err == nil {
		t.Error("a file was written from a lost screen")
	}
}

// chineseSettings is the environment of a command that reads a settings
// file choosing Chinese, as a pet's user would have: its overlay is in
// Chinese without a zh_CN locale installed.
func chineseSettings(s *xsession) []string {
	cfg := filepath.Join(s.dir, "zh-config")
	os.MkdirAll(filepath.Join(cfg, "tachikoma"), 0o755)
	os.WriteFile(filepath.Join(cfg, "tachikoma", "settings.yaml"), []byte("language: zh\n"), 0o644)
	return []string{"XDG_CONFIG_HOME=" + cfg}
}

// startBusPet starts a pet with env (a session bus among it) and waits for
// it to answer on the bus.
func startBusPet(t *testing.T, s *xsession, env []string) *pet {
	t.Helper()
	p := s.startPet(env, "--pets", "1", "--no-chat", "--lang", "zh")
	waitFor(t, 15*time.Second, "the pet on the session bus", func() bool {
		return strings.Contains(s.logOf("pet"), "the pet answers on the session bus")
	}, func() string { return tail(s.logOf("pet"), 30) })
	return p
}

// shotCmd is a `tachikoma screenshot` running in the background.
type shotCmd struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  bytes.Buffer // read only once done is closed
	done chan struct{}
}

func startShot(t *testing.T, s *xsession, env []string, args ...string) *shotCmd {
	t.Helper()
	c := &shotCmd{t: t, done: make(chan struct{})}
	c.cmd = exec.Command(bins.pet, append([]string{"screenshot"}, args...)...)
	c.cmd.Env = append(append([]string{"LANG=C.UTF-8", "HOME=" + s.dir}, s.env...), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.cmd.Process.Kill(); <-c.done })
	return c
}

// wait gives the command's exit code and output once it ends.
func (c *shotCmd) wait() (int, string) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		c.t.Fatalf("%v did not end within 60s", c.cmd.Args)
	}
	return c.cmd.ProcessState.ExitCode(), c.out.String()
}

// visible tells whether a window titled exactly title is on the screen.
func (s *xsession) visible(title string) bool {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+title+"$")
	cmd.Env = s.env
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out)) != ""
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// TestScreenshotPetPinHiDPI: at GDK_SCALE=2 the pet's pin of the full
// screen is the screen's size, not twice it.
func TestScreenshotPetPinHiDPI(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	busEnv := s.startBus()
	startBusPet(t, s, append([]string{"GDK_SCALE=2"}, busEnv...))
	if code, out := startShot(t, s, busEnv, "--full", "--pin").wait(); code != 0 || !strings.Contains(out, "Pinned on the screen.") {
		t.Fatalf("--pin: exit %d: %s", code, out)
	}
	var win string
	waitFor(t, 15*time.Second, "the pin window", func() bool {
		win = s.visibleWindow(shotPin)
		return win != ""
	})
	geom := regexp.MustCompile(`Geometry: (\d+)x(\d+)`)
	var m []string
	waitFor(t, 15*time.Second, "the pin's size", func() bool {
		cmd := exec.Command("xdotool", "getwindowgeometry", win)
		cmd.Env = s.env
		out, _ := cmd.Output()
		m = geom.FindStringSubmatch(string(out))
		return m != nil
	})
	// 1280×800 device pixels and a 1 logical pixel frame.
	if m[1] != "1284" || m[2] != "804" {
		t.Errorf("the pin is %s×%s device pixels, want 1284×804", m[1], m[2])
	}
}

// TestScreenshotPetFolder: the pet saves in the folder of its
// screenshot.dir setting.
func TestScreenshotPetFolder(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	busEnv := s.startBus()
	cfg := filepath.Join(s.dir, "folder-config")
	os.MkdirAll(filepath.Join(cfg, "tachikoma"), 0o755)
	os.WriteFile(filepath.Join(cfg, "tachikoma", "settings.yaml"), []byte("screenshot:\n  dir: ~/截图\n"), 0o644)
	startBusPet(t, s, append([]string{"HOME=" + s.dir, "XDG_CONFIG_HOME=" + cfg}, busEnv...))
	code, out := startShot(t, s, busEnv, "--full").wait()
	if want := filepath.Join(s.dir, "截图", "Tachikoma_"); code != 0 || !strings.Contains(out, "Saved to "+want) {
		t.Fatalf("exit %d: %s (want it in %s)", code, out, want)
	}
}

// Interrupting `tachikoma screenshot --delay 3` ends its request: the pet
// takes no screenshot once the delay is over.
func TestScreenshotPetDelayInterrupted(t *testing.T) {
	s := startX(t, false)
	busEnv := s.startBus()
	startBusPet(t, s, busEnv)
	late := filepath.Join(s.dir, "截图 late.png")
	c := startShot(t, s, busEnv, "--full", "--delay", "3", "--output", late)
	waitFor(t, 15*time.Second, "the request at the pet", func() bool {
		return strings.Contains(s.logOf("pet"), "screenshot asked over the bus")
	}, func() string { return tail(s.logOf("pet"), 30) })
	asked := time.Now()
	c.cmd.Process.Signal(os.Interrupt)
	c.wait()
	taken := func() bool { _, err := os.Stat(late); return err == nil }
	waitFor(t, 15*time.Second, "the pet to drop the request (or take it)", func() bool {
		return taken() || strings.Contains(s.logOf("pet"), "screenshot request dropped")
	}, func() string { return tail(s.logOf("pet"), 30) })
	// A negative check needs a window: until well past the delay.
	for time.Since(asked) < 3*time.Second+4*time.Second {
		if taken() {
			t.Fatalf("the pet took the screenshot after the command was interrupted:\n%s", tail(s.logOf("pet"), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
