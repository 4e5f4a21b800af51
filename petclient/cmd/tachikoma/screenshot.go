package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

func init() {
	register("screenshot", "take a screenshot: tachikoma screenshot [--full] [--delay 3] [--output FILE] [--copy]", runScreenshot)
}

func runScreenshot(args []string) int {
	return screenshotCmd(args, os.Stdout, os.Stderr, shotEnv{
		getenv: os.Getenv, now: time.Now, sleep: time.Sleep, fs: shot.OSFS{}, lookPath: exec.LookPath,
		askPet: askPet, pickArea: pickAreaAlone, pin: pinAlone, portal: portalShot,
	})
}

// shotEnv is what the command touches outside itself, so tests replace it.
type shotEnv struct {
	getenv   func(string) string
	now      func() time.Time
	sleep    func(time.Duration)
	fs       shot.FS
	lookPath func(string) (string, error)
	// askPet asks a running pet; nil or petbus.ErrNoPet: work alone.
	askPet func(petbus.ShotRequest) (petbus.ShotResult, error)
	// pickArea shows the area overlay in this process; nil: not available.
	pickArea func(display string) (*image.RGBA, image.Point, shot.Action, error)
	// pin shows the image with its top-left at at (device pixels) until
	// the user closes it.
	pin func(img *image.RGBA, at image.Point, info io.Writer) error
	// portal takes the screenshot through xdg-desktop-portal (Wayland).
	portal func(interactive bool) (*image.RGBA, error)
}

const screenshotUsage = `Usage:
  tachikoma screenshot [--full] [--delay 3] [--output FILE] [--copy] [--pin] [--dir DIR] [--alone]

Without --full: select an area on the frozen screen (Enter or double-click
copies, Ctrl+S saves, Esc cancels). --full takes the whole screen.

When a pet is running on this session bus it takes the screenshot (it
hides itself first, and keeps the clipboard); otherwise this command grabs
the X11 screen itself, or on Wayland asks the desktop's screenshot portal
(whose own chooser picks an area). --alone never asks the pet.

Where it goes: --output FILE (.png, or .jpg/.jpeg for JPEG; - writes the
PNG to standard output), or
Tachikoma_YYYY-MM-DD_HH-MM-SS.png in --dir, the folder of the pet's
screenshot.dir setting, or the Pictures folder's Screenshots (see
xdg-user-dir PICTURES). --copy puts it on the clipboard
as image/png (alone, through xclip, or wl-copy on Wayland). --full without --output or --copy
saves; an area without them does what its key chose.

--pin shows it in a window above the others (drag moves it, the wheel
zooms, a right-click copies or saves, Esc closes it): the pet's window when
a pet runs, else this command's, which returns when it is closed. With
--pin nothing is saved unless --output or --dir says so.

`

