//go:build gui

package guitest

import (
	"fmt"
	"image"
	"image/color"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport/spritetest"
)

// orange is the imported character's colour: nothing else on screen has it.
var orange = color.RGBA{R: 0xe2, G: 0x76, B: 0x3a, A: 0xff}

// orangeGIF writes a two-frame walk: an orange figure on a white background.
func orangeGIF(t *testing.T, name string) {
	t.Helper()
	b, err := spritetest.Walk{Width: 60, Height: 70, Figure: image.Rect(12, 10, 44, 64), Step: 3,
		Frames: 2, Delay: 15, Colour: orange}.GIF()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkOrangePet: the pet animates the imported frames and shows the
// orange figure with its white background gone.
func checkOrangePet(t *testing.T, p *pet) {
	t.Helper()
	frames := map[int]bool{}
	waitFor(t, 30*time.Second, "the imported pack animating", func() bool {
		frames[p.read().Pets[0].Frame] = true
		return len(frames) > 1
	})
	pe, img := stillShot(t, p)
	win := image.Rect(pe.WinX, pe.WinY, pe.WinX+pe.W, pe.WinY+pe.H)
	var figure, white int
	for y := win.Min.Y; y < win.Max.Y; y++ {
		for x := win.Min.X; x < win.Max.X; x++ {
			switch c := img.RGBAAt(x, y); {
			case c == orange:
				figure++
			case c.R > 0xf0 && c.G > 0xf0 && c.B > 0xf0:
				white++
			}
		}
	}
	if figure < 200 || white > 0 {
		savePNG(t, filepath.Join(p.s.dir, "imported.png"), crop(img, win))
		t.Fatalf("pet window %v: %d orange pixels (want the figure), %d white (want none: the background was removed)", win, figure, white)
	}
}

// TestImportedPack: pictures imported with `tachikoma pack import` (an
// orange figure on a white background) become the pet on the desktop: the
// pack is chosen, its frames animate, and the white background is gone.
func TestImportedPack(t *testing.T) {
	s := startX(t, true)
	s.startBackdrop()
	src := filepath.Join(s.dir, "walk.gif")
	orangeGIF(t, src)
	out := s.run([]string{"XDG_DATA_HOME=" + filepath.Join(s.dir, "data")},
		bins.pet, "pack", "import", src, "--name", "橘子 Orange", "--id", "orange")
	if !strings.Contains(out, "written to") {
		t.Fatalf("pack import: %s", out)
	}

	p := s.startPet(nil, "--pets", "1", "--pack", "orange")
	p.waitState("the imported pack", 10*time.Second, func(st statefile.State) bool { return st.Pack == "orange" })
	checkOrangePet(t, p)
}

var dragSource struct {
	once sync.Once
	bin  string
	err  error
}

// TestDropOnPetImports: a GIF dragged from a file manager onto the pet
// opens the import dialog with it, the folder's Chinese name offered;
// Enter imports, and the new pack animates on the desktop at once.
func TestDropOnPetImports(t *testing.T) {
	dragSource.once.Do(func() {
		dragSource.bin = filepath.Join(os.TempDir(), "tachikoma-gui-dragsource")
		out, err := exec.Command("go", "build", "-o", dragSource.bin,
			"github.com/tachikoma-pet/tachikoma/petclient/desktop/guitest/dragsource").CombinedOutput()
		if err != nil {
			dragSource.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if dragSource.err != nil {
		t.Fatalf("building the drag source: %v", dragSource.err)
	}
	s := startX(t, true)
	s.startBackdrop()
	dir := filepath.Join(s.dir, "橘子 素材")
	os.Mkdir(dir, 0o755)
	src := filepath.Join(dir, "walk.gif")
	orangeGIF(t, src)

	p := s.startPet(nil, "--pets", "1", "--lang", "zh")
	packBefore := p.read().Pack
	s.start("dragsource", nil, dragSource.bin, "-x", "1100", "-y", "620", (&url.URL{Scheme: "file", Path: src}).String())
	waitFor(t, 10*time.Second, "the drag source", func() bool { return strings.Contains(s.logOf("dragsource"), "ready") })

	search := func() string {
		cmd := exec.Command("xdotool", "search", "--name", "用自己的图片做角色")
		cmd.Env = s.env
		out, _ := cmd.Output()
		return strings.TrimSpace(strings.Split(string(out), "\n")[0])
	}
	// Drag until the dialog is up: the pet may walk away from the pointer.
	var dialog string
	waitFor(t, 60*time.Second, "the import dialog after a drop on the pet", func() bool {
		s.xdotool("mousemove", "1150", "670", "mousedown", "1")
		for i := 1; i <= 10; i++ {
			pe := p.read().Pets[0]
			x, y := pe.WinX+pe.OpaqueX, pe.WinY+pe.OpaqueY
			s.xdotool("mousemove", itoa(1150+i*(x-1150)/10), itoa(670+i*(y-670)/10))
			time.Sleep(40 * time.Millisecond) // the drag protocol needs motion spread over time
		}
		s.xdotool("mouseup", "1")
		return pollUntil(3*time.Second, func() bool { dialog = search(); return dialog != "" })
	}, func() string { return "pet log:\n" + tail(s.logOf("pet"), 20) })

	// The name is offered once the preview is done; Enter then imports.
	p.waitState("the dropped pack imported and chosen", 60*time.Second, func(st statefile.State) bool {
		if st.Pack != packBefore && st.Pack != "" {
			return true
		}
		if id := search(); id != "" {
			// The dialog closes when the import ends, maybe before the key lands.
			if err := s.tryXdotool("windowfocus", "--sync", id, "key", "Return"); err != nil {
				t.Logf("pressing Enter in the dialog: %v", err)
			}
		}
		return false
	})
	entries, _ := os.ReadDir(filepath.Join(s.dir, "data", "tachikoma", "packs"))
	if len(entries) != 1 {
		t.Fatalf("packs after the import: %v", entries)
	}
	manifest := readFile(filepath.Join(s.dir, "data", "tachikoma", "packs", entries[0].Name(), "pack.yaml"))
	if !strings.Contains(manifest, "橘子 素材") {
		t.Fatalf("the pack is not named after its folder:\n%s", manifest)
	}
	checkOrangePet(t, p)

	// The new pack is in the menu at once, the import entry after it,
	// every Chinese glyph drawn.
	p.openMenu()
	st := p.waitState("the menu's glyph report", 3*time.Second, func(st statefile.State) bool { return st.Menu != nil })
	s.xdotool("key", "Escape")
	text := st.Menu.Text
	pk, imp := strings.Index(text, "橘子 素材\n"), strings.Index(text, "导入角色图片…\n")
	if pk < 0 || imp != pk+len("橘子 素材\n") || st.Menu.Unknown != 0 {
		t.Fatalf("menu (%d glyphs as boxes) lacks the new pack followed by the import entry:\n%s", st.Menu.Unknown, text)
	}
}
