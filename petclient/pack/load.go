package pack

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"sync"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// Meta is a pack's descriptive metadata.
type Meta struct {
	Name, Author, Licence, Version, Description string
}

// Frame is one decoded frame, ready for the display at a given scale.
type Frame struct {
	Image    *image.NRGBA // shared with the pack's cache: do not modify
	Anchor   image.Point  // pixel of Image that sits on the pet's position
	Duration time.Duration
}

// Pack is a loaded, fully validated sprite pack. Safe for concurrent use.
type Pack struct {
	man  *Manifest
	sets []imageSet // ascending by scale
	// open gives the pack's files again for decoding: encoded images are
	// read when a frame is first needed, not kept (megabytes per pack).
	open    func() (fs.FS, func() error, error)
	logical map[string]image.Point // 1x size of each frame image

	mu    sync.Mutex
	cache map[float64]map[string][]Frame
}

type imageSet struct {
	scale float64
	dir   string
}

// Load reads and validates the pack in directory dir. Files are opened
// through os.Root, so symlinks cannot lead outside the pack.
func Load(dir string) (*Pack, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, &Error{Pack: dir, File: ManifestFile, Msg: "pack directory cannot be opened: " + unwrapPath(err)}
	}
	defer root.Close()
	p, err := LoadFS(root.FS())
	if err != nil {
		return nil, labelled(err, dir)
	}
	p.open = func() (fs.FS, func() error, error) {
		r, err := os.OpenRoot(dir)
		if err != nil {
			return nil, nil, err
		}
		return r.FS(), r.Close, nil
	}
	return p, nil
}

// LoadFS reads and validates a pack whose directory is the root of fsys
// (an embedded pack, a disk pack or a test fstest.MapFS).
func LoadFS(fsys fs.FS) (*Pack, error) {
	p, err := loadManifest(fsys)
	if err != nil {
		return nil, err
	}
	if err := p.loadImages(fsys); err != nil {
		return nil, err
	}
	return p, nil
}

// loadBuiltin loads the pack built into the binary, which its tests
// validate in full with LoadFS: it reads only the smallest set's PNG
// headers, so the other sets' embedded bytes stay out of memory until a
// display scale needs them.
func loadBuiltin(fsys fs.FS) (*Pack, error) {
	p, err := loadManifest(fsys)
	if err != nil {
		return nil, err
	}
	set := p.sets[0]
	for _, name := range sortedKeys(p.man.Animations) {
		for _, fr := range p.man.Animations[name].Frames {
			if _, ok := p.logical[fr.Image]; ok {
				continue
			}
			file := path.Join(set.dir, fr.Image)
			size, err := pngSize(fsys, file)
			if err != nil {
				return nil, &Error{File: file, Msg: err.Error()}
			}
			p.logical[fr.Image] = image.Pt(int(math.Round(float64(size.X)/set.scale)), int(math.Round(float64(size.Y)/set.scale)))
		}
	}
	return p, nil
}

// pngSize reads a PNG's dimensions from its header alone.
func pngSize(fsys fs.FS, file string) (image.Point, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return image.Point{}, errors.New(unwrapPath(err))
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		return image.Point{}, fmt.Errorf("is not a valid PNG: %v", err)
	}
	return image.Pt(cfg.Width, cfg.Height), nil
}

// loadManifest reads and parses the manifest and lists the image sets.
func loadManifest(fsys fs.FS) (*Pack, error) {
	data, err := readLimited(fsys, ManifestFile, MaxManifestBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: ManifestFile, Msg: "missing: a pack is a directory with a pack.yaml"}
		}
		return nil, &Error{File: ManifestFile, Msg: err.Error()}
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, err
	}
	p := &Pack{
		man:     m,
		open:    func() (fs.FS, func() error, error) { return fsys, func() error { return nil }, nil },
		logical: map[string]image.Point{},
		cache:   map[float64]map[string][]Frame{},
	}
	if len(m.Scales) == 0 {
		p.sets = []imageSet{{scale: 1, dir: "."}}
	}
	for _, s := range sortedScales(m.Scales) {
		p.sets = append(p.sets, imageSet{scale: s, dir: m.Scales[s]})
	}
	return p, nil
}

