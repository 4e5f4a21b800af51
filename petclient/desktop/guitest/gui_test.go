//go:build gui

// Package guitest drives the real bin/tachikoma under Xvfb: once with a
// compositor (RGBA window) and once without (X shape mask). It reads the
// app's state through TACHIKOMA_STATE_FILE and checks pixels in
// screenshots, synthesises input with xdotool, and talks to the tray over a
// private D-Bus session.
//
//	go test -tags gui -count=1 -v ./petclient/desktop/guitest/
//
// Needs: Xvfb, xcompmgr, xdotool, ImageMagick's import, dbus-daemon and
// gdbus. -screenshots DIR also saves pet.png and menu.png there (the README
// images come from: -screenshots ../../../docs/images).
package guitest

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/statefile"
)

var screenshots = flag.String("screenshots", "", "directory to save pet.png and menu.png into")

// The backdrop colour: transparent pet pixels must show exactly this.
var backdrop = color.RGBA{R: 0xd8, G: 0xe4, B: 0xec, A: 0xff}

const backdropHex = "d8e4ec"

// doubleClickGap spaces separate clicks beyond GTK's double-click time
// (400 ms by default). It paces input; it asserts nothing.
const doubleClickGap = 500 * time.Millisecond

// bins holds the binaries built once for all subtests.
var bins struct{ pet, backdrop, watcher, portal string }

func TestMain(m *testing.M) {
	flag.Parse()
	for _, tool := range []string{"Xvfb", "xcompmgr", "xdotool", "import", "dbus-daemon", "gdbus"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "gui test: %s is missing (apt-get install xvfb xcompmgr xdotool imagemagick dbus-x11 libglib2.0-bin)\n", tool)
			os.Exit(1)
		}
	}
	dir, err := os.MkdirTemp("", "tachikoma-gui")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.pet = filepath.Join(dir, "tachikoma")
	bins.backdrop = filepath.Join(dir, "backdrop")
	bins.watcher = filepath.Join(dir, "sniwatcher")
	bins.portal = filepath.Join(dir, "fakeportal")
	for out, pkg := range map[string]string{
		bins.pet:      "github.com/tachikoma-pet/tachikoma/petclient/cmd/tachikoma",
		bins.backdrop: "github.com/tachikoma-pet/tachikoma/petclient/desktop/guitest/backdrop",
		bins.watcher:  "github.com/tachikoma-pet/tachikoma/petclient/desktop/guitest/sniwatcher",
		bins.portal:   "github.com/tachikoma-pet/tachikoma/petclient/desktop/guitest/fakeportal",
	} {
		cmd := exec.Command("go", "build", "-tags", "nometrics", "-o", out, pkg) // as the Makefile builds the pet
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "gui test: building %s: %v\n", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// --- X session ---

type xsession struct {
	t       *testing.T
	x       *exec.Cmd // the Xvfb
	display string
	env     []string
	dir     string
}

// startX starts a private Xvfb and returns its session; -displayfd picks a
// free display number, so tests never collide with a running X.
func startX(t *testing.T, composited bool) *xsession {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { x.Process.Kill(); x.Wait() })
	num, err := readLine(r, 10*time.Second)
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	s := &xsession{t: t, x: x, display: ":" + strings.TrimSpace(num), dir: t.TempDir()}
	s.env = cleanEnv("DISPLAY=" + s.display)
	if composited {
		s.start("xcompmgr", nil, "xcompmgr")
	}
	return s
}

// cleanEnv is the test's environment without any session bus or desktop
// settings of the machine running it, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR",
			"XDG_CONFIG_HOME", "XDG_DATA_HOME", "TACHIKOMA_STATE_FILE", "TACHIKOMA_SEED", "LANG", "LC_ALL", "LC_MESSAGES":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// start runs a helper in the session and stops it at cleanup.
func (s *xsession) start(name string, env []string, args ...string) *exec.Cmd {
	s.t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append([]string{}, s.env...), env...)
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", name, err)
	}
	s.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		log.Close()
	})
	return cmd
}

func (s *xsession) logOf(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name+".log"))
	return string(b)
}

