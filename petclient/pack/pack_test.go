package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/petclient/art"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

func TestDefaultPackLoads(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatalf("built-in pack: %v", err)
	}
	if m := p.Meta(); m.Name == "" || m.Licence == "" {
		t.Errorf("metadata incomplete: %+v", m)
	}
	anims := p.EngineAnimations()
	for _, name := range engine.RequiredAnimations {
		a, ok := anims[name]
		if !ok || len(a.Frames) == 0 {
			t.Errorf("built-in pack lacks %q", name)
		}
	}
	if n := len(anims[engine.AnimWalk].Frames); n < 6 {
		t.Errorf("walk has %d frames, want >= 6", n)
	}
	if n := len(anims[engine.AnimDrag].Frames); n != 3 {
		t.Errorf("drag has %d frames, want 3", n)
	}
	if got := p.Scales(); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("scales = %v, want [1 2 3]", got)
	}
	if fs := p.FrameSize(); fs != image.Pt(art.CanvasW, art.CanvasH) {
		t.Errorf("frame size %v", fs)
	}
	w := p.Weights()
	for _, k := range BehaviourKeys {
		if _, ok := w[k]; !ok {
			t.Errorf("weight %q missing", k)
		}
	}
	if err := p.Preload(1); err != nil {
		t.Error(err)
	}
}

// The committed pack must be what artgen draws today: poses edited without
// re-running the generator would otherwise ship stale art.
func TestDefaultPackMatchesGenerator(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range art.Animations() {
		fr, err := p.Frames(a.Name, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(fr) != len(a.Frames) {
			t.Fatalf("%s: pack has %d frames, generator %d (re-run go run ./scripts/artgen)", a.Name, len(fr), len(a.Frames))
		}
		for i, f := range a.Frames {
			want := art.Render(f.Pose, art.DefaultScheme(), 1)
			// Float rounding may differ across CPUs; allow faint differences.
			if d := meanAbsDiff(fr[i].Image, want); d > 1.0 {
				t.Errorf("%s[%d] differs from the generator (mean |diff| %.2f); re-run go run ./scripts/artgen", a.Name, i, d)
			}
			if fr[i].Duration != time.Duration(f.DurationMS)*time.Millisecond {
				t.Errorf("%s[%d]: duration %v, generator %dms", a.Name, i, fr[i].Duration, f.DurationMS)
			}
		}
	}
}

func meanAbsDiff(a, b *image.NRGBA) float64 {
	if a.Bounds().Size() != b.Bounds().Size() {
		return math.Inf(1)
	}
	var sum float64
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			// Compare premultiplied values: colour under alpha 0 is meaningless.
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			for _, d := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}, {a1, a2}} {
				sum += math.Abs(float64(d[0]>>8) - float64(d[1]>>8))
			}
		}
	}
	return sum / float64(4*a.Bounds().Dx()*a.Bounds().Dy())
}

func TestScalingPicksSetAndSizes(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		scale    float64
		set      float64
		w, h     int
		ax, ay   int
		resample bool
	}{
		{1, 1, 80, 64, 40, 63, false},
		{1.5, 2, 120, 96, 60, 95, true}, // downsampled from 2x, not blown up from 1x
		{2, 2, 160, 128, 80, 126, false},
		{3, 3, 240, 192, 120, 189, false},
		{1.25, 2, 100, 80, 50, 79, true},
		{4, 3, 320, 256, 160, 252, true}, // beyond the largest set: upsample it
		{0.5, 1, 40, 32, 20, 32, true},
	} {
		if got := p.pickSet(c.scale).scale; got != c.set {
			t.Errorf("scale %v: picked the %vx set, want %vx", c.scale, got, c.set)
		}
		fr, err := p.Frames(engine.AnimStand, c.scale)
		if err != nil {
			t.Fatal(err)
		}
		b := fr[0].Image.Bounds()
		if b.Dx() != c.w || b.Dy() != c.h {
			t.Errorf("scale %v: frame %dx%d, want %dx%d", c.scale, b.Dx(), b.Dy(), c.w, c.h)
		}
		if fr[0].Anchor != image.Pt(c.ax, c.ay) {
			t.Errorf("scale %v: anchor %v, want (%d,%d)", c.scale, fr[0].Anchor, c.ax, c.ay)
		}
		if a := fr[0].Image.NRGBAAt(0, 0).A; a != 0 {
			t.Errorf("scale %v: corner not transparent (alpha %d)", c.scale, a)
		}
	}
}

