// Package petbus is the running pet's D-Bus interface on the session bus:
// the pet exports it so `tachikoma screenshot` (and desktop hotkeys) can ask
// the pet, which hides itself for the grab and says what happened. It has
// no toolkit; the GTK side implements Pet. The interface is documented in
// docs/DBUS.md.
package petbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

// Names on the bus.
const (
	BusName   = "io.github.tachikoma.Pet"
	Path      = dbus.ObjectPath("/io/github/tachikoma/Pet")
	Interface = "io.github.tachikoma.Pet1"
)

// D-Bus error names the pet replies with.
const (
	ErrNameCancelled = Interface + ".Error.Cancelled" // the user closed the overlay
	ErrNameBusy      = Interface + ".Error.Busy"      // an overlay is already up
	ErrNameFailed    = Interface + ".Error.Failed"    // the grab or the save failed
	ErrNameInvalid   = Interface + ".Error.InvalidArgs"
)

// Errors a caller can test with errors.Is.
var (
	ErrNoPet     = errors.New("no pet is running on this session bus")
	ErrCancelled = errors.New("the screenshot was cancelled")
	ErrBusy      = errors.New("the pet is already taking a screenshot")
	// ErrCallerGone is the cause of a request's context ending because its
	// caller left the bus (an interrupted command).
	ErrCallerGone = errors.New("the caller left the session bus")
)

// Modes of ShotRequest.
const (
	ModeArea = "area" // the interactive overlay
	ModeFull = "full" // the whole screen
)

// ShotRequest is what `tachikoma screenshot` asks for. Output and Dir are
// absolute paths, since the pet runs in another folder.
type ShotRequest struct {
	Mode    string
	Delay   time.Duration
	Output  string // a file, or "" for the usual name in Dir
	Replace bool   // Output may replace an existing file
	Dir     string // "" = the pet's configured folder
	Copy    bool   // put the image on the clipboard
	Pin     bool   // pin it on the screen
	WantPNG bool   // send the PNG back instead of saving it (--output -)
}

// ShotResult is what the pet did.
type ShotResult struct {
	Path   string // where it was saved, "" when not saved
	Copied bool
	Pinned bool
	PNG    []byte // with WantPNG
}

// Pet is the running pet's side; methods are called on D-Bus goroutines,
// never the GTK thread, and should return when ctx ends.
type Pet interface {
	Shooter
	// Present answers a second launch of the pet: it shows the pets and
	// adds add more, and returns how many there are then.
	Present(ctx context.Context, add int) (pets int, err error)
}

// Shooter takes the screenshots the pet is asked for.
type Shooter interface {
	Screenshot(ctx context.Context, req ShotRequest) (ShotResult, error)
}

// maxAdd bounds Present's add, as the command line bounds --pets.
const maxAdd = 64

// CallTimeout bounds a call: the area overlay waits for the user.
const CallTimeout = 15 * time.Minute

const introspection = `
<interface name="` + Interface + `">
  <method name="Screenshot">
    <arg name="options" type="a{sv}" direction="in"/>
    <arg name="results" type="a{sv}" direction="out"/>
  </method>
  <method name="Present">
    <arg name="add" type="u" direction="in"/>
    <arg name="pets" type="u" direction="out"/>
  </method>
</interface>`

// Connect opens a private connection to the session bus without ever
// starting one (DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus).
func Connect() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, fmt.Errorf("session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("session bus: %w", err)
	}
	return conn, nil
}

