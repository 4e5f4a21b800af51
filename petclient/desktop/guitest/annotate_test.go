//go:build gui

package guitest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot/xshottest"
)

const shotPin = "Tachikoma 贴图"

// TestScreenshotAnnotate selects an area over a known image, draws a
// rectangle (R) and types Chinese text (T, then an input method's commit)
// and copies: the clipboard holds the rectangle's exact pixels and the
// text's ink, drawn with no unknown glyphs. Then it pins a selection
// (Ctrl+P): the pin shows those pixels where they were and goes on Esc.
func TestScreenshotAnnotate(t *testing.T) {
	if _, err := exec.LookPath("xclip"); err != nil {
		t.Fatal("xclip is missing (apt-get install xclip)")
	}
	s := startX(t, false)
	s.startBackdrop()
	want := xshottest.Pattern(200, 150)
	xshottest.ShowImage(t, s.display, want, 500, 200)
	p := s.startPet([]string{"HOME=" + s.dir}, "--pets", "1", "--no-chat", "--lang", "zh")
	search := s.visibleWindow
	opened := 0
	openOverlay := func() { opened++; openShotOverlay(t, s, p, opened) }
	red := shot.Colours[0]
	logged := func(what string, n int) {
		t.Helper()
		waitFor(t, 15*time.Second, what, func() bool { return strings.Count(s.logOf("pet"), what) >= n },
			func() string { return tail(s.logOf("pet"), 30) })
	}

	openOverlay()
	s.xdotool("mousemove", "510", "210", "mousedown", "1")
	s.xdotool("mousemove", "600", "280")
	s.xdotool("mousemove", "669", "329", "mouseup", "1") // 160×120 from (510,210)
	s.xdotool("key", "r")
	s.xdotool("mousemove", "520", "220", "mousedown", "1")
	s.xdotool("mousemove", "540", "240")
	s.xdotool("mousemove", "559", "249", "mouseup", "1") // a 40×30 box at (10,10)
	// A custom colour from GTK's chooser for an arrow along the bottom;
	// hovering the button first names it in Chinese, and so is its OK.
	bar := shot.PlaceToolbar(image.Rect(510, 210, 670, 330), []image.Rectangle{image.Rect(0, 0, 1280, 800)}, image.Rect(0, 0, 1280, 800), 1)
	for _, b := range bar.Buttons {
		if b.ID == shot.BtnCustomColour {
			s.xdotool("mousemove", itoa(b.Rect.Min.X+5), itoa(b.Rect.Min.Y+5))
			logged("screenshot hint drawn\" component=screenshot text=自定义颜色… unknown_glyphs=0", 1)
			s.xdotool("click", "1")
		}
	}
	rect := `\((\d+),(\d+)\)-\((\d+),(\d+)\)`
	chooser := regexp.MustCompile(`screenshot colour chooser shown.* chooser=` + rect + ` ok=` + rect + ` label=确定`)
	var cm []string
	waitFor(t, 15*time.Second, "the colour chooser", func() bool {
		cm = chooser.FindStringSubmatch(s.logOf("pet"))
		return cm != nil
	}, func() string { return tail(s.logOf("pet"), 20) })
	s.xdotool("mousemove", itoa(atoi(t, cm[1])+10), itoa(atoi(t, cm[2])+10), "click", "1")                                 // the first swatch
	s.xdotool("mousemove", itoa((atoi(t, cm[5])+atoi(t, cm[7]))/2), itoa((atoi(t, cm[6])+atoi(t, cm[8]))/2), "click", "1") // OK
	picked := regexp.MustCompile(`screenshot colour picked.* colour=#([0-9A-Fa-f]{6})`)
	var pm []string
	waitFor(t, 15*time.Second, "a colour picked", func() bool {
		pm = picked.FindStringSubmatch(s.logOf("pet"))
		return pm != nil
	}, func() string { return tail(s.logOf("pet"), 20) })
	custom := color.RGBA{hexByte(t, pm[1][0:2]), hexByte(t, pm[1][2:4]), hexByte(t, pm[1][4:6]), 255}
	if custom == red {
		t.Fatalf("the chooser gave the preset red")
	}
	s.xdotool("key", "a")
	s.xdotool("mousemove", "520", "320", "mousedown", "1")
	s.xdotool("mousemove", "560", "320")
	s.xdotool("mousemove", "600", "320", "mouseup", "1") // (10,110) to (90,110)
	s.xdotool("key", "1")
	s.xdotool("key", "t")
	s.xdotool("mousemove", "530", "280", "click", "1")
	logged("screenshot text entry shown", 1)
	// The characters get keys of their own first: xdotool would remap a
	// spare key for each and undo it, racing the pet reading the key.
	s.run(nil, "xmodmap", "-e", "keycode 200 = U4F60", "-e", "keycode 201 = U597D")
	s.xdotool("type", "你")
	logged("screenshot text typed\" component=screenshot runes=1", 1)
	s.xdotool("type", "好")
	logged("screenshot text typed\" component=screenshot runes=2", 1)
	s.xdotool("key", "Return")
	logged("screenshot text drawn", 1)
	s.xdotool("key", "Return")
	waitFor(t, 15*time.Second, "the overlay to close", func() bool { return search(shotOverlay) == "" })
	var got *image.RGBA
	waitFor(t, 15*time.Second, "a PNG on the clipboard", func() bool {
		cmd := exec.Command("xclip", "-selection", "clipboard", "-t", "image/png", "-o")
		cmd.Env = s.env
		out, _ := cmd.Output()
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			return false
		}
		got = toRGBA(img)
		return true
	})
	if got.Bounds().Dx() != 160 || got.Bounds().Dy() != 120 {
		t.Fatalf("clipboard image is %v, want 160×120", got.Bounds())
	}
	for _, pt := range []image.Point{{10, 10}, {13, 13}, {49, 39}, {30, 10}} {
		if c := got.RGBAAt(pt.X, pt.Y); c != red {
			t.Errorf("box pixel %v = %v, want %v", pt, c, red)
		}
	}
	if c := got.RGBAAt(30, 110); c != custom {
		t.Errorf("arrow pixel = %v, want the chosen %v", c, custom)
	}
	for _, pt := range []image.Point{{9, 9}, {14, 14}, {30, 25}, {50, 40}} {
		if c, w := got.RGBAAt(pt.X, pt.Y), want.RGBAAt(pt.X+10, pt.Y+10); c != w {
			t.Errorf("pixel %v = %v, want the screen's %v", pt, c, w)
		}
	}
	// The text's top left is where it was clicked: (20,70) in the shot.
	ink := 0
	for y := 70; y < 110; y++ {
		for x := 20; x < 100; x++ {
			if c := got.RGBAAt(x, y); c != want.RGBAAt(x+10, y+10) && reddish(c) {
				ink++
			}
		}
	}
	if ink < 60 {
		t.Errorf("only %d text pixels in the shot's text box", ink)
	}
	m := regexp.MustCompile(`screenshot text drawn.*runes=(\d+) unknown_glyphs=(\d+)`).FindStringSubmatch(s.logOf("pet"))
	if m == nil || m[1] != "2" || m[2] != "0" {
		t.Errorf("text drawn as %q, want 2 runes and no unknown glyphs", m)
	}

	// The pet says so in a bubble with a thumbnail holding the red box.
	bubble := regexp.MustCompile(`screenshot bubble drawn.* text="?已复制！"? unknown_glyphs=(\d+) thumb=true x=(\d+) y=(\d+) w=(\d+) h=(\d+)`)
	var br []string
	waitFor(t, 15*time.Second, "the pet's bubble with a thumbnail", func() bool {
		br = bubble.FindStringSubmatch(s.logOf("pet"))
		return br != nil
	}, func() string { return tail(s.logOf("pet"), 20) })
	if br[1] != "0" {
		t.Errorf("the bubble draws %s glyphs as boxes", br[1])
	}
	area := image.Rect(atoi(t, br[2]), atoi(t, br[3]), atoi(t, br[2])+atoi(t, br[4]), atoi(t, br[3])+atoi(t, br[5]))
	waitFor(t, 15*time.Second, "the thumbnail's red box in the bubble", func() bool {
		img, n := s.screenshot(), 0
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				if reddish(img.RGBAAt(x, y)) {
					n++
				}
			}
		}
		return n >= 20
	})

	// Pin: the same pixels where they were, closed by Esc.
	openOverlay()
	s.xdotool("mousemove", "510", "210", "mousedown", "1")
	s.xdotool("mousemove", "540", "230")
	s.xdotool("mousemove", "569", "249", "mouseup", "1") // 60×40 from (510,210)
	s.xdotool("key", "ctrl+p")
	waitFor(t, 15*time.Second, "the pin window", func() bool { return search(shotPin) != "" },
		func() string { return tail(s.logOf("pet"), 30) })
	waitFor(t, 15*time.Second, "the pin to show the shot where it was", func() bool {
		img := s.screenshot()
		return xshottest.Diff(img, image.Pt(510, 210), shot.Crop(want, image.Rect(10, 10, 70, 50))) == nil &&
			img.RGBAAt(509, 209) != want.RGBAAt(9, 9) // the pin's frame
	})
	// Its menu in Chinese, then the wheel zooms it.
	s.xdotool("mousemove", "540", "230", "click", "3")
	logged("screenshot pin menu shown", 1)
	if m := regexp.MustCompile(`screenshot pin menu shown.* unknown_glyphs=(\d+) text="?\[([^\]]*)\]`).FindStringSubmatch(s.logOf("pet")); m == nil || m[1] != "0" || m[2] != "复制 保存 关闭" {
		t.Errorf("the pin's menu: %q", m)
	}
	// 保存 saves the pin in Pictures/Screenshots, and the pet says where.
	s.xdotool("key", "Down", "Down", "Return")
	var saved []string
	waitFor(t, 15*time.Second, "the pin saved", func() bool {
		saved, _ = filepath.Glob(filepath.Join(s.dir, "Pictures", "Screenshots", "Tachikoma_*.png"))
		return len(saved) == 1
	}, func() string { return tail(s.logOf("pet"), 20) })
	logged(`screenshot bubble drawn" component=screenshot text="已保存到 `+saved[0]+`" unknown_glyphs=0 thumb=true`, 1)
	if data, err := os.ReadFile(saved[0]); err != nil {
		t.Fatal(err)
	} else if img, err := png.Decode(bytes.NewReader(data)); err != nil || xshottest.Diff(img, image.Point{}, shot.Crop(want, image.Rect(10, 10, 70, 50))) != nil {
		t.Errorf("the saved pin: %v", err)
	}
	s.xdotool("click", "4")
	logged("screenshot pin zoomed\" component=screenshot zoom=1.1 w=66 h=44", 1)
	if search(shotPin) == "" {
		t.Fatal("the pin closed with its menu")
	}
	s.xdotool("key", "Escape")
	waitFor(t, 15*time.Second, "the pin to close on Esc", func() bool { return search(shotPin) == "" },
		func() string { return tail(s.logOf("pet"), 30) })
	waitFor(t, 15*time.Second, "the screen without the pin's frame", func() bool {
		return s.screenshot().RGBAAt(509, 209) == want.RGBAAt(9, 9)
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hexByte(t *testing.T, s string) uint8 {
	t.Helper()
	n, err := strconv.ParseUint(s, 16, 8)
	if err != nil {
		t.Fatal(err)
	}
	return uint8(n)
}

func reddish(c color.RGBA) bool { return c.R > 150 && c.G < 120 && c.B < 120 }

func toRGBA(img image.Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			out.Set(x, y, img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y))
		}
	}
	return out
}