// Downsampled frames must stay crisp: close to the same pose drawn natively
// at that scale, and much closer than a blurry box-filtered or a blocky
// nearest-neighbour resize would be.
func TestDownsampleIsCrisp(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	fr, err := p.Frames(engine.AnimStand, 1.5)
	if err != nil {
		t.Fatal(err)
	}
	native := art.Render(art.Animations()[0].Frames[0].Pose, art.DefaultScheme(), 1.5)
	if d := meanAbsDiff(fr[0].Image, native); d > 6 {
		t.Errorf("1.5x frame differs from a native 1.5x render by %.2f on average", d)
	}
	// The filter must not create a dark halo: pixels that are nearly
	// transparent in the native render stay nearly transparent.
	bright := 0
	for i := 3; i < len(fr[0].Image.Pix); i += 4 {
		if native.Pix[i] == 0 && fr[0].Image.Pix[i] > 64 {
			bright++
		}
	}
	if bright > 20 {
		t.Errorf("%d pixels outside the robot became visible after resampling", bright)
	}
}

func TestFramesRejectsBadRequests(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []float64{0, -1, math.NaN(), math.Inf(1), 100} {
		if _, err := p.Frames(engine.AnimStand, s); err == nil {
			t.Errorf("scale %v accepted", s)
		}
	}
	if _, err := p.Frames("dance", 1); err == nil || !strings.Contains(err.Error(), "dance") {
		t.Errorf("unknown animation: %v", err)
	}
}

func TestCairoARGB32(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 128})
	img.SetNRGBA(1, 0, color.NRGBA{10, 200, 30, 255})
	data, w, h, stride := CairoARGB32(img)
	if w != 2 || h != 1 || stride != 8 || len(data) != 8 {
		t.Fatalf("got w=%d h=%d stride=%d len=%d", w, h, stride, len(data))
	}
	if got := binary.NativeEndian.Uint32(data[0:]); got != 0x80800000 {
		t.Errorf("half-transparent red = %#08x, want premultiplied 0x80800000", got)
	}
	if got := binary.NativeEndian.Uint32(data[4:]); got != 0xff0ac81e {
		t.Errorf("opaque pixel = %#08x, want 0xff0ac81e", got)
	}
	// A sub-image must read its own pixels, not the parent's first row.
	big := image.NewNRGBA(image.Rect(0, 0, 3, 3))
	big.SetNRGBA(1, 1, color.NRGBA{0, 0, 255, 255})
	data, _, _, _ = CairoARGB32(big.SubImage(image.Rect(1, 1, 2, 2)).(*image.NRGBA))
	if got := binary.NativeEndian.Uint32(data); got != 0xff0000ff {
		t.Errorf("sub-image pixel = %#08x, want 0xff0000ff", got)
	}
}

// ---- a small synthetic pack to break in every way ----

