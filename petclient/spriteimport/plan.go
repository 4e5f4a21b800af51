package spriteimport

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/draw"
	"image/png"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"
	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

// Options of one import.
type Options struct {
	Name, ID, Author, Licence, Description string
	Matte                                  Matte
	Height                                 int         // character height at 1x; 0: keep, shrinking above 200 px to 128
	Grid                                   image.Point // sprite sheets: columns x rows
	Cell                                   image.Point // sprite sheets: frame size
	FrameMS                                int         // delay of PNG frames; 0: 100 ms
	Character                              string      // Shimeji: which img/<Name> of several
}

func (o Options) frameDelay() time.Duration {
	if o.FrameMS > 0 {
		return time.Duration(o.FrameMS) * time.Millisecond
	}
	return 100 * time.Millisecond
}

// Clip is one animation of the pack being built.
type Clip struct {
	State  string
	From   string         // where the frames came from, for the user
	Before *image.NRGBA   // first source frame before background removal (previews)
	Frames []*image.NRGBA // final frames, cropped and scaled
	Delays []time.Duration
	Anchor image.Point
	Loop   bool
	Shared string // when set, the frames are those of this state, written once
}

// Plan is an import ready to be previewed and written.
type Plan struct {
	Name, ID string
	opts     Options
	Clips    map[string]*Clip
	Warnings []string
}

// loops says which states repeat; the others hold their last frame.
var loops = map[string]bool{
	engine.AnimStand: true, engine.AnimLook: true, engine.AnimWalk: true, engine.AnimRun: true,
	engine.AnimSleep: true, engine.AnimFall: true, engine.AnimClimb: true, engine.AnimHang: true, engine.AnimCeiling: true,
}

