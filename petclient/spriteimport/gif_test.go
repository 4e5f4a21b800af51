package spriteimport

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	pal   = color.Palette{color.RGBA{}, red, green, blue}
)

func patch(r image.Rectangle, c color.Color) *image.Paletted {
	m := image.NewPaletted(r, pal)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Set(x, y, c)
		}
	}
	return m
}

// disposalGIF exercises every disposal method with offset sub-rectangles.
func disposalGIF(t testing.TB) []byte {
	g := &gif.GIF{
		Image: []*image.Paletted{
			patch(image.Rect(0, 0, 8, 8), red),   // a full red frame, kept
			patch(image.Rect(2, 2, 4, 4), green), // then cleared to transparent
			patch(image.Rect(5, 5, 7, 7), blue),  // then restored away
			patch(image.Rect(0, 0, 1, 1), green), // unspecified: kept
		},
		Delay:     []int{0, 1, 5, 20},
		Disposal:  []byte{gif.DisposalNone, gif.DisposalBackground, gif.DisposalPrevious, 0},
		LoopCount: 2,
		Config:    image.Config{ColorModel: pal, Width: 8, Height: 8},
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeGIFCompositesEveryDisposal(t *testing.T) {
	a, err := DecodeGIF("dance.gif", disposalGIF(t), &Budget{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Frames) != 4 || a.LoopCount != 2 {
		t.Fatalf("%d frames, loop count %d", len(a.Frames), a.LoopCount)
	}
	wantDelays := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond}
	for i, d := range wantDelays {
		if a.Delays[i] != d {
			t.Errorf("frame %d delay %v, want %v", i, a.Delays[i], d)
		}
	}
	rgba := func(c color.RGBA) color.NRGBA { return color.NRGBA{c.R, c.G, c.B, c.A} }
	clear := color.NRGBA{}
	checks := []struct {
		frame, x, y int
		want        color.NRGBA
	}{
		{0, 3, 3, rgba(red)},
		{1, 3, 3, rgba(green)}, {1, 0, 0, rgba(red)},
		{2, 3, 3, clear}, {2, 5, 5, rgba(blue)}, {2, 7, 7, rgba(red)}, // disposal 2 cleared the green
		{3, 5, 5, rgba(red)}, {3, 3, 3, clear}, {3, 0, 0, rgba(green)}, // disposal 3 restored under the blue
	}
	for _, c := range checks {
		if got := a.Frames[c.frame].NRGBAAt(c.x, c.y); got != c.want {
			t.Errorf("frame %d (%d,%d) = %v, want %v", c.frame, c.x, c.y, got, c.want)
		}
	}
}

// gifHeader is a GIF89a header of the given logical size without a colour table.
func gifHeader(w, h int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	return append(b, 0, 0, 0)
}

// gifFrame is a 1x1 frame at (x,y) with a 2-colour local table.
func gifFrame(x, y, w, h int) []byte {
	b := []byte{0x2c}
	for _, v := range []int{x, y, w, h} {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	b = append(b, 0x80, 0, 0, 0, 255, 255, 255) // local table of 2 colours
	return append(b, 2, 2, 0x4c, 0x01, 0)       // LZW: min size 2, one pixel
}

func TestDecodeGIFRefusesBadInput(t *testing.T) {
	good := disposalGIF(t)
	many := gifHeader(4, 4)
	for range 2000 {
		many = append(many, gifFrame(0, 0, 1, 1)...)
	}
	many = append(many, 0x3b)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a gif", []byte("hello, world"), "not a GIF"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"30000x30000", append(append(gifHeader(30000, 30000), gifFrame(0, 0, 1, 1)...), 0x3b), "too large"},
		{"frame outside", append(append(gifHeader(4, 4), gifFrame(3, 3, 2, 2)...), 0x3b), "damaged"},
		{"thousands of frames", many, "frames"},
		{"huge frames", append(append(gifHeader(100, 100), bytes.Repeat(gifFrame(0, 0, 60000, 60000), 100)...), 0x3b), "pixels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeGIF("bad.gif", c.data, &Budget{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "bad.gif: ") {
				t.Fatalf("got %v, want an error about bad.gif containing %q", err, c.want)
			}
		})
	}
}

// A GIF's loop count survives the import: an animation the pack plays
// once (sit) repeats its frames as often as the GIF did; a looping one
// (walk) needs no copies.
func TestImportKeepsLoopCount(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"sit.gif", "walk.gif"} {
		g := &gif.GIF{LoopCount: 2, Config: image.Config{ColorModel: pal, Width: 8, Height: 8}}
		for i := range 2 {
			g.Image = append(g.Image, patch(image.Rect(0, 0, 8, 8), pal[0]))
			g.Image[i].Set(2+i, 4, red)
			g.Image[i].Set(5, 4, red)
			g.Delay = append(g.Delay, 10+i)
		}
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), b.Bytes())
	}
	plan, err := Import(Options{Name: "Loops", Matte: Matte{}}, Source{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	sit, walk := plan.Clips[engine.AnimSit], plan.Clips[engine.AnimWalk]
	if sit.Loop || len(sit.Frames) != 6 || sit.Delays[5] != 110*time.Millisecond {
		t.Errorf("sit: loop %v, %d frames (delays %v); want 3 plays of 2 frames", sit.Loop, len(sit.Frames), sit.Delays)
	}
	if !walk.Loop || len(walk.Frames) != 2 {
		t.Errorf("walk: loop %v, %d frames; want 2 looping", walk.Loop, len(walk.Frames))
	}
}
