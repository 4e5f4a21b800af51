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
	"unicode"
	"unicode/utf8"
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
// layout) and hyphenated line breaks mended (see Clean for known).
func Text(ctx context.Context, pngPath string, known func(string) bool) (string, error) {
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
	return Clean(out.String(), known), nil
}

// Clean joins OCR output lines into running text. A line ending in a
// hyphen is joined to the next without a space; the hyphen stays when it
// belongs to the word: known (the dictionary; nil knows nothing) has the
// hyphenated form ("well-known"), or the next line starts with a capital
// or a digit ("non-English", "COVID-19"). Otherwise it was a word broken
// at the line's end ("transla-tion").
func Clean(s string, known func(string) bool) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			cur := b.String()
			if strings.HasSuffix(cur, "-") {
				if !keepHyphen(cur, line, known) {
					b.Reset()
					b.WriteString(strings.TrimSuffix(cur, "-"))
				}
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(line)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// keepHyphen decides for text ending in "-" followed by the line next.
func keepHyphen(text, next string, known func(string) bool) bool {
	head := lastWord(text[:len(text)-1])
	first, _ := utf8.DecodeRuneInString(next)
	if head == "" {
		return false
	}
	if unicode.IsUpper(first) || unicode.IsDigit(first) {
		return true
	}
	if !unicode.IsLower(first) || known == nil {
		return false
	}
	tail := next
	if i := strings.IndexFunc(next, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }); i >= 0 {
		tail = next[:i]
	}
	return known(strings.ToLower(head + "-" + tail))
}

// lastWord is the letters and hyphens at the end of s ("well" of
// "a \"well"), "" when s does not end in a letter.
func lastWord(s string) string {
	w := s
	if i := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }); i >= 0 {
		_, n := utf8.DecodeRuneInString(s[i:])
		w = s[i+n:]
	}
	if r, _ := utf8.DecodeLastRuneInString(w); !unicode.IsLetter(r) {
		return ""
	}
	return w
}