// fallbacks fill states the sources leave out, best first; "stand" and then
// any state at all come after these.
var fallbacks = map[string][]string{
	engine.AnimLook: {engine.AnimStand}, engine.AnimWalk: {engine.AnimRun}, engine.AnimRun: {engine.AnimWalk},
	engine.AnimSleep: {engine.AnimSit}, engine.AnimJump: {engine.AnimJoy, engine.AnimFall},
	engine.AnimFall: {engine.AnimJump, engine.AnimDrag}, engine.AnimLand: {engine.AnimSit},
	engine.AnimHang: {engine.AnimCeiling}, engine.AnimCeiling: {engine.AnimHang},
	engine.AnimDrag: {engine.AnimFall}, engine.AnimJoy: {engine.AnimJump}, engine.AnimPoke: {engine.AnimSurprise},
	engine.AnimSurprise: {engine.AnimPoke},
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Import reads every source, removes backgrounds and lays out the pack.
// Nothing is written; see Plan.Write.
func Import(opts Options, sources ...Source) (plan *Plan, err error) {
	defer func() {
		// The running pet imports too: a decoder bug must cost this import, not the pet.
		if r := recover(); r != nil {
			plan, err = nil, fmt.Errorf("import failed on a bad picture (%v); please report it with the file", r)
		}
	}()
	if len(sources) == 0 {
		return nil, errors.New("nothing to import: give GIFs, PNGs, JPEGs, WebPs, folders or zips")
	}
	// Words the pet's loader would refuse are refused before any work.
	if err := (pack.Meta{Name: opts.Name, Author: opts.Author, Licence: opts.Licence, Description: opts.Description}).Check(); err != nil {
		return nil, fmt.Errorf("the pack's %w", err)
	}
	l := &loader{opts: opts, states: map[string]*raw{}}
	for _, s := range sources {
		if err := l.source(s, len(sources) == 1); err != nil {
			return nil, err
		}
	}
	if l.shared != nil { // a shared pack keeps its own words unless told otherwise
		m := l.sharedMeta
		if opts.ID == "" && opts.Name == "" && idRE.MatchString(l.sharedID) && l.sharedID != pack.DefaultID {
			opts.ID = l.sharedID // installed under its own id, as exported
		}
		opts.Name, opts.Author = cmp.Or(opts.Name, m.Name), cmp.Or(opts.Author, m.Author)
		opts.Licence, opts.Description = cmp.Or(opts.Licence, m.Licence), cmp.Or(opts.Description, m.Description)
	}
	if strings.TrimSpace(opts.Name) == "" {
		return nil, errors.New("the pack needs a name (--name)")
	}
	if opts.ID == "" {
		opts.ID = DeriveID(opts.Name)
	}
	if !idRE.MatchString(opts.ID) || opts.ID == pack.DefaultID {
		return nil, fmt.Errorf("pack id %q: use lower-case letters, digits, '-', '_' or '.', and not %q", opts.ID, pack.DefaultID)
	}
	opts.Licence = cmp.Or(opts.Licence, "unknown: imported pictures; check their licence before sharing")
	p := &Plan{Name: opts.Name, ID: opts.ID, opts: opts, Clips: map[string]*Clip{}, Warnings: l.warnings}
	if l.shared != nil {
		p.Clips = l.shared
		return p, nil
	}
	if all := l.states[StateAll]; all != nil {
		delete(l.states, StateAll)
		if l.states[engine.AnimStand] == nil {
			l.states[engine.AnimStand] = all
		} else {
			l.states[engine.AnimWalk] = cmpRaw(l.states[engine.AnimWalk], all)
		}
	}
	if len(l.states) == 0 {
		return nil, errors.New("the sources hold no pictures")
	}
	for _, state := range sortedStates(l.states) {
		c, err := p.clip(state, l.states[state])
		if err != nil {
			return nil, err
		}
		p.Clips[state] = c
	}
	if err := p.scale(); err != nil {
		return nil, err
	}
	p.fill()
	return p, nil
}

func cmpRaw(a, b *raw) *raw {
	if a != nil {
		return a
	}
	return b
}

// DeriveID makes a directory name from a pack name; names without any
// ASCII letter (小猫) get a stable hash.
func DeriveID(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-")
	if len(id) > 40 {
		id = strings.Trim(id[:40], "-")
	}
	if id == "" || id == pack.DefaultID {
		id = fmt.Sprintf("pet-%08x", crc32.ChecksumIEEE([]byte(name)))
	}
	return id
}

// clip removes the background of every frame and crops all of them to one
// shared box, so that the anchor stays on the same pixel of the character.
func (p *Plan) clip(state string, r *raw) (*Clip, error) {
	c := &Clip{State: state, From: r.source, Loop: loops[state], Before: clone(r.frames[0])}
	var box image.Rectangle
	frames := make([]*image.NRGBA, len(r.frames))
	for i, f := range r.frames {
		m := clone(f)
		p.opts.Matte.Apply(m)
		frames[i] = m
		box = box.Union(VisibleBounds(m))
	}
	if box.Empty() {
		return nil, errf(r.source, "is empty once its background is removed; try a lower --tolerance")
	}
	var anchor *image.Point
	if isFloor(state) {
		for _, a := range r.anchors {
			if a != nil {
				anchor = a
				break
			}
		}
	}
	if anchor != nil { // the anchor must lie inside the cropped picture
		box = box.Union(image.Rectangle{Min: *anchor, Max: anchor.Add(image.Pt(1, 1))}).Intersect(frames[0].Rect)
	}
	w, h := box.Dx()+2, box.Dy()+2 // 1 px transparent margin, like the built-in pack
	if err := checkSize(w, h); err != nil {
		return nil, errf(r.source, "%v", err)
	}
	for i, m := range frames {
		out := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(out, image.Rect(1, 1, w-1, h-1), m, box.Min, draw.Src)
		frames[i] = out
	}
	if anchor != nil {
		c.Anchor = anchor.Sub(box.Min).Add(image.Pt(1, 1))
		c.Anchor.Y = min(c.Anchor.Y, h-1)
	} else {
		c.Anchor = stateAnchor(state, w, h)
	}
	delays := r.delays
	if !c.Loop && r.loopCount > 0 { // a GIF that plays n+1 times keeps doing so
		n := len(frames)
		for k := 0; k < r.loopCount && len(frames)+n <= pack.MaxFrames; k++ {
			frames = append(frames, frames[:n]...)
			delays = append(delays, delays[:n]...)
		}
	}
	if len(frames) > pack.MaxFrames {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %d frames; the pack keeps the first %d", r.source, len(frames), pack.MaxFrames))
		frames, delays = frames[:pack.MaxFrames], delays[:pack.MaxFrames]
	}
	c.Frames, c.Delays = frames, slices.Clone(delays)
	if state == engine.AnimDrag {
		c.Frames, c.Delays = threeFrames(c.Frames, c.Delays)
	}
	return c, nil
}

func isFloor(state string) bool {
	switch state {
	case engine.AnimClimb, engine.AnimHang, engine.AnimCeiling, engine.AnimDrag:
		return false
	}
	return true
}

// stateAnchor follows docs/PACKS.md's anchor conventions on a picture with
// a 1 px margin.
func stateAnchor(state string, w, h int) image.Point {
	switch state {
	case engine.AnimClimb:
		return image.Pt(1, h/2)
	case engine.AnimHang, engine.AnimCeiling:
		return image.Pt(w/2, 1)
	case engine.AnimDrag:
		return image.Pt(w/2, h/4)
	}
	return image.Pt(w/2, h-1)
}

// threeFrames gives drag its centre, left and right frames.
func threeFrames(f []*image.NRGBA, d []time.Duration) ([]*image.NRGBA, []time.Duration) {
	for len(f) < 3 {
		f, d = append(f, f[len(f)-1]), append(d, d[len(d)-1])
	}
	return f[:3], d[:3]
}

// scale brings the character to the asked 1x height (or shrinks a big one);
// a height whose frames the pet would refuse is an error before any is made.
func (p *Plan) scale() error {
	ref := 0
	for _, c := range p.Clips {
		if isFloor(c.State) {
			ref = max(ref, c.Frames[0].Rect.Dy())
		}
	}
	if ref == 0 {
		for _, c := range p.Clips {
			ref = max(ref, c.Frames[0].Rect.Dy())
		}
	}
	target := p.opts.Height
	if target <= 0 {
		if ref <= autoShrinkAbove {
			return nil
		}
		target = autoHeight
	}
	k := float64(target) / float64(ref)
	if math.Abs(k-1) < 0.01 {
		return nil
	}
	size := func(c *Clip) (w, h int) {
		sz := c.Frames[0].Rect.Size()
		return max(1, int(math.Round(float64(sz.X)*k))), max(1, int(math.Round(float64(sz.Y)*k)))
	}
	for _, state := range slices.Sorted(maps.Keys(p.Clips)) {
		if w, h := size(p.Clips[state]); w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels {
			return fmt.Errorf("height %d px makes %s %dx%d, more than the pet takes (%d px a side, %d pixels); choose a smaller height",
				target, state, w, h, MaxImageSide, MaxImagePixels)
		}
	}
	for _, c := range p.Clips {
		w, h := size(c)
		for i, f := range c.Frames {
			out := image.NewNRGBA(image.Rect(0, 0, w, h))
			xdraw.CatmullRom.Scale(out, out.Rect, f, f.Rect, xdraw.Src, nil)
			c.Frames[i] = out
		}
		c.Anchor = image.Pt(min(w, int(math.Round(float64(c.Anchor.X)*k))), min(h, int(math.Round(float64(c.Anchor.Y)*k))))
	}
	return nil
}

// fill gives every state the pack needs some frames: a fallback state's as
// they are, a walk turned onto the wall for climbing, a stand turned upside
// down for the ceiling.
func (p *Plan) fill() {
	owner := func(state string) *Clip { // a filled state stands for the clip it copies
		c := p.Clips[state]
		if c != nil && c.Shared != "" {
			c = p.Clips[c.Shared]
		}
		return c
	}
	for _, state := range engine.RequiredAnimations {
		if p.Clips[state] != nil {
			continue
		}
		var from *Clip
		for _, f := range append(slices.Clone(fallbacks[state]), engine.AnimStand) {
			if from = owner(f); from != nil {
				break
			}
		}
		for _, s := range engine.RequiredAnimations {
			if from == nil {
				from = owner(s)
			}
		}
		if walker := cmpClip(owner(engine.AnimWalk), from); state == engine.AnimClimb && isFloor(walker.State) {
			p.Clips[state] = transform(state, walker, rotateCW)
			continue
		}
		if state == engine.AnimHang || state == engine.AnimCeiling {
			src := from
			if w := owner(engine.AnimWalk); state == engine.AnimCeiling && w != nil {
				src = w
			}
			if isFloor(src.State) {
				p.Clips[state] = transform(state, src, flipV)
				continue
			}
		}
		c := &Clip{State: state, From: "same as " + from.State, Before: from.Before, Loop: loops[state],
			Frames: from.Frames, Delays: from.Delays, Anchor: from.Anchor, Shared: from.State}
		if state == engine.AnimDrag {
			c.Frames, c.Delays = threeFrames(slices.Clone(c.Frames), slices.Clone(c.Delays))
		}
		if isFloor(state) != isFloor(from.State) || state == engine.AnimDrag {
			c.Anchor = stateAnchor(state, from.Frames[0].Rect.Dx(), from.Frames[0].Rect.Dy())
		}
		p.Clips[state] = c
	}
}

func cmpClip(a, b *Clip) *Clip {
	if a != nil {
		return a
	}
	return b
}

func transform(state string, from *Clip, f func(*image.NRGBA) *image.NRGBA) *Clip {
	c := &Clip{State: state, From: from.State + " turned", Before: from.Before, Loop: loops[state], Delays: from.Delays}
	for _, m := range from.Frames {
		c.Frames = append(c.Frames, f(m))
	}
	c.Anchor = stateAnchor(state, c.Frames[0].Rect.Dx(), c.Frames[0].Rect.Dy())
	return c
}

// rotateCW turns a left-facing walker onto a wall on its left, head up.
func rotateCW(m *image.NRGBA) *image.NRGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			copy(out.Pix[out.PixOffset(h-1-y, x):][:4], m.Pix[m.PixOffset(x, y):][:4])
		}
	}
	return out
}

