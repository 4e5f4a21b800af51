// Package portaltest is a stand-in xdg-desktop-portal Screenshot service for
// tests: it answers every request with the response code it was given and
// a fresh copy of the file it was given (the real portal writes a new file
// each time, which the caller removes), through a Request's Response signal.
package portaltest

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/tachikoma-pet/tachikoma/petclient/shot/portal"
)

// Fake is the portal; set Code (0 ok, 1 cancelled, 2 failed) and URI.
type Fake struct {
	conn    *dbus.Conn
	mu      sync.Mutex
	code    uint32
	uri     string
	version uint32
	got     []map[string]dbus.Variant
	sent    []string      // the URIs answered
	gate    chan struct{} // while non-nil, answers wait for Release
}

// Serve exports a Fake of the given interface version on conn and takes
// the portal's bus name.
func Serve(conn *dbus.Conn, version uint32) (*Fake, error) {
	f := &Fake{conn: conn, version: version}
	if err := conn.Export(f, portal.Path, portal.Interface); err != nil {
		return nil, err
	}
	if err := conn.Export(props{f}, portal.Path, "org.freedesktop.DBus.Properties"); err != nil {
		return nil, err
	}
	reply, err := conn.RequestName(portal.BusName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return nil, err
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return nil, fmt.Errorf("%s is taken", portal.BusName)
	}
	return f, nil
}

// Answer sets what the next requests get.
func (f *Fake) Answer(code uint32, uri string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.code, f.uri = code, uri
}

// Hold makes the answers to later requests wait until Release.
func (f *Fake) Hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = make(chan struct{})
}

// Release sends the answers Hold kept back, and answers at once again.
func (f *Fake) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gate != nil {
		close(f.gate)
		f.gate = nil
	}
}

// Requests are the options of every request so far.
func (f *Fake) Requests() []map[string]dbus.Variant {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]dbus.Variant(nil), f.got...)
}

// Answered are the URIs handed out so far.
func (f *Fake) Answered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

// fresh copies the file at uri to a new name beside it and returns the
// copy's URI; other URIs (and files it cannot copy) come back as given.
func fresh(uri string, n int) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return uri
	}
	data, err := os.ReadFile(u.Path)
	if err != nil {
		return uri
	}
	dir, base := filepath.Split(u.Path)
	cp := filepath.Join(dir, fmt.Sprintf("portal-%d-%s", n, base))
	if err := os.WriteFile(cp, data, 0o644); err != nil {
		return uri
	}
	return (&url.URL{Scheme: "file", Path: cp}).String()
}

// Screenshot is the portal's method: the request's path comes from the
// caller's unique name and handle_token, as the portal documents.
func (f *Fake) Screenshot(sender dbus.Sender, parent string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	f.got = append(f.got, opts)
	code, uri, n, gate := f.code, f.uri, len(f.got), f.gate
	if code == 0 {
		uri = fresh(uri, n)
		f.sent = append(f.sent, uri)
	}
	f.mu.Unlock()
	var token string
	if v, ok := opts["handle_token"]; ok {
		v.Store(&token)
	}
	if token == "" {
		token = "t1"
	}
	s := strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_")
	handle := dbus.ObjectPath(string(portal.Path) + "/request/" + s + "/" + token)
	results := map[string]dbus.Variant{}
	if code == 0 {
		results["uri"] = dbus.MakeVariant(uri)
	}
	go func() {
		if gate != nil {
			<-gate
		}
		f.conn.Emit(handle, portal.RequestIface+".Response", code, results)
	}()
	return handle, nil
}

type props struct{ f *Fake }

// Get serves the interface's version property.
func (p props) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	if iface == portal.Interface && name == "version" {
		return dbus.MakeVariant(p.f.version), nil
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{name})
}