// TestScreenshotPinCommand runs `tachikoma screenshot --full --pin` with no
// pet: the pin holds the screen's pixels after the window it showed is
// gone, and Esc closes it and ends the command. Then an area pinned with
// Ctrl+P in the command's own overlay shows at the place it was selected.
func TestScreenshotPinCommand(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	want := xshottest.Pattern(64, 48)
	shown := xshottest.ShowImage(t, s.display, want, 700, 100)
	cmd := s.start("pin", []string{"HOME=" + s.dir, "LANG=C.UTF-8"}, bins.pet, "screenshot", "--full", "--pin")
	waitFor(t, 15*time.Second, "the pin window", func() bool {
		return s.visibleWindow("Tachikoma pin") != ""
	}, func() string { return tail(s.logOf("pin"), 20) })
	shown.Close() // the window goes; the pin still shows what it held
	waitFor(t, 15*time.Second, "the pinned pixels", func() bool {
		return xshottest.Diff(s.screenshot(), image.Pt(700, 100), want) == nil
	})
	s.xdotool("key", "Escape")
	waitFor(t, 15*time.Second, "the command to end on Esc", func() bool { return !running(cmd) },
		func() string { return tail(s.logOf("pin"), 20) })
	if img := s.screenshot(); xshottest.Diff(img, image.Pt(700, 100), want) == nil {
		t.Error("the pinned pixels stayed after Esc")
	}
	if !strings.Contains(s.logOf("pin"), "Pinned") {
		t.Errorf("the command said: %s", s.logOf("pin"))
	}

	// An area pinned with Ctrl+P stays where it was selected.
	shown = xshottest.ShowImage(t, s.display, want, 700, 100)
	cmd = s.start("area-pin", []string{"HOME=" + s.dir, "LANG=C.UTF-8"}, bins.pet, "screenshot", "--alone")
	waitFor(t, 15*time.Second, "the overlay", func() bool { return s.visibleWindow("Tachikoma screenshot") != "" },
		func() string { return s.logOf("area-pin") })
	s.xdotool("mousemove", "710", "108", "mousedown", "1")
	s.xdotool("mousemove", "725", "118")
	s.xdotool("mousemove", "741", "127", "mouseup", "1") // 32×20 from (710,108)
	s.xdotool("key", "ctrl+p")
	waitFor(t, 15*time.Second, "the area's pin", func() bool { return s.visibleWindow("Tachikoma pin") != "" },
		func() string { return tail(s.logOf("area-pin"), 20) })
	shown.Close()
	part := shot.Crop(want, image.Rect(10, 8, 42, 28))
	waitFor(t, 15*time.Second, "the pinned area where it was selected", func() bool {
		return xshottest.Diff(s.screenshot(), image.Pt(710, 108), part) == nil
	}, func() string {
		return s.run(nil, "xdotool", "search", "--name", "^Tachikoma pin$", "getwindowgeometry")
	})
	s.xdotool("key", "Escape")
	waitFor(t, 15*time.Second, "the area's pin to close on Esc", func() bool { return !running(cmd) },
		func() string { return tail(s.logOf("area-pin"), 20) })
}

