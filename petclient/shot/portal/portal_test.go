package portal_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tachikoma-pet/tachikoma/petclient/internal/dbustest"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal"
	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal/portaltest"
)

// knownPNG writes a 7×5 image whose every pixel differs and returns its URI.
func knownPNG(t *testing.T) (string, *image.RGBA) {
	img := image.NewRGBA(image.Rect(0, 0, 7, 5))
	for y := 0; y < 5; y++ {
		for x := 0; x < 7; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(30 * x), uint8(50 * y), 200, 255})
		}
	}
	path := filepath.Join(t.TempDir(), "Screenshot from 2026-12-06 22-40-00.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return "file://" + strings.ReplaceAll(path, " ", "%20"), img
}

func TestScreenshotThroughAFakePortal(t *testing.T) {
	addr := dbustest.Start(t)
	client := dbustest.Connect(t, addr)
	if _, err := portal.Screenshot(dbustest.Context(t), client, false); !errors.Is(err, portal.ErrNoPortal) {
		t.Fatalf("no portal: %v", err)
	}

	fake, err := portaltest.Serve(dbustest.Connect(t, addr), 2)
	if err != nil {
		t.Fatal(err)
	}
	uri, want := knownPNG(t)
	fake.Answer(0, uri)
	got, err := portal.Screenshot(dbustest.Context(t), client, true)
	if err != nil || got != fake.Answered()[0] {
		t.Fatalf("Screenshot = %q, %v", got, err)
	}
	req := fake.Requests()[0]
	if v, ok := req["interactive"]; !ok || v.Value() != true {
		t.Errorf("interactive not asked of a version 2 portal: %v", req)
	}
	if tok, _ := req["handle_token"].Value().(string); !strings.HasPrefix(tok, "tachikoma") {
		t.Errorf("handle_token %q", tok)
	}

	img, layout, err := portal.Grabber{Conn: client}.Grab()
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(fake.Answered()[1]); fileExists(u.Path) {
		t.Errorf("the portal's copy of the screen stayed at %s", u.Path)
	}
	if img.Rect != want.Rect || layout.Bounds() != want.Rect {
		t.Fatalf("bounds %v, layout %v", img.Rect, layout.Bounds())
	}
	for y := 0; y < 5; y++ {
		for x := 0; x < 7; x++ {
			if img.RGBAAt(x, y) != want.RGBAAt(x, y) {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, img.RGBAAt(x, y), want.RGBAAt(x, y))
			}
		}
	}
	if _, ok := fake.Requests()[1]["interactive"]; ok {
		t.Error("the grabber asked for the interactive chooser")
	}

	fake.Answer(1, "")
	if _, err := portal.Screenshot(dbustest.Context(t), client, true); !errors.Is(err, portal.ErrCancelled) {
		t.Errorf("cancelled: %v", err)
	}
	fake.Answer(2, "")
	if _, err := portal.Screenshot(dbustest.Context(t), client, true); err == nil || !strings.Contains(err.Error(), "the screenshot portal failed (response 2)") {
		t.Errorf("failed: %v", err)
	}
	notPNG := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notPNG, []byte("not an image"), 0o644)
	for _, tc := range []struct{ uri, want string }{
		{"file://" + notPNG, "is not an image"},
		{"https://example.invalid/a.png", "is not a local file URI"},
		{"file:///nonexistent/a.png", "open its file"},
		{"file://" + os.Args[0], "is not an image"},
	} {
		fake.Answer(0, tc.uri)
		if _, _, err := (portal.Grabber{Conn: client}).Grab(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.uri, err)
		}
	}
	if u, _ := url.Parse(fake.Answered()[len(fake.Answered())-4]); !fileExists(u.Path) {
		t.Errorf("a file that is no image was removed: %s", u.Path)
	}
}

// A version 1 portal has no interactive option: it is not sent.
func TestOldPortalNotInteractive(t *testing.T) {
	addr := dbustest.Start(t)
	fake, err := portaltest.Serve(dbustest.Connect(t, addr), 1)
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := knownPNG(t)
	fake.Answer(0, uri)
	if _, err := portal.Screenshot(dbustest.Context(t), dbustest.Connect(t, addr), true); err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.Requests()[0]["interactive"]; ok {
		t.Error("interactive sent to a version 1 portal")
	}
}

func TestIsWayland(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"XDG_SESSION_TYPE": "wayland"}, true},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
		{map[string]string{"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, false},
		{map[string]string{}, false},
	} {
		if got := portal.IsWayland(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %v", tc.env, got)
		}
	}
}

// Load refuses what is not a file on this machine, and an image too big to
// hold, from its header alone.
func TestLoadRefusesRemoteAndHugeImages(t *testing.T) {
	uri, _ := knownPNG(t)
	if _, err := portal.Load(uri); err != nil {
		t.Fatalf("a local file: %v", err)
	}
	local := strings.TrimPrefix(uri, "file://")
	if _, err := portal.Load("file://localhost" + local); err != nil {
		t.Errorf("file://localhost: %v", err)
	}
	if _, err := portal.Load("file://elsewhere.invalid" + local); err == nil || !strings.Contains(err.Error(), "is not a local file URI") {
		t.Errorf("another host's file: %v", err)
	}
	// A PNG header saying 100000×100000: decoding it would ask for 40 GB.
	huge := filepath.Join(t.TempDir(), "huge.png")
	var hdr bytes.Buffer
	hdr.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x06\x00\x00\x00")
	binary.Write(&hdr, binary.BigEndian, uint32(len(ihdr)-4))
	hdr.Write(ihdr)
	binary.Write(&hdr, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	if err := os.WriteFile(huge, hdr.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := portal.Load("file://" + huge); err == nil || !strings.Contains(err.Error(), "too big") {
		t.Errorf("a 100000×100000 image: %v", err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Another client sending a Response on the request's path before the
// portal answers is ignored: only the portal's own answer is read.
func TestResponseFromAnotherClientIgnored(t *testing.T) {
	addr := dbustest.Start(t)
	fake, err := portaltest.Serve(dbustest.Connect(t, addr), 2)
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := knownPNG(t)
	fake.Answer(0, uri)
	fake.Hold()
	client := dbustest.Connect(t, addr)
	type result struct {
		uri string
		err error
	}
	done := make(chan result, 1)
	go func() {
		u, err := portal.Screenshot(dbustest.Context(t), client, false)
		done <- result{u, err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(fake.Requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the portal")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var token string
	fake.Requests()[0]["handle_token"].Store(&token)
	sender := strings.ReplaceAll(strings.TrimPrefix(client.Names()[0], ":"), ".", "_")
	handle := dbus.ObjectPath(string(portal.Path) + "/request/" + sender + "/" + token)
	impostor := dbustest.Connect(t, addr)
	forged := map[string]dbus.Variant{"uri": dbus.MakeVariant("file:///tmp/forged.png")}
	if err := impostor.Emit(handle, portal.RequestIface+".Response", uint32(0), forged); err != nil {
		t.Fatal(err)
	}
	// A round trip through the bus: the forged signal is routed before the
	// portal's answer is released.
	var id string
	if err := impostor.BusObject().Call("org.freedesktop.DBus.GetId", 0).Store(&id); err != nil {
		t.Fatal(err)
	}
	fake.Release()
	select {
	case r := <-done:
		if r.err != nil || r.uri != fake.Answered()[0] {
			t.Fatalf("Screenshot = %q, %v; want the portal's %q", r.uri, r.err, fake.Answered()[0])
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no answer")
	}
}