func pngBytes(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func validManifest() *Manifest {
	m := &Manifest{
		Name: "Test", Author: "t", Licence: "CC0-1.0", Version: "1",
		Scales:     map[float64]string{1: "1x", 2: "2x"},
		Animations: map[string]AnimationSpec{},
		Behaviours: map[string]float64{"walk": 2},
	}
	for _, name := range engine.RequiredAnimations {
		n := max(1, MinFrames[name])
		a := AnimationSpec{Loop: true}
		for i := 0; i < n; i++ {
			a.Frames = append(a.Frames, FrameSpec{Image: "f.png", DurationMS: 100, Anchor: []float64{4, 6}})
		}
		m.Animations[name] = a
	}
	return m
}

// writePack writes manifest m (or raw yaml if given) and the frame f.png at
// 1x (8x6) and 2x (16x12) into a fresh directory.
func writePack(t *testing.T, m *Manifest, raw string) string {
	t.Helper()
	dir := t.TempDir()
	data := []byte(raw)
	if m != nil {
		var err error
		if data, err = yaml.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, ManifestFile), data, 0o644))
	for _, s := range []struct {
		dir  string
		w, h int
	}{{"1x", 8, 6}, {"2x", 16, 12}} {
		must(t, os.MkdirAll(filepath.Join(dir, s.dir), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, s.dir, "f.png"), pngBytes(t, s.w, s.h), 0o644))
	}
	return dir
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSyntheticPackLoads(t *testing.T) {
	p, err := Load(writePack(t, validManifest(), ""))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := p.Frames(engine.AnimDrag, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(fr) != 3 || fr[0].Image.Bounds().Dx() != 16 || fr[0].Anchor != image.Pt(8, 12) {
		t.Errorf("drag frames: %d, %v, anchor %v", len(fr), fr[0].Image.Bounds(), fr[0].Anchor)
	}
	if w := p.Weights(); w["walk"] != 2 || w["stand"] != DefaultWeights["stand"] {
		t.Errorf("weights: %v (given walk=2, the rest default)", w)
	}
	ea := p.EngineAnimations()[engine.AnimWalk]
	if len(ea.Frames) != 1 || ea.Frames[0] != 100*time.Millisecond || !ea.Loop {
		t.Errorf("engine walk = %+v", ea)
	}
}

func TestLoadFromFS(t *testing.T) {
	m := validManifest()
	m.Scales = nil // images next to pack.yaml, 1x
	data, err := yaml.Marshal(m)
	must(t, err)
	fsys := fstest.MapFS{
		ManifestFile: {Data: data},
		"f.png":      {Data: pngBytes(t, 8, 6)},
	}
	p, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Scales(); len(got) != 1 || got[0] != 1 {
		t.Errorf("scales %v", got)
	}
	fr, err := p.Frames(engine.AnimStand, 3)
	must(t, err)
	if b := fr[0].Image.Bounds(); b.Dx() != 24 || b.Dy() != 18 {
		t.Errorf("upsampled to %v", b)
	}
}

func TestBrokenPacks(t *testing.T) {
	type tc struct {
		name  string
		edit  func(m *Manifest)              // change the manifest
		raw   string                         // or: raw pack.yaml text
		files func(t *testing.T, dir string) // or: change files on disk
		want  []string                       // substrings of the error
	}
	img := func(p string) func(m *Manifest) {
		return func(m *Manifest) { m.Animations["walk"].Frames[0].Image = p }
	}
	cases := []tc{
		{name: "no pack.yaml", files: func(t *testing.T, d string) { must(t, os.Remove(filepath.Join(d, ManifestFile))) },
			want: []string{"pack.yaml", "missing"}},
		{name: "not a directory", files: func(t *testing.T, d string) {}, want: []string{"cannot be opened"}},
		{name: "empty yaml", raw: "  \n", want: []string{"pack.yaml", "empty"}},
		{name: "yaml syntax", raw: "name: x\nanimations:\n  walk: [\n", want: []string{"pack.yaml", "line "}},
		{name: "yaml bad indentation", raw: "name: x\n licence: y\n", want: []string{"pack.yaml", "line 2"}},
		{name: "typo field", raw: "name: x\nlicence: y\nanimashuns: {}\n", want: []string{"line 3", "animashuns"}},
		{name: "missing animation", edit: func(m *Manifest) { delete(m.Animations, "sleep") },
			want: []string{"pack.yaml", "animations", `missing required animation "sleep"`}},
		{name: "unknown animation", edit: func(m *Manifest) { m.Animations["dance"] = m.Animations["walk"] },
			want: []string{"animations.dance", `unknown animation "dance"`}},
		{name: "no frames", edit: func(m *Manifest) { m.Animations["walk"] = AnimationSpec{} },
			want: []string{"animations.walk.frames", "at least 1"}},
		{name: "drag needs 3", edit: func(m *Manifest) { a := m.Animations["drag"]; a.Frames = a.Frames[:1]; m.Animations["drag"] = a },
			want: []string{"animations.drag.frames", "at least 3"}},
		{name: "missing name", edit: func(m *Manifest) { m.Name = "" }, want: []string{"pack.yaml: name: is required"}},
		{name: "missing licence", edit: func(m *Manifest) { m.Licence = " " }, want: []string{"licence: is required"}},
		{name: "image missing", edit: img("nope.png"),
			want: []string{"1x/nope.png", "animations.walk.frames[0].image", "file does not exist"}},
		{name: "image missing in one set", files: func(t *testing.T, d string) { must(t, os.Remove(filepath.Join(d, "2x", "f.png"))) },
			want: []string{"2x/f.png", "does not exist"}},
		{name: "not a png", files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "1x", "f.png"), []byte("GIF89a not really"), 0o644))
		}, want: []string{"1x/f.png", "is not a PNG"}},
		{name: "empty png", files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "1x", "f.png"), nil, 0o644))
		}, want: []string{"1x/f.png", "empty (0 bytes)"}},
		{name: "zero size png", files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "1x", "f.png"), zeroWidthPNG(t), 0o644))
		}, want: []string{"1x/f.png", "not a valid PNG"}},
		{name: "truncated png", files: func(t *testing.T, d string) {
			b := pngBytes(t, 8, 6)
			must(t, os.WriteFile(filepath.Join(d, "1x", "f.png"), b[:len(b)-20], 0o644))
		}, want: []string{"1x/f.png", "damaged PNG"}},
		{name: "wrong extension", edit: img("f.gif"), want: []string{"frames[0].image", ".png"}},
		{name: "path traversal", edit: img("../../etc/passwd"),
			want: []string{"animations.walk.frames[0].image", `"../../etc/passwd"`, "inside the pack"}},
		{name: "absolute path", edit: img("/etc/passwd.png"), want: []string{"frames[0].image", "relative"}},
		{name: "backslash path", edit: img(`..\..\x.png`), want: []string{"frames[0].image", "separator"}},
		{name: "scale dir traversal", edit: func(m *Manifest) { m.Scales[2] = "../2x" }, want: []string{"scales.2", "inside the pack"}},
		{name: "bad scale", edit: func(m *Manifest) { m.Scales[-1] = "neg" }, want: []string{"scales.-1", "> 0"}},
		{name: "symlink escape", files: func(t *testing.T, d string) {
			outside := filepath.Join(t.TempDir(), "secret.png")
			must(t, os.WriteFile(outside, pngBytes(t, 8, 6), 0o644))
			must(t, os.Remove(filepath.Join(d, "1x", "f.png")))
			must(t, os.Symlink(outside, filepath.Join(d, "1x", "f.png")))
		}, want: []string{"1x/f.png", "escapes"}},
		{name: "wildly different sizes", edit: func(m *Manifest) {
			a := m.Animations["walk"]
			a.Frames[0].Image = "big.png"
			m.Animations["walk"] = a
		}, files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "1x", "big.png"), pngBytes(t, 80, 60), 0o644))
			must(t, os.WriteFile(filepath.Join(d, "2x", "big.png"), pngBytes(t, 160, 120), 0o644))
		}, want: []string{"big.png", "wildly different"}},
		{name: "2x set wrong size", files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "2x", "f.png"), pngBytes(t, 8, 6), 0o644))
		}, want: []string{"2x/f.png", "is 8x6", "about 16x12"}},
		{name: "huge image side", files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "1x", "f.png"), pngBytes(t, MaxImageSide+1, 1), 0o644))
		}, want: []string{"1x/f.png", "too large"}},
		{name: "huge image pixels", files: func(t *testing.T, d string) {
			must(t, os.WriteFile(filepath.Join(d, "1x", "f.png"), pngBytes(t, 2100, 2100), 0o644))
		}, want: []string{"1x/f.png", "too large"}},
		{name: "duration zero", edit: func(m *Manifest) { m.Animations["walk"].Frames[0].DurationMS = 0 },
			want: []string{"animations.walk.frames[0].duration_ms", "got 0"}},
		{name: "duration negative", edit: func(m *Manifest) { m.Animations["run"].Frames[0].DurationMS = -5 },
			want: []string{"animations.run.frames[0].duration_ms"}},
		{name: "duration absurd", edit: func(m *Manifest) { m.Animations["walk"].Frames[0].DurationMS = 3_600_000 },
			want: []string{"duration_ms", "got 3600000"}},
		{name: "anchor outside", edit: func(m *Manifest) { m.Animations["walk"].Frames[0].Anchor = []float64{9, 3} },
			want: []string{"animations.walk.frames[0].anchor", "outside the 8x6 image"}},
		{name: "anchor negative", edit: func(m *Manifest) { m.Animations["walk"].Frames[0].Anchor = []float64{-1, 3} },
			want: []string{"anchor", "outside"}},
		{name: "anchor three numbers", edit: func(m *Manifest) { m.Animations["walk"].Frames[0].Anchor = []float64{1, 2, 3} },
			want: []string{"anchor", "[x, y]"}},
		{name: "negative weight", edit: func(m *Manifest) { m.Behaviours["sleep"] = -1 },
			want: []string{"behaviours.sleep", ">= 0"}},
		{name: "unknown weight", edit: func(m *Manifest) { m.Behaviours["dance"] = 1 },
			want: []string{"behaviours.dance", "unknown behaviour"}},
		{name: "all weights zero", edit: func(m *Manifest) {
			for _, k := range BehaviourKeys {
				m.Behaviours[k] = 0
			}
		}, want: []string{"behaviours", "never do anything"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var dir string
			switch {
			case c.raw != "":
				dir = writePack(t, nil, c.raw)
			default:
				m := validManifest()
				if c.edit != nil {
					c.edit(m)
				}
				dir = writePack(t, m, "")
			}
			if c.name == "not a directory" {
				dir = filepath.Join(dir, ManifestFile)
			}
			if c.files != nil {
				c.files(t, dir)
			}
			p, err := Load(dir)
			if err == nil {
				t.Fatalf("loaded a broken pack: %+v", p.Meta())
			}
			if p != nil {
				t.Errorf("returned a pack along with the error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the pack directory", err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Errorf("error is not a *pack.Error: %T", err)
			}
		})
	}
}

