package pack

import (
	"encoding/binary"
	"image"
)

// CairoARGB32 converts img to the pixel layout of a cairo ARGB32 image
// surface: premultiplied alpha, one native-endian uint32 0xAARRGGBB per
// pixel, rows of stride = 4*width bytes (cairo_format_stride_for_width for
// ARGB32 is always 4*width). The display layer copies data into
// cairo.CreateImageSurface(FORMAT_ARGB32, w, h) row by row using the
// surface's own stride, then calls MarkDirty.
func CairoARGB32(img *image.NRGBA) (data []byte, width, height, stride int) {
	b := img.Bounds()
	width, height, stride = b.Dx(), b.Dy(), 4*b.Dx()
	data = make([]byte, stride*height)
	for y := 0; y < height; y++ {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		row := data[y*stride:]
		for x := 0; x < width; x++ {
			r, g, bl, a := uint32(src[4*x]), uint32(src[4*x+1]), uint32(src[4*x+2]), uint32(src[4*x+3])
			// Premultiply with rounding: c*a/255.
			r, g, bl = (r*a+127)/255, (g*a+127)/255, (bl*a+127)/255
			binary.NativeEndian.PutUint32(row[4*x:], a<<24|r<<16|g<<8|bl)
		}
	}
	return data, width, height, stride
}
