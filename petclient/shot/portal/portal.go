// Package portal takes screenshots through xdg-desktop-portal's Screenshot
// interface on the session bus, for Wayland sessions where the X root
// window (XWayland's) shows nothing of the other applications. No toolkit:
// it returns the image, and the caller offers annotate, copy, save and pin.
package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // portals may save JPEG
	_ "image/png"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/tachikoma-pet/tachikoma/petclient/shot"
)

// Names of the portal on the bus.
const (
	BusName          = "org.freedesktop.portal.Desktop"
	Path             = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	Interface        = "org.freedesktop.portal.Screenshot"
	RequestIface     = "org.freedesktop.portal.Request"
	responseName     = RequestIface + ".Response"
	interactiveSince = 2 // the "interactive" option came with version 2
)

// Errors a caller can test with errors.Is.
var (
	ErrCancelled = errors.New("the screenshot was cancelled")
	ErrNoPortal  = errors.New("no screenshot portal on the session bus (install xdg-desktop-portal and your desktop's backend, e.g. xdg-desktop-portal-gnome)")
)

// IsWayland tells whether the session is Wayland's, where the X root cannot
// be read and the portal must take the screenshot.
func IsWayland(getenv func(string) string) bool {
	return getenv("XDG_SESSION_TYPE") == "wayland" || getenv("WAYLAND_DISPLAY") != ""
}

// Screenshot asks the portal for a screenshot and waits for its answer;
// interactive lets the desktop show its own area/window chooser where the
// portal supports it. It returns the URI of the file the portal wrote.
func Screenshot(ctx context.Context, conn *dbus.Conn, interactive bool) (string, error) {
	names := conn.Names()
	if len(names) == 0 {
		return "", errors.New("screenshot portal: the bus connection has no name")
	}
	token := newToken()
	// The request object's path is known before the call, so the answer
	// cannot arrive before we listen for it.
	sender := strings.ReplaceAll(strings.TrimPrefix(names[0], ":"), ".", "_")
	handle := dbus.ObjectPath(string(Path) + "/request/" + sender + "/" + token)
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(handle), dbus.WithMatchInterface(RequestIface), dbus.WithMatchMember("Response")}
	if err := conn.AddMatchSignalContext(ctx, match...); err != nil {
		return "", fmt.Errorf("screenshot portal: listen for the answer: %w", err)
	}
	defer conn.RemoveMatchSignal(match...)
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)

	opts := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"modal":        dbus.MakeVariant(true),
	}
	obj := conn.Object(BusName, Path)
	if interactive {
		var v uint32
		if p, err := obj.GetProperty(Interface + ".version"); err == nil && p.Store(&v) == nil && v >= interactiveSince {
			opts["interactive"] = dbus.MakeVariant(true)
		}
	}
	var got dbus.ObjectPath
	if err := obj.CallWithContext(ctx, Interface+".Screenshot", 0, "", opts).Store(&got); err != nil {
		var de dbus.Error
		if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.UnknownInterface" || de.Name == "org.freedesktop.DBus.Error.UnknownMethod") {
			return "", ErrNoPortal
		}
		return "", fmt.Errorf("screenshot portal: %w", err)
	}
	// Only the portal may answer: another client could send a Response on
	// the same path with a file of its choosing. It runs now (the call
	// activated it), so its unique name is the one the answer comes from.
	var owner string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, BusName).Store(&owner); err != nil {
		return "", fmt.Errorf("screenshot portal: find who answers: %w", err)
	}
	if got != handle { // an old portal chose its own path
		handle = got
		conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(handle), dbus.WithMatchInterface(RequestIface), dbus.WithMatchMember("Response"))
		defer conn.RemoveMatchSignal(dbus.WithMatchObjectPath(handle), dbus.WithMatchInterface(RequestIface), dbus.WithMatchMember("Response"))
	}
	for {
		select {
		case <-ctx.Done():
			// Tell the portal to drop the request; its answer no longer matters.
			conn.Object(BusName, handle).Call(RequestIface+".Close", dbus.FlagNoReplyExpected)
			return "", fmt.Errorf("screenshot portal: no answer: %w", ctx.Err())
		case s, ok := <-signals:
			if !ok {
				return "", errors.New("screenshot portal: the session bus connection closed")
			}
			if s.Path != handle || s.Name != responseName || s.Sender != owner {
				continue
			}
			return answer(s.Body)
		}
	}
}

