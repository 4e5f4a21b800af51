package shotui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"time"

	"github.com/gotk3/gotk3/glib"

	"github.com/tachikoma-pet/tachikoma/petclient/i18n"
	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

var _ petbus.Shooter = (*UI)(nil)

// Screenshot answers `tachikoma screenshot` over D-Bus: the pet hides,
// grabs (and shows the overlay for an area), then copies on the GTK thread
// and encodes or saves on this D-Bus goroutine.
func (u *UI) Screenshot(ctx context.Context, req petbus.ShotRequest) (petbus.ShotResult, error) {
	u.log.Info("screenshot asked over the bus", "mode", req.Mode, "delay", req.Delay)
	h := newHandoff()
	// Runs on the GTK thread: what the caller no longer waits for is kept.
	give := func(p picked) {
		if !h.give(p) {
			keep(u, p)
		}
	}
	start := func() {
		if req.Mode == petbus.ModeFull {
			u.capture(func(img *image.RGBA, _ shot.Layout, _ time.Time) {
				give(picked{img: img, act: shot.Save, dev: gdkScale()})
			}, func(err error) { give(picked{err: err}) })
			return
		}
		u.pick(false, give)
	}
	if req.Delay > 0 {
		// Waited here, not on a GTK timer: a caller interrupted meanwhile
		// (petbus.ErrCallerGone) gets no screenshot taken after all.
		t := time.NewTimer(req.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			u.log.Info("screenshot request dropped before its delay ended", "why", context.Cause(ctx))
			return petbus.ShotResult{}, fmt.Errorf("no screenshot: %w", context.Cause(ctx))
		}
	}
	glib.IdleAdd(func() bool { start(); return false })
	var p picked
	select {
	case p = <-h.got:
	case <-ctx.Done():
		if p, ok := h.abandon(); ok {
			glib.IdleAdd(func() bool { keep(u, p); return false })
		}
		return petbus.ShotResult{}, fmt.Errorf("no screenshot: %w", ctx.Err())
	}
	switch {
	case errors.Is(p.err, errBusy):
		return petbus.ShotResult{}, petbus.ErrBusy
	case p.err != nil:
		return petbus.ShotResult{}, p.err
	case p.act == shot.Cancel:
		return petbus.ShotResult{}, petbus.ErrCancelled
	}
	return u.deliver(ctx, req, p)
}

// deliver does what the request asks with the image; an area request
// without any output choice does what the user's key chose (copy or save).
func (u *UI) deliver(ctx context.Context, req petbus.ShotRequest, p picked) (petbus.ShotResult, error) {
	var res petbus.ShotResult
	copyIt, save := req.Copy, req.Output != "" || req.Dir != "" || (!req.Copy && !req.WantPNG && !req.Pin)
	areaAsKeyed := req.Mode == petbus.ModeArea && !req.Copy && !req.WantPNG && !req.Pin && req.Output == "" && req.Dir == ""
	if areaAsKeyed {
		copyIt, save = p.act == shot.Copy, p.act == shot.Save
	}
	if req.Pin || (areaAsKeyed && p.act == shot.Pin) {
		pinned := make(chan struct{})
		glib.IdleAdd(func() bool { u.Pin(p.img, p.at, max(1, p.dev)); close(pinned); return false })
		select {
		case <-pinned:
			res.Pinned = true
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	if copyIt {
		copied := make(chan bool, 1)
		glib.IdleAdd(func() bool { copied <- u.copy(p.img); return false })
		select {
		case res.Copied = <-copied:
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	if req.WantPNG {
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, p.img); err != nil {
			return res, fmt.Errorf("encode PNG: %w", err)
		}
		res.PNG = buf.Bytes()
	}
	if save {
		dir := req.Dir
		if dir == "" {
			dir = u.opts.Dir
		}
		path, err := saveRequested(u.opts.FS, p.img, req, dir, time.Now())
		if err != nil {
			// Nothing lost when it can be helped: the image waits on the clipboard.
			type kept struct {
				copied bool
				lang   i18n.Lang
			}
			done := make(chan kept, 1)
			glib.IdleAdd(func() bool {
				copied := res.Copied
				if !copyIt {
					copied = u.copy(p.img)
				}
				done <- kept{copied, u.app.Lang()}
				return false
			})
			select {
			case k := <-done:
				res.Copied = k.copied
				err = saveFailed(k.lang, err, k.copied)
			case <-ctx.Done():
				return res, err
			}
			glib.IdleAdd(func() bool { u.fail(err); return false })
			return res, err
		}
		glib.IdleAdd(func() bool {
			u.log.Info("screenshot saved", "path", path)
			u.tell(u.app.Lang().F(i18n.ShotSaved, path), p.img)
			return false
		})
		res.Path = path
	}
	return res, nil
}

// saveFailed tells, in the pet's language, where the image is after its
// save failed: on the clipboard when copying it worked, nowhere otherwise.
func saveFailed(l i18n.Lang, err error, copied bool) error {
	key := i18n.ShotLost
	if copied {
		key = i18n.ShotOnClipboard
	}
	return &keptError{msg: l.F(key, err.Error()), err: err}
}

// keptError is a save error with where the image went said after it.
type keptError struct {
	msg string
	err error
}

func (e *keptError) Error() string { return e.msg }
func (e *keptError) Unwrap() error { return e.err }

// saveRequested saves as a bus caller asked; its output replaces an
// existing file only with Replace, so a script's stray path costs no file.
func saveRequested(fsys shot.FS, img *image.RGBA, req petbus.ShotRequest, dir string, taken time.Time) (string, error) {
	if fsys == nil {
		fsys = shot.OSFS{}
	}
	if req.Output != "" && !req.Replace {
		if _, err := fsys.Stat(req.Output); err == nil {
			return "", fmt.Errorf("%s already exists; nothing was replaced (ask with replace)", req.Output)
		}
	}
	return saveFile(fsys, img, req.Output, dir, taken)
}
