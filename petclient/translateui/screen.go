package translateui

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/gotk3/gotk3/glib"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/ocr"
	"github.com/tachikoma-pet/tachikoma/petclient/shotui"
)

// minArea drops selections too small to hold a word (device pixels).
const minArea = 8

// TranslateScreen lets the user select an area with the screenshot tool's
// overlay (Enter or a double click accepts, Esc or a right click cancels),
// reads its text with tesseract and translates it.
func (u *UI) TranslateScreen(petID int) {
	l := u.app.Lang()
	if !ocr.Available() {
		u.say(petID, "", esc(l.T(i18n.TranslateNoOCR)), 10*time.Second)
		return
	}
	say := func(text string) { u.say(petID, "", esc(text), 8*time.Second) }
	shotui.PickArea(u.app, shotui.Options{Logger: u.log, Say: say}, func(img *image.RGBA, ok bool) {
		if ok && img.Rect.Dx() >= minArea && img.Rect.Dy() >= minArea {
			u.ocrArea(petID, img)
		}
	})
}

// ocrArea reads the text of img off the main thread and translates it.
func (u *UI) ocrArea(petID int, img *image.RGBA) {
	l := u.app.Lang()
	u.say(petID, "", "<i>"+esc(l.T(i18n.TranslateReading))+"</i>", ocr.Timeout)
	var known func(string) bool // keeps "well-known" whole across a line break
	if u.svc.Dict != nil {
		known = u.svc.Dict.Has
	}
	go func() {
		text, err := readImage(img, known)
		glib.IdleAdd(func() {
			switch {
			case errors.Is(err, ocr.ErrMissing):
				u.say(petID, "", esc(l.T(i18n.TranslateNoOCR)), 10*time.Second)
			case err != nil:
				u.log.Warn("ocr", "err", err)
				u.say(petID, "", esc(err.Error()), 8*time.Second)
			case text == "":
				u.say(petID, "", esc(l.T(i18n.TranslateNoText)), 6*time.Second)
			default:
				u.Translate(petID, text)
			}
		})
	}()
}

// readImage hands img to tesseract through a temporary PNG.
func readImage(img image.Image, known func(string) bool) (string, error) {
	dir, err := os.MkdirTemp("", "tachikoma-ocr")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "area.png")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	err = png.Encode(f, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return ocr.Text(context.Background(), path, known)
}