func flipV(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	for y := 0; y < m.Rect.Dy(); y++ {
		copy(out.Pix[out.PixOffset(0, m.Rect.Dy()-1-y):][:4*m.Rect.Dx()], m.Pix[m.PixOffset(0, y):][:4*m.Rect.Dx()])
	}
	return out
}

// Manifest is the pack.yaml the plan writes; image names are state_N.png.
func (p *Plan) Manifest() *pack.Manifest {
	m := &pack.Manifest{Name: p.opts.Name, Author: p.opts.Author, Licence: p.opts.Licence, Version: "1.0.0",
		Description: p.opts.Description, Animations: map[string]pack.AnimationSpec{}}
	if m.Description == "" {
		m.Description = "Imported with tachikoma pack import."
	}
	for state, c := range p.Clips {
		owner, n := state, len(c.Frames)
		if c.Shared != "" {
			owner, n = c.Shared, len(p.Clips[c.Shared].Frames)
		}
		spec := pack.AnimationSpec{Loop: c.Loop}
		for i := range c.Frames {
			ms := int(min(max(c.Delays[i].Milliseconds(), pack.MinDurationMS), pack.MaxDurationMS))
			spec.Frames = append(spec.Frames, pack.FrameSpec{Image: fmt.Sprintf("%s_%d.png", owner, min(i, n-1)), DurationMS: ms,
				Anchor: []float64{float64(c.Anchor.X), float64(c.Anchor.Y)}})
		}
		m.Animations[state] = spec
	}
	return m
}

