package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/dbustest"
	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal/portaltest"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot/xshottest"
)

// pinned is the image the last shotRun pinned.
var pinned *image.RGBA

func shotRun(t *testing.T, env map[string]string, args ...string) (int, string, string, []time.Duration) {
	t.Helper()
	pinned = nil
	var out, errb bytes.Buffer
	var slept []time.Duration
	code := screenshotCmd(args, &out, &errb, shotEnv{
		getenv:   func(k string) string { return env[k] },
		now:      func() time.Time { return time.Date(2026, 12, 6, 20, 15, 30, 0, time.Local) },
		sleep:    func(d time.Duration) { slept = append(slept, d) },
		fs:       shot.OSFS{},
		lookPath: exec.LookPath,
		pin:      func(img *image.RGBA, _ image.Point, _ io.Writer) error { pinned = img; return nil },
	})
	return code, out.String(), errb.String(), slept
}

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// What is not there yet is refused clearly, not faked.
func TestScreenshotUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--full", "--pin", "--output", "-"}, "--pin and --output - do not go together"},
		{[]string{"--full", "extra"}, "unexpected arguments: extra"},
		{[]string{"--full", "--delay", "soon"}, `--delay "soon"`},
		{[]string{"--full", "--delay", "-1"}, "between 0 and 10 minutes"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	} {
		code, _, errs, _ := shotRun(t, map[string]string{"DISPLAY": ":0"}, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestScreenshotWithoutDisplay(t *testing.T) {
	out := filepath.Join(t.TempDir(), "a.png")
	code, _, errs, _ := shotRun(t, map[string]string{}, "--full", "--output", out)
	if code != 1 || !strings.Contains(errs, "no X display: DISPLAY is not set") {
		t.Fatalf("exit %d, %q", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a file was written without a screen")
	}
}

// Under a private Xvfb: the saved file and the clipboard hold the exact
// pixels of a window at its place on the screen.
func TestScreenshotFull(t *testing.T) {
	xclip, err := exec.LookPath("xclip")
	if err != nil {
		t.Fatal("this test needs xclip (scripts/deps.sh test)")
	}
	disp := xshottest.StartXvfb(t, "640x480x24")
	want := xshottest.Pattern(64, 48)
	xshottest.ShowImage(t, disp, want, 100, 50)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "cfg"), 0o755)
	os.WriteFile(filepath.Join(home, "cfg", "user-dirs.dirs"), []byte("XDG_PICTURES_DIR=\"$HOME/图片\"\n"), 0o644)
	env := map[string]string{"DISPLAY": disp, "HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "cfg")}

	out := filepath.Join(home, "out", "full.png")
	code, stdout, errs, slept := shotRun(t, env, "--full", "--delay", "3", "--output", out, "--copy")
	if code != 0 || !strings.Contains(stdout, "Saved to "+out) || !strings.Contains(stdout, "Copied to the clipboard.") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, errs)
	}
	if len(slept) != 1 || slept[0] != 3*time.Second {
		t.Errorf("slept %v, want [3s]", slept)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)
	if img.Bounds() != image.Rect(0, 0, 640, 480) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	if err := xshottest.Diff(img, image.Pt(100, 50), want); err != nil {
		t.Fatalf("saved file: %v", err)
	}

	targets, err := exec.Command(xclip, "-display", disp, "-selection", "clipboard", "-t", "TARGETS", "-o").Output()
	if err != nil || !strings.Contains(string(targets), "image/png") {
		t.Fatalf("clipboard offers %q (%v), want image/png", targets, err)
	}
	clip, err := exec.Command(xclip, "-display", disp, "-selection", "clipboard", "-t", "image/png", "-o").Output()
	if err != nil {
		t.Fatalf("xclip -o: %v", err)
	}
	if err := xshottest.Diff(decodePNG(t, clip), image.Pt(100, 50), want); err != nil {
		t.Fatalf("clipboard: %v", err)
	}

	// The extension names the format: JPEG for .jpg, and an unknown one
	// is refused before the delay.
	jpg := filepath.Join(home, "out", "全屏.jpg")
	if code, _, errs, _ := shotRun(t, env, "--full", "--output", jpg); code != 0 {
		t.Fatalf(".jpg: exit %d %q", code, errs)
	}
	if data, err := os.ReadFile(jpg); err != nil || !bytes.HasPrefix(data, []byte("\xff\xd8\xff")) {
		t.Fatalf(".jpg holds %.4q (%v), want JPEG", data, err)
	} else if img, err := jpeg.Decode(bytes.NewReader(data)); err != nil || img.Bounds() != image.Rect(0, 0, 640, 480) {
		t.Fatalf(".jpg decodes to %v (%v)", img, err)
	}
	bmp := filepath.Join(home, "out", "x.bmp")
	code, _, errs, slept = shotRun(t, env, "--full", "--delay", "3", "--output", bmp)
	if code != 2 || !strings.Contains(errs, "x.bmp") || !strings.Contains(errs, ".jpg") || len(slept) != 0 {
		t.Fatalf(".bmp: exit %d %q, slept %v; want a refusal before the delay", code, errs, slept)
	}

	// No --output: the Pictures folder from user-dirs.dirs, the usual name.
	code, stdout, errs, _ = shotRun(t, env, "--full")
	path := filepath.Join(home, "图片", "Screenshots", "Tachikoma_2026-12-06_20-15-30.png")
	if code != 0 || !strings.Contains(stdout, "Saved to "+path) {
		t.Fatalf("default folder: exit %d %q %q", code, stdout, errs)
	}
	data, _ = os.ReadFile(path)
	if err := xshottest.Diff(decodePNG(t, data), image.Pt(100, 50), want); err != nil {
		t.Fatalf("default folder: %v", err)
	}

	// The pet's screenshot.dir setting comes before the Pictures folder.
	os.MkdirAll(filepath.Join(home, "cfg", "tachikoma"), 0o755)
	os.WriteFile(filepath.Join(home, "cfg", "tachikoma", "settings.yaml"), []byte("screenshot:\n  dir: ~/截图\n"), 0o644)
	code, stdout, errs, _ = shotRun(t, env, "--full")
	if path := filepath.Join(home, "截图", "Tachikoma_2026-12-06_20-15-30.png"); code != 0 || !strings.Contains(stdout, "Saved to "+path) {
		t.Fatalf("screenshot.dir: exit %d %q %q", code, stdout, errs)
	}
	os.Remove(filepath.Join(home, "cfg", "tachikoma", "settings.yaml"))

	// --output - writes the PNG to standard output.
	code, stdout, _, _ = shotRun(t, env, "--full", "--output", "-")
	if code != 0 {
		t.Fatal("--output -")
	}
	if err := xshottest.Diff(decodePNG(t, []byte(stdout)), image.Pt(100, 50), want); err != nil {
		t.Fatalf("stdout: %v", err)
	}

	// --pin pins the screen and saves nothing unless asked.
	saved, _ := filepath.Glob(filepath.Join(home, "图片", "Screenshots", "*.png"))
	code, _, errs, _ = shotRun(t, env, "--full", "--pin")
	if code != 0 || pinned == nil {
		t.Fatalf("--pin: exit %d %q, pinned %v", code, errs, pinned != nil)
	}
	if err := xshottest.Diff(pinned, image.Pt(100, 50), want); err != nil {
		t.Fatalf("pinned: %v", err)
	}
	if now, _ := filepath.Glob(filepath.Join(home, "图片", "Screenshots", "*.png")); len(now) != len(saved) {
		t.Errorf("--pin saved a file: %v", now)
	}

	// A folder that cannot be made: a clear error, exit 1, nothing written.
	blocker := filepath.Join(home, "blocker")
	os.WriteFile(blocker, []byte("x"), 0o644)
	code, _, errs, _ = shotRun(t, env, "--full", "--output", filepath.Join(blocker, "x.png"))
	if code != 1 || !strings.Contains(errs, "create folder "+blocker) {
		t.Fatalf("unwritable: exit %d %q", code, errs)
	}
}

