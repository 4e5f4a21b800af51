package translateui

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"time"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/ocr"
)

// selectTimeout closes a forgotten area selector.
const selectTimeout = 60 * time.Second

// TranslateScreen lets the user drag a rectangle over a still picture of
// the screen, reads its text with tesseract and translates it. A right
// click cancels.
func (u *UI) TranslateScreen(petID int) {
	l := u.app.Lang()
	if !ocr.Available() {
		u.say(petID, "", esc(l.T(i18n.TranslateNoOCR)), 10*time.Second)
		return
	}
	screen, err := gdk.ScreenGetDefault()
	if err != nil {
		return
	}
	root, err := screen.GetRootWindow()
	if err != nil {
		return
	}
	w, h := root.WindowGetWidth(), root.WindowGetHeight()
	shot, err := root.PixbufGetFromWindow(0, 0, w, h)
	if err != nil {
		u.log.Warn("cannot capture the screen", "err", err)
		return
	}
	// A popup (override-redirect) window needs no window manager to cover
	// the whole screen and take the pointer.
	win, err := gtk.WindowNew(gtk.WINDOW_POPUP)
	if err != nil {
		return
	}
	win.SetTitle(l.T(i18n.TranslateScreen))
	win.SetAppPaintable(true)
	win.Move(0, 0)
	win.SetDefaultSize(w, h)
	win.SetSizeRequest(w, h)
	win.AddEvents(int(gdk.BUTTON_PRESS_MASK | gdk.BUTTON_RELEASE_MASK | gdk.POINTER_MOTION_MASK))
	var start, end image.Point
	dragging := false
	sel := func() image.Rectangle { return image.Rectangle{start, end}.Canon() }
	win.Connect("draw", func(_ *gtk.Window, cr *cairo.Context) bool {
		gtk.GdkCairoSetSourcePixBuf(cr, shot, 0, 0)
		cr.Paint()
		cr.SetSourceRGBA(0, 0, 0, 0.35) // dim all but the selection
		cr.Rectangle(0, 0, float64(w), float64(h))
		if r := sel(); dragging && !r.Empty() {
			cr.Rectangle(float64(r.Min.X), float64(r.Max.Y), float64(r.Dx()), -float64(r.Dy()))
		}
		cr.Fill()
		if r := sel(); dragging && !r.Empty() {
			cr.SetSourceRGB(0.16, 0.42, 0.78)
			cr.SetLineWidth(2)
			cr.Rectangle(float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()))
			cr.Stroke()
		}
		return true
	})
	closed := false
	finish := func() {
		if !closed {
			closed = true
			win.Destroy()
		}
	}
	glib.TimeoutAdd(uint(selectTimeout/time.Millisecond), func() bool { finish(); return false })
	win.Connect("button-press-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		b := gdk.EventButtonNewFromEvent(ev)
		if b.Button() != gdk.BUTTON_PRIMARY {
			finish()
			return true
		}
		start = image.Pt(int(b.X()), int(b.Y()))
		end, dragging = start, true
		return true
	})
	win.Connect("motion-notify-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		if dragging {
			m := gdk.EventMotionNewFromEvent(ev)
			x, y := m.MotionVal()
			end = image.Pt(int(x), int(y))
			win.QueueDraw()
		}
		return true
	})
	win.Connect("button-release-event", func(_ *gtk.Window, ev *gdk.Event) bool {
		if !dragging {
			return true
		}
		b := gdk.EventButtonNewFromEvent(ev)
		end = image.Pt(int(b.X()), int(b.Y()))
		r := sel().Intersect(image.Rect(0, 0, w, h))
		finish()
		if r.Dx() < 8 || r.Dy() < 8 {
			return true // a click, not an area
		}
		u.ocrArea(petID, shot, r)
		return true
	})
	win.ShowAll()
}

// ocrArea saves the area of shot as a PNG, reads it and translates the text.
func (u *UI) ocrArea(petID int, shot *gdk.Pixbuf, r image.Rectangle) {
	surf := cairo.CreateImageSurface(cairo.FORMAT_RGB24, r.Dx(), r.Dy())
	cr := cairo.Create(surf)
	gtk.GdkCairoSetSourcePixBuf(cr, shot, -float64(r.Min.X), -float64(r.Min.Y))
	cr.Paint()
	dir, err := os.MkdirTemp("", "tachikoma-ocr")
	if err != nil {
		u.log.Warn("ocr", "err", err)
		return
	}
	png := filepath.Join(dir, "area.png")
	err = surf.WriteToPNG(png)
	surf.Close()
	if err != nil {
		os.RemoveAll(dir)
		u.log.Warn("ocr", "err", err)
		return
	}
	l := u.app.Lang()
	u.say(petID, "", "<i>"+esc(l.T(i18n.TranslateReading))+"</i>", ocr.Timeout)
	go func() {
		defer os.RemoveAll(dir)
		text, err := ocr.Text(context.Background(), png)
		glib.IdleAdd(func() {
			switch {
			case errors.Is(err, ocr.ErrMissing):
				u.say(petID, "", esc(l.T(i18n.TranslateNoOCR)), 10*time.Second)
			case err != nil:
				u.log.Warn("ocr", "err", err)
				u.say(petID, "", esc(err.Error()), 8*time.Second)
			case text == "":
				u.say(petID, "", esc(l.T(i18n.TranslateNoText)), 6*time.Second)
			default:
				u.Translate(petID, text)
			}
		})
	}()
}
