package spriteimport

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"sync"

	"golang.org/x/image/webp"
)

func errString(format string, a ...any) error { return fmt.Errorf(format, a...) }

// Budget bounds the pixels decoded by one import, whatever the files claim.
type Budget struct {
	mu   sync.Mutex
	used int64
}

func (b *Budget) take(file string, pixels int64) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+pixels > MaxTotalPixels {
		return errf(file, "would take the import over %d decoded pixels; import fewer or smaller pictures", MaxTotalPixels)
	}
	b.used += pixels
	return nil
}

func checkSize(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("has zero size (%dx%d)", w, h)
	case w > MaxImageSide || h > MaxImageSide || int64(w)*int64(h) > MaxImagePixels:
		return fmt.Errorf("is too large (%dx%d; limit %d px a side, %d pixels)", w, h, MaxImageSide, MaxImagePixels)
	}
	return nil
}

// DecodePNG checks the header against the limits before decoding.
func DecodePNG(name string, data []byte, budget *Budget) (*image.NRGBA, error) {
	if !bytes.HasPrefix(data, []byte(pngMagic)) {
		return nil, errf(name, "is not a PNG image")
	}
	return decodeStill(name, data, budget, stillFormats[0])
}

// DecodeStill decodes a PNG, JPEG or WebP picture (told by its bytes, not
// its name), checking the header against the limits before decoding.
func DecodeStill(name string, data []byte, budget *Budget) (*image.NRGBA, error) {
	for _, f := range stillFormats {
		if f.is(data) {
			return decodeStill(name, data, budget, f)
		}
	}
	return nil, errf(name, "is not a GIF, PNG, JPEG or WebP image")
}

const pngMagic = "\x89PNG\r\n\x1a\n"

type stillFormat struct {
	name   string
	is     func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var stillFormats = []stillFormat{
	{"PNG", func(d []byte) bool { return bytes.HasPrefix(d, []byte(pngMagic)) }, png.DecodeConfig, png.Decode},
	{"JPEG", func(d []byte) bool { return bytes.HasPrefix(d, []byte("\xff\xd8\xff")) }, jpeg.DecodeConfig, jpeg.Decode},
	{"WebP", func(d []byte) bool { return len(d) >= 12 && string(d[:4]) == "RIFF" && string(d[8:12]) == "WEBP" },
		webp.DecodeConfig, webp.Decode},
}

func decodeStill(name string, data []byte, budget *Budget, f stillFormat) (*image.NRGBA, error) {
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return nil, errf(name, "is not a valid %s: %v", f.name, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, errf(name, "%v", err)
	}
	if err := budget.take(name, int64(cfg.Width)*int64(cfg.Height)); err != nil {
		return nil, err
	}
	m, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, errf(name, "is a damaged %s: %v", f.name, err)
	}
	return toNRGBA(m), nil
}

// SplitSheet cuts a sprite sheet into frames, row by row: by a grid of
// cols x rows, or by a frame size. Cells that are entirely one colour or
// transparent (the unused end of a sheet) are dropped.
func SplitSheet(name string, m *image.NRGBA, grid, cell image.Point) ([]*image.NRGBA, error) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	switch {
	case grid.X > 0 && grid.Y > 0:
		if w%grid.X != 0 || h%grid.Y != 0 {
			return nil, errf(name, "is %dx%d, which a %dx%d grid does not divide evenly", w, h, grid.X, grid.Y)
		}
		cell = image.Pt(w/grid.X, h/grid.Y)
	case cell.X > 0 && cell.Y > 0:
		if w%cell.X != 0 || h%cell.Y != 0 {
			return nil, errf(name, "is %dx%d, not a whole number of %dx%d frames", w, h, cell.X, cell.Y)
		}
	default:
		return nil, errors.New("spriteimport: SplitSheet needs a grid or a frame size")
	}
	if n := (w / cell.X) * (h / cell.Y); n > MaxGIFFrames {
		return nil, errf(name, "would be cut into %d frames, limit %d", n, MaxGIFFrames)
	}
	var out []*image.NRGBA
	for y := 0; y+cell.Y <= h; y += cell.Y {
		for x := 0; x+cell.X <= w; x += cell.X {
			f := toNRGBA(m.SubImage(image.Rect(x, y, x+cell.X, y+cell.Y)))
			if !uniform(f) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil, errf(name, "has no non-empty frames in its %dx%d cells", cell.X, cell.Y)
	}
	return out, nil
}

func uniform(m *image.NRGBA) bool {
	if len(m.Pix) < 4 {
		return true
	}
	first := m.Pix[:4]
	for i := 0; i < len(m.Pix); i += 4 {
		p := m.Pix[i : i+4]
		if p[3] == 0 && first[3] == 0 {
			continue
		}
		if !bytes.Equal(p, first) {
			return false
		}
	}
	return true
}
