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
	"strconv"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/xshot"
)

func init() {
	register("screenshot", "take a screenshot: tachikoma screenshot --full [--delay 3] [--output FILE] [--copy] [--pin]", runScreenshot)
}

func runScreenshot(args []string) int {
	return screenshotCmd(args, os.Stdout, os.Stderr, shotEnv{
		getenv: os.Getenv, now: time.Now, sleep: time.Sleep, fs: shot.OSFS{}, lookPath: exec.LookPath, pin: pinAlone,
	})
}

// shotEnv is what the command touches outside itself, so tests replace it.
type shotEnv struct {
	getenv   func(string) string
	now      func() time.Time
	sleep    func(time.Duration)
	fs       shot.FS
	lookPath func(string) (string, error)
	// pin shows the image in a pin window until the user closes it.
	pin func(img *image.RGBA, info io.Writer) error
}

const screenshotUsage = `Usage:
  tachikoma screenshot --full [--delay 3] [--output FILE] [--copy] [--dir DIR] [--pin]

Takes a screenshot of the whole X11 screen. Without --output or --copy it is
saved as Tachikoma_YYYY-MM-DD_HH-MM-SS.png in the Pictures folder's
Screenshots (see xdg-user-dir PICTURES), or in --dir. --output - writes the
PNG to standard output. --copy puts it on the clipboard as image/png (needs
xclip for now). --pin shows it in a window above the others where it was
on the screen (drag moves it, the wheel zooms, a right-click copies or
saves, Esc or a double-click closes it) and returns when it is closed;
with --pin nothing is saved unless --output or --dir says so.

Not yet: selecting an area from the command line (the pet's menu has it).

`

func screenshotCmd(args []string, stdout, stderr io.Writer, env shotEnv) int {
	fl := flag.NewFlagSet("tachikoma screenshot", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, screenshotUsage); fl.PrintDefaults() }
	full := fl.Bool("full", false, "the whole screen")
	delay := fl.String("delay", "0", "wait this long first: seconds (3) or a duration (1.5s)")
	output := fl.String("output", "", "save to FILE (- for standard output); a folder gets the usual file name")
	dir := fl.String("dir", "", "folder for the usual file name (default: Pictures/Screenshots)")
	copyIt := fl.Bool("copy", false, "copy the image to the clipboard")
	pin := fl.Bool("pin", false, "pin the image on the screen until closed")
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
	if !*full {
		return usage("selecting an area from the command line is not available yet: use the pet's menu (Screenshot (area)), or --full for the whole screen")
	}
	wait, err := parseDelay(*delay)
	if err != nil {
		return usage("%v", err)
	}
	xclip := ""
	if *copyIt {
		if xclip, err = env.lookPath("xclip"); err != nil {
			return fail(errors.New("--copy needs xclip for now (apt-get install xclip); the pet's own clipboard comes with its screenshot overlay"))
		}
	}
	display := env.getenv("DISPLAY")
	g, err := xshot.Open(display, env.getenv)
	if err != nil {
		return fail(err)
	}
	defer g.Close()
	if wait > 0 {
		fmt.Fprintf(stderr, "Taking the screenshot in %v…\n", wait)
		env.sleep(wait)
	}
	info := stdout // messages; standard output carries the PNG with --output -
	if *output == "-" {
		info = stderr
	}
	taken := env.now()
	img, _, err := g.Grab()
	if err != nil {
		return fail(err)
	}

	if *output == "-" {
		if err := png.Encode(stdout, img); err != nil {
			return fail(fmt.Errorf("write the PNG to standard output: %w", err))
		}
	} else if *output != "" || *dir != "" || (!*copyIt && !*pin) {
		path, err := saveShot(env, *output, *dir, taken, img)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(info, "Saved to %s\n", path)
	}
	if *copyIt {
		if err := copyPNG(xclip, display, img); err != nil {
			return fail(err)
		}
		fmt.Fprintln(info, "Copied to the clipboard.")
	}
	if *pin {
		if err := env.pin(img, info); err != nil {
			return fail(err)
		}
	}
	return 0
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
			return output, shot.SavePNG(env.fs, output, img)
		}
		dir = output
	}
	if dir == "" {
		var err error
		if dir, err = shot.DefaultDir(shot.Env{Getenv: env.getenv, ReadFile: os.ReadFile}); err != nil {
			return "", err
		}
	}
	return shot.SaveNew(env.fs, dir, taken, img)
}

// copyPNG hands the image to xclip, which keeps serving the clipboard after
// this command exits.
func copyPNG(xclip, display string, img image.Image) error {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return fmt.Errorf("encode PNG: %w", err)
	}
	// xclip's background half keeps its stdout/stderr open: a file, not a
	// pipe, so Wait returns when the foreground half exits.
	errf, err := os.CreateTemp("", "tachikoma-xclip-*.log")
	if err != nil {
		return fmt.Errorf("copy to the clipboard: %w", err)
	}
	defer os.Remove(errf.Name())
	defer errf.Close()
	// xclip's foreground half exits once it has read the image; a bound
	// keeps a wedged X server from hanging a hotkey's command.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, xclip, "-display", display, "-selection", "clipboard", "-t", "image/png", "-i")
	cmd.Stdin = &buf
	cmd.Stderr = errf
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(errf.Name())
		return fmt.Errorf("copy to the clipboard: xclip: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	return nil
}
