// Package ocr reads English text out of an image with Debian's tesseract
// command (`-l eng`), for translating text shown on screen. It has no
// toolkit; the screen area comes from the GTK layer.
package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ErrMissing: tesseract or its English data is not installed.
var ErrMissing = errors.New("OCR needs tesseract: sudo apt-get install tesseract-ocr tesseract-ocr-eng")

// Timeout bounds one recognition (a large area on a slow machine).
const Timeout = 30 * time.Second

// Command is the tesseract binary (tests may point it elsewhere).
var Command = "tesseract"

// Available reports whether tesseract can be run.
func Available() bool {
	_, err := exec.LookPath(Command)
	return err == nil
}

// Text recognises the English text of a PNG image file, lines joined by
// spaces (a selection of screen text is usually one sentence broken by
// layout) and hyphenated line breaks mended.
func Text(ctx context.Context, pngPath string) (string, error) {
	bin, err := exec.LookPath(Command)
	if err != nil {
		return "", ErrMissing
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, pngPath, "stdout", "-l", "eng")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "eng.traineddata") {
			return "", ErrMissing
		}
		return "", fmt.Errorf("tesseract: %v: %.200s", err, msg)
	}
	return Clean(out.String()), nil
}

// Clean joins OCR output lines into running text.
func Clean(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			cur := b.String()
			if strings.HasSuffix(cur, "-") {
				// "transla-" + "tion": a word broken at the line's end.
				b.Reset()
				b.WriteString(strings.TrimSuffix(cur, "-"))
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(line)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
