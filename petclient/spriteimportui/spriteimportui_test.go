package spriteimportui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport"
)

func init() { runtime.LockOSThread() } // GTK stays on the main thread

// TestMain runs GTK's loop on the main thread and the tests beside it;
// without a display (make test-pet gives one) the tests are skipped.
func TestMain(m *testing.M) {
	if os.Getenv("DISPLAY") == "" {
		fmt.Println("spriteimportui: no DISPLAY; skipping the dialog tests")
		os.Exit(0)
	}
	gtk.Init(nil)
	code := make(chan int, 1)
	go func() {
		code <- m.Run()
		glib.IdleAdd(gtk.MainQuit)
	}()
	gtk.Main()
	os.Exit(<-code)
}

// onMain runs f on the GTK thread and waits for it.
func onMain(f func()) {
	done := make(chan struct{})
	glib.IdleAdd(func() { f(); close(done) })
	<-done
}

// waitFor polls cond on the GTK thread with a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		onMain(func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

type fakeApp struct {
	menus menu.Registry
	mu    sync.Mutex
	set   settings.Settings
}

func (a *fakeApp) Lang() i18n.Lang       { return i18n.Chinese }
func (a *fakeApp) Menus() *menu.Registry { return &a.menus }
func (a *fakeApp) UpdateSettings(f func(*settings.Settings)) {
	a.mu.Lock()
	f(&a.set)
	a.mu.Unlock()
}
func (a *fakeApp) pack() string { a.mu.Lock(); defer a.mu.Unlock(); return a.set.Pack }

// walkGIF: a dark figure stepping on a white background, 3 frames.
func walkGIF(t *testing.T, dir string) string {
	pal := color.Palette{color.White, color.RGBA{30, 40, 90, 255}}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: 40, Height: 40}}
	for i := range 3 {
		m := image.NewPaletted(image.Rect(0, 0, 40, 40), pal)
		for y := 8; y < 36; y++ {
			for x := 10 + 2*i; x < 26+2*i; x++ {
				m.SetColorIndex(x, y, 1)
			}
		}
		g.Image, g.Delay = append(g.Image, m), append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "walk.gif")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// The dialog previews the pictures with their background removed, shows
// every state and the walk's frames, follows the slider, and imports into
// the pack directory, switching the pet to the new pack.
func TestImportDialog(t *testing.T) {
	userDir := filepath.Join(t.TempDir(), "packs")
	src := walkGIF(t, t.TempDir())
	app := &fakeApp{}
	var u *UI
	onMain(func() { u = Attach(app, Options{UserDir: userDir}) })

	var items []menu.Item
	onMain(func() { items = app.menus.Build(menu.Context{Place: menu.PetMenu, Lang: i18n.Chinese}) })
	var entry *menu.Item
	for i := range items {
		if items[i].ID == "sprites.import" {
			entry = &items[i]
		}
	}
	if entry == nil || entry.Label != "导入角色图片…" {
		t.Fatalf("menu has no Chinese import entry: %+v", items)
	}
	onMain(entry.Activate)
	waitFor(t, "the dialog", func() bool { return u.Dialog() != nil })

	onMain(func() { u.Show([]string{src}) })
	waitFor(t, "the preview", func() bool { return u.dlg.plan != nil })
	onMain(func() {
		d := u.dlg
		if got := len(d.plan.Clips); got != len(engine.RequiredAnimations) {
			t.Errorf("%d animations previewed", got)
		}
		d.states.SetActiveID(engine.AnimWalk)
		if n := d.strip.GetChildren().Length(); n != 3 {
			t.Errorf("frame strip shows %d frames, want 3", n)
		}
		after := d.plan.Clips[engine.AnimWalk].Frames[0]
		if a := after.NRGBAAt(0, 0).A; a != 0 {
			t.Errorf("after: corner alpha %d, want 0", a)
		}
		if c := d.plan.Clips[engine.AnimWalk].Before; c.NRGBAAt(0, 0).A != 255 {
			t.Errorf("before: corner should be the white background")
		}
		if d.importB.GetSensitive() {
			t.Error("import enabled without a name")
		}
		d.name.SetText("小猫")
	})
	// The slider recomputes the preview (after its short pause).
	var before *spriteimport.Plan
	onMain(func() { before = u.dlg.plan; u.dlg.tol.SetValue(20) })
	waitFor(t, "a new preview", func() bool { return u.dlg.plan != before && u.dlg.plan != nil })
	onMain(func() {
		if !u.dlg.importB.GetSensitive() {
			t.Error("import disabled with a name and a preview")
		}
		u.dlg.w.Response(gtk.RESPONSE_OK)
	})
	waitFor(t, "the import", func() bool { return u.Dialog() == nil })
	id := app.pack()
	if id == "" {
		t.Fatal("the pet was not switched to the new pack")
	}
	p, err := pack.Load(filepath.Join(userDir, id))
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta().Name != "小猫" {
		t.Errorf("pack name %q", p.Meta().Name)
	}
}

// A damaged picture: the dialog says which file and why, and stays open.
func TestImportDialogBadFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "fall.gif")
	os.WriteFile(bad, []byte("GIF89a\x01"), 0o644)
	app := &fakeApp{}
	var u *UI
	onMain(func() { u = Attach(app, Options{UserDir: t.TempDir()}); u.Show([]string{bad}) })
	waitFor(t, "the error", func() bool {
		s, _ := u.dlg.status.GetText()
		return strings.Contains(s, bad) && strings.Contains(s, "无法导入")
	})
	onMain(func() {
		if u.dlg.importB.GetSensitive() {
			t.Error("import enabled for a bad file")
		}
		u.dlg.w.Destroy()
	})
}
