//go:build gui

package guitest

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot/xshottest"
)

// The screenshot entries, as the Chinese menu labels them.
const (
	menuShotArea = "截图（选区）"
	menuShotFull = "全屏截图"
	shotOverlay  = "Tachikoma 截图"
)

// TestScreenshotArea picks "Screenshot (area)" in the pet's menu, drags a
// rectangle over a window with a known image and presses Enter: the
// clipboard holds exactly that rectangle. The loupe shows the pixel under
// the pointer; Esc closes the overlay with nothing left; "Full screen"
// saves the screen in Pictures/Screenshots without the pet. Once without a
// compositor, once with xcompmgr.
func TestScreenshotArea(t *testing.T)           { testScreenshotArea(t, false) }
func TestScreenshotAreaComposited(t *testing.T) { testScreenshotArea(t, true) }

func testScreenshotArea(t *testing.T, composited bool) {
	if _, err := exec.LookPath("xclip"); err != nil {
		t.Fatal("xclip is missing (apt-get install xclip)")
	}
	s := startX(t, composited)
	s.startBackdrop()
	want := xshottest.Pattern(64, 48)
	xshottest.ShowImage(t, s.display, want, 700, 100)
	p := s.startPet([]string{"HOME=" + s.dir}, "--pets", "1", "--no-chat", "--lang", "zh")

	overlay := func() string { return s.visibleWindow(shotOverlay) }
	opened := 0
	openOverlay := func() { opened++; openShotOverlay(t, s, p, opened) }
	clipboard := func() []byte {
		cmd := exec.Command("xclip", "-selection", "clipboard", "-t", "image/png", "-o")
		cmd.Env = s.env
		out, _ := cmd.Output()
		return out
	}

	openOverlay()
	s.xdotool("mousemove", "710", "108", "mousedown", "1")
	s.xdotool("mousemove", "725", "118")
	s.xdotool("mousemove", "741", "127", "mouseup", "1") // inclusive: 32×20 from (710,108)
	s.xdotool("key", "Return")
	waitFor(t, 15*time.Second, "the overlay to close", func() bool { return overlay() == "" })
	var got image.Image
	waitFor(t, 15*time.Second, "a PNG on the clipboard", func() bool {
		img, err := png.Decode(bytes.NewReader(clipboard()))
		got = img
		return err == nil
	})
	if got.Bounds().Dx() != 32 || got.Bounds().Dy() != 20 {
		t.Fatalf("clipboard image is %v, want 32×20", got.Bounds())
	}
	if err := xshottest.Diff(got, got.Bounds().Min, shot.Crop(want, image.Rect(10, 8, 42, 28))); err != nil {
		t.Fatalf("clipboard: %v", err)
	}

	// The loupe: 8× beside the pointer, the pixel under it in the middle.
	openOverlay()
	s.xdotool("mousemove", "720", "110")
	under := want.RGBAAt(20, 10)
	waitFor(t, 15*time.Second, "the loupe to show the pixel under the pointer", func() bool {
		img := s.screenshot()
		return img.RGBAAt(804, 194) == under && img.RGBAAt(801, 191) == under
	})

	// Esc: the overlay goes, the clipboard keeps the last shot.
	s.xdotool("key", "Escape")
	waitFor(t, 15*time.Second, "the overlay to close on Esc", func() bool { return overlay() == "" })
	if img, err := png.Decode(bytes.NewReader(clipboard())); err != nil || img.Bounds().Dx() != 32 {
		t.Errorf("Esc changed the clipboard: %v", err)
	}

	// Full screen: saved under the Pictures folder, without the pet.
	pe := p.read().Pets[0]
	translateMenu(s, p, menuShotFull)
	dir := filepath.Join(s.dir, "Pictures", "Screenshots")
	var file string
	waitFor(t, 15*time.Second, "a file in Pictures/Screenshots", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "Tachikoma_*.png"))
		if len(m) > 0 {
			file = m[0]
		}
		return file != ""
	})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	full, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if full.Bounds() != image.Rect(0, 0, 1280, 800) {
		t.Fatalf("full screen is %v", full.Bounds())
	}
	if err := xshottest.Diff(full, image.Pt(700, 100), want); err != nil {
		t.Fatalf("full screen: %v", err)
	}
	// The pet walks along its floor: its rows must show only the backdrop.
	for y := pe.WinY + pe.H/4; y < pe.WinY+pe.H*3/4; y++ {
		for x := 0; x < 1280; x++ {
			if r, g, b, _ := full.At(x, y).RGBA(); uint8(r>>8) != backdrop.R || uint8(g>>8) != backdrop.G || uint8(b>>8) != backdrop.B {
				t.Fatalf("the pet is in the screenshot: pixel (%d,%d) = #%02x%02x%02x, backdrop %v", x, y, r>>8, g>>8, b>>8, backdrop)
			}
		}
	}
	p.waitState("the pet back after the grab", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) == 1 && st.Pets[0].Visible && !st.Hidden
	})
}

// visibleWindow is the id of the visible window named name, "" if none.
func (s *xsession) visibleWindow(name string) string {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+name+"$")
	cmd.Env = s.env
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

// openShotOverlay picks Screenshot (area) in the pet's menu and waits for
// the n-th overlay to hold the keys.
func openShotOverlay(t *testing.T, s *xsession, p *pet, n int) {
	t.Helper()
	translateMenu(s, p, menuShotArea)
	waitFor(t, 15*time.Second, "the screenshot overlay", func() bool { return s.visibleWindow(shotOverlay) != "" },
		func() string { return tail(s.logOf("pet"), 30) })
	overlayKeys(t, s, n)
}

// overlayKeys readies the n-th overlay for keys the way a window manager
// leaves it: focus stays on another window (the backdrop), as no manager
// focuses an override-redirect window, so keys reach the overlay only
// through its grab; then it waits for the pet to log that grab.
func overlayKeys(t *testing.T, s *xsession, n int) {
	t.Helper()
	bd := strings.Fields(s.run(nil, "xdotool", "search", "--name", "^tachikoma-test-backdrop$"))
	if len(bd) == 0 {
		t.Fatal("no backdrop window")
	}
	s.xdotool("windowfocus", "--sync", bd[0])
	waitFor(t, 15*time.Second, "the overlay to grab keyboard and pointer", func() bool {
		return strings.Count(s.logOf("pet"), "screenshot overlay grabbed keyboard and pointer") >= n
	}, func() string { return tail(s.logOf("pet"), 30) })
}
