package shotui

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"log/slog"
	"unsafe"

	"github.com/gotk3/gotk3/cairo"
	"github.com/gotk3/gotk3/pango"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/glyphs"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// textFont is the annotations' family; fontconfig falls back to the
// installed CJK fonts for Chinese.
const textFont = "Sans Bold"

// textLayout lays t out at its device pixel size on cr.
func textLayout(cr *cairo.Context, t shot.Text, scale float64) *pango.Layout {
	l := pango.CairoCreateLayout(cr)
	fd := pango.FontDescriptionFromString(textFont)
	fd.SetAbsoluteSize(t.Size * scale * pango.PANGO_SCALE)
	l.SetFontDescription(fd)
	l.SetText(t.Text, -1)
	return l
}

// pangoText draws text annotations with Pango, so Chinese shows; it logs
// how many glyphs had no font, which the GUI tests read.
func pangoText(log *slog.Logger) shot.TextDrawer {
	return func(dst *image.RGBA, t shot.Text, scale float64) error {
		probe := cairo.CreateImageSurface(cairo.FORMAT_ARGB32, 1, 1)
		defer probe.Close()
		w, h := textLayout(cairo.Create(probe), t, scale).GetSize()
		w, h = (w+pango.PANGO_SCALE-1)/pango.PANGO_SCALE, (h+pango.PANGO_SCALE-1)/pango.PANGO_SCALE
		at := dst.Bounds().Intersect(image.Rect(t.At.X, t.At.Y, t.At.X+w, t.At.Y+h))
		if at.Empty() {
			return nil
		}
		s := cairo.CreateImageSurface(cairo.FORMAT_ARGB32, w, h)
		defer s.Close()
		if st := s.Status(); st != cairo.STATUS_SUCCESS {
			return fmt.Errorf("text surface %d×%d: %v", w, h, cairo.ErrorStatus(st))
		}
		cr := cairo.Create(s)
		l := textLayout(cr, t, scale)
		cr.SetSourceRGBA(float64(t.Colour.R)/255, float64(t.Colour.G)/255, float64(t.Colour.B)/255, float64(t.Colour.A)/255)
		pango.CairoShowLayout(cr, l)
		s.Flush()
		log.Info("screenshot text drawn", "runes", len([]rune(t.Text)), "unknown_glyphs", glyphs.Unknown(l), "x", at.Min.X, "y", at.Min.Y, "w", at.Dx(), "h", at.Dy())
		ink := argbToRGBA(s, w, h)
		draw.Draw(dst, at, ink, at.Min.Sub(t.At), draw.Over)
		return nil
	}
}

// argbToRGBA copies a cairo ARGB32 surface (premultiplied native-endian
// 0xAARRGGBB words) into an image.RGBA (premultiplied too).
func argbToRGBA(s *cairo.Surface, w, h int) *image.RGBA {
	stride := cairo.FormatStrideForWidth(cairo.FORMAT_ARGB32, w)
	src := unsafe.Slice((*byte)(s.GetData()), stride*h)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row, o := src[y*stride:], out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			px := binary.NativeEndian.Uint32(row[4*x:])
			o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = byte(px>>16), byte(px>>8), byte(px), byte(px>>24)
		}
	}
	return out
}
