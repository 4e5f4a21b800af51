// Package topics is Tachikoma's public MQTT protocol: the topic layout, the
// JSON payloads and their validation. The broker and the pet both use it, and
// PROTOCOL.md (docs/) documents it for any other MQTT client.
package topics

import (
	"errors"
	"fmt"
	"strings"
)

// Root is the first level of every Tachikoma topic.
const Root = "tachikoma"

// Lobby is the public room every user belongs to.
const Lobby = "lobby"

// ValidUsername reports whether name may be a username: ^[a-z0-9_]{3,32}$.
// The pattern keeps names safe inside topics: no '/', '+', '#' or upper
// case look-alikes. (A loop, not a regexp: the broker checks names on every
// delivery.)
func ValidUsername(name string) bool { return validName(name, 3, false) }

// ValidRoom reports whether name may be a room name: ^[a-z0-9_-]{1,32}$.
func ValidRoom(name string) bool { return validName(name, 1, true) }

func validName(name string, minLen int, dash bool) bool {
	if len(name) < minLen || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || dash && c == '-') {
			return false
		}
	}
	return true
}

// CheckUsername returns a readable reason when name is not a valid username.
func CheckUsername(name string) error {
	if ValidUsername(name) {
		return nil
	}
	switch {
	case len(name) < 3:
		return fmt.Errorf("username %q is too short: use 3 to 32 characters", name)
	case len(name) > 32:
		return fmt.Errorf("username is too long: use 3 to 32 characters")
	default:
		return fmt.Errorf("username %q may only contain lower-case letters a-z, digits and '_'", name)
	}
}

// CheckRoom returns a readable reason when name is not a valid room name.
func CheckRoom(name string) error {
	if ValidRoom(name) {
		return nil
	}
	if name == "" || len(name) > 32 {
		return fmt.Errorf("room name must have 1 to 32 characters")
	}
	return fmt.Errorf("room name %q may only contain lower-case letters a-z, digits, '_' and '-'", name)
}

// Kind says what a topic is for.
type Kind int

const (
	KindOther      Kind = iota // not a Tachikoma topic (ACL file decides)
	KindRoom                   // tachikoma/rooms/{room}
	KindRoomEvents             // tachikoma/rooms/{room}/events
	KindDM                     // tachikoma/users/{user}/dm/{sender}
	KindRequests               // tachikoma/users/{user}/requests
	KindReplies                // tachikoma/users/{user}/replies
	KindEvents                 // tachikoma/users/{user}/events
	KindPresence               // tachikoma/presence/{user}
)

func (k Kind) String() string {
	return [...]string{"other", "room", "room-events", "dm", "requests", "replies", "events", "presence"}[k]
}

// Topic is a parsed topic name.
type Topic struct {
	Kind   Kind
	Room   string // KindRoom, KindRoomEvents
	User   string // owner: the recipient of a DM, or whose requests/replies/events/presence
	Sender string // KindDM only
}

// ErrMalformed is wrapped by every Parse error for a topic under Root that
// fits no known shape: such topics are reserved and never routed.
var ErrMalformed = errors.New("malformed tachikoma topic")

// Parse classifies a concrete topic name (no wildcards). Topics outside Root
// are KindOther with a nil error; topics under Root must match the layout.
func Parse(topic string) (Topic, error) {
	if topic != Root && !strings.HasPrefix(topic, Root+"/") {
		return Topic{Kind: KindOther}, nil
	}
	parts := strings.Split(topic, "/")
	bad := func(why string) (Topic, error) {
		return Topic{}, fmt.Errorf("%w %q: %s", ErrMalformed, topic, why)
	}
	if len(parts) < 3 {
		return bad("too few levels")
	}
	switch parts[1] {
	case "rooms":
		if !ValidRoom(parts[2]) {
			return bad("invalid room name")
		}
		switch {
		case len(parts) == 3:
			return Topic{Kind: KindRoom, Room: parts[2]}, nil
		case len(parts) == 4 && parts[3] == "events":
			return Topic{Kind: KindRoomEvents, Room: parts[2]}, nil
		}
		return bad("unknown room sub-topic")
	case "users":
		if !ValidUsername(parts[2]) {
			return bad("invalid username")
		}
		user := parts[2]
		if len(parts) == 5 && parts[3] == "dm" {
			if !ValidUsername(parts[4]) {
				return bad("invalid sender username")
			}
			return Topic{Kind: KindDM, User: user, Sender: parts[4]}, nil
		}
		if len(parts) == 4 {
			switch parts[3] {
			case "requests":
				return Topic{Kind: KindRequests, User: user}, nil
			case "replies":
				return Topic{Kind: KindReplies, User: user}, nil
			case "events":
				return Topic{Kind: KindEvents, User: user}, nil
			}
		}
		return bad("unknown user sub-topic")
	case "presence":
		if len(parts) == 3 && ValidUsername(parts[2]) {
			return Topic{Kind: KindPresence, User: parts[2]}, nil
		}
		return bad("presence topics are tachikoma/presence/{user}")
	}
	return bad("unknown section " + parts[1])
}

