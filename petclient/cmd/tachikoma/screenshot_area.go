package main

import (
	"fmt"
	"image"
	"log/slog"
	"os"

	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
	"github.com/tachikoma-pet/tachikoma/petclient/shotui"
)

// pickAreaAlone shows the area overlay in this process (no pet runs) and
// returns the selection, its top-left on the screen (device pixels) and
// the key that ended it.
func pickAreaAlone(display string) (*image.RGBA, image.Point, shot.Action, error) {
	os.Setenv("DISPLAY", display)
	os.Setenv("GDK_BACKEND", "x11")
	os.Setenv("NO_AT_BRIDGE", "1")
	if err := gtk.InitCheck(nil); err != nil {
		return nil, image.Point{}, shot.Cancel, fmt.Errorf("cannot open the display %s for the overlay: %w", display, err)
	}
	shotui.ExitWhenDisplayLost(fmt.Sprintf("tachikoma screenshot: lost the X server of display %s mid-selection; nothing was saved", display))
	var img *image.RGBA
	var at image.Point
	act := shot.Cancel
	var failed error
	// Errors are returned instead of said; only warnings are logged.
	opts := shotui.Options{Say: func(string) {}, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	// The overlay speaks the pet's language setting, as the pet would.
	set := settings.Defaults()
	if path, err := settings.DefaultPath(); err != nil {
		opts.Logger.Warn("the overlay speaks the default language", "err", err)
	} else {
		set, _ = settings.LoadOrDefaults(path, opts.Logger)
	}
	shotui.Pick(shotui.Alone(i18n.Resolve(set.Language, os.Getenv)), opts, func(i *image.RGBA, p image.Point, a shot.Action, err error) {
		img, at, act, failed = i, p, a, err
		gtk.MainQuit()
	})
	gtk.Main()
	return img, at, act, failed
}
