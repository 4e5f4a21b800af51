//go:build gui

package guitest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot/xshottest"
)

// TestScreenshotTwoMonitors splits the screen into two monitors (xrandr
// --setmonitor) that leave its right edge uncovered, with a different known
// image on each side of their border. The command's own overlay is one
// window over exactly their union; a selection dragged across the border
// is copied pixel for pixel, and the toolbar stays on the monitor holding
// most of the selection although its bottom-right corner is on the other.
func TestScreenshotTwoMonitors(t *testing.T) {
	if _, err := exec.LookPath("xclip"); err != nil {
		t.Fatal("xclip is missing (apt-get install xclip)")
	}
	s := startX(t, false)
	s.startBackdrop() // also keeps the server from resetting between xrandr runs
	// "left" takes over Xvfb's output, so its whole-screen monitor goes.
	s.run(nil, "xrandr", "--setmonitor", "left", "600/160x800/212+0+0", "screen")
	s.run(nil, "xrandr", "--setmonitor", "right", "600/160x700/185+600+0", "none")
	if m := s.run(nil, "xrandr", "--listmonitors"); !strings.Contains(m, "Monitors: 2") || !strings.Contains(m, " left ") || !strings.Contains(m, " right ") {
		t.Fatalf("two monitors wanted:\n%s", m)
	}
	left := xshottest.Pattern(100, 160)
	right := xshottest.Pattern(100, 160)
	for i := range right.Pix {
		if i%4 != 3 {
			right.Pix[i] = 255 - right.Pix[i]
		}
	}
	xshottest.ShowImage(t, s.display, left, 500, 100)
	xshottest.ShowImage(t, s.display, right, 600, 100)
	screen := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	draw.Draw(screen, image.Rect(500, 100, 600, 260), left, image.Point{}, draw.Src)
	draw.Draw(screen, image.Rect(600, 100, 700, 260), right, image.Point{}, draw.Src)

	cmd := s.start("cli", []string{"HOME=" + s.dir, "LANG=C.UTF-8"}, bins.pet, "screenshot", "--alone")
	var win string
	waitFor(t, 15*time.Second, "the overlay", func() bool { win = s.visibleWindow("Tachikoma screenshot"); return win != "" },
		func() string { return s.logOf("cli") })
	geo := s.run(nil, "xdotool", "getwindowgeometry", win)
	if !strings.Contains(geo, "Position: 0,0") || !strings.Contains(geo, "Geometry: 1200x800") {
		t.Fatalf("the overlay should cover both monitors, 1200x800 at 0,0:\n%s", geo)
	}

	// 80 columns on the left monitor, 60 on the right.
	s.xdotool("mousemove", "520", "150", "mousedown", "1")
	s.xdotool("mousemove", "600", "175")
	s.xdotool("mousemove", "659", "199", "mouseup", "1")
	s.xdotool("mousemove", "300", "600") // the loupe away from the toolbar
	sel := image.Rect(520, 150, 660, 200)
	var bar string
	waitFor(t, 15*time.Second, "the toolbar on the left monitor", func() bool {
		bar = brightSpan(s.screenshot(), sel.Max.Y+10, 1200) // in its top padding
		return toolbarOnLeft(bar)
	}, func() string { return "toolbar row: " + bar + "\n" + s.logOf("cli") })

	s.xdotool("key", "Return")
	waitFor(t, 15*time.Second, "the command to end", func() bool { return !running(cmd) }, func() string { return s.logOf("cli") })
	if !strings.Contains(s.logOf("cli"), "Copied to the clipboard.") {
		t.Fatalf("the command said: %s", s.logOf("cli"))
	}
	clip := exec.Command("xclip", "-selection", "clipboard", "-t", "image/png", "-o")
	clip.Env = s.env
	data, err := clip.Output()
	if err != nil {
		t.Fatalf("xclip -o: %v", err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("clipboard: %v", err)
	}
	if got.Bounds().Size() != sel.Size() {
		t.Fatalf("clipboard image is %v, want %v", got.Bounds().Size(), sel.Size())
	}
	if err := xshottest.Diff(got, got.Bounds().Min, shot.Crop(screen, sel)); err != nil {
		t.Fatalf("clipboard: %v", err)
	}
}

// brightSpan is "x A-B", the first and last column below limit of row y
// that is near white (the toolbar's background; the overlay dims the rest),
// or "x none".
func brightSpan(img *image.RGBA, y, limit int) string {
	first, last := -1, -1
	for x := 0; x < limit; x++ {
		c := img.RGBAAt(x, y)
		if c.R >= 230 && c.G >= 230 && c.B >= 230 {
			if first < 0 {
				first = x
			}
			last = x
		}
	}
	if first < 0 {
		return "x none"
	}
	return fmt.Sprintf("x %d-%d", first, last)
}

// toolbarOnLeft tells whether a brightSpan lies on the left monitor (x < 600).
func toolbarOnLeft(span string) bool {
	var a, b int
	if _, err := fmt.Sscanf(span, "x %d-%d", &a, &b); err != nil {
		return false
	}
	return b < 600 && b-a > 100
}