func screenshotCmd(args []string, stdout, stderr io.Writer, env shotEnv) int {
	fl := flag.NewFlagSet("tachikoma screenshot", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, screenshotUsage); fl.PrintDefaults() }
	full := fl.Bool("full", false, "the whole screen (default: select an area)")
	delay := fl.String("delay", "0", "wait this long first: seconds (3) or a duration (1.5s)")
	output := fl.String("output", "", "save to FILE (- for standard output); a folder gets the usual file name")
	dir := fl.String("dir", "", "folder for the usual file name (default: Pictures/Screenshots)")
	copyIt := fl.Bool("copy", false, "copy the image to the clipboard")
	pin := fl.Bool("pin", false, "pin the image on the screen until closed")
	alone := fl.Bool("alone", false, "do not ask a running pet")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "tachikoma screenshot: "+format+"\n", a...)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "tachikoma screenshot: %v\n", err)
		return 1
	}
	if fl.NArg() > 0 {
		return usage("unexpected arguments: %s", strings.Join(fl.Args(), " "))
	}
	if *pin && *output == "-" {
		return usage("--pin and --output - do not go together")
	}
	if *output != "" && *output != "-" {
		// Refused before the delay and the grab, not after.
		if fi, err := env.fs.Stat(*output); err != nil || !fi.IsDir() {
			if err := shot.CheckFormat(*output); err != nil {
				return usage("%v", err)
			}
		}
	}
	wait, err := parseDelay(*delay)
	if err != nil {
		return usage("%v", err)
	}
	mode := petbus.ModeArea
	if *full {
		mode = petbus.ModeFull
	}
	info := stdout // messages; standard output carries the PNG with --output -
	if *output == "-" {
		info = stderr
	}

	if !*alone && env.askPet != nil {
		req, err := petRequest(env, mode, wait, *output, *dir, *copyIt)
		if err != nil {
			return fail(err)
		}
		req.Pin = *pin
		res, err := env.askPet(req)
		switch {
		case errors.Is(err, petbus.ErrNoPet):
			// Work alone below.
		case errors.Is(err, petbus.ErrCancelled):
			fmt.Fprintln(stderr, "tachikoma screenshot: cancelled")
			return 1
		case err != nil:
			return fail(err)
		default:
			if req.WantPNG {
				if _, err := stdout.Write(res.PNG); err != nil {
					return fail(fmt.Errorf("write the PNG to standard output: %w", err))
				}
			}
			if res.Path != "" {
				fmt.Fprintf(info, "Saved to %s\n", res.Path)
			}
			if res.Copied {
				fmt.Fprintln(info, "Copied to the clipboard (kept by the pet).")
			}
			if res.Pinned {
				fmt.Fprintln(info, "Pinned on the screen.")
			}
			return 0
		}
	}

	display := env.getenv("DISPLAY")
	var clip clipTool
	if *copyIt {
		note := ""
		if clip, note, err = pickClipboard(env.getenv, env.lookPath); err != nil {
			return fail(err)
		}
		if note != "" {
			fmt.Fprintln(stderr, "tachikoma screenshot: "+note)
		}
	}
	var img *image.RGBA
	var at image.Point // where img was on the screen, for a pin
	act := shot.Save
	taken := env.now()
	if portal.IsWayland(env.getenv) && env.portal != nil {
		// The X root shows nothing on Wayland: the desktop's portal takes
		// it, with its own area chooser for an area.
		if wait > 0 {
			fmt.Fprintf(stderr, "Taking the screenshot in %v…\n", wait)
			env.sleep(wait)
		}
		taken = env.now()
		if img, err = env.portal(mode == petbus.ModeArea); errors.Is(err, portal.ErrCancelled) {
			fmt.Fprintln(stderr, "tachikoma screenshot: cancelled")
			return 1
		} else if err != nil {
			return fail(err)
		}
	} else if mode == petbus.ModeArea {
		if env.pickArea == nil {
			return fail(errors.New("selecting an area needs the pet's overlay: start the pet, or use --full"))
		}
		if display == "" {
			return fail(xshot.ErrNoDisplay)
		}
		if wait > 0 {
			fmt.Fprintf(stderr, "Taking the screenshot in %v…\n", wait)
			env.sleep(wait)
		}
		taken = env.now()
		if img, at, act, err = env.pickArea(display); err != nil {
			return fail(err)
		}
		if act == shot.Cancel {
			fmt.Fprintln(stderr, "tachikoma screenshot: cancelled")
			return 1
		}
	} else {
		g, err := xshot.Open(display, env.getenv)
		if err != nil {
			return fail(err)
		}
		defer g.Close()
		if wait > 0 {
			fmt.Fprintf(stderr, "Taking the screenshot in %v…\n", wait)
			env.sleep(wait)
		}
		taken = env.now()
		if img, _, err = g.Grab(); err != nil {
			return fail(err)
		}
	}

	chosen := *output != "" || *dir != "" || *copyIt || *pin
	save := *output != "" || *dir != "" || (!*copyIt && !*pin)
	doCopy, doPin := *copyIt, *pin
	if mode == petbus.ModeArea && !chosen {
		save, doCopy, doPin = act == shot.Save, act == shot.Copy, act == shot.Pin
		if doCopy {
			note := ""
			if clip, note, err = pickClipboard(env.getenv, env.lookPath); err != nil {
				// Nothing lost: without a clipboard tool the selection is saved.
				fmt.Fprintf(stderr, "tachikoma screenshot: %v; saving instead\n", err)
				save, doCopy = true, false
			} else if note != "" {
				fmt.Fprintln(stderr, "tachikoma screenshot: "+note)
			}
		}
	}
	if *output == "-" {
		if err := png.Encode(stdout, img); err != nil {
			return fail(fmt.Errorf("write the PNG to standard output: %w", err))
		}
	} else if save {
		path, err := saveShot(env, *output, *dir, taken, img)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(info, "Saved to %s\n", path)
	}
	if doCopy {
		if err := copyPNG(clip, img); err != nil {
			return fail(err)
		}
		fmt.Fprintln(info, "Copied to the clipboard.")
	}
	if doPin {
		if err := env.pin(img, at, info); err != nil {
			return fail(err)
		}
	}
	return 0
}

// petRequest is the pet's request for these flags; paths become absolute
// since the pet runs in another folder.
func petRequest(env shotEnv, mode string, wait time.Duration, output, dir string, copyIt bool) (petbus.ShotRequest, error) {
	req := petbus.ShotRequest{Mode: mode, Delay: wait, Copy: copyIt, WantPNG: output == "-"}
	abs := func(p string) (string, error) {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		return a, nil
	}
	var err error
	if dir != "" {
		if req.Dir, err = abs(dir); err != nil {
			return req, err
		}
	}
	if output != "" && output != "-" {
		p, err := abs(output)
		if err != nil {
			return req, err
		}
		if fi, err := env.fs.Stat(p); err == nil && fi.IsDir() {
			req.Dir = p
		} else {
			// The user named the file, as when working alone.
			req.Output, req.Replace = p, true
		}
	}
	return req, nil
}

// portalWait bounds the desktop's answer (its chooser waits for the user).
const portalWait = 10 * time.Minute

