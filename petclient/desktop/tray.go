package desktop

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"

	"github.com/gotk3/gotk3/gdk"
	"github.com/gotk3/gotk3/glib"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// tray is the notification-area icon: a StatusNotifierItem where the
// desktop has a host (KDE, GNOME with the AppIndicator extension, most
// panels), otherwise a legacy GtkStatusIcon (XEmbed trays).
type tray interface {
	rebuild()
	close()
	kind() string
}

func trayKind(t tray) string {
	if t == nil {
		return "none"
	}
	return t.kind()
}

// newTray tries the StatusNotifierItem first (asynchronously: a D-Bus
// round trip must not delay the pet), then a legacy XEmbed tray; with
// neither, it looks again now and then (a panel may start after the pet,
// e.g. at login).
func newTray(a *App) tray {
	if err := startSNI(a); err != nil {
		return a.legacyTray(err)
	}
	return pendingTray{}
}

// trayRetry is how often a pet without any tray looks for one again.
const trayRetry = 15

func (a *App) legacyTray(reason error) tray {
	if xembedTrayPresent() {
		a.log.Info("tray: no StatusNotifier host; using a legacy status icon", "reason", reason)
		return newStatusIconTray(a)
	}
	if !a.trayRetrying {
		a.log.Info("tray: none on this desktop yet; will look again", "reason", reason)
		a.trayRetrying = true
		glib.TimeoutSecondsAdd(trayRetry, func() bool {
			if a.tray != nil && a.tray.kind() != "none" {
				a.trayRetrying = false
				return false
			}
			if err := startSNI(a); err != nil {
				if t := a.legacyTray(err); t.kind() != "none" {
					a.tray = t
					a.writeState()
				}
			} else {
				a.tray = pendingTray{}
			}
			return true
		})
	}
	return noTray{}
}

// installTray is called on the GTK thread when the SNI start finished.
func (a *App) installTray(t tray, err error) {
	if err != nil {
		t = a.legacyTray(err)
	} else {
		a.log.Info("tray: StatusNotifierItem")
	}
	a.tray = t
	a.writeState()
}

type noTray struct{}

func (noTray) rebuild()     {}
func (noTray) close()       {}
func (noTray) kind() string { return "none" }

type pendingTray struct{}

func (pendingTray) rebuild()     {}
func (pendingTray) close()       {}
func (pendingTray) kind() string { return "pending" }

func (a *App) rebuildTray() {
	if a.tray != nil {
		a.tray.rebuild()
	}
}

// trayIcon renders the pet's standing frame, centred on a square canvas
// (trays and icon themes expect square icons).
func trayIcon(src FrameSource, size int) image.Image {
	out := image.NewNRGBA(image.Rect(0, 0, size, size))
	sz := src.Size()
	img, err := src.Frame(engine.AnimStand, 0, float64(size)/float64(max(sz.X, sz.Y, 1)))
	if err != nil {
		return out
	}
	b := img.Bounds()
	at := image.Pt((size-b.Dx())/2, (size-b.Dy())/2)
	draw.Draw(out, b.Sub(b.Min).Add(at), img, b.Min, draw.Over)
	return out
}

func iconPNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	return buf.Bytes()
}

// nrgba returns img as an NRGBA at origin (0,0), copying only if needed.
func nrgba(img image.Image) *image.NRGBA {
	b := img.Bounds()
	n, ok := img.(*image.NRGBA)
	if !ok || b.Min != (image.Point{}) {
		n = image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(n, n.Bounds(), img, b.Min, draw.Src)
	}
	return n
}

// pixbufFromImage copies img into a new RGBA pixbuf (non-premultiplied,
// like image.NRGBA).
func pixbufFromImage(img image.Image) (*gdk.Pixbuf, error) {
	b := img.Bounds()
	n := nrgba(img)
	pb, err := gdk.PixbufNew(gdk.COLORSPACE_RGB, true, 8, b.Dx(), b.Dy())
	if err != nil {
		return nil, err
	}
	pix, stride := pb.GetPixels(), pb.GetRowstride()
	for y := 0; y < b.Dy(); y++ {
		copy(pix[y*stride:y*stride+b.Dx()*4], n.Pix[y*n.Stride:])
	}
	return pb, nil
}