// loadImages reads and decodes every frame of every set once, so that a
// broken file is reported at load time and not in the middle of an animation.
func (p *Pack) loadImages(fsys fs.FS) error {
	var errs errList
	total := 0
	var ref image.Point // 1x size of the first frame: the yardstick for "wildly different"
	var refFile string
	seen := map[string]bool{} // report a shared broken image once, not per frame
	for _, name := range sortedKeys(p.man.Animations) {
		for i, fr := range p.man.Animations[name].Frames {
			field := fmt.Sprintf("animations.%s.frames[%d]", name, i)
			if seen[fr.Image] {
				continue
			}
			seen[fr.Image] = true
			var size1x image.Point
			var ok = true
			for _, set := range p.sets {
				file := path.Join(set.dir, fr.Image)
				n, size, err := readPNG(fsys, file, MaxPackBytes-total)
				if err != nil {
					errs.add(file, field+".image", "%v", err)
					ok = false
					continue
				}
				total += n
				logical := image.Pt(int(math.Round(float64(size.X)/set.scale)), int(math.Round(float64(size.Y)/set.scale)))
				if size1x == (image.Point{}) {
					size1x = logical
					continue
				}
				// Every set must be the same picture at its own scale.
				want := image.Pt(int(math.Round(float64(size1x.X)*set.scale)), int(math.Round(float64(size1x.Y)*set.scale)))
				if abs(size.X-want.X) > int(set.scale)+1 || abs(size.Y-want.Y) > int(set.scale)+1 {
					errs.add(file, field+".image", "is %dx%d but a %vx image should be about %dx%d", size.X, size.Y, set.scale, want.X, want.Y)
					ok = false
				}
			}
			if !ok {
				continue
			}
			p.logical[fr.Image] = size1x
			if ref == (image.Point{}) {
				ref, refFile = size1x, fr.Image
			} else if wildlyDifferent(ref, size1x) {
				errs.add(fr.Image, field+".image", "is %dx%d at 1x, wildly different from %s (%dx%d)", size1x.X, size1x.Y, refFile, ref.X, ref.Y)
			}
		}
	}
	if len(errs) > 0 {
		return errs.err()
	}
	// Anchors are checked against the 1x size, now that it is known.
	for _, name := range sortedKeys(p.man.Animations) {
		for i, fr := range p.man.Animations[name].Frames {
			sz := p.logical[fr.Image]
			if a := fr.Anchor; len(a) == 2 && (a[0] > float64(sz.X) || a[1] > float64(sz.Y)) {
				errs.add(ManifestFile, fmt.Sprintf("animations.%s.frames[%d].anchor", name, i),
					"%v is outside the %dx%d image %s", a, sz.X, sz.Y, fr.Image)
			}
		}
	}
	return errs.err()
}

func wildlyDifferent(a, b image.Point) bool {
	r := func(x, y int) bool { return x > 4*y || y > 4*x }
	return r(a.X, b.X) || r(a.Y, b.Y)
}

func abs(v int) int { return max(v, -v) }

// readPNG reads one file and checks it is a sane PNG: present, not empty,
// not huge (checked from the header before decoding) and fully decodable.
// It returns the file's size.
func readPNG(fsys fs.FS, file string, budget int) (int, image.Point, error) {
	_, n, size, err := decodePNG(fsys, file, budget)
	return n, size, err
}

