package spriteimportui

import (
	"fmt"
	"image"
	"image/color"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop/menu"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport/spritetest"
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
	drop  func(string)
}

// newFakeApp has the pet menu's look section: a size and a pack submenu.
func newFakeApp() *fakeApp {
	a := &fakeApp{}
	a.menus.Add("core.look", menu.OrderLook, menu.PetMenu, menu.SectionFunc(func(menu.Context) []menu.Item {
		return []menu.Item{{ID: "size"}, {ID: menu.PackSubmenu, Children: []menu.Item{{ID: "pack."}, {ID: "pack.cat"}}}}
	}))
	a.menus.Add("core.pets", menu.OrderPets, menu.PetMenu, menu.SectionFunc(func(menu.Context) []menu.Item {
		return []menu.Item{{ID: "pets.summon"}}
	}))
	return a
}

func (a *fakeApp) Lang() i18n.Lang       { return i18n.Chinese }
func (a *fakeApp) Menus() *menu.Registry { return &a.menus }
func (a *fakeApp) UpdateSettings(f func(*settings.Settings)) {
	a.mu.Lock()
	f(&a.set)
	a.mu.Unlock()
}
func (a *fakeApp) OnDrop(f func(string)) { a.drop = f }
func (a *fakeApp) pack() string          { a.mu.Lock(); defer a.mu.Unlock(); return a.set.Pack }

