package main

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"

	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/shotui"
)

// pinAlone shows img pinned where it was on the screen (at, its top-left
// in device pixels) and returns when the pin is closed.
func pinAlone(img *image.RGBA, at image.Point, info io.Writer) error {
	runtime.LockOSThread() // GTK stays on the thread that initialised it
	defer runtime.UnlockOSThread()
	if err := gtk.InitCheck(nil); err != nil {
		return errors.New("--pin needs a display: cannot open one for GTK")
	}
	shotui.ExitWhenDisplayLost("tachikoma screenshot: lost the X server; the pin is gone")
	fmt.Fprintln(info, "Pinned; close it with Esc or a double-click.")
	return shotui.PinAlone(img, at, i18n.Detect(os.Getenv), shotui.Options{
		Say: func(text string) { fmt.Fprintln(info, text) },
	})
}
