// Package statefile is the pet client's test hook: with
// TACHIKOMA_STATE_FILE (or --state-file) set, the app writes a small JSON
// snapshot of what it shows every time that changes, so GUI tests read the
// app's state instead of guessing from screenshots.
package statefile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
)

// Pet is one pet window as shown.
type Pet struct {
	ID      int     `json:"id"`
	X       float64 `json:"x"` // engine position (anchor point), logical px
	Y       float64 `json:"y"`
	WinX    int     `json:"win_x"` // window top-left on screen
	WinY    int     `json:"win_y"`
	W       int     `json:"w"` // window size, logical px
	H       int     `json:"h"`
	Anim    string  `json:"anim"`
	Frame   int     `json:"frame"`
	Flip    bool    `json:"flip"`
	XID     uint32  `json:"xid"`
	Visible bool    `json:"visible"`
	Faded   bool    `json:"faded,omitempty"` // translucent, click-through (fullscreen window)
	// OpaqueX/Y is a point of the window (relative) that the robot covers,
	// and ClearX/Y one that is transparent (-1 if none), so tests can click
	// "on" and "beside" the robot without knowing the art.
	OpaqueX int `json:"opaque_x"`
	OpaqueY int `json:"opaque_y"`
	ClearX  int `json:"clear_x"`
	ClearY  int `json:"clear_y"`
}

// State is the whole snapshot.
type State struct {
	PID        int     `json:"pid"`
	Pets       []Pet   `json:"pets"`
	MenuOpen   bool    `json:"menu_open"`
	MenuPetID  int     `json:"menu_pet_id,omitempty"`
	Scale      float64 `json:"scale"`
	Pack       string  `json:"pack"`
	Lang       string  `json:"lang"`
	Composited bool    `json:"composited"`
	TickMS     int     `json:"tick_ms"`
	Hidden     bool    `json:"hidden"`
	Tray       string  `json:"tray"` // "sni", "statusicon" or "none"
	Events     int     `json:"events"`
	Chat       *Chat   `json:"chat,omitempty"`
	// Menu: what the labels of the last menu opened showed.
	Menu *Glyphs `json:"menu,omitempty"`
	// GtkCancel is GTK's own Cancel label as its dialogs show it now.
	GtkCancel string `json:"gtk_cancel"`
	// Translate: the translation bubble (written by petclient/translateui).
	Translate *Translate `json:"translate,omitempty"`
}

// Translate is the translation bubble's part of the snapshot.
type Translate struct {
	Visible bool   `json:"visible"`
	Query   string `json:"query"` // the text being translated
	Drawn   Glyphs `json:"drawn"` // what the bubble's labels show
	X       int    `json:"x"`     // window on screen
	Y       int    `json:"y"`
	W       int    `json:"w"`
	H       int    `json:"h"`
	Shown   int    `json:"shown"` // bubbles shown since start
	// Buttons: where each button is, relative to the window.
	Buttons []Button `json:"buttons,omitempty"`
}

// Button is one button of a bubble.
type Button struct {
	ID string `json:"id"`
	X  int    `json:"x"`
	Y  int    `json:"y"`
	W  int    `json:"w"`
	H  int    `json:"h"`
}

// Glyphs is what a piece of UI text showed on screen.
type Glyphs struct {
	Labels  int    `json:"labels"`
	Unknown int    `json:"unknown"` // glyphs drawn as boxes: no font has them
	Text    string `json:"text"`
}

// Chat is the chat's part of the snapshot (written by petclient/chatui).
type Chat struct {
	Status  string   `json:"status"` // online, connecting, offline, "" = not logged in
	Server  string   `json:"server,omitempty"`
	User    string   `json:"user,omitempty"`
	Hosting bool     `json:"hosting,omitempty"` // the in-process server runs
	Sharing bool     `json:"sharing,omitempty"` // ... and listens on the LAN
	LAN     []string `json:"lan,omitempty"`     // addresses friends connect to while shared
	Unread  int      `json:"unread"`
	// Bubbles: the current (or last) bubble of each pet that spoke.
	Bubbles []Bubble `json:"bubbles,omitempty"`
	// Window: the chat window is shown, and its open conversation.
	WindowOpen bool   `json:"window_open"`
	WindowConv string `json:"window_conv,omitempty"`
	WindowMsgs int    `json:"window_msgs"` // messages loaded for WindowConv
	// Friend requests waiting for an answer, friends, outbox size.
	Incoming  []string `json:"incoming,omitempty"`
	Friends   []string `json:"friends,omitempty"`
	Outbox    int      `json:"outbox"`
	LoginOpen bool     `json:"login_open,omitempty"`
	LoginMsg  string   `json:"login_msg,omitempty"` // the login dialog's message
	Bubbled   int      `json:"bubbled"`             // bubbles shown since start
}

// Bubble is one pet's speech bubble.
type Bubble struct {
	PetID   int    `json:"pet_id"`
	Conv    string `json:"conv"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"`
	Queue   int    `json:"queue"`            // bubbles waiting after this one
	Sticky  bool   `json:"sticky,omitempty"` // stays until clicked (a reminder)
	X       int    `json:"x"`                // window on screen
	Y       int    `json:"y"`
	W       int    `json:"w"`
	H       int    `json:"h"`
	XID     uint32 `json:"xid"`
	// Drawn: the bubble's text as last drawn (nickname, newline, message),
	// and where the message's lines are, relative to the window.
	Drawn Glyphs `json:"drawn"`
	TextX int    `json:"text_x"`
	TextY int    `json:"text_y"`
	TextW int    `json:"text_w"`
	TextH int    `json:"text_h"`
}

// Writer writes only when the snapshot differs from the last one, and
// atomically, so a reader never sees half a file.
type Writer struct {
	path string
	mu   sync.Mutex
	last []byte
}

// New returns a Writer for path, or nil when path is empty; a nil Writer's
// Write does nothing, so callers need no checks.
func New(path string) *Writer {
	if path == "" {
		return nil
	}
	return &Writer{path: path}
}

// Write stores s if it changed. It reports whether it wrote.
func (w *Writer) Write(s State) (bool, error) {
	if w == nil {
		return false, nil
	}
	data, err := json.Marshal(s)
	if err != nil {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if string(data) == string(w.last) {
		return false, nil
	}
	tmp := filepath.Join(filepath.Dir(w.path), "."+filepath.Base(w.path)+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, w.path); err != nil {
		return false, err
	}
	w.last = data
	return true, nil
}

// Read parses a state file (for tests).
func Read(path string) (State, error) {
	var s State
	data, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	err = json.Unmarshal(data, &s)
	return s, err
}