// decodePNG is readPNG returning the decoded image too.
func decodePNG(fsys fs.FS, file string, budget int) (image.Image, int, image.Point, error) {
	limit := min(MaxImageBytes, budget)
	data, err := readLimited(fsys, file, limit)
	if err != nil {
		return nil, 0, image.Point{}, err
	}
	if len(data) == 0 {
		return nil, 0, image.Point{}, errors.New("is empty (0 bytes)")
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, 0, image.Point{}, errors.New("is not a PNG image")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, 0, image.Point{}, fmt.Errorf("is not a valid PNG: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, 0, image.Point{}, fmt.Errorf("has zero size (%dx%d)", cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return nil, 0, image.Point{}, fmt.Errorf("is too large (%dx%d; limit %d px a side, %d pixels)", cfg.Width, cfg.Height, MaxImageSide, MaxImagePixels)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, image.Point{}, fmt.Errorf("is a damaged PNG: %v", err)
	}
	return img, len(data), image.Pt(cfg.Width, cfg.Height), nil
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(fsys fs.FS, name string, limit int) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fs.ErrNotExist
		}
		return nil, errors.New(unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errors.New(unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("is not a regular file")
	}
	if st.Size() > int64(limit) {
		return nil, fmt.Errorf("is too large (%d bytes, limit %d)", st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, errors.New(unwrapPath(err))
	}
	if len(data) > limit {
		return nil, fmt.Errorf("is too large (limit %d bytes)", limit)
	}
	return data, nil
}

// unwrapPath drops the *fs.PathError wrapper: our errors already name the file.
func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// labelled stamps the pack's directory on every *Error inside err.
func labelled(err error, label string) error {
	if err == nil {
		return nil
	}
	var all []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	} else {
		all = []error{err}
	}
	for _, e := range all {
		var pe *Error
		if errors.As(e, &pe) && pe.Pack == "" {
			pe.Pack = label
		}
	}
	return err
}

// Meta returns the pack's metadata.
func (p *Pack) Meta() Meta {
	m := p.man
	return Meta{Name: m.Name, Author: m.Author, Licence: m.Licence, Version: m.Version, Description: m.Description}
}

// Manifest returns the parsed manifest; treat it as read-only.
func (p *Pack) Manifest() *Manifest { return p.man }

// Scales lists the scales the pack ships image sets for, ascending.
func (p *Pack) Scales() []float64 {
	out := make([]float64, len(p.sets))
	for i, s := range p.sets {
		out[i] = s.scale
	}
	return out
}

// Weights returns the behaviour weights, every key present.
func (p *Pack) Weights() map[string]float64 { return p.man.weights() }

// EngineAnimations returns the timing of every animation for the engine.
func (p *Pack) EngineAnimations() engine.Animations {
	return p.man.engineAnimations()
}

func (m *Manifest) engineAnimations() engine.Animations {
	out := make(engine.Animations, len(m.Animations))
	for name, a := range m.Animations {
		d := make([]time.Duration, len(a.Frames))
		for i, f := range a.Frames {
			d[i] = time.Duration(f.DurationMS) * time.Millisecond
		}
		out[name] = engine.Animation{Frames: d, Loop: a.Loop}
	}
	return out
}

// FrameSize is the 1x size of the largest frame; multiply by the scale to
// size a window that fits every frame.
func (p *Pack) FrameSize() image.Point {
	var s image.Point
	for _, sz := range p.logical {
		s.X, s.Y = max(s.X, sz.X), max(s.Y, sz.Y)
	}
	return s
}

// pickSet chooses the image set for a requested scale: the smallest set at
// or above it (downsampling keeps detail), else the largest (upsampling).
func (p *Pack) pickSet(scale float64) imageSet {
	for _, s := range p.sets {
		if s.scale >= scale-1e-9 {
			return s
		}
	}
	return p.sets[len(p.sets)-1]
}

// Frames returns the frames of anim decoded and resampled for scale (1 =
// the pack's 1x size, 1.5, 2, 3, ...). Results are cached per scale.
func (p *Pack) Frames(anim string, scale float64) ([]Frame, error) {
	if !finite(scale) || scale <= 0 || scale > MaxScale {
		return nil, fmt.Errorf("pack %s: scale %v out of range (0, %v]", p.man.Name, scale, MaxScale)
	}
	spec, ok := p.man.Animations[anim]
	if !ok {
		return nil, fmt.Errorf("pack %s: no animation %q", p.man.Name, anim)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	byAnim := p.cache[scale]
	if fr, ok := byAnim[anim]; ok {
		return fr, nil
	}
	if byAnim == nil {
		if len(p.cache) >= 2 {
			clear(p.cache) // the display uses one scale at a time; don't hoard
		}
		byAnim = map[string][]Frame{}
		p.cache[scale] = byAnim
	}
	set := p.pickSet(scale)
	out := make([]Frame, len(spec.Frames))
	for i, f := range spec.Frames {
		img, err := p.decode(set, f.Image, scale)
		if err != nil {
			return nil, err
		}
		ax, ay := p.anchor(f)
		out[i] = Frame{
			Image:    img,
			Anchor:   image.Pt(int(math.Round(ax*scale)), int(math.Round(ay*scale))),
			Duration: time.Duration(f.DurationMS) * time.Millisecond,
		}
	}
	byAnim[anim] = out
	return out, nil
}

// Images is Frames without the anchors and timing.
func (p *Pack) Images(anim string, scale float64) ([]image.Image, error) {
	fr, err := p.Frames(anim, scale)
	if err != nil {
		return nil, err
	}
	out := make([]image.Image, len(fr))
	for i, f := range fr {
		out[i] = f.Image
	}
	return out, nil
}

// anchor returns a frame's anchor in 1x pixels; the default is bottom-centre.
func (p *Pack) anchor(f FrameSpec) (float64, float64) {
	if len(f.Anchor) == 2 {
		return f.Anchor[0], f.Anchor[1]
	}
	sz := p.logical[f.Image]
	return float64(sz.X) / 2, float64(sz.Y)
}

func (p *Pack) decode(set imageSet, name string, scale float64) (*image.NRGBA, error) {
	file := path.Join(set.dir, name)
	fsys, done, err := p.open()
	if err != nil {
		return nil, &Error{Pack: p.man.Name, File: file, Msg: "pack directory cannot be opened: " + unwrapPath(err)}
	}
	src, _, _, err := decodePNG(fsys, file, MaxImageBytes)
	done()
	if err != nil { // validated at load: the file changed since
		return nil, &Error{Pack: p.man.Name, File: file, Msg: err.Error()}
	}
	sz := p.logical[name]
	w := max(1, int(math.Round(float64(sz.X)*scale)))
	h := max(1, int(math.Round(float64(sz.Y)*scale)))
	b := src.Bounds()
	if b.Dx() == w && b.Dy() == h {
		return toNRGBA(src), nil
	}
	// Catmull-Rom over premultiplied pixels (RGBA destination), so edges
	// stay crisp and transparent borders get no dark fringe.
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, b, xdraw.Src, nil)
	return toNRGBA(dst), nil
}

func toNRGBA(src image.Image) *image.NRGBA {
	if n, ok := src.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	xdraw.Draw(dst, dst.Bounds(), src, b.Min, xdraw.Src)
	return dst
}

// Preload decodes every animation for scale, so the first play of each
// animation does not stall the display.
func (p *Pack) Preload(scale float64) error {
	for _, name := range sortedKeys(p.man.Animations) {
		if _, err := p.Frames(name, scale); err != nil {
			return err
		}
	}
	return nil
}
