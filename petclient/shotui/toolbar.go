package shotui

import (
	"image"
	"math"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/pango"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// hints name each toolbar button with its key, shown over the hovered one.
var hints = map[shot.ButtonID]i18n.Key{
	shot.BtnBox: i18n.ShotToolBox, shot.BtnArrow: i18n.ShotToolArrow, shot.BtnText: i18n.ShotToolText,
	shot.BtnMosaic: i18n.ShotToolMosaic, shot.BtnUndo: i18n.ShotUndo, shot.BtnRedo: i18n.ShotRedo,
	shot.BtnColour: i18n.ShotColour, shot.BtnCustomColour: i18n.ShotCustom, shot.BtnWidth: i18n.ShotWidth,
	shot.BtnPin: i18n.ShotPinIt, shot.BtnSave: i18n.ShotSaveIt, shot.BtnCopy: i18n.ShotCopyIt,
}

// drawToolbar draws the annotation toolbar; cr is in root device pixels.
func (o *overlay) drawToolbar(cr *cairo.Context) {
	bar := o.ctl.Toolbar()
	if len(bar.Buttons) == 0 {
		return
	}
	s := o.scale
	pen := o.ctl.Pen
	rect(cr, bar.Rect)
	cr.SetSourceRGBA(0.98, 0.98, 0.98, 0.96)
	cr.FillPreserve()
	cr.SetSourceRGB(0.6, 0.6, 0.65)
	cr.SetLineWidth(s)
	cr.Stroke()
	var hovered *shot.Button
	for i, b := range bar.Buttons {
		on := false
		switch b.ID {
		case shot.BtnColour:
			on = pen.Colour == shot.Colours[b.Arg]
		case shot.BtnWidth:
			on = pen.Width == shot.Widths[b.Arg]
		default:
			t, isTool := shot.ToolOf(b.ID)
			on = isTool && pen.Tool == t
		}
		if o.inside && o.ptr.In(b.Rect) {
			hovered = &bar.Buttons[i]
			rect(cr, b.Rect.Inset(int(s)))
			cr.SetSourceRGBA(0, 0, 0, 0.08)
			cr.Fill()
		}
		if on {
			rect(cr, b.Rect.Inset(int(s)))
			cr.SetSourceRGBA(0.16, 0.42, 0.78, 0.25)
			cr.Fill()
		}
		o.drawIcon(cr, b)
	}
	if hovered != nil {
		o.drawHint(cr, bar.Rect, o.u.app.Lang().T(hints[hovered.ID]))
	}
}

func rect(cr *cairo.Context, r image.Rectangle) {
	cr.Rectangle(float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()))
}

