package spriteimport

import (
	"image"
	"testing"
)

func TestMatteKeepsEnclosedWhiteAndSoftensTheRim(t *testing.T) {
	m := figure(40, 40, 0)
	DefaultMatte.Apply(m)
	for _, c := range []struct {
		name string
		x, y int
		want uint8
	}{
		{"corner", 0, 0, 0}, {"border middle", 20, 39, 0}, {"beside the body", 5, 20, 0},
		{"body", 20, 25, 255}, {"white eye inside the body", 15, 13, 255},
	} {
		if got := alphaAt(m, c.x, c.y); got != c.want {
			t.Errorf("%s (%d,%d): alpha %d, want %d", c.name, c.x, c.y, got, c.want)
		}
	}
	rim := m.NRGBAAt(9, 20)
	if rim.A == 0 || rim.A == 255 {
		t.Fatalf("rim pixel alpha %d, want partial", rim.A)
	}
	// Decontaminated: the rim's colour is the body's, not a whitish blend.
	if d := int(rim.R) - int(navy.R); d > 12 || d < -12 || int(rim.B)-int(navy.B) > 12 {
		t.Errorf("rim colour %v still carries the background (body %v)", rim, navy)
	}
}

func TestMatteLeavesTransparentPicturesAlone(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 20, 20))
	fill(m, image.Rect(5, 5, 15, 15), white) // a white figure on transparency
	before := clone(m)
	DefaultMatte.Apply(m)
	if string(m.Pix) != string(before.Pix) {
		t.Fatal("an already transparent picture was changed")
	}
}

func TestMatteDropsSmallIslands(t *testing.T) {
	m := figure(40, 40, 0)
	fill(m, image.Rect(34, 2, 36, 4), navy) // a 2x2 speck of dirt
	DefaultMatte.Apply(m)
	if a := alphaAt(m, 34, 2); a != 0 {
		t.Errorf("speck kept (alpha %d)", a)
	}
	if a := alphaAt(m, 20, 25); a != 255 {
		t.Errorf("body lost (alpha %d)", a)
	}
	m = figure(40, 40, 0)
	fill(m, image.Rect(34, 2, 36, 4), navy)
	Matte{Tolerance: 40, MinIsland: 0}.Apply(m)
	if a := alphaAt(m, 34, 2); a != 255 {
		t.Errorf("speck dropped with MinIsland 0 (alpha %d)", a)
	}
}
