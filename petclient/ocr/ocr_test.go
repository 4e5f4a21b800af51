package ocr

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/dict"
)

func TestClean(t *testing.T) {
	if got := Clean("  The transla-\ntion of this\n\nsentence.\n\f", nil); got != "The translation of this sentence." {
		t.Errorf("Clean = %q", got)
	}
}

// A hyphen at a line's end that belongs to the word stays when the
// dictionary knows the hyphenated form ("well-known"); a word merely broken
// there is joined ("transla-tion"); a capital after it is left alone.
func TestCleanKeepsRealHyphens(t *testing.T) {
	known := func(w string) bool { return w == "well-known" || w == "self-esteem" }
	for _, c := range []struct{ in, want string }{
		{"a well-\nknown fact", "a well-known fact"},
		{"low self-\nesteem.", "low self-esteem."},
		{"\"Well-\nknown,\" she said", "\"Well-known,\" she said"},
		{"the transla-\ntion", "the translation"},
		{"pre-\nWar", "pre-War"},
		{"think-\n42", "think-42"},
		{"“well-\nknown”", "“well-known”"},
	} {
		if got := Clean(c.in, known); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Clean("a well-\nknown fact", nil); got != "a wellknown fact" {
		t.Errorf("without a dictionary: %q, want today's join", got)
	}
}

// TestRecognisesRenderedText renders English text with ImageMagick and
// reads it back with tesseract (both are test dependencies).
func TestRecognisesRenderedText(t *testing.T) {
	if !Available() {
		t.Fatal("tesseract is missing (apt-get install tesseract-ocr tesseract-ocr-eng)")
	}
	img := render(t, "640x90", "+10+60", "look forward to it")
	got, err := Text(context.Background(), img, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(got), "look forward to") {
		t.Errorf("OCR read %q", got)
	}
	// Not an image: a clear error, no crash.
	if _, err := Text(context.Background(), filepath.Join(t.TempDir(), "missing.png"), nil); err == nil {
		t.Error("a missing image must fail")
	}
	Command = "tesseract-not-installed"
	defer func() { Command = "tesseract" }()
	if _, err := Text(context.Background(), img, nil); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("missing tesseract: %v", err)
	}
}

// Read from a rendered picture, a hyphenated word broken across two lines
// comes back as the core dictionary spells it.
func TestRecognisesHyphenatedLineBreak(t *testing.T) {
	if !Available() {
		t.Fatal("tesseract is missing (apt-get install tesseract-ocr tesseract-ocr-eng)")
	}
	img := render(t, "640x150", "+10+55", "It is a well-", "+10+120", "known translation.")
	core, err := dict.Core()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Text(context.Background(), img, core.Has)
	if err != nil || got != "It is a well-known translation." {
		t.Fatalf("OCR read %q (%v), want %q", got, err, "It is a well-known translation.")
	}
}

// render draws black text on white with ImageMagick (a test dependency):
// size "WxH", then pairs of offset "+X+Y" and text. It returns the PNG.
func render(t *testing.T, size string, at ...string) string {
	t.Helper()
	font, err := exec.Command("fc-match", "-f", "%{file}", "sans").Output()
	if err != nil {
		t.Fatalf("fc-match: %v", err)
	}
	img := filepath.Join(t.TempDir(), "text.png")
	args := []string{"-size", size, "xc:white", "-font", string(font), "-fill", "black", "-pointsize", "40"}
	for i := 0; i+1 < len(at); i += 2 {
		args = append(args, "-annotate", at[i], at[i+1])
	}
	if out, err := exec.Command("convert", append(args, img)...).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v %s", err, out)
	}
	return img
}