// walkGIF: a dark figure stepping on a white background, 3 frames.
func walkGIF(t *testing.T, dir string) string {
	b, err := spritetest.Walk{Width: 40, Height: 40, Figure: image.Rect(10, 8, 26, 36), Step: 2,
		Frames: 3, Delay: 10, Colour: color.RGBA{30, 40, 90, 255}}.GIF()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "walk.gif")
	if err := os.WriteFile(name, b, 0o644); err != nil {
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
	app := newFakeApp()
	var u *UI
	onMain(func() { u = Attach(app, Options{UserDir: userDir}) })

	var items []menu.Item
	onMain(func() { items = app.menus.Build(menu.Context{Place: menu.PetMenu, Lang: i18n.Chinese}) })
	entry, ok := menu.Find(items, "sprites.import")
	if !ok || entry.Label != "导入角色图片…" {
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
		// Each frame with its delay; each state with where it comes from.
		if g := glyphs.InWidget(d.strip); strings.Count(g.Text, "100 ms\n") != 3 {
			t.Errorf("frame strip labels %q, want 3 × 100 ms", g.Text)
		}
		if got := d.states.GetActiveText(); got != "走路（walk）← walk.gif，3 帧" {
			t.Errorf("walk shown as %q", got)
		}
		d.states.SetActiveID(engine.AnimClimb)
		if got := d.states.GetActiveText(); got != "爬墙（climb）← walk turned，3 帧" {
			t.Errorf("climb shown as %q", got)
		}
		d.states.SetActiveID(engine.AnimWalk)
		after := d.plan.Clips[engine.AnimWalk].Frames[0]
		if a := after.NRGBAAt(0, 0).A; a != 0 {
			t.Errorf("after: corner alpha %d, want 0", a)
		}
		if c := d.plan.Clips[engine.AnimWalk].Before; c.NRGBAAt(0, 0).A != 255 {
			t.Errorf("before: corner should be the white background")
		}
		if name, _ := d.name.GetText(); name != filepath.Base(filepath.Dir(src)) {
			t.Errorf("suggested name %q, want the folder's", name)
		}
		d.name.SetText(" ")
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
	app := newFakeApp()
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

// Without a data folder (no HOME) the import says why, writes nothing and
// keeps the dialog open.
func TestImportWithoutDataFolder(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	t.Chdir(t.TempDir())
	src := walkGIF(t, t.TempDir())
	app := newFakeApp()
	var u *UI
	onMain(func() { u = Attach(app, Options{}); u.Show([]string{src}) })
	waitFor(t, "the preview", func() bool { return u.dlg.plan != nil && u.dlg.importB.GetSensitive() })
	onMain(func() { u.dlg.w.Response(gtk.RESPONSE_OK) })
	said := func() string { s, _ := u.dlg.status.GetText(); return s }
	waitFor(t, "the error", func() bool { return u.Dialog() == nil || strings.Contains(said(), "$HOME") })
	onMain(func() {
		if u.Dialog() == nil {
			t.Error("the dialog closed")
			return
		}
		if s := said(); !strings.HasPrefix(s, "无法导入：user packs: ") {
			t.Errorf("said %q", s)
		}
		u.dlg.w.Destroy()
	})
	if id := app.pack(); id != "" {
		t.Errorf("the pet switched to pack %q", id)
	}
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("wrote %v into the working directory", left)
	}
}

// Every pet state has a name in both languages.
func TestStateNames(t *testing.T) {
	for _, l := range []i18n.Lang{i18n.English, i18n.Chinese} {
		for _, st := range engine.RequiredAnimations {
			if k := i18n.SpritesStateName(st); l.T(k) == string(k) {
				t.Errorf("%s: no name for %s", l, st)
			}
		}
	}
}

// The entry is where a user looks for characters: last in the pet menu's
// sprite-pack submenu after a separator, in both languages; the tray,
// which has no such submenu, lists it on its own.
func TestMenuEntryInPackSubmenu(t *testing.T) {
	app := newFakeApp()
	onMain(func() { Attach(app, Options{UserDir: t.TempDir()}) })
	for lang, label := range map[i18n.Lang]string{i18n.Chinese: "导入角色图片…", i18n.English: "Import sprites…"} {
		pet := app.menus.Build(menu.Context{Place: menu.PetMenu, Lang: lang})
		for _, it := range pet {
			if it.ID == "sprites.import" {
				t.Fatalf("%s: the entry is a section of its own, not in the pack submenu", lang)
			}
		}
		packs, _ := menu.Find(pet, menu.PackSubmenu)
		n := len(packs.Children)
		if n < 4 || packs.Children[n-1].ID != "sprites.import" || packs.Children[n-2].Kind != menu.Separator {
			t.Fatalf("%s: pack submenu %+v, want the packs, a separator, then the import entry", lang, packs.Children)
		}
		if got := packs.Children[n-1].Label; got != label {
			t.Errorf("%s: label %q, want %q", lang, got, label)
		}
		tray := app.menus.Build(menu.Context{Place: menu.TrayMenu, Lang: lang})
		if it, ok := menu.Find(tray, "sprites.import"); !ok || it.Label != label {
			t.Errorf("%s: tray %+v lacks the entry", lang, tray)
		}
	}
}

// fileURI is how a file manager names a dropped path: percent-encoded.
func fileURI(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

// Dropping a file manager's selection on a pet opens the dialog with its
// local files (a Chinese folder name, percent-encoded) and says, in
// Chinese, which entry was not a local file; the folder's name is offered
// and Enter in the name field imports.
func TestImportDialogDrop(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "图片 素材")
	os.Mkdir(dir, 0o755)
	src := walkGIF(t, dir)
	list := "https://example.com/cat.gif\r\n" + fileURI(src) + "\r\n"
	if !strings.Contains(list, "%E5%9B%BE") {
		t.Fatalf("the URI list is not percent-encoded: %q", list)
	}
	app := newFakeApp()
	var u *UI
	userDir := t.TempDir()
	onMain(func() { u = Attach(app, Options{UserDir: userDir}); app.drop(list) })
	waitFor(t, "the dropped picture's preview", func() bool {
		s, _ := u.dlg.status.GetText()
		return u.dlg.plan != nil && !strings.Contains(s, "正在")
	})
	onMain(func() {
		d := u.dlg
		if len(d.sources) != 1 || d.sources[0].Path != src {
			t.Errorf("sources %+v, want %s", d.sources, src)
		}
		if c := d.plan.Clips[engine.AnimWalk]; c == nil || len(c.Frames) != 3 {
			t.Errorf("walk not previewed from the dropped GIF")
		}
		s, _ := d.status.GetText()
		if !strings.Contains(s, "只能拖入本机的文件") || !strings.Contains(s, "https://example.com/cat.gif") {
			t.Errorf("status %q does not name the refused drop", s)
		}
		if g := glyphs.InWidget(d.w); g.Unknown != 0 || !strings.Contains(g.Text, "只能拖入") {
			t.Errorf("the dialog draws %d glyphs as boxes:\n%s", g.Unknown, g.Text)
		}
		if name, _ := d.name.GetText(); name != "图片 素材" {
			t.Errorf("offered name %q, want the folder's", name)
		}
		d.name.Activate() // Enter
	})
	waitFor(t, "the import", func() bool { return u.Dialog() == nil })
	p, err := pack.Load(filepath.Join(userDir, app.pack()))
	if err != nil || p.Meta().Name != "图片 素材" {
		t.Fatalf("imported pack: %v %v", p, err)
	}
}

// A real drag: another window offers a file's URI, the pointer carries it
// over the dialog (XTest through xdotool), and the dialog takes it as a
// source, through GTK's own drag-data-received.
func TestImportDialogRealDrag(t *testing.T) {
	xdotool, err := exec.LookPath("xdotool")
	if err != nil {
		t.Skip("no xdotool")
	}
	src := walkGIF(t, filepath.Join(t.TempDir()))
	app := newFakeApp()
	var u *UI
	var from *gtk.Window
	onMain(func() {
		u = Attach(app, Options{UserDir: t.TempDir()})
		u.Show(nil)
		u.dlg.w.Move(400, 100)
		from, _ = gtk.WindowNew(gtk.WINDOW_TOPLEVEL)
		from.SetDefaultSize(120, 120)
		from.Move(20, 100)
		te, _ := gtk.TargetEntryNew("text/uri-list", 0, 0)
		from.DragSourceSet(gdk.BUTTON1_MASK, []gtk.TargetEntry{*te}, gdk.ACTION_COPY)
		from.Connect("drag-data-get", func(_, _ any, sel *gtk.SelectionData) { sel.SetURIs([]string{fileURI(src)}) })
		from.ShowAll()
	})
	defer onMain(func() { from.Destroy(); u.dlg.w.Destroy() })
	waitFor(t, "both windows on screen", func() bool {
		return from.GetMapped() && u.dlg.w.GetMapped()
	})
	var dx, dy, dw, dh int
	onMain(func() {
		dx, dy = u.dlg.w.GetPosition()
		dw, dh = u.dlg.w.GetSize()
	})
	xdo := func(args ...string) {
		if out, err := exec.Command(xdotool, args...).CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v %s", args, err, out)
		}
	}
	// Drag, retrying: the first press may come before the source is ready.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		xdo("mousemove", "80", "160")
		xdo("mousedown", "1")
		for i := 1; i <= 10; i++ {
			xdo("mousemove", strconv.Itoa(80+i*(dx+dw/2-80)/10), strconv.Itoa(160+i*(dy+dh/2-160)/10))
			time.Sleep(30 * time.Millisecond) // the drag protocol needs motion events spread over time
		}
		xdo("mouseup", "1")
		ok := false
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && !ok; time.Sleep(50 * time.Millisecond) {
			onMain(func() { ok = len(u.dlg.sources) > 0 })
		}
		if ok {
			break
		}
	}
	onMain(func() {
		if len(u.dlg.sources) != 1 || u.dlg.sources[0].Path != src {
			t.Errorf("sources after the drag: %+v, want %s", u.dlg.sources, src)
		}
	})
}

