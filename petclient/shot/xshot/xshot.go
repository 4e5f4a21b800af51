// Package xshot grabs the X11 root window into an image for petclient/shot,
// without a toolkit: GetImage in ZPixmap format, converted from the root
// visual's pixel layout, and the monitors from RandR.
package xshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math/bits"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// ErrNoDisplay means there is no X server to grab from.
var ErrNoDisplay = errors.New("no X display: DISPLAY is not set (the screenshot needs an X11 or a Wayland session)")

var quietXGB sync.Once

// Grabber reads the root window of one X connection.
type Grabber struct {
	conn    *xgb.Conn
	screen  *xproto.ScreenInfo
	format  pixelFormat
	randr15 bool
}

var _ shot.Grabber = (*Grabber)(nil)

// Open connects to display (":0"; "" means $DISPLAY, which must be set).
func Open(display string, getenv func(string) string) (*Grabber, error) {
	if display == "" {
		display = getenv("DISPLAY")
	}
	if display == "" {
		return nil, ErrNoDisplay
	}
	// xgb logs a missing ~/.Xauthority on stderr: only a debug matter here.
	quietXGB.Do(func() { xgb.Logger = slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug) })
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("cannot open X display %s: %w", display, err)
	}
	g, err := newGrabber(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return g, nil
}

func newGrabber(conn *xgb.Conn) (*Grabber, error) {
	setup := xproto.Setup(conn)
	screen := setup.DefaultScreen(conn)
	f, err := formatOf(setup, screen)
	if err != nil {
		return nil, err
	}
	g := &Grabber{conn: conn, screen: screen, format: f}
	if randr.Init(conn) == nil {
		if v, err := randr.QueryVersion(conn, 1, 5).Reply(); err == nil &&
			(v.MajorVersion > 1 || v.MinorVersion >= 5) {
			g.randr15 = true
		}
	}
	return g, nil
}

// Close ends the X connection.
func (g *Grabber) Close() { g.conn.Close() }

// Grab reads the whole root window.
func (g *Grabber) Grab() (*image.RGBA, shot.Layout, error) {
	w, h := int(g.screen.WidthInPixels), int(g.screen.HeightInPixels)
	root := image.Rect(0, 0, w, h)
	img := image.NewRGBA(root)
	// One GetImage reply is limited in size: read in bands of rows.
	rowBytes := stride(w, g.format)
	band := max(1, (16<<20)/max(1, rowBytes))
	for y := 0; y < h; y += band {
		n := min(band, h-y)
		r, err := xproto.GetImage(g.conn, xproto.ImageFormatZPixmap, xproto.Drawable(g.screen.Root),
			0, int16(y), uint16(w), uint16(n), ^uint32(0)).Reply()
		if err != nil {
			return nil, shot.Layout{}, fmt.Errorf("read the screen: %w", err)
		}
		if err := convert(img.Pix[y*img.Stride:(y+n)*img.Stride], img.Stride, r.Data, w, n, g.format); err != nil {
			return nil, shot.Layout{}, err
		}
	}
	return img, shot.Layout{Root: root, Monitors: g.monitors(root)}, nil
}

func (g *Grabber) monitors(root image.Rectangle) []shot.Monitor {
	if !g.randr15 {
		return []shot.Monitor{{Name: "screen", Rect: root, Scale: 1}}
	}
	r, err := randr.GetMonitors(g.conn, g.screen.Root, true).Reply()
	if err != nil || len(r.Monitors) == 0 {
		return []shot.Monitor{{Name: "screen", Rect: root, Scale: 1}}
	}
	var out []shot.Monitor
	for _, m := range r.Monitors {
		rect := image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.Width), int(m.Y)+int(m.Height)).Intersect(root)
		if rect.Empty() {
			continue
		}
		name := ""
		if a, err := xproto.GetAtomName(g.conn, m.Name).Reply(); err == nil {
			name = a.Name
		}
		out = append(out, shot.Monitor{Name: name, Rect: rect, Scale: 1})
	}
	if len(out) == 0 {
		return []shot.Monitor{{Name: "screen", Rect: root, Scale: 1}}
	}
	return out
}