// String renders t back to its topic name.
func (t Topic) String() string {
	switch t.Kind {
	case KindRoom:
		return Room(t.Room)
	case KindRoomEvents:
		return RoomEvents(t.Room)
	case KindDM:
		return DM(t.User, t.Sender)
	case KindRequests:
		return Requests(t.User)
	case KindReplies:
		return Replies(t.User)
	case KindEvents:
		return Events(t.User)
	case KindPresence:
		return PresenceTopic(t.User)
	}
	return ""
}

// Room is where members of room chat.
func Room(room string) string { return Root + "/rooms/" + room }

// RoomEvents carries the broker's joined/left/created events for room.
func RoomEvents(room string) string { return Root + "/rooms/" + room + "/events" }

// DM is the topic on which sender writes to user.
func DM(user, sender string) string { return Root + "/users/" + user + "/dm/" + sender }

// DMInbox is the filter with which user receives every DM.
func DMInbox(user string) string { return Root + "/users/" + user + "/dm/+" }

// Requests is where user sends requests to the broker.
func Requests(user string) string { return Root + "/users/" + user + "/requests" }

// Replies is where the broker answers user's requests.
func Replies(user string) string { return Root + "/users/" + user + "/replies" }

// Events is where the broker tells user about friend requests, invites and notices.
func Events(user string) string { return Root + "/users/" + user + "/events" }

// PresenceTopic is user's retained online/offline state.
func PresenceTopic(user string) string { return Root + "/presence/" + user }

// AllPresence is the filter for every presence topic (only friends' are delivered).
const AllPresence = Root + "/presence/+"

// AllRooms is the filter for every room's chat (only rooms one is a member of are delivered).
const AllRooms = Root + "/rooms/+"

// AllRoomEvents is the filter for every room's events.
const AllRoomEvents = Root + "/rooms/+/events"

// PetFilters is what the Tachikoma pet subscribes to as user: everything
// under Root. The broker delivers only what the user may read (their rooms
// and those rooms' events, their DMs, replies and events, their friends'
// presence), and it finds those readers from its own records rather than
// from the filters, so one filter costs a broker the least: each distinct
// filter is a branch of its subscription tree and an entry per subscriber.
func PetFilters(user string) []string {
	return []string{All}
}

// All is the filter for every Tachikoma topic.
const All = Root + "/#"

// HasWildcard reports whether filter contains MQTT wildcards.
func HasWildcard(filter string) bool { return strings.ContainsAny(filter, "+#") }

// Matches reports whether the concrete topic matches the MQTT topic filter
// (shared subscriptions, $share/..., not included): '+' is one level, a
// final '#' is any number of levels including none, and a filter that
// starts with a wildcard does not match a topic starting with '$'.
func Matches(filter, topic string) bool {
	if topic == "" || filter == "" {
		return false
	}
	if topic[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false // [MQTT-4.7.2-1]
	}
	for {
		level, rest, more := strings.Cut(filter, "/")
		switch level {
		case "#":
			return !more
		case "+":
		default:
			if strings.ContainsAny(level, "+#") {
				return false // not a valid filter
			}
		}
		tlevel, trest, tmore := strings.Cut(topic, "/")
		if level != "+" && level != tlevel {
			return false
		}
		switch {
		case !more && !tmore:
			return true
		case !more:
			return false
		case !tmore:
			// "a/#" also matches "a" [MQTT-4.7.1-2]
			return rest == "#"
		}
		filter, topic = rest, trest
	}
}