// portalShot takes a screenshot through the desktop portal.
func portalShot(interactive bool) (*image.RGBA, error) {
	conn, err := petbus.Connect()
	if err != nil {
		return nil, fmt.Errorf("Wayland screenshots go through the desktop portal, which needs the %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), portalWait)
	defer cancel()
	uri, err := portal.Screenshot(ctx, conn, interactive)
	if err != nil {
		return nil, err
	}
	return portal.Take(uri)
}

// askPet asks the pet on the session bus, if one answers there.
func askPet(req petbus.ShotRequest) (petbus.ShotResult, error) {
	conn, err := petbus.Connect()
	if err != nil {
		return petbus.ShotResult{}, petbus.ErrNoPet // no bus, no pet
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), petbus.CallTimeout+req.Delay)
	defer cancel()
	return petbus.Screenshot(ctx, conn, req)
}

// parseDelay reads "3" as seconds and "1.5s" or "500ms" as a duration.
func parseDelay(s string) (time.Duration, error) {
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("--delay %q: want seconds (3) or a duration (1.5s)", s)
	}
	if d < 0 || d > 10*time.Minute {
		return 0, fmt.Errorf("--delay %q: want between 0 and 10 minutes", s)
	}
	return d, nil
}

// saveShot saves to output, or under the usual name in dir (output may be a
// folder too), or in Pictures/Screenshots.
func saveShot(env shotEnv, output, dir string, taken time.Time, img image.Image) (string, error) {
	if output != "" {
		if fi, err := env.fs.Stat(output); err != nil || !fi.IsDir() {
			return output, shot.SaveImage(env.fs, output, img)
		}
		dir = output
	}
	if dir == "" {
		dir = settingsDir(env.getenv)
	}
	if dir == "" {
		var err error
		if dir, err = shot.DefaultDir(shot.Env{Getenv: env.getenv, ReadFile: os.ReadFile}); err != nil {
			return "", err
		}
	}
	return shot.SaveNew(env.fs, dir, taken, img)
}

// settingsDir is the pet's screenshot.dir setting, so the command alone
// saves where the pet would; "" when unset or the file is unreadable.
func settingsDir(getenv func(string) string) string {
	cfg, err := xdgdir.Config.HomeIn(getenv)
	if err != nil {
		return ""
	}
	s, _, err := settings.Load(filepath.Join(cfg, xdgdir.App, "settings.yaml"))
	if err != nil {
		return ""
	}
	return s.Screenshot.Folder(getenv("HOME"))
}

// clipTool is a program that copies a PNG from its standard input to the
// clipboard and keeps serving it after this command exits.
type clipTool struct {
	name string // for messages
	path string
	args []string
}

// pickClipboard chooses wl-copy on Wayland, where xclip reaches only X
// programs, else xclip; note says why a Wayland session gets xclip.
func pickClipboard(getenv func(string) string, lookPath func(string) (string, error)) (clipTool, string, error) {
	xclip := func() (clipTool, error) {
		path, err := lookPath("xclip")
		if err != nil {
			return clipTool{}, err
		}
		args := []string{"-selection", "clipboard", "-t", "image/png", "-i"}
		if d := getenv("DISPLAY"); d != "" {
			args = append([]string{"-display", d}, args...)
		}
		return clipTool{name: "xclip", path: path, args: args}, nil
	}
	if getenv("WAYLAND_DISPLAY") == "" {
		c, err := xclip()
		if err != nil {
			return c, "", errors.New("--copy needs xclip when no pet is running (apt-get install xclip)")
		}
		return c, "", nil
	}
	if path, err := lookPath("wl-copy"); err == nil {
		return clipTool{name: "wl-copy", path: path, args: []string{"--type", "image/png"}}, "", nil
	}
	c, err := xclip()
	if err != nil {
		return c, "", errors.New("--copy on Wayland needs wl-copy when no pet is running (apt-get install wl-clipboard)")
	}
	return c, "no wl-copy (apt-get install wl-clipboard): copying through xclip, so only X programs can paste it", nil
}

// copyPNG hands the image to the clipboard tool, which keeps serving the
// clipboard after this command exits.
func copyPNG(tool clipTool, img image.Image) error {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return fmt.Errorf("encode PNG: %w", err)
	}
	// The tool's background half keeps its stdout/stderr open: a file, not
	// a pipe, so Wait returns when the foreground half exits.
	errf, err := os.CreateTemp("", "tachikoma-clip-*.log")
	if err != nil {
		return fmt.Errorf("copy to the clipboard: %w", err)
	}
	defer os.Remove(errf.Name())
	defer errf.Close()
	// The foreground half exits once it has read the image; a bound keeps
	// a wedged display server from hanging a hotkey's command.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool.path, tool.args...)
	cmd.Stdin = &buf
	cmd.Stderr = errf
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(errf.Name())
		return fmt.Errorf("copy to the clipboard: %s: %v: %s", tool.name, err, strings.TrimSpace(string(msg)))
	}
	return nil
}
