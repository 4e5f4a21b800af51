package topics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on a chat message.
const (
	MaxPayloadBytes = 16 * 1024 // whole MQTT payload
	MaxTextChars    = 4000      // characters (runes) of text
	MaxCIDLen       = 64        // client message id
)

// Message is a chat message as delivered and stored. The broker stamps ID,
// From, Nick and TS; senders only choose Text (and optionally CID).
type Message struct {
	ID   int64  `json:"id"`            // broker-assigned, increasing; history pages by it
	From string `json:"from"`          // authenticated sender
	Nick string `json:"nick"`          // sender's nickname at send time
	Text string `json:"text"`          //
	TS   int64  `json:"ts"`            // unix milliseconds, broker clock
	CID  string `json:"cid,omitempty"` // sender's own id for the message, echoed back (dedupe, retries)
	Room string `json:"room,omitempty"`
	To   string `json:"to,omitempty"` // DMs: the recipient
}

// MessageID is the id of a stamped Message payload; 0 when payload is not
// one.
func MessageID(payload []byte) int64 {
	var m struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(payload, &m)
	return m.ID
}

// Outgoing is what a sender may say in a chat publish.
type Outgoing struct {
	Text string `json:"text"`
	CID  string `json:"cid,omitempty"`
}

// Payload errors. Each is wrapped with detail; test with errors.Is.
var (
	ErrTooLarge    = errors.New("payload too large")
	ErrInvalidUTF8 = errors.New("payload is not valid UTF-8")
	ErrEmptyText   = errors.New("message text is empty")
	ErrTextTooLong = errors.New("message text too long")
	ErrBadJSON     = errors.New("invalid JSON message")
	ErrBadCID      = errors.New("invalid cid")
	ErrControlChar = errors.New("message text contains a control character")
)

// DecodeOutgoing reads a chat publish. A JSON object with a "text" field is
// taken as such (other fields, e.g. a forged "from", are ignored: the broker
// stamps them); anything else that is valid UTF-8 is plain text, so that
// `mosquitto_pub -m hello` works.
func DecodeOutgoing(payload []byte) (Outgoing, error) {
	if len(payload) > MaxPayloadBytes {
		return Outgoing{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(payload), MaxPayloadBytes)
	}
	if !utf8.Valid(payload) {
		return Outgoing{}, ErrInvalidUTF8
	}
	var out Outgoing
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		// One pass into a struct: a map of raw fields decoded again field
		// by field cost three scans and 17 allocations. Keys match as
		// encoding/json matches them (case-insensitively). The cid stays
		// raw so that "cid": null is refused like any other non-string.
		var obj struct {
			Text *string         `json:"text"`
			CID  json.RawMessage `json:"cid"`
		}
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field == "text" {
				return Outgoing{}, fmt.Errorf("%w: \"text\" must be a string", ErrBadJSON)
			}
			return Outgoing{}, fmt.Errorf("%w: %v", ErrBadJSON, err)
		}
		if obj.Text == nil {
			return Outgoing{}, fmt.Errorf("%w: a JSON message needs a \"text\" field", ErrBadJSON)
		}
		out.Text = *obj.Text
		if obj.CID != nil {
			if bytes.Equal(obj.CID, []byte("null")) || json.Unmarshal(obj.CID, &out.CID) != nil {
				return Outgoing{}, fmt.Errorf("%w: \"cid\" must be a string", ErrBadCID)
			}
			if err := checkCID(out.CID); err != nil {
				return Outgoing{}, err
			}
		}
	} else {
		out.Text = string(payload)
	}
	if strings.TrimSpace(out.Text) == "" {
		return Outgoing{}, ErrEmptyText
	}
	if n := utf8.RuneCountInString(out.Text); n > MaxTextChars {
		return Outgoing{}, fmt.Errorf("%w: %d characters, at most %d", ErrTextTooLong, n, MaxTextChars)
	}
	// Escape sequences would reach other people's terminals (mosquitto_sub)
	// and bubbles; line breaks and tabs are all a chat message needs.
	for _, r := range out.Text {
		if (r < ' ' && r != '\n' && r != '\t' && r != '\r') || (r >= 0x7f && r <= 0x9f) { // C0, DEL, C1
			return Outgoing{}, fmt.Errorf("%w: U+%04X", ErrControlChar, r)
		}
	}
	return out, nil
}

func checkCID(cid string) error {
	if cid == "" || len(cid) > MaxCIDLen {
		return fmt.Errorf("%w: 1 to %d bytes", ErrBadCID, MaxCIDLen)
	}
	for _, r := range cid {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%w: no spaces or control characters", ErrBadCID)
		}
	}
	return nil
}

// Nickname limits.
const MaxNickChars = 32

// CheckNickname returns a readable reason when nick may not be a nickname.
func CheckNickname(nick string) error {
	if !utf8.ValidString(nick) {
		return errors.New("nickname is not valid UTF-8")
	}
	if strings.TrimSpace(nick) == "" {
		return errors.New("nickname is empty")
	}
	if n := utf8.RuneCountInString(nick); n > MaxNickChars {
		return fmt.Errorf("nickname has %d characters, at most %d", n, MaxNickChars)
	}
	for _, r := range nick {
		if r < ' ' || (r >= 0x7f && r <= 0x9f) {
			return errors.New("nickname contains control characters")
		}
		if disguises(r) {
			return fmt.Errorf("nickname contains U+%04X, an invisible direction mark or line separator that could disguise it", r)
		}
	}
	return nil
}

// disguises reports the bidirectional controls and line/paragraph separators
// (Unicode TR9), which reorder or break the text shown around a name.
func disguises(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true // embeddings, overrides, isolates
	}
	switch r {
	case 0x200E, 0x200F, 0x061C, 0x2028, 0x2029:
		return true // LRM, RLM, ALM, LINE and PARAGRAPH SEPARATOR
	}
	return false
}

// Presence is the retained payload on tachikoma/presence/{user}.
type Presence struct {
	Status string `json:"status"` // "online" or "offline"
	TS     int64  `json:"ts"`     // unix ms of the change
	Nick   string `json:"nick,omitempty"`
}

// Presence statuses.
const (
	Online  = "online"
	Offline = "offline"
)

// Event is what the broker publishes on a user's or a room's events topic.
type Event struct {
	Type string `json:"type"` // see Event* constants
	User string `json:"user,omitempty"`
	Nick string `json:"nick,omitempty"`
	Room string `json:"room,omitempty"`
	Text string `json:"text,omitempty"` // notices: a readable explanation
	TS   int64  `json:"ts"`
}

// Event types.
const (
	EventFriendRequest  = "friend.request"  // User asks to be your friend
	EventFriendAccepted = "friend.accepted" // User accepted your request
	EventFriendDeclined = "friend.declined" // User declined your request
	EventFriendRemoved  = "friend.removed"  // User removed you
	EventRoomInvite     = "room.invite"     // User invited you to Room
	EventRoomJoined     = "room.joined"     // you joined or created Room, from this session or another; Text is its title
	EventRoomLeft       = "room.left"       // you left Room, from this session or another
	EventNotice         = "notice"          // the broker refused something you sent; Text says why
	EventJoined         = "joined"          // room events: User joined Room
	EventLeft           = "left"            // room events: User left Room
	EventCreated        = "created"         // room events: User created Room
)