// The preview shows transparency as a checkerboard and the picture over
// it with crisp, whole-number scaling.
func TestPaintCheckerboard(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for _, p := range []image.Point{{1, 0}, {0, 1}, {1, 1}} {
		m.SetNRGBA(p.X, p.Y, color.NRGBA{200, 30, 20, 255})
	}
	const w, h = 64, 64
	data := make([]byte, 4*w*h)
	onMain(func() {
		s, err := cairo.CreateImageSurfaceForData(data, cairo.FORMAT_ARGB32, w, h, 4*w)
		if err != nil {
			t.Fatal(err)
		}
		cr := cairo.Create(s)
		paint(cr, w, h, m)
		s.Flush()
	})
	at := func(x, y int) color.RGBA { // ARGB32, little-endian: B, G, R, A
		p := data[4*(y*w+x):]
		return color.RGBA{p[2], p[1], p[0], p[3]}
	}
	white, grey, red := color.RGBA{255, 255, 255, 255}, color.RGBA{204, 204, 204, 255}, color.RGBA{200, 30, 20, 255}
	for _, c := range []struct {
		x, y int
		want color.RGBA
		what string
	}{
		{2, 2, white, "checker square under the transparent pixel"},
		{10, 2, grey, "the next checker square"},
		{10, 10, white, "the diagonal checker square"},
		{40, 5, red, "the picture, scaled 32x"},
		{33, 33, red, "the picture's edge, not blurred"},
	} {
		if got := at(c.x, c.y); got != c.want {
			t.Errorf("(%d,%d) %s: %v, want %v", c.x, c.y, c.what, got, c.want)
		}
	}
}

// The file chooser's buttons speak the pet's language; its accept button
// was the English "OK" on a Chinese desktop.
func TestChooserLabels(t *testing.T) {
	for _, tc := range []struct {
		lang                  i18n.Lang
		files, folder, cancel string
		accept                string
	}{
		{i18n.Chinese, "添加图片…", "添加文件夹…", "取消", "添加"},
		{i18n.English, "Add pictures…", "Add folder…", "Cancel", "Add"},
	} {
		for action, title := range map[gtk.FileChooserAction]string{
			gtk.FILE_CHOOSER_ACTION_OPEN: tc.files, gtk.FILE_CHOOSER_ACTION_SELECT_FOLDER: tc.folder,
		} {
			gt, gc, ga := chooserLabels(tc.lang, action)
			if gt != title || gc != tc.cancel || ga != tc.accept {
				t.Errorf("%v %v: %q %q %q; want %q %q %q", tc.lang, action, gt, gc, ga, title, tc.cancel, tc.accept)
			}
		}
	}
}
