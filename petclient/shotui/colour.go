package shotui

import (
	"image"
	"image/color"
	"math"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// Chooser size in logical pixels, with the panel's margin around it.
const (
	chooserH      = 250
	chooserMargin = 8
)

// pickColour opens GTK's colour chooser inside the overlay (a dialog would
// sit under it) next to the toolbar; a double-click or OK takes a colour.
func (o *overlay) pickColour() {
	if o.chooser != nil {
		return
	}
	box, err := gtk.BoxNew(gtk.ORIENTATION_VERTICAL, 6)
	if err != nil {
		return
	}
	cc := colourChooser()
	ok, err := gtk.ButtonNewWithLabel(o.u.app.Lang().T(i18n.ShotCustomOK))
	if err != nil {
		return
	}
	take := func() {
		r, g, b := chooserRGB(cc)
		c := color.RGBA{to8(r), to8(g), to8(b), 255}
		o.ctl.SetColour(c)
		o.u.log.Info("screenshot colour picked", "colour", shot.Hex(c))
		o.closeChooser()
	}
	cc.Connect("color-activated", take)
	ok.Connect("clicked", take)
	box.PackStart(cc, true, true, 0)
	box.PackEnd(ok, false, false, 0)
	bar := o.ctl.Toolbar().Rect
	x, y := o.logical(bar.Min)
	_, by := o.logical(bar.Max)
	_, bottom := o.logical(o.ctl.Sel.Bounds.Max)
	if by+chooserH+2*chooserMargin <= bottom {
		y = by + chooserMargin
	} else {
		y -= chooserH + chooserMargin
	}
	box.ShowAll()
	_, w := box.GetPreferredWidth()
	right, _ := o.logical(o.ctl.Sel.Bounds.Max)
	x = max(chooserMargin, min(x+chooserMargin, right-w-chooserMargin)) // on the screen
	o.fixed.Put(box, x, max(chooserMargin, y))
	o.chooser = box
	o.win.QueueDraw()
	// The GUI tests click a swatch and OK where this says they are.
	ok.Connect("size-allocate", func() {
		at := func(w *gtk.Widget) image.Rectangle {
			a := w.GetAllocation()
			return image.Rect(a.GetX(), a.GetY(), a.GetX()+a.GetWidth(), a.GetY()+a.GetHeight())
		}
		label, _ := ok.GetLabel()
		o.u.log.Debug("screenshot colour chooser shown", "chooser", at(cc), "ok", at(&ok.Widget), "label", label)
	})
}

func to8(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }

func (o *overlay) closeChooser() {
	if o.chooser == nil {
		return
	}
	o.chooser.Destroy()
	o.chooser = nil
	o.dirty = true
	o.win.QueueDraw()
}

// drawChooserPanel gives the chooser a light panel to sit on; cr is in
// root device pixels.
func (o *overlay) drawChooserPanel(cr *cairo.Context) {
	if o.chooser == nil {
		return
	}
	a := o.chooser.GetAllocation()
	if a.GetWidth() <= 1 {
		return
	}
	s, m := o.scale, float64(chooserMargin)
	cr.Rectangle(float64(o.org.X)+(float64(a.GetX())-m)*s, float64(o.org.Y)+(float64(a.GetY())-m)*s,
		(float64(a.GetWidth())+2*m)*s, (float64(a.GetHeight())+2*m)*s)
	cr.SetSourceRGB(0.98, 0.98, 0.98)
	cr.FillPreserve()
	cr.SetSourceRGB(0.6, 0.6, 0.65)
	cr.SetLineWidth(s)
	cr.Stroke()
}
