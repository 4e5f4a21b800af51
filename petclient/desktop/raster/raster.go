// Package raster converts sprite frames to cairo's pixel layout. It is pure
// Go so the conversion (the one per-frame cost before caching) is tested
// without a display.
package raster

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
)

// Stride is cairo's row stride for ARGB32 at width w (rows are whole 32-bit
// pixels, so no extra padding is needed).
func Stride(w int) int { return w * 4 }

// ToARGB32 writes img into dst as cairo ARGB32: premultiplied alpha, one
// native-endian uint32 per pixel (0xAARRGGBB). With flip the image is
// mirrored horizontally, so a left-facing pet needs no second sprite.
// dst must hold Stride(w)*h bytes.
func ToARGB32(dst []byte, img image.Image, flip bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	stride := Stride(w)
	src, ok := img.(*image.NRGBA)
	if !ok {
		n := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
		src, b = n, n.Bounds()
	}
	for y := 0; y < h; y++ {
		row := src.Pix[(y+b.Min.Y-src.Rect.Min.Y)*src.Stride+(b.Min.X-src.Rect.Min.X)*4:]
		out := dst[y*stride:]
		for x := 0; x < w; x++ {
			sx := x
			if flip {
				sx = w - 1 - x
			}
			p := row[sx*4 : sx*4+4]
			a := uint32(p[3])
			r := (uint32(p[0])*a + 127) / 255
			g := (uint32(p[1])*a + 127) / 255
			bl := (uint32(p[2])*a + 127) / 255
			binary.NativeEndian.PutUint32(out[x*4:], a<<24|r<<16|g<<8|bl)
		}
	}
}

// AlphaAt reads back the alpha of pixel (x, y) of an ARGB32 buffer; tests
// and the shape code share it.
func AlphaAt(buf []byte, w, x, y int) uint8 {
	return uint8(binary.NativeEndian.Uint32(buf[y*Stride(w)+x*4:]) >> 24)
}

// ColorAt reads back a pixel as a non-premultiplied colour (for tests).
func ColorAt(buf []byte, w, x, y int) color.NRGBA {
	v := binary.NativeEndian.Uint32(buf[y*Stride(w)+x*4:])
	a := v >> 24
	if a == 0 {
		return color.NRGBA{}
	}
	un := func(c uint32) uint8 { return uint8((c*255 + a/2) / a) }
	return color.NRGBA{R: un(v >> 16 & 0xff), G: un(v >> 8 & 0xff), B: un(v & 0xff), A: uint8(a)}
}

// ToNRGBA returns img as an NRGBA with origin (0,0), mirrored with flip.
// It copies only when it has to (other type, offset, or flip).
func ToNRGBA(img image.Image, flip bool) *image.NRGBA {
	b := img.Bounds()
	n, ok := img.(*image.NRGBA)
	if !ok || b.Min != (image.Point{}) {
		n = image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
	}
	if !flip {
		return n
	}
	w, h := b.Dx(), b.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		src, dst := n.Pix[y*n.Stride:], out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			copy(dst[x*4:x*4+4], src[(w-1-x)*4:(w-1-x)*4+4])
		}
	}
	return out
}

// ZzzHeight is the room DrawZzz needs above the sprite at scale.
func ZzzHeight(scale float64) int { return int(14*scale + 0.5) }

// DrawZzz paints three rising "Z"s (sleep marks) into the band of height
// ZzzHeight(scale) at the top of dst, right of centre: white strokes with a
// dark outline so they read on light and dark desktops alike.
func DrawZzz(dst *image.NRGBA, scale float64) {
	unit := max(1, int(scale+0.5))
	w := dst.Bounds().Dx()
	band := ZzzHeight(scale)
	outline := color.NRGBA{R: 20, G: 40, B: 80, A: 255}
	white := color.NRGBA{R: 255, G: 255, B: 255, A: 255}
	x := w*11/20 + 0
	sizes := []int{3, 4, 5} // glyph size in units, growing as they rise
	for i, n := range sizes {
		size := n * unit
		y := band - size - i*(band-size)/len(sizes) - unit
		for pass, c := range []color.NRGBA{outline, white} {
			grow := 1 - pass // outline pass draws one unit wider
			zGlyph(dst, x, y, size, unit, grow*unit, c)
		}
		x += size + unit
	}
}

// zGlyph draws a Z of size×size at (x, y) with strokes of width unit,
// thickened by pad on every side.
func zGlyph(dst *image.NRGBA, x, y, size, unit, pad int, c color.NRGBA) {
	fill := func(x0, y0, x1, y1 int) {
		r := image.Rect(x0-pad, y0-pad, x1+pad, y1+pad).Intersect(dst.Bounds())
		for yy := r.Min.Y; yy < r.Max.Y; yy++ {
			for xx := r.Min.X; xx < r.Max.X; xx++ {
				dst.SetNRGBA(xx, yy, c)
			}
		}
	}
	fill(x, y, x+size, y+unit)                // top bar
	fill(x, y+size-unit, x+size, y+size)      // bottom bar
	for t := unit; t < size-unit; t += unit { // diagonal, top-right to bottom-left
		dx := x + size - unit - t*(size-unit)/(size-unit)
		fill(dx, y+t, dx+unit, y+t+unit)
	}
}