func TestScreenshotCopyWithoutXclip(t *testing.T) {
	var out, errb bytes.Buffer
	code := screenshotCmd([]string{"--full", "--copy"}, &out, &errb, shotEnv{
		getenv:   func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] },
		now:      time.Now,
		sleep:    func(time.Duration) {},
		fs:       shot.OSFS{},
		lookPath: func(string) (string, error) { return "", exec.ErrNotFound },
	})
	if code != 1 || !strings.Contains(errb.String(), "--copy needs xclip") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
}

// Without a pet or an overlay, an area is refused with what to do instead.
func TestScreenshotAreaAlone(t *testing.T) {
	code, _, errs, _ := shotRun(t, map[string]string{"DISPLAY": ":0"})
	if code != 1 || !strings.Contains(errs, "start the pet, or use --full") {
		t.Fatalf("exit %d, %q", code, errs)
	}
}

// The command asks a pet on a private session bus: flags become the
// request (absolute paths, --output - as PNG bytes), the pet's answers and
// errors become output and exit codes, and without a pet it works alone.
func TestScreenshotAsksThePet(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", dbustest.Start(t))
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := screenshotCmd(args, &out, &errb, shotEnv{
			getenv: func(string) string { return "" }, now: time.Now, sleep: func(time.Duration) {},
			fs: shot.OSFS{}, lookPath: exec.LookPath, askPet: askPet,
		})
		return code, out.String(), errb.String()
	}
	// No pet and no display: alone, and says why it cannot.
	if code, _, errs := run("--full"); code != 1 || !strings.Contains(errs, "no X display") {
		t.Fatalf("no pet: exit %d %q", code, errs)
	}

	pet := serveScriptedPet(t)
	wd, _ := os.Getwd()
	dir := t.TempDir()

	pet.res = petbus.ShotResult{Path: "/pics/a.png", Copied: true}
	code, stdout, errs := run("--full", "--delay", "2", "--output", "rel/截图.png", "--copy")
	if code != 0 || stdout != "Saved to /pics/a.png\nCopied to the clipboard (kept by the pet).\n" {
		t.Fatalf("exit %d %q %q", code, stdout, errs)
	}
	want := petbus.ShotRequest{Mode: petbus.ModeFull, Delay: 2 * time.Second, Output: filepath.Join(wd, "rel/截图.png"), Replace: true, Copy: true}
	if pet.last() != want {
		t.Errorf("request %+v, want %+v", pet.last(), want)
	}
	// No flags: the area overlay, the user's key decides; a folder as --output.
	run()
	if got := pet.last(); got != (petbus.ShotRequest{Mode: petbus.ModeArea}) {
		t.Errorf("no flags: %+v", got)
	}
	run("--output", dir)
	if got := pet.last(); got != (petbus.ShotRequest{Mode: petbus.ModeArea, Dir: dir}) {
		t.Errorf("folder output: %+v", got)
	}

	pet.res = petbus.ShotResult{Pinned: true}
	if code, stdout, _ := run("--pin"); code != 0 || stdout != "Pinned on the screen.\n" || !pet.last().Pin {
		t.Errorf("--pin: exit %d %q %+v", code, stdout, pet.last())
	}

	pet.res = petbus.ShotResult{PNG: []byte("\x89PNG…")}
	code, stdout, errs = run("--output", "-")
	if code != 0 || stdout != "\x89PNG…" || !pet.last().WantPNG {
		t.Fatalf("--output -: exit %d %q %q", code, stdout, errs)
	}

	pet.err = petbus.ErrCancelled
	if code, _, errs := run(); code != 1 || errs != "tachikoma screenshot: cancelled\n" {
		t.Errorf("cancelled: exit %d %q", code, errs)
	}
	pet.err = errors.New("save /ro/a.png: not allowed to write there")
	if code, _, errs := run("--full"); code != 1 || !strings.Contains(errs, "the pet: save /ro/a.png: not allowed to write there") {
		t.Errorf("failed: exit %d %q", code, errs)
	}
	// --alone never asks.
	before := pet.count()
	run("--full", "--alone")
	if pet.count() != before {
		t.Error("--alone asked the pet")
	}
}