// replaceable refuses to replace anything but a pack or an empty folder:
// --out pointing at a folder of one's own files must not delete them.
func replaceable(dir string, st fs.FileInfo) error {
	if !st.IsDir() {
		return fmt.Errorf("%s is not a sprite pack (not a folder); refusing to replace it", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 && !slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return e.Name() == pack.ManifestFile }) {
		return fmt.Errorf("%s is not a sprite pack (it has no %s); refusing to replace it", dir, pack.ManifestFile)
	}
	return nil
}

// Write builds the pack in a hidden temporary directory next to dir, loads
// it with the pet's own loader, and only then renames it into place, so a
// failure leaves nothing half-written. An existing dir is replaced only
// when replace is set.
func (p *Plan) Write(dir string, replace bool) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	if st, err := os.Lstat(dir); err == nil {
		if !replace {
			return fmt.Errorf("%s already exists; choose another --id or replace it with --force", dir)
		}
		if err := replaceable(dir, st); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after the rename there is nothing left to remove
	for state, c := range p.Clips {
		if c.Shared != "" {
			continue
		}
		for i, f := range c.Frames {
			var buf bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, f); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, fmt.Sprintf("%s_%d.png", state, i)), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	y, err := yaml.Marshal(p.Manifest())
	if err != nil {
		return err
	}
	y = append([]byte("# Written by tachikoma pack import; see docs/PACKS.md.\n"), y...)
	if err := os.WriteFile(filepath.Join(tmp, pack.ManifestFile), y, 0o644); err != nil {
		return err
	}
	if _, err := pack.Load(tmp); err != nil {
		return fmt.Errorf("the imported pack does not pass the pet's checks: %w", err)
	}
	if _, err := os.Lstat(dir); err == nil {
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil {
			_ = os.Rename(old, dir)
			return err
		}
		return os.RemoveAll(old)
	}
	return os.Rename(tmp, dir)
}