// run runs a short command (xdotool, import, gdbus) in the session.
func (s *xsession) run(env []string, args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(append([]string{"LANG=C.UTF-8"}, s.env...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *xsession) xdotool(args ...string) { s.run(nil, append([]string{"xdotool"}, args...)...) }

// tryXdotool is xdotool for polling loops, where the window may close
// between finding it and acting on it.
func (s *xsession) tryXdotool(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append([]string{"LANG=C.UTF-8"}, s.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (s *xsession) screenshot() *image.RGBA {
	s.t.Helper()
	path := filepath.Join(s.dir, fmt.Sprintf("shot-%d.png", time.Now().UnixNano()))
	s.run(nil, "import", "-window", "root", path)
	f, err := os.Open(path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		s.t.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

// startBus starts a private session bus and returns the environment that
// points at it.
func (s *xsession) startBus() []string {
	s.t.Helper()
	bus := filepath.Join(s.dir, "bus")
	addr := "unix:path=" + bus
	daemon := exec.Command("dbus-daemon", "--session", "--nofork", "--address="+addr)
	daemon.Env = s.env
	if err := daemon.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	waitFor(s.t, 5*time.Second, "the session bus", func() bool { _, err := os.Stat(bus); return err == nil })
	return []string{"DBUS_SESSION_BUS_ADDRESS=" + addr}
}

// startBackdrop shows the full-screen coloured window that records clicks.
func (s *xsession) startBackdrop() string {
	s.t.Helper()
	clicks := filepath.Join(s.dir, "clicks.txt")
	s.start("backdrop", nil, bins.backdrop, "-color", backdropHex, "-clicks", clicks)
	waitFor(s.t, 5*time.Second, "backdrop ready", func() bool { return strings.Contains(s.logOf("backdrop"), "ready") })
	return clicks
}

// --- the pet ---

type pet struct {
	s     *xsession
	cmd   *exec.Cmd
	state string
}

func (s *xsession) startPet(env []string, args ...string) *pet {
	s.t.Helper()
	p := &pet{s: s, state: filepath.Join(s.dir, "state.json")}
	env = append([]string{
		"TACHIKOMA_STATE_FILE=" + p.state,
		"TACHIKOMA_SEED=3",
		"XDG_CONFIG_HOME=" + filepath.Join(s.dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(s.dir, "data"),
		"LANG=C.UTF-8",
	}, env...)
	p.cmd = s.start("pet", env, append([]string{bins.pet, "--log-level", "debug"}, args...)...)
	p.waitState("pet shown", 10*time.Second, func(st statefile.State) bool {
		return len(st.Pets) > 0 && st.Pets[0].Visible && st.Pets[0].W > 0
	})
	return p
}

func (p *pet) read() statefile.State {
	st, err := statefile.Read(p.state)
	if err != nil && p.s.t != nil {
		return statefile.State{}
	}
	return st
}

// poll reports whether ok holds for the state within d, without failing.
func (p *pet) poll(d time.Duration, ok func(statefile.State) bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok(p.read()) {
			return true
		}
	}
	return false
}

func (p *pet) waitState(what string, d time.Duration, ok func(statefile.State) bool) statefile.State {
	p.s.t.Helper()
	var st statefile.State
	waitFor(p.s.t, d, what, func() bool {
		st = p.read()
		return ok(st)
	}, func() string { return "state: " + mustJSON(p.state) + "\npet log:\n" + tail(p.s.logOf("pet"), 20) })
	return st
}

// openMenu right-clicks the robot until its menu is open (the pet may walk
// between reading its position and the click).
func (p *pet) openMenu() {
	p.s.t.Helper()
	for try := 0; ; try++ {
		time.Sleep(doubleClickGap)
		pe := p.read().Pets[0]
		p.s.xdotool("mousemove", itoa(pe.WinX+pe.OpaqueX), itoa(pe.WinY+pe.OpaqueY), "click", "3")
		if pollUntil(2*time.Second, func() bool { return p.read().MenuOpen }) {
			return
		}
		if try == 2 {
			p.waitState("the menu to open", time.Second, func(st statefile.State) bool { return st.MenuOpen })
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			for _, f := range detail {
				msg += "\n" + f()
			}
			t.Fatalf("timed out after %v waiting for %s%s", d, what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- the tests ---

func TestPetComposited(t *testing.T) { testPet(t, true) }
func TestPetShaped(t *testing.T)     { testPet(t, false) }

func testPet(t *testing.T, composited bool) {
	s := startX(t, composited)
	clicks := s.startBackdrop()
	scale := "1"
	if composited {
		scale = "2" // both scales get covered; the README shots use 2x
	}
	// Without chat: its menu section (and the server it would host) would
	// shift the keyboard counts of the summon test; chat_test.go covers it.
	p := s.startPet(nil, "--pets", "1", "--scale", scale, "--no-chat")
	st := p.read()
	if st.Composited != composited {
		t.Fatalf("app says composited=%v, want %v", st.Composited, composited)
	}
	if st.Tray != "none" {
		t.Errorf("without a session bus or XEmbed tray the tray should be none, got %q", st.Tray)
	}

	t.Run("transparent around the robot", func(t *testing.T) {
		pe, img := stillShot(t, p)
		win := image.Rect(pe.WinX, pe.WinY, pe.WinX+pe.W, pe.WinY+pe.H)
		// The art keeps a transparent margin: the window's border ring and
		// the ring just outside must show the backdrop, never a box.
		for _, r := range []image.Rectangle{win, win.Inset(-2)} {
			for x := r.Min.X; x < r.Max.X; x++ {
				for _, y := range []int{r.Min.Y, r.Max.Y - 1} {
					checkBackdrop(t, img, x, y, "window edge")
				}
			}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for _, x := range []int{r.Min.X, r.Max.X - 1} {
					checkBackdrop(t, img, x, y, "window edge")
				}
			}
		}
		if pe.ClearX < 0 {
			t.Fatal("frame has no clear pixel to test")
		}
		checkBackdrop(t, img, pe.WinX+pe.ClearX, pe.WinY+pe.ClearY, "clear pixel")
		if c := img.RGBAAt(pe.WinX+pe.OpaqueX, pe.WinY+pe.OpaqueY); c == backdrop {
			t.Errorf("the robot is not drawn: opaque pixel shows the backdrop")
		}
		if composited && *screenshots != "" {
			savePNG(t, filepath.Join(*screenshots, "pet.png"), crop(img, win.Inset(-40)))
		}
	})

	t.Run("animates", func(t *testing.T) {
		first := p.read().Pets[0]
		p.waitState("the pet to move or animate", 8*time.Second, func(st statefile.State) bool {
			q := st.Pets[0]
			return q.WinX != first.WinX || q.WinY != first.WinY || q.Anim != first.Anim || q.Frame != first.Frame
		})
	})

	t.Run("click on a transparent pixel reaches the window below", func(t *testing.T) {
		// The pet may walk between reading its state and the click: retry.
		for try := 0; ; try++ {
			pe := p.read().Pets[0]
			x, y := pe.WinX+pe.ClearX, pe.WinY+pe.ClearY
			before := countLines(clicks)
			s.xdotool("mousemove", itoa(x), itoa(y), "click", "1")
			ok := pollUntil(2*time.Second, func() bool { return countLines(clicks) > before })
			if ok {
				break
			}
			if try == 3 {
				t.Fatalf("click at %d,%d (transparent pixel of the pet window) never reached the backdrop", x, y)
			}
		}
	})

	t.Run("click on the robot pokes it", func(t *testing.T) {
		time.Sleep(doubleClickGap)
		before := countLines(clicks)
		ev := p.read().Events
		pe := p.read().Pets[0]
		s.xdotool("mousemove", itoa(pe.WinX+pe.OpaqueX), itoa(pe.WinY+pe.OpaqueY), "click", "1")
		p.waitState("the click to reach the pet", 3*time.Second, func(st statefile.State) bool { return st.Events > ev })
		// A middle click on the backdrop far from the pet comes after any
		// click the backdrop got before it.
		mx := 5
		if pe.WinX < 640 {
			mx = 1275
		}
		marker := fmt.Sprintf("%d %d 2", mx, 795)
		s.xdotool("mousemove", itoa(mx), "795", "click", "2")
		waitFor(t, 5*time.Second, "the backdrop to record a marker click", func() bool {
			return strings.Contains(readFile(clicks), marker)
		}, func() string { return readFile(clicks) })
		if got := strings.Split(strings.TrimSpace(readFile(clicks)), "\n"); len(got) != before+1 {
			t.Errorf("a click on the robot also reached the backdrop: %q", got[before:])
		}
	})

	t.Run("drag moves it", func(t *testing.T) {
		// A press within the double-click time of the last click would be
		// a double click (Joy), not the start of a drag.
		// The pet lives its own life: between reading where it is and
		// pressing, it may have jumped away, and the press then falls
		// through to the backdrop. So press, get past GTK's drag threshold,
		// and try again if no drag started. (Where the drag starts depends
		// on how GTK merged the first motions: it is measured from there.)
		var x, y, dir int
		for attempt := 1; ; attempt++ {
			time.Sleep(doubleClickGap) // not a double click with the last press
			pe := p.read().Pets[0]
			x, y = pe.WinX+pe.OpaqueX, pe.WinY+pe.OpaqueY
			dir = 1 // towards the middle of the screen, so the drag stays on it
			if x > 640 {
				dir = -1
			}
			s.xdotool("mousemove", itoa(x), itoa(y), "mousedown", "1")
			for i := 1; i <= 4; i++ {
				s.xdotool("mousemove", itoa(x+dir*10*i), itoa(y-12*i))
			}
			if p.poll(1500*time.Millisecond, func(st statefile.State) bool { return st.Pets[0].Anim == "drag" }) {
				break
			}
			s.xdotool("mouseup", "1")
			if attempt == 5 {
				t.Fatalf("no drag started in %d attempts: %+v", attempt, p.read())
			}
		}
		// Then let the window catch up with the pointer (its position stops
		// changing): the grab offset is fixed from here on.
		started := p.read().Pets[0]
		for deadline := time.Now().Add(3 * time.Second); ; {
			time.Sleep(150 * time.Millisecond) // poll interval, not an assertion
			cur := p.read().Pets[0]
			if cur.WinX == started.WinX && cur.WinY == started.WinY {
				break
			}
			started = cur
			if time.Now().After(deadline) {
				t.Fatalf("the dragged window never settled: %+v", started)
			}
		}
		px, py := x+dir*40, y-48
		for i := 1; i <= 16; i++ {
			s.xdotool("mousemove", itoa(px+dir*10*i), itoa(py-12*i))
		}
		// The grab point stays under the pointer: the window moves exactly as
		// far as the pointer (a pixel of rounding).
		p.waitState("the window to follow the drag", 3*time.Second, func(st statefile.State) bool {
			dx, dy := dir*(st.Pets[0].WinX-started.WinX), st.Pets[0].WinY-started.WinY
			return st.Pets[0].Anim == "drag" && dx >= 159 && dx <= 161 && dy >= -193 && dy <= -191
		})
		s.xdotool("mouseup", "1")
		p.waitState("the dropped pet to leave the drag state", 5*time.Second, func(st statefile.State) bool {
			return st.Pets[0].Anim != "drag"
		})
	})

	t.Run("right click opens the menu", func(t *testing.T) {
		p.openMenu()
		if composited && *screenshots != "" {
			time.Sleep(300 * time.Millisecond) // let the menu finish mapping before the shot
			img := s.screenshot()
			pe := p.read().Pets[0]
			area := image.Rect(pe.WinX-40, pe.WinY-340, pe.WinX+pe.W+300, pe.WinY+pe.H+20).Intersect(img.Bounds())
			savePNG(t, filepath.Join(*screenshots, "menu.png"), crop(img, area))
		}
		s.xdotool("key", "Escape")
		p.waitState("the menu to close", 3*time.Second, func(st statefile.State) bool { return !st.MenuOpen })
	})

	t.Run("summon and dismiss from the menu", func(t *testing.T) {
		// Keyboard navigation counts from the bottom (insensitive items are
		// skipped): Quit, About, Settings, the 3 screenshot entries, the 4
		// translation entries, Focus timer, Reminders, Remind me, then the
		// pets section. A tool that
		// adds a menu entry below the pets section must change these counts.
		menuKeys := func(ups int) {
			p.openMenu() // open means mapped, and the menu's grab comes before its map
			for i := 0; i < ups; i++ {
				s.xdotool("key", "Up")
			}
			s.xdotool("key", "Return")
			p.waitState("the menu to close", 3*time.Second, func(st statefile.State) bool { return !st.MenuOpen })
		}
		// One pet: 13 entries, Dismiss this one, Summon.
		menuKeys(15)
		p.waitState("a second pet", 3*time.Second, func(st statefile.State) bool {
			return len(st.Pets) == 2 && st.Pets[1].Visible
		})
		// Two pets: 13 entries, Dismiss all others.
		keep := p.read().Pets[0].ID
		menuKeys(14)
		p.waitState("the other pet to leave", 3*time.Second, func(st statefile.State) bool {
			return len(st.Pets) == 1 && st.Pets[0].ID == keep
		})
	})
}

// TestTray runs the pet on a private session bus with a stand-in
// StatusNotifierWatcher and drives its dbusmenu like a panel would.
func TestTray(t *testing.T) {
	s := startX(t, true)
	busEnv := s.startBus()
	s.start("watcher", busEnv, bins.watcher)
	waitFor(t, 5*time.Second, "the watcher", func() bool { return strings.Contains(s.logOf("watcher"), "ready") })

	p := s.startPet(busEnv, "--pets", "2", "--lang", "zh")
	p.waitState("the SNI tray", 5*time.Second, func(st statefile.State) bool { return st.Tray == "sni" })
	waitFor(t, 5*time.Second, "the item to register", func() bool { return strings.Contains(s.logOf("watcher"), "registered") })
	dest := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", p.cmd.Process.Pid)
	gdbus := func(args ...string) string {
		return s.run(busEnv, append([]string{"gdbus", "call", "--session", "--dest", dest}, args...)...)
	}
	layout := gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]")
	for _, want := range []string{"隐藏塔奇克马", "设置…", "退出"} {
		if !strings.Contains(layout, want) {
			t.Fatalf("tray menu lacks %q:\n%s", want, layout)
		}
	}
	if menu := gdbus("--object-path", "/StatusNotifierItem", "--method", "org.freedesktop.DBus.Properties.Get",
		"org.kde.StatusNotifierItem", "Menu"); !strings.Contains(menu, "/MenuBar") {
		t.Fatalf("Menu property: %s", menu)
	}
	// Item 1 is Hide; clicking it hides both pets and turns into Show.
	gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.Event", "1", "clicked", `<"">`, "0")
	p.waitState("the pets to hide", 3*time.Second, func(st statefile.State) bool {
		return st.Hidden && len(st.Pets) == 2 && !st.Pets[0].Visible && !st.Pets[1].Visible
	})
	if layout := gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]"); !strings.Contains(layout, "显示塔奇克马") {
		t.Fatalf("after hiding, the tray should offer Show:\n%s", layout)
	}
	gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.Event", "1", "clicked", `<"">`, "0")
	p.waitState("the pets to show again", 3*time.Second, func(st statefile.State) bool {
		return !st.Hidden && st.Pets[0].Visible && st.Pets[1].Visible
	})
	// Hidden again, then tachikoma launched once more (the application
	// menu): the running pet shows itself and adds a pet.
	gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.Event", "1", "clicked", `<"">`, "0")
	p.waitState("the pets to hide again", 3*time.Second, func(st statefile.State) bool { return st.Hidden })
	launch := append([]string{"XDG_CONFIG_HOME=" + filepath.Join(s.dir, "config"), "XDG_DATA_HOME=" + filepath.Join(s.dir, "data")}, busEnv...)
	if out := s.run(launch, bins.pet); !strings.Contains(out, "already running") {
		t.Fatalf("second launch said %q", out)
	}
	p.waitState("the pets shown by a second launch", 5*time.Second, func(st statefile.State) bool {
		return !st.Hidden && len(st.Pets) == 3 && st.Pets[0].Visible && st.Pets[2].Visible
	})
	if layout := gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]"); !strings.Contains(layout, "隐藏塔奇克马") {
		t.Fatalf("after a second launch showed the pets, the tray should offer Hide:\n%s", layout)
	}
	// The last item is Quit: the app must exit cleanly.
	last := strings.Count(layout, "<(")
	gdbus("--object-path", "/MenuBar", "--method", "com.canonical.dbusmenu.Event", itoa(last), "clicked", `<"">`, "0")
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("quit from the tray: %v\n%s", err, tail(s.logOf("pet"), 20))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pet did not quit from the tray menu")
	}
}

// TestBrokenSettingsFile checks the app starts with defaults, keeps a .bad
// copy and leaves the broken file alone.
func TestBrokenSettingsFile(t *testing.T) {
	s := startX(t, false)
	cfg := filepath.Join(s.dir, "config", "tachikoma")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	broken := []byte("scale: [oops\n")
	if err := os.WriteFile(filepath.Join(cfg, "settings.yaml"), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	p := s.startPet(nil)
	if st := p.read(); st.Scale != 1 || len(st.Pets) != 1 {
		t.Fatalf("defaults not used: %+v", st)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg, "settings.yaml.bad")); !bytes.Equal(b, broken) {
		t.Fatalf(".bad copy missing or wrong: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg, "settings.yaml")); !bytes.Equal(b, broken) {
		t.Fatal("broken settings file was rewritten")
	}
	if !strings.Contains(s.logOf("pet"), "settings file is broken") {
		t.Fatalf("no clear log message:\n%s", tail(s.logOf("pet"), 10))
	}
}

// --- helpers ---

// stillShot takes a screenshot during which the pet did not move, so pixel
// checks line up with the state.
func stillShot(t *testing.T, p *pet) (statefile.Pet, *image.RGBA) {
	t.Helper()
	// A walking pet moves every tick; it stands, sits or looks around
	// often enough, so keep trying for a while.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		before := p.read().Pets[0]
		img := p.s.screenshot()
		after := p.read().Pets[0]
		if before == after {
			return after, img
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the pet never held still for a screenshot")
	return statefile.Pet{}, nil
}

func checkBackdrop(t *testing.T, img *image.RGBA, x, y int, what string) {
	t.Helper()
	if !(image.Point{x, y}.In(img.Bounds())) {
		return
	}
	if c := img.RGBAAt(x, y); c != backdrop {
		t.Errorf("%s pixel %d,%d is %v, want the backdrop %v (a box around the robot?)", what, x, y, c, backdrop)
	}
}

func crop(img *image.RGBA, r image.Rectangle) image.Image {
	return img.SubImage(r.Intersect(img.Bounds()))
}

func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", path)
}

func pollUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// running reports whether cmd's process has not exited: ProcessState stays
// nil until someone waits for it, and an exited child lingers as a zombie.
func running(cmd *exec.Cmd) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	i := bytes.LastIndexByte(b, ')') // the state follows the command name
	return err == nil && i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

func readLine(r io.Reader, d time.Duration) (string, error) {
	ch := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			errc <- err
			return
		}
		ch <- line
	}()
	select {
	case l := <-ch:
		return l, nil
	case err := <-errc:
		return "", err
	case <-time.After(d):
		return "", fmt.Errorf("no output in %v", d)
	}
}

func mustJSON(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

// running must see a child that exited but was not waited for: the check
// it replaced (ProcessState) could not.
func TestRunningSeesAnExitedChild(t *testing.T) {
	cmd := exec.Command("sleep", "0.1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	if !running(cmd) {
		t.Fatal("a running child reported as ended")
	}
	waitFor(t, 10*time.Second, "the exited child to be seen as ended", func() bool { return !running(cmd) })
	if cmd.ProcessState != nil {
		t.Fatal("ProcessState is set without Wait: the old check would have worked")
	}
}

// TestSecondLaunch starts tachikoma again while a pet runs, as a second
// click in the application menu does: no second process (it would say
// every reminder again); the running pet adds a pet, or --pets N of them.
func TestSecondLaunch(t *testing.T) {
	s := startX(t, true)
	busEnv := s.startBus()
	p := s.startPet(busEnv, "--pets", "1", "--no-chat", "--lang", "zh")
	waitFor(t, 10*time.Second, "the pet on the bus", func() bool {
		return strings.Contains(s.logOf("pet"), "answers on the session bus")
	})
	env := append([]string{"XDG_CONFIG_HOME=" + filepath.Join(s.dir, "config"), "XDG_DATA_HOME=" + filepath.Join(s.dir, "data")}, busEnv...)
	if out := s.run(env, bins.pet, "--lang", "zh"); !strings.Contains(out, "already running") || !strings.Contains(out, "now 2") {
		t.Fatalf("second launch said %q", out)
	}
	p.waitState("a second pet", 5*time.Second, func(st statefile.State) bool { return len(st.Pets) == 2 && st.Pets[1].Visible })
	if out := s.run(env, bins.pet, "--pets", "2"); !strings.Contains(out, "now 4") {
		t.Fatalf("--pets 2 said %q", out)
	}
	p.waitState("four pets", 5*time.Second, func(st statefile.State) bool { return len(st.Pets) == 4 })
	if p.cmd.ProcessState != nil {
		t.Fatal("the first pet ended")
	}
}