// drawIcon draws one button's picture in a box of 28 logical pixels.
func (o *overlay) drawIcon(cr *cairo.Context, b shot.Button) {
	s := o.scale
	x, y := float64(b.Rect.Min.X), float64(b.Rect.Min.Y)
	cx, cy := float64(b.Rect.Min.X+b.Rect.Max.X)/2, float64(b.Rect.Min.Y+b.Rect.Max.Y)/2
	cr.SetSourceRGB(0.2, 0.2, 0.25)
	cr.SetLineWidth(2 * s)
	switch b.ID {
	case shot.BtnBox:
		cr.Rectangle(x+8*s, y+9*s, 12*s, 10*s)
		cr.Stroke()
	case shot.BtnArrow:
		arrowIcon(cr, x+8*s, y+20*s, x+20*s, y+8*s, s)
	case shot.BtnText:
		cr.SelectFontFace("Sans", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_BOLD)
		cr.SetFontSize(17 * s)
		cr.MoveTo(x+8.5*s, y+20*s)
		cr.ShowText("A")
	case shot.BtnMosaic:
		for j := 0; j < 3; j++ {
			for i := 0; i < 3; i++ {
				if (i+j)%2 == 0 {
					cr.Rectangle(x+(8+4*float64(i))*s, y+(8+4*float64(j))*s, 4*s, 4*s)
				}
			}
		}
		cr.Fill()
	case shot.BtnUndo, shot.BtnRedo:
		can := o.ctl.Hist.CanUndo()
		dir := 1.0
		if b.ID == shot.BtnRedo {
			can, dir = o.ctl.Hist.CanRedo(), -1
		}
		if !can {
			cr.SetSourceRGB(0.7, 0.7, 0.72)
		}
		// A half turn with a head at its start end.
		cr.Arc(cx, cy+1*s, 6*s, math.Pi, 2*math.Pi)
		if dir < 0 {
			cr.NewPath()
			cr.ArcNegative(cx, cy+1*s, 6*s, 2*math.Pi, math.Pi)
		}
		cr.Stroke()
		hx := cx - 6*s*dir
		cr.MoveTo(hx-4*s, cy+1*s)
		cr.LineTo(hx+4*s, cy+1*s)
		cr.LineTo(hx, cy+6*s)
		cr.ClosePath()
		cr.Fill()
	case shot.BtnColour:
		c := shot.Colours[b.Arg]
		cr.Arc(cx, cy, 6*s, 0, 2*math.Pi)
		cr.SetSourceRGB(float64(c.R)/255, float64(c.G)/255, float64(c.B)/255)
		cr.FillPreserve()
		cr.SetSourceRGB(0.5, 0.5, 0.55)
		cr.SetLineWidth(s)
		cr.Stroke()
	case shot.BtnCustomColour:
		// The pen's colour when it is not a preset, else a colour wheel.
		c, preset := o.ctl.Pen.Colour, false
		for _, p := range shot.Colours {
			preset = preset || p == c
		}
		for i, w := range [][3]uint8{{255, 0, 0}, {255, 220, 0}, {0, 190, 80}, {0, 120, 255}} {
			if !preset {
				w = [3]uint8{c.R, c.G, c.B}
			}
			cr.MoveTo(cx, cy)
			cr.Arc(cx, cy, 6*s, float64(i)*math.Pi/2, float64(i+1)*math.Pi/2)
			cr.ClosePath()
			cr.SetSourceRGB(float64(w[0])/255, float64(w[1])/255, float64(w[2])/255)
			cr.Fill()
		}
		cr.Arc(cx, cy, 6*s, 0, 2*math.Pi)
		cr.SetSourceRGB(0.5, 0.5, 0.55)
		cr.SetLineWidth(s)
		cr.Stroke()
	case shot.BtnWidth:
		cr.Arc(cx, cy, math.Max(1.5, shot.Widths[b.Arg]*0.9)*s, 0, 2*math.Pi)
		cr.Fill()
	case shot.BtnPin:
		cr.Arc(cx+3*s, cy-4*s, 4*s, 0, 2*math.Pi)
		cr.Fill()
		cr.MoveTo(cx+2*s, cy-3*s)
		cr.LineTo(cx-6*s, cy+7*s)
		cr.Stroke()
	case shot.BtnSave:
		cr.MoveTo(cx, y+7*s)
		cr.LineTo(cx, y+17*s)
		cr.Stroke()
		cr.MoveTo(cx-5*s, y+13*s)
		cr.LineTo(cx, y+18*s)
		cr.LineTo(cx+5*s, y+13*s)
		cr.Stroke()
		cr.MoveTo(x+7*s, y+18*s)
		cr.LineTo(x+7*s, y+21*s)
		cr.LineTo(x+21*s, y+21*s)
		cr.LineTo(x+21*s, y+18*s)
		cr.Stroke()
	case shot.BtnCopy:
		cr.SetLineWidth(1.5 * s)
		cr.Rectangle(x+8*s, y+7*s, 9*s, 11*s)
		cr.Stroke()
		cr.Rectangle(x+12*s, y+11*s, 9*s, 11*s)
		cr.SetSourceRGB(0.98, 0.98, 0.98)
		cr.FillPreserve()
		cr.SetSourceRGB(0.2, 0.2, 0.25)
		cr.Stroke()
	}
}

func arrowIcon(cr *cairo.Context, fx, fy, tx, ty, s float64) {
	l := math.Hypot(tx-fx, ty-fy)
	ux, uy := (tx-fx)/l, (ty-fy)/l
	bx, by := tx-ux*6*s, ty-uy*6*s
	cr.MoveTo(fx, fy)
	cr.LineTo(bx, by)
	cr.Stroke()
	cr.MoveTo(tx, ty)
	cr.LineTo(bx-uy*4*s, by+ux*4*s)
	cr.LineTo(bx+uy*4*s, by-ux*4*s)
	cr.ClosePath()
	cr.Fill()
}

// drawHint shows text on a dark label above the toolbar (below it when the
// toolbar is at the top of the screen).
func (o *overlay) drawHint(cr *cairo.Context, bar image.Rectangle, text string) {
	s := o.scale
	l := pango.CairoCreateLayout(cr)
	fd := pango.FontDescriptionFromString("Sans")
	fd.SetAbsoluteSize(12 * s * pango.PANGO_SCALE)
	l.SetFontDescription(fd)
	l.SetText(text, -1)
	if text != o.hinted {
		o.hinted = text
		o.u.log.Debug("screenshot hint drawn", "text", text, "unknown_glyphs", glyphs.Unknown(l))
	}
	w, h := l.GetSize()
	tw, th := float64(w)/pango.PANGO_SCALE, float64(h)/pango.PANGO_SCALE
	pad := 4 * s
	x := float64(bar.Max.X) - tw - 2*pad
	y := float64(bar.Min.Y) - th - 2*pad - 2*s
	if y < float64(o.ctl.Sel.Bounds.Min.Y) {
		y = float64(bar.Max.Y) + 2*s
	}
	cr.SetSourceRGBA(0, 0, 0, 0.75)
	cr.Rectangle(x, y, tw+2*pad, th+2*pad)
	cr.Fill()
	cr.SetSourceRGB(1, 1, 1)
	cr.MoveTo(x+pad, y+pad)
	pango.CairoShowLayout(cr, l)
}
