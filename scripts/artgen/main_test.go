package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

// A generated pack, recoloured and at odd scales, must pass the loader's
// full validation.
func TestGeneratedPackLoads(t *testing.T) {
	out := t.TempDir()
	sheet := filepath.Join(out, "sheet.png")
	o, err := parseFlags([]string{"-out", out, "-scales", "1.5,1", "-body", "#d5473a", "-name", "Red", "-sheet", sheet, "-sheet-scale", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := generate(o); err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta().Name != "Red" || p.Meta().Licence == "" {
		t.Errorf("meta %+v", p.Meta())
	}
	if got := p.Scales(); len(got) != 2 || got[0] != 1 || got[1] != 1.5 {
		t.Errorf("scales %v", got)
	}
	fr, err := p.Frames(engine.AnimWalk, 1.5)
	if err != nil {
		t.Fatal(err)
	}
	if b := fr[0].Image.Bounds(); b.Dx() != 120 || b.Dy() != 96 {
		t.Errorf("1.5x walk frame %v", b)
	}
	// Recolouring reached the pixels: the shell is now reddish.
	img := fr[0].Image
	red, blue := 0, 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i+3] == 255 {
			if img.Pix[i] > img.Pix[i+2]+60 {
				red++
			} else if img.Pix[i+2] > img.Pix[i]+60 {
				blue++
			}
		}
	}
	if red < 500 || red < blue {
		t.Errorf("red pack has %d red and %d blue pixels", red, blue)
	}
	if st, err := os.Stat(sheet); err != nil || st.Size() == 0 {
		t.Errorf("contact sheet not written: %v", err)
	}
	// Re-running replaces stale frames instead of leaving them behind.
	stale := filepath.Join(out, "1x", "old_0.png")
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale frame survived a re-run")
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-body", "blue"},
		{"-scales", "1,0"},
		{"-scales", "x"},
		{"-sheet-scale", "0"},
		{"extra"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%s accepted", strings.Join(args, " "))
		}
	}
}