// TestScreenshotHiDPI runs the command's own overlay at GDK_SCALE=2: a
// rectangle lands on the device pixels dragged over, and the text entry
// shows what is typed where the text tool was clicked.
func TestScreenshotHiDPI(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	xshottest.ShowImage(t, s.display, xshottest.Pattern(400, 300), 500, 200)
	cmd := s.start("cli", []string{"HOME=" + s.dir, "GDK_SCALE=2", "LANG=C.UTF-8"}, bins.pet, "screenshot", "--alone")
	waitFor(t, 15*time.Second, "the overlay", func() bool { return s.visibleWindow("Tachikoma screenshot") != "" },
		func() string { return s.logOf("cli") })
	s.xdotool("mousemove", "520", "220", "mousedown", "1")
	s.xdotool("mousemove", "700", "300")
	s.xdotool("mousemove", "859", "459", "mouseup", "1")
	s.xdotool("key", "r")
	s.xdotool("mousemove", "540", "240", "mousedown", "1")
	s.xdotool("mousemove", "600", "280")
	s.xdotool("mousemove", "639", "299", "mouseup", "1")
	red := shot.Colours[0]
	waitFor(t, 15*time.Second, "the rectangle at its device pixels", func() bool {
		img := s.screenshot()
		// 4 logical px wide: 8 device pixels from the corner dragged from.
		return img.RGBAAt(540, 270) == red && img.RGBAAt(547, 270) == red && img.RGBAAt(548, 270) != red
	})
	s.run(nil, "xmodmap", "-e", "keycode 200 = U4F60")
	s.xdotool("key", "t")
	s.xdotool("mousemove", "560", "360", "click", "1")
	s.xdotool("type", "你")
	waitFor(t, 15*time.Second, "the typed text where the tool was clicked", func() bool {
		img, n := s.screenshot(), 0
		for y := 360; y < 420; y++ {
			for x := 560; x < 620; x++ {
				if reddish(img.RGBAAt(x, y)) {
					n++
				}
			}
		}
		return n >= 100
	})
	s.xdotool("key", "Escape") // the entry
	s.xdotool("key", "Escape") // the overlay
	waitFor(t, 15*time.Second, "the command to end", func() bool { return !running(cmd) }, func() string { return s.logOf("cli") })
}

// TestScreenshotPinSaveThenEsc: Ctrl+S and Esc at once on a command's pin
// still save the picture before the command ends.
func TestScreenshotPinSaveThenEsc(t *testing.T) {
	s := startX(t, false)
	s.startBackdrop()
	cmd := s.start("pin", []string{"HOME=" + s.dir, "LANG=C.UTF-8"}, bins.pet, "screenshot", "--full", "--pin")
	waitFor(t, 15*time.Second, "the pin window", func() bool {
		return s.visibleWindow("Tachikoma pin") != ""
	}, func() string { return tail(s.logOf("pin"), 20) })
	s.xdotool("key", "--delay", "0", "ctrl+s", "Escape")
	waitFor(t, 15*time.Second, "the command to end on Esc", func() bool { return !running(cmd) },
		func() string { return tail(s.logOf("pin"), 20) })
	shots, _ := filepath.Glob(filepath.Join(s.dir, "Pictures", "Screenshots", "Tachikoma_*.png"))
	if len(shots) != 1 || !strings.Contains(s.logOf("pin"), "Saved to") {
		t.Fatalf("saved %v; the command said: %s", shots, s.logOf("pin"))
	}
}