// serveScriptedPet puts a scriptedPet on the session bus until the test ends.
func serveScriptedPet(t *testing.T) *scriptedPet {
	t.Helper()
	conn, err := petbus.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	pet := &scriptedPet{}
	if err := petbus.Serve(conn, pet); err != nil {
		t.Fatal(err)
	}
	return pet
}

// scriptedPet answers with res or err; the test sets them between calls.
type scriptedPet struct {
	mu    sync.Mutex
	got   []petbus.ShotRequest
	res   petbus.ShotResult
	err   error
	added []int // Present's add, per call
}

func (p *scriptedPet) Screenshot(_ context.Context, req petbus.ShotRequest) (petbus.ShotResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, req)
	return p.res, p.err
}

func (p *scriptedPet) Present(_ context.Context, add int) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.added = append(p.added, add)
	return 1 + add, p.err
}

func (p *scriptedPet) last() petbus.ShotRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.got) == 0 {
		return petbus.ShotRequest{}
	}
	return p.got[len(p.got)-1]
}

func (p *scriptedPet) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// On Wayland with no pet the desktop's portal takes the shot (a stand-in
// portal on a private bus here): --full without the chooser, an area with
// it; its file's pixels are saved; cancel and failure are said clearly.
func TestScreenshotWaylandPortal(t *testing.T) {
	addr := dbustest.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	pconn, err := petbus.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer pconn.Close()
	fake, err := portaltest.Serve(pconn, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want := xshottest.Pattern(40, 30)
	portalFile := filepath.Join(dir, "Screenshot.png")
	f, _ := os.Create(portalFile)
	png.Encode(f, want)
	f.Close()
	fake.Answer(0, "file://"+portalFile)

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := map[string]string{"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "HOME": dir}
		code := screenshotCmd(args, &out, &errb, shotEnv{
			getenv: func(k string) string { return env[k] }, now: time.Now, sleep: func(time.Duration) {},
			fs: shot.OSFS{}, lookPath: exec.LookPath, askPet: askPet, portal: portalShot,
		})
		return code, out.String(), errb.String()
	}
	out := filepath.Join(dir, "full.png")
	if code, stdout, errs := run("--full", "--output", out); code != 0 || !strings.Contains(stdout, "Saved to "+out) {
		t.Fatalf("--full: exit %d %q %q", code, stdout, errs)
	}
	data, _ := os.ReadFile(out)
	if err := xshottest.Diff(decodePNG(t, data), image.Point{}, want); err != nil {
		t.Fatalf("--full: %v", err)
	}
	if _, asked := fake.Requests()[0]["interactive"]; asked {
		t.Error("--full asked for the desktop's chooser")
	}
	area := filepath.Join(dir, "area.png")
	if code, stdout, errs := run("--output", area); code != 0 || !strings.Contains(stdout, "Saved to "+area) {
		t.Fatalf("area: exit %d %q %q", code, stdout, errs)
	}
	if v := fake.Requests()[1]["interactive"]; v.Value() != true {
		t.Error("an area did not ask for the desktop's chooser")
	}
	fake.Answer(1, "")
	if code, _, errs := run(); code != 1 || errs != "tachikoma screenshot: cancelled\n" {
		t.Errorf("cancelled: exit %d %q", code, errs)
	}
	fake.Answer(2, "")
	if code, _, errs := run("--full"); code != 1 || !strings.Contains(errs, "the screenshot portal failed") {
		t.Errorf("failed: exit %d %q", code, errs)
	}
}

// --copy without a pet picks wl-copy on Wayland (xclip reaches only X
// programs there), falls back to xclip saying so, and xclip on X11.
func TestScreenshotClipboardTool(t *testing.T) {
	for _, c := range []struct {
		name      string
		env       map[string]string
		have      []string
		tool      string
		args      string
		note, err string
	}{
		{"x11", map[string]string{"DISPLAY": ":3"}, []string{"xclip", "wl-copy"}, "xclip", "-display :3 -selection clipboard -t image/png -i", "", ""},
		{"x11 without xclip", map[string]string{"DISPLAY": ":3"}, []string{"wl-copy"}, "", "", "", "--copy needs xclip"},
		{"wayland", map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, []string{"xclip", "wl-copy"}, "wl-copy", "--type image/png", "", ""},
		{"wayland without wl-copy", map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, []string{"xclip"}, "xclip", "-display :0 -selection clipboard -t image/png -i", "apt-get install wl-clipboard", ""},
		{"wayland without either", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, nil, "", "", "", "apt-get install wl-clipboard"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lookPath := func(name string) (string, error) {
				for _, h := range c.have {
					if h == name {
						return "/usr/bin/" + name, nil
					}
				}
				return "", exec.ErrNotFound
			}
			tool, note, err := pickClipboard(func(k string) string { return c.env[k] }, lookPath)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tool.path != "/usr/bin/"+c.tool || strings.Join(tool.args, " ") != c.args {
				t.Errorf("got %s %q, want %s %q", tool.path, tool.args, c.tool, c.args)
			}
			if (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
				t.Errorf("note %q, want %q", note, c.note)
			}
		})
	}
}

// The command alone reads the pet's screenshot.dir from the settings file
// the pet uses: $XDG_CONFIG_HOME when absolute, else ~/.config.
func TestScreenshotSettingsDir(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".config", "tachikoma"), 0o755)
	os.WriteFile(filepath.Join(home, ".config", "tachikoma", "settings.yaml"), []byte("screenshot:\n  dir: ~/截图\n"), 0o644)
	for _, cfg := range []string{"", "relative/cfg"} {
		env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": cfg}
		if got := settingsDir(func(k string) string { return env[k] }); got != filepath.Join(home, "截图") {
			t.Errorf("XDG_CONFIG_HOME=%q: %q", cfg, got)
		}
	}
	if got := settingsDir(func(string) string { return "" }); got != "" {
		t.Errorf("no HOME: %q", got)
	}
}
