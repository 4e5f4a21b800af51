package ocr

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	if got := Clean("  The transla-\ntion of this\n\nsentence.\n\f"); got != "The translation of this sentence." {
		t.Errorf("Clean = %q", got)
	}
}

// TestRecognisesRenderedText renders English text with ImageMagick and
// reads it back with tesseract (both are test dependencies).
func TestRecognisesRenderedText(t *testing.T) {
	if !Available() {
		t.Fatal("tesseract is missing (apt-get install tesseract-ocr tesseract-ocr-eng)")
	}
	font, err := exec.Command("fc-match", "-f", "%{file}", "sans").Output()
	if err != nil {
		t.Fatalf("fc-match: %v", err)
	}
	img := filepath.Join(t.TempDir(), "text.png")
	out, err := exec.Command("convert", "-size", "640x90", "xc:white", "-font", string(font), "-fill", "black", "-pointsize", "40",
		"-annotate", "+10+60", "look forward to it", img).CombinedOutput()
	if err != nil {
		t.Fatalf("convert: %v %s", err, out)
	}
	got, err := Text(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(got), "look forward to") {
		t.Errorf("OCR read %q", got)
	}
	// Not an image: a clear error, no crash.
	if _, err := Text(context.Background(), filepath.Join(t.TempDir(), "missing.png")); err == nil {
		t.Error("a missing image must fail")
	}
	Command = "tesseract-not-installed"
	defer func() { Command = "tesseract" }()
	if _, err := Text(context.Background(), img); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("missing tesseract: %v", err)
	}
}