// answer reads a Response(u response, a{sv} results) signal's body.
func answer(body []any) (string, error) {
	if len(body) != 2 {
		return "", fmt.Errorf("screenshot portal: a Response with %d values, want 2", len(body))
	}
	code, ok1 := body[0].(uint32)
	results, ok2 := body[1].(map[string]dbus.Variant)
	if !ok1 || !ok2 {
		return "", errors.New("screenshot portal: a Response of the wrong types")
	}
	switch code {
	case 0:
	case 1:
		return "", ErrCancelled
	default:
		return "", fmt.Errorf("the screenshot portal failed (response %d): the desktop refused or could not take it", code)
	}
	var uri string
	if v, ok := results["uri"]; !ok || v.Store(&uri) != nil || uri == "" {
		return "", errors.New("screenshot portal: the answer has no file URI")
	}
	return uri, nil
}

// maxPixels bounds the image Load decodes: three 8K monitors fit, a
// corrupt or hostile header asking for gigabytes does not.
const maxPixels = 1 << 27

// Load reads the image a portal wrote at uri (a file:// URI on this host).
func Load(uri string) (*image.RGBA, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Path == "" || (u.Host != "" && u.Host != "localhost") {
		return nil, fmt.Errorf("screenshot portal: %q is not a local file URI", uri)
	}
	f, err := os.Open(u.Path)
	if err != nil {
		return nil, fmt.Errorf("screenshot portal: open its file: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("screenshot portal: %s is not an image: %w", u.Path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("screenshot portal: %s is too big (%d×%d pixels)", u.Path, cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("screenshot portal: read its file: %w", err)
	}
	src, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("screenshot portal: %s is not an image: %w", u.Path, err)
	}
	if rgba, ok := src.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		return rgba, nil
	}
	b := src.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), src, b.Min, draw.Src)
	return out, nil
}

// Take is Load, then removes the portal's file (the desktop may have put it
// in Pictures): the shot is saved where the user asks, and a cancelled
// selection must leave no copy of the screen behind.
func Take(uri string) (*image.RGBA, error) {
	img, err := Load(uri)
	if err != nil {
		return nil, err // not an image we read: not ours to remove
	}
	if u, err := url.Parse(uri); err == nil {
		if err := os.Remove(u.Path); err != nil {
			slog.Debug("screenshot portal: its file stays", "path", u.Path, "err", err)
		}
	}
	return img, nil
}

// Grabber is a shot.Grabber through the portal: the whole screen, without
// the desktop's chooser, for the pet's own overlay to select from.
type Grabber struct {
	Conn *dbus.Conn
	Ctx  context.Context // bounds the wait; nil: context.Background
}

var _ shot.Grabber = Grabber{}

// Grab takes the screenshot; the portal says nothing of monitors, so the
// layout is one monitor the size of the image.
func (g Grabber) Grab() (*image.RGBA, shot.Layout, error) {
	ctx := g.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	uri, err := Screenshot(ctx, g.Conn, false)
	if err != nil {
		return nil, shot.Layout{}, err
	}
	img, err := Take(uri)
	if err != nil {
		return nil, shot.Layout{}, err
	}
	r := img.Rect
	return img, shot.Layout{Root: r, Monitors: []shot.Monitor{{Name: "screen", Rect: r, Scale: 1}}}, nil
}

func newToken() string {
	var b [8]byte
	rand.Read(b[:])
	return "tachikoma" + hex.EncodeToString(b[:])
}
