// Command backdrop is a GUI-test helper: a full-screen window of one solid
// colour that appends every click it receives to a file ("x y button" per
// line). Behind the pet it proves two things: transparent pixels show the
// backdrop's colour, and clicks on them reach the window below.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func main() {
	colour := flag.String("color", "d8e4ec", "background colour, hex RRGGBB")
	clicks := flag.String("clicks", "", "file to append clicks to")
	flag.Parse()
	if err := run(*colour, *clicks); err != nil {
		slog.Error("backdrop", "err", err)
		os.Exit(1)
	}
}

func run(colour, clicks string) error {
	rgb, err := strconv.ParseUint(colour, 16, 32)
	if err != nil {
		return fmt.Errorf("colour %q: %w", colour, err)
	}
	c, err := xgb.NewConn()
	if err != nil {
		return err
	}
	defer c.Close()
	screen := xproto.Setup(c).DefaultScreen(c)
	if screen.RootDepth != 24 {
		return fmt.Errorf("want a 24-bit screen, got depth %d", screen.RootDepth)
	}
	win, err := xproto.NewWindowId(c)
	if err != nil {
		return err
	}
	// On a TrueColor 24-bit visual the pixel value is the colour itself.
	err = xproto.CreateWindowChecked(c, screen.RootDepth, win, screen.Root, 0, 0,
		screen.WidthInPixels, screen.HeightInPixels, 0, xproto.WindowClassInputOutput, screen.RootVisual,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{uint32(rgb), 1, xproto.EventMaskButtonPress | xproto.EventMaskExposure}).Check()
	if err != nil {
		return err
	}
	name := "tachikoma-test-backdrop"
	xproto.ChangeProperty(c, xproto.PropModeReplace, win, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(name)), []byte(name))
	if err := xproto.MapWindowChecked(c, win).Check(); err != nil {
		return err
	}
	// Below everything mapped later (the pets), whatever the map order.
	xproto.ConfigureWindow(c, win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeBelow})
	fmt.Println("ready", win)
	for {
		ev, err := c.WaitForEvent()
		if ev == nil && err == nil {
			return nil // connection closed
		}
		if err != nil {
			continue
		}
		if b, ok := ev.(xproto.ButtonPressEvent); ok && clicks != "" {
			f, err := os.OpenFile(clicks, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			fmt.Fprintf(f, "%d %d %d\n", b.RootX, b.RootY, b.Detail)
			f.Close()
		}
	}
}