// Serve exports pet on conn and takes BusName. When another pet owns the
// name it returns an error and exports nothing (the first pet answers).
// Method tables, not conn.Export: Export finds methods by reflection, which
// makes the linker keep every exported method of every type in the pet.
func Serve(conn *dbus.Conn, pet Pet) error {
	obj := &object{pet: pet, ctx: conn.Context(), conn: conn}
	if err := conn.ExportMethodTable(map[string]any{"Screenshot": obj.Screenshot, "Present": obj.Present}, Path, Interface); err != nil {
		return fmt.Errorf("export %s: %w", Path, err)
	}
	xml := introspect.Introspectable(introspect.IntrospectDeclarationString + "<node>" + introspect.IntrospectDataString +
		introspection + "</node>")
	if err := conn.ExportMethodTable(map[string]any{"Introspect": xml.Introspect}, Path,
		"org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("export introspection: %w", err)
	}
	reply, err := conn.RequestName(BusName, dbus.NameFlagDoNotQueue)
	if err != nil {
		conn.ExportMethodTable(nil, Path, Interface)
		return fmt.Errorf("take %s: %w", BusName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner && reply != dbus.RequestNameReplyAlreadyOwner {
		conn.ExportMethodTable(nil, Path, Interface)
		return fmt.Errorf("another pet already owns %s", BusName)
	}
	return nil
}

type object struct {
	pet  Pet
	ctx  context.Context
	conn *dbus.Conn
}

// callerPoll is how often a request's caller is looked for on the bus.
const callerPoll = 500 * time.Millisecond

// Screenshot is the exported method; sender is filled in by godbus.
func (o *object) Screenshot(sender dbus.Sender, options map[string]dbus.Variant) (map[string]dbus.Variant, *dbus.Error) {
	req, err := decodeRequest(options)
	if err != nil {
		return nil, dbus.NewError(ErrNameInvalid, []any{err.Error()})
	}
	ctx, cancel := context.WithCancelCause(o.ctx)
	defer cancel(nil)
	ctx, stop := context.WithTimeout(ctx, CallTimeout)
	defer stop()
	if sender != "" {
		go o.watchCaller(ctx, string(sender), cancel)
	}
	res, err := o.pet.Screenshot(ctx, req)
	switch {
	case errors.Is(err, ErrCancelled):
		return nil, dbus.NewError(ErrNameCancelled, []any{err.Error()})
	case errors.Is(err, ErrBusy):
		return nil, dbus.NewError(ErrNameBusy, []any{err.Error()})
	case err != nil:
		return nil, dbus.NewError(ErrNameFailed, []any{err.Error()})
	}
	return encodeResult(res), nil
}

// Present is the exported method a second launch calls.
func (o *object) Present(add uint32) (uint32, *dbus.Error) {
	if add > maxAdd {
		return 0, dbus.NewError(ErrNameInvalid, []any{fmt.Sprintf("add %d: at most %d", add, maxAdd)})
	}
	ctx, cancel := context.WithTimeout(o.ctx, presentTimeout)
	defer cancel()
	n, err := o.pet.Present(ctx, int(add))
	if err != nil {
		return 0, dbus.NewError(ErrNameFailed, []any{err.Error()})
	}
	return uint32(n), nil
}

// presentTimeout bounds Present: the pet's main loop only has to add pets.
const presentTimeout = 30 * time.Second

// Present asks the running pet to show its pets and add add more; ErrNoPet
// when none owns BusName.
func Present(ctx context.Context, conn *dbus.Conn, add int) (pets int, err error) {
	var n uint32
	call := conn.Object(BusName, Path).CallWithContext(ctx, Interface+".Present", dbus.FlagNoAutoStart, uint32(add))
	if err := call.Store(&n); err != nil {
		return 0, replyError(err)
	}
	return int(n), nil
}

// watchCaller ends a request when its caller leaves the bus, so an
// interrupted `tachikoma screenshot --delay 5` takes no screenshot after all.
func (o *object) watchCaller(ctx context.Context, name string, cancel context.CancelCauseFunc) {
	t := time.NewTicker(callerPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var has bool
		err := o.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
		if err == nil && !has {
			cancel(ErrCallerGone)
			return
		}
	}
}

// Screenshot asks the pet on conn; ErrNoPet when none owns BusName (the
// caller then works alone).
func Screenshot(ctx context.Context, conn *dbus.Conn, req ShotRequest) (ShotResult, error) {
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, BusName).Store(&has); err != nil {
		return ShotResult{}, fmt.Errorf("ask the session bus for the pet: %w", err)
	}
	if !has {
		return ShotResult{}, ErrNoPet
	}
	var out map[string]dbus.Variant
	call := conn.Object(BusName, Path).CallWithContext(ctx, Interface+".Screenshot", dbus.FlagNoAutoStart, encodeRequest(req))
	if err := call.Store(&out); err != nil {
		return ShotResult{}, replyError(err)
	}
	return decodeResult(out)
}

func replyError(err error) error {
	var de dbus.Error
	if !errors.As(err, &de) {
		if p := new(dbus.Error); errors.As(err, &p) {
			de = *p
		} else {
			return fmt.Errorf("the pet: %w", err)
		}
	}
	msg := de.Error()
	switch de.Name {
	case ErrNameCancelled:
		return ErrCancelled
	case ErrNameBusy:
		return ErrBusy
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner":
		return ErrNoPet
	case "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout":
		return fmt.Errorf("the pet did not answer: %s", msg)
	}
	return fmt.Errorf("the pet: %s", msg)
}

func encodeRequest(r ShotRequest) map[string]dbus.Variant {
	return map[string]dbus.Variant{
		"mode":     dbus.MakeVariant(r.Mode),
		"delay_ms": dbus.MakeVariant(uint32(r.Delay / time.Millisecond)),
		"output":   dbus.MakeVariant(r.Output),
		"replace":  dbus.MakeVariant(r.Replace),
		"dir":      dbus.MakeVariant(r.Dir),
		"copy":     dbus.MakeVariant(r.Copy),
		"pin":      dbus.MakeVariant(r.Pin),
		"want_png": dbus.MakeVariant(r.WantPNG),
	}
}

// maxDelay matches the command line's bound.
const maxDelay = 10 * time.Minute

func decodeRequest(m map[string]dbus.Variant) (ShotRequest, error) {
	var r ShotRequest
	var delay uint32
	for _, f := range []struct {
		key string
		dst any
	}{
		{"mode", &r.Mode}, {"delay_ms", &delay}, {"output", &r.Output}, {"replace", &r.Replace}, {"dir", &r.Dir},
		{"copy", &r.Copy}, {"pin", &r.Pin}, {"want_png", &r.WantPNG},
	} {
		v, ok := m[f.key]
		if !ok {
			continue
		}
		if err := v.Store(f.dst); err != nil {
			return r, fmt.Errorf("option %q: %w", f.key, err)
		}
	}
	r.Delay = time.Duration(delay) * time.Millisecond
	switch {
	case r.Mode == "":
		r.Mode = ModeArea
	case r.Mode != ModeArea && r.Mode != ModeFull:
		return r, fmt.Errorf("mode %q: want %q or %q", r.Mode, ModeArea, ModeFull)
	}
	if r.Delay > maxDelay {
		return r, fmt.Errorf("delay_ms %d: at most %d", delay, maxDelay/time.Millisecond)
	}
	for _, p := range []string{r.Output, r.Dir} {
		if p != "" && p[0] != '/' {
			return r, fmt.Errorf("path %q is not absolute", p)
		}
	}
	return r, nil
}

func encodeResult(r ShotResult) map[string]dbus.Variant {
	m := map[string]dbus.Variant{
		"path":   dbus.MakeVariant(r.Path),
		"copied": dbus.MakeVariant(r.Copied),
		"pinned": dbus.MakeVariant(r.Pinned),
	}
	if r.PNG != nil {
		m["png"] = dbus.MakeVariant(r.PNG)
	}
	return m
}

func decodeResult(m map[string]dbus.Variant) (ShotResult, error) {
	var r ShotResult
	for _, f := range []struct {
		key string
		dst any
	}{{"path", &r.Path}, {"copied", &r.Copied}, {"pinned", &r.Pinned}, {"png", &r.PNG}} {
		if v, ok := m[f.key]; ok {
			if err := v.Store(f.dst); err != nil {
				return r, fmt.Errorf("the pet's answer %q: %w", f.key, err)
			}
		}
	}
	return r, nil
}
