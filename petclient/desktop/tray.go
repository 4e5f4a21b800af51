package desktop

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"
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

// newTray starts the detection in the background (a D-Bus round trip must
// not delay the pet) and installs the right tray when it answers.
func newTray(a *App) tray {
	go func() {
		addr, err := sniHostBus()
		glib.IdleAdd(func() {
			if a.tray != nil && a.tray.kind() != "pending" {
				return
			}
			if err == nil {
				if t, terr := newSNITray(a, addr); terr == nil {
					a.tray = t
					a.log.Info("tray: StatusNotifierItem")
					a.writeState()
					return
				} else {
					err = terr
				}
			}
			a.log.Info("tray: no StatusNotifier host; using a legacy status icon", "reason", err)
			a.tray = newStatusIconTray(a)
			a.writeState()
		})
	}()
	return pendingTray{}
}

type pendingTray struct{}

func (pendingTray) rebuild()     {}
func (pendingTray) close()       {}
func (pendingTray) kind() string { return "pending" }

func (a *App) rebuildTray() {
	if a.tray != nil {
		a.tray.rebuild()
	}
}

// sessionBusAddress finds the session bus without ever auto-launching one:
// godbus would otherwise start a dbus-daemon through dbus-launch when the
// variable is unset, which we must not do behind the user's back.
func sessionBusAddress() (string, error) {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr, nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		sock := filepath.Join(rt, "bus")
		if st, err := os.Stat(sock); err == nil && st.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + sock, nil
		}
	}
	return "", errors.New("no session bus")
}

// sniHostBus returns the bus address if a StatusNotifierWatcher with a
// registered host is present on it.
func sniHostBus() (string, error) {
	addr, err := sessionBusAddress()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	obj := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
	v, err := obj.GetProperty("org.kde.StatusNotifierWatcher.IsStatusNotifierHostRegistered")
	if err != nil {
		return "", err
	}
	if ok, _ := v.Value().(bool); !ok {
		return "", errors.New("StatusNotifierWatcher has no host")
	}
	return addr, nil
}

// trayIcon renders the pet's standing frame as the tray icon.
func trayIcon(src FrameSource, size int) image.Image {
	sz := src.Size()
	img, err := src.Frame(engine.AnimStand, 0, float64(size)/float64(max(sz.X, sz.Y, 1)))
	if err != nil {
		return image.NewNRGBA(image.Rect(0, 0, size, size))
	}
	return img
}

func iconPNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	return buf.Bytes()
}