// zeroWidthPNG is a PNG signature plus an IHDR chunk claiming 0x6 pixels.
func zeroWidthPNG(t testing.TB) []byte {
	good := pngBytes(t, 8, 6)
	b := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(b[16:], 0) // IHDR width
	// Fix the IHDR CRC so the decoder reaches the dimension check.
	crc := crc32.ChecksumIEEE(b[12:29])
	binary.BigEndian.PutUint32(b[29:], crc)
	return b
}

func TestLoadOrDefault(t *testing.T) {
	user := t.TempDir()
	good := writePack(t, validManifest(), "")
	must(t, os.Rename(good, filepath.Join(user, "good")))
	bad := validManifest()
	bad.Animations["walk"].Frames[0].DurationMS = 0
	must(t, os.Rename(writePack(t, bad, ""), filepath.Join(user, "bad")))
	def, err := Default()
	must(t, err)

	if p, err := LoadOrDefaultIn(user, ""); p != def || err != nil {
		t.Errorf(`"" -> %v, %v; want the default pack`, p, err)
	}
	if p, err := LoadOrDefaultIn(user, "good"); err != nil || p.Meta().Name != "Test" {
		t.Errorf("good -> %v, %v", p, err)
	}
	for id, want := range map[string]string{
		"bad":       "duration_ms",
		"missing":   "pack.yaml",
		"../escape": "not a pack name",
		"..":        "not a pack name",
		"a/b":       "not a pack name",
	} {
		p, err := LoadOrDefaultIn(user, id)
		if p != def {
			t.Errorf("%q: did not fall back to the default pack", id)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: warning %v, want it to mention %q", id, err, want)
		}
	}
}