// pixelFormat is how the server lays out one ZPixmap pixel.
type pixelFormat struct {
	bpp, pad         int // bits per pixel, scanline pad in bits
	msbFirst         bool
	red, green, blue uint32 // visual masks
}

func formatOf(setup *xproto.SetupInfo, screen *xproto.ScreenInfo) (pixelFormat, error) {
	f := pixelFormat{msbFirst: setup.ImageByteOrder == xproto.ImageOrderMSBFirst}
	for _, pf := range setup.PixmapFormats {
		if pf.Depth == screen.RootDepth {
			f.bpp, f.pad = int(pf.BitsPerPixel), int(pf.ScanlinePad)
		}
	}
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == screen.RootVisual {
				if v.Class != xproto.VisualClassTrueColor && v.Class != xproto.VisualClassDirectColor {
					return f, fmt.Errorf("the screen's visual class %d is not TrueColor: not supported", v.Class)
				}
				f.red, f.green, f.blue = v.RedMask, v.GreenMask, v.BlueMask
			}
		}
	}
	switch {
	case f.bpp != 16 && f.bpp != 24 && f.bpp != 32:
		return f, fmt.Errorf("the screen's %d bits per pixel are not supported", f.bpp)
	case f.red == 0 || f.green == 0 || f.blue == 0:
		return f, errors.New("the screen's visual has no colour masks")
	}
	return f, nil
}

func stride(w int, f pixelFormat) int {
	pad := max(8, f.pad)
	return (w*f.bpp + pad - 1) / pad * pad / 8
}

// convert turns n rows of ZPixmap data into RGBA rows of dst.
func convert(dst []byte, dstStride int, src []byte, w, n int, f pixelFormat) error {
	s := stride(w, f)
	if len(src) < s*n {
		return fmt.Errorf("the X server sent %d bytes for %d rows of %d pixels, want %d", len(src), n, w, s*n)
	}
	bpp := f.bpp / 8
	// The common case, little-endian 32-bit xRGB, needs no shifting.
	fast := bpp == 4 && !f.msbFirst && f.red == 0xff0000 && f.green == 0xff00 && f.blue == 0xff
	rs, gs, bs := channelOf(f.red), channelOf(f.green), channelOf(f.blue)
	for y := 0; y < n; y++ {
		row := src[y*s:]
		out := dst[y*dstStride:]
		for x := 0; x < w; x++ {
			p := row[x*bpp : x*bpp+bpp]
			o := out[x*4 : x*4+4]
			if fast {
				o[0], o[1], o[2], o[3] = p[2], p[1], p[0], 0xff
				continue
			}
			var v uint32
			switch {
			case bpp == 4 && f.msbFirst:
				v = binary.BigEndian.Uint32(p)
			case bpp == 4:
				v = binary.LittleEndian.Uint32(p)
			case bpp == 3 && f.msbFirst:
				v = uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
			case bpp == 3:
				v = uint32(p[2])<<16 | uint32(p[1])<<8 | uint32(p[0])
			case f.msbFirst:
				v = uint32(binary.BigEndian.Uint16(p))
			default:
				v = uint32(binary.LittleEndian.Uint16(p))
			}
			o[0], o[1], o[2], o[3] = rs.get(v), gs.get(v), bs.get(v), 0xff
		}
	}
	return nil
}

// channel extracts one colour from a pixel value and widens it to 8 bits.
type channel struct {
	mask  uint32
	shift int
	width int
}

func channelOf(mask uint32) channel {
	return channel{mask: mask, shift: bits.TrailingZeros32(mask), width: bits.OnesCount32(mask)}
}

func (c channel) get(v uint32) uint8 {
	x := (v & c.mask) >> c.shift
	switch {
	case c.width >= 8:
		return uint8(x >> (c.width - 8))
	case c.width == 0:
		return 0
	}
	// Replicate the high bits so full scale maps to 255 (5-bit 31 → 255).
	x <<= 8 - c.width
	return uint8(x | x>>c.width)
}
