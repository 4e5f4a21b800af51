// Package hotkey grabs one global key combination on the X server (e.g.
// Ctrl+Alt+T) and calls back when it is pressed, whatever window has the
// focus. It has no toolkit: its own X connection, through xgb.
package hotkey

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Key is a parsed combination.
type Key struct {
	Mods   uint16 // X modifier mask
	Keysym xproto.Keysym
}

var modNames = map[string]uint16{
	"ctrl": xproto.ModMaskControl, "control": xproto.ModMaskControl,
	"alt": xproto.ModMask1, "shift": xproto.ModMaskShift,
	"super": xproto.ModMask4, "win": xproto.ModMask4, "meta": xproto.ModMask4,
}

// Parse reads "Ctrl+Alt+T", "Super+F8" or "Ctrl+Shift+space": modifiers,
// then one letter, digit, F1–F24 or space. A key needs a modifier other than
// Shift, so typing is never taken over.
func Parse(s string) (Key, error) {
	parts := strings.Split(strings.ReplaceAll(s, " ", ""), "+")
	var k Key
	for _, p := range parts[:len(parts)-1] {
		m, ok := modNames[strings.ToLower(p)]
		if !ok {
			return Key{}, fmt.Errorf("hotkey %q: unknown modifier %q (Ctrl, Alt, Shift, Super)", s, p)
		}
		k.Mods |= m
	}
	last := strings.ToLower(parts[len(parts)-1])
	f, ferr := strconv.Atoi(strings.TrimPrefix(last, "f"))
	switch {
	case len(last) == 1 && (last[0] >= 'a' && last[0] <= 'z' || last[0] >= '0' && last[0] <= '9'):
		k.Keysym = xproto.Keysym(last[0])
	case last == "space":
		k.Keysym = 0x20
	case strings.HasPrefix(last, "f") && ferr == nil && f >= 1 && f <= 24 && last == "f"+strconv.Itoa(f):
		k.Keysym = xproto.Keysym(0xffbe + f - 1) // XK_F1
	default:
		return Key{}, fmt.Errorf("hotkey %q: unknown key %q (a letter, a digit, F1–F24 or space)", s, parts[len(parts)-1])
	}
	if k.Mods&^xproto.ModMaskShift == 0 {
		return Key{}, fmt.Errorf("hotkey %q: needs Ctrl, Alt or Super", s)
	}
	return k, nil
}

// ErrTaken: another program already grabbed the combination.
var ErrTaken = errors.New("the key combination is taken by another program")

// Grab is a live key grab; Close releases it.
type Grab struct {
	conn *xgb.Conn
	done chan struct{}
}

// Listen grabs k on display (empty: $DISPLAY) and calls fire from its own
// goroutine for each press.
func Listen(display string, k Key, fire func()) (*Grab, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("hotkey: %w", err)
	}
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	code, err := keycode(conn, k.Keysym)
	if err != nil {
		conn.Close()
		return nil, err
	}
	// Caps Lock and Num Lock are modifiers too: grab with and without them.
	for _, extra := range []uint16{0, xproto.ModMaskLock, xproto.ModMask2, xproto.ModMaskLock | xproto.ModMask2} {
		err := xproto.GrabKeyChecked(conn, true, root, k.Mods|extra, code, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
		if err != nil {
			conn.Close()
			var access xproto.AccessError
			if errors.As(err, &access) {
				return nil, fmt.Errorf("hotkey: %w", ErrTaken)
			}
			return nil, fmt.Errorf("hotkey: %w", err)
		}
	}
	g := &Grab{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(g.done)
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil && err == nil {
				return // the connection closed
			}
			if kp, ok := ev.(xproto.KeyPressEvent); ok && kp.Detail == code {
				fire()
			}
		}
	}()
	return g, nil
}

// Close ungrabs the key (by closing the connection) and waits for the
// event loop to end.
func (g *Grab) Close() {
	g.conn.Close()
	<-g.done
}

// keycode finds the key that types sym in the current keyboard map.
func keycode(conn *xgb.Conn, sym xproto.Keysym) (xproto.Keycode, error) {
	setup := xproto.Setup(conn)
	min, max := setup.MinKeycode, setup.MaxKeycode
	m, err := xproto.GetKeyboardMapping(conn, min, byte(max-min+1)).Reply()
	if err != nil {
		return 0, fmt.Errorf("hotkey: keyboard map: %w", err)
	}
	per := int(m.KeysymsPerKeycode)
	for i := 0; per > 0 && i+per <= len(m.Keysyms); i += per {
		for _, s := range m.Keysyms[i : i+per] {
			if s == sym {
				return min + xproto.Keycode(i/per), nil
			}
		}
	}
	return 0, fmt.Errorf("hotkey: no key types keysym %#x on this keyboard", sym)
}