func TestDiscover(t *testing.T) {
	user := t.TempDir()
	must(t, os.Rename(writePack(t, validManifest(), ""), filepath.Join(user, "good")))
	must(t, os.Rename(writePack(t, nil, "name: [\n"), filepath.Join(user, "broken")))
	must(t, os.Mkdir(filepath.Join(user, DefaultID), 0o755))
	must(t, os.Mkdir(filepath.Join(user, ".hidden"), 0o755))
	must(t, os.WriteFile(filepath.Join(user, "stray.txt"), nil, 0o644))

	infos := DiscoverIn(user)
	byID := map[string]Info{}
	for _, in := range infos {
		byID[in.ID] = in
	}
	if len(infos) != 4 {
		t.Errorf("got %d packs, want built-in + good + broken + shadowing: %+v", len(infos), infos)
	}
	if in := infos[0]; !in.Builtin || in.ID != DefaultID || in.Err != nil || in.Meta.Name == "" {
		t.Errorf("first entry should be the built-in pack: %+v", in)
	}
	if in := byID["good"]; in.Err != nil || in.Meta.Name != "Test" {
		t.Errorf("good: %+v", in)
	}
	if in := byID["broken"]; in.Err == nil || !strings.Contains(in.Err.Error(), "line") {
		t.Errorf("broken: %+v", in)
	}
	for _, in := range infos {
		if in.ID == DefaultID && !in.Builtin && in.Err == nil {
			t.Errorf("a user pack may not shadow the built-in id")
		}
	}
	if got := DiscoverIn(filepath.Join(user, "does-not-exist")); len(got) != 1 {
		t.Errorf("missing user dir: %+v", got)
	}
}

func TestUserDir(t *testing.T) {
	xdgdirtest.Check(t, xdgdir.Data, UserDir, "tachikoma/packs", "user packs: ")
}

// Without a data folder (no HOME) the built-in pack is used and the reason
// is shown, in the chooser and as LoadOrDefault's warning.
func TestNoUserDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	if got, err := UserDir(); got != "" || !errors.Is(err, xdgdir.ErrNoHome) {
		t.Fatalf("UserDir = %q, %v", got, err)
	}
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	infos := Discover()
	if len(infos) != 2 || !infos[0].Builtin || infos[1].Err == nil || !strings.Contains(infos[1].Err.Error(), "$HOME") {
		t.Errorf("Discover = %+v", infos)
	}
	if p, err := LoadOrDefault("mandarin"); p != def || !errors.Is(err, xdgdir.ErrNoHome) || !strings.Contains(err.Error(), `pack "mandarin"`) {
		t.Errorf("LoadOrDefault(mandarin) = %p, %v", p, err)
	}
	if p, err := LoadOrDefault(""); p != def || err != nil {
		t.Errorf("LoadOrDefault(\"\") = %p, %v", p, err)
	}
}
