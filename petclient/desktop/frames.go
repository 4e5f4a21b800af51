package desktop

import (
	"container/list"
	"fmt"
	"image"
	"image/draw"
	"math"
	"runtime"

	"github.com/gotk3/gotk3/glib"
	"github.com/gotk3/gotk3/gtk"

	"github.com/tachikoma-pet/tachikoma/petclient/desktop/raster"
)

// frameKey identifies one converted frame. Scales are kept in thousandths so
// the key is comparable and 1.5 never becomes 1.4999.
type frameKey struct {
	anim  string
	idx   int
	scale int // logical scale ×1000
	dev   int // monitor scale factor (HiDPI)
	flip  bool
	zzz   bool // asleep: sleep marks drawn above the robot
}

// frame is a sprite ready to paint: a cairo surface in premultiplied ARGB32
// plus the shape region, both built once per key.
type frame struct {
	key   frameKey
	surf  surface // in the X server once a window was at hand
	shape region
	w, h  int // logical window size
	// A covered and a transparent point (logical, window-relative) for the
	// test hook; clear is (-1,-1) when the frame has no clear pixel.
	opaque, clear image.Point
	bytes         int
}

// frameCache is shared by all pets: same pack and scale give the same
// frames, so five pets cost little more memory than one. It is an LRU
// bounded in bytes; windows keep a pointer to the frame they show, so an
// evicted frame stays valid until its last window moves on (finalizers free
// the C memory).
type frameCache struct {
	src   FrameSource
	limit int
	bytes int
	order *list.List // front = most recent; values are *frame
	index map[frameKey]*list.Element
}

func newFrameCache(src FrameSource, limit int) *frameCache {
	return &frameCache{src: src, limit: limit, order: list.New(), index: map[frameKey]*list.Element{}}
}

func (c *frameCache) setSource(src FrameSource) {
	c.src = src
	c.order.Init()
	c.index = map[frameKey]*list.Element{}
	c.bytes = 0
}

// get returns the frame for k, building it next to w's window if needed.
func (c *frameCache) get(k frameKey, w *gtk.Widget) (*frame, error) {
	if e, ok := c.index[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*frame), nil
	}
	f, err := c.build(k, w)
	if err != nil {
		return nil, err
	}
	c.index[k] = c.order.PushFront(f)
	c.bytes += f.bytes
	for c.bytes > c.limit && c.order.Len() > 1 {
		old := c.order.Back()
		of := old.Value.(*frame)
		c.order.Remove(old)
		delete(c.index, of.key)
		c.bytes -= of.bytes
	}
	return f, nil
}

func (c *frameCache) build(k frameKey, w *gtk.Widget) (*frame, error) {
	dev := float64(k.dev)
	px := float64(k.scale) / 1000 * dev // device pixels per 1x pixel
	src, err := c.src.Frame(k.anim, k.idx, px)
	if err != nil {
		return nil, err
	}
	img := raster.ToNRGBA(src, k.flip)
	if k.zzz {
		// Grow the canvas upward; bottom alignment keeps the robot in place.
		zh := raster.ZzzHeight(px)
		b := img.Bounds()
		tall := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()+zh))
		draw.Draw(tall, b.Add(image.Pt(0, zh)), img, image.Point{}, draw.Src)
		raster.DrawZzz(tall, px)
		img = tall
	}
	b := img.Bounds()
	pw, ph := b.Dx(), b.Dy()
	if pw <= 0 || ph <= 0 {
		return nil, fmt.Errorf("frame %s/%d is empty", k.anim, k.idx)
	}
	imgSurf, buf, err := newImageSurface(pw, ph)
	if err != nil {
		return nil, err
	}
	raster.ToARGB32(buf, img, false)
	imgSurf.markDirty()
	if k.dev > 1 {
		imgSurf.setDeviceScale(dev)
	}
	f := &frame{
		key:   k,
		w:     int(math.Ceil(float64(pw) / dev)),
		h:     int(math.Ceil(float64(ph) / dev)),
		bytes: raster.Stride(pw)*ph + 1024, // pixels (in the X server) + bookkeeping
	}
	f.opaque, f.clear = probePoints(buf, pw, ph, k.dev)
	f.shape = regionFromSurface(imgSurf)
	f.surf = serverCopy(w, imgSurf, f.w, f.h)
	imgSurf.destroy() // serverCopy holds its own reference when it returns it
	runtime.SetFinalizer(f, func(f *frame) {
		// X resources must be freed on the GTK thread.
		glib.IdleAdd(func() {
			f.shape.free()
			f.surf.destroy()
		})
	})
	return f, nil
}

// probePoints finds, in logical coordinates, an opaque pixel nearest the
// centre and a transparent pixel with a transparent 5×5 neighbourhood
// (so a click there is surely outside the input shape).
func probePoints(buf []byte, w, h, dev int) (opaque, clear image.Point) {
	opaque, clear = image.Pt(-1, -1), image.Pt(-1, -1)
	best := math.Inf(1)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if raster.AlphaAt(buf, w, x, y) == 255 {
				if d := math.Hypot(float64(x)-cx, float64(y)-cy); d < best {
					best, opaque = d, image.Pt(x/dev, y/dev)
				}
			}
		}
	}
	clearAround := func(x, y int) bool {
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				xx, yy := x+dx, y+dy
				if xx < 0 || yy < 0 || xx >= w || yy >= h {
					continue
				}
				if raster.AlphaAt(buf, w, xx, yy) != 0 {
					return false
				}
			}
		}
		return true
	}
	// Scan from the top corners inward: the robot stands on the bottom edge,
	// so the top corners are the likeliest empty space.
	for y := 2; y < h-2 && clear.X < 0; y++ {
		for i := 2; i < w/2; i++ {
			for _, x := range []int{i, w - 1 - i} {
				if clearAround(x, y) {
					clear = image.Pt(x/dev, y/dev)
					break
				}
			}
			if clear.X >= 0 {
				break
			}
		}
	}
	return opaque, clear
}
