package chat

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// Status is the connection state shown by the UI.
type Status int

const (
	StatusOffline Status = iota
	StatusConnecting
	StatusOnline
)

func (s Status) String() string {
	switch s {
	case StatusConnecting:
		return "connecting"
	case StatusOnline:
		return "online"
	}
	return "offline"
}

// Message is a chat message as the UI shows it.
type Message struct {
	topics.Message
	Conv string // room:NAME or dm:PEER
	Own  bool   // sent by this account (from this or another device)
}

// ConvKind tells rooms from direct conversations.
type ConvKind int

const (
	ConvRoom ConvKind = iota
	ConvDM
)

// RoomConv and DMConv build conversation ids.
func RoomConv(room string) string { return "room:" + room }
func DMConv(peer string) string   { return "dm:" + peer }

// ParseConv splits a conversation id.
func ParseConv(id string) (ConvKind, string, error) {
	switch {
	case strings.HasPrefix(id, "room:") && topics.ValidRoom(id[5:]):
		return ConvRoom, id[5:], nil
	case strings.HasPrefix(id, "dm:") && topics.ValidUsername(id[3:]):
		return ConvDM, id[3:], nil
	}
	return 0, "", fmt.Errorf("%q is not a conversation (want room:NAME or dm:USER)", id)
}

// Conversation is a room you are in or a friend's DMs.
type Conversation struct {
	ID     string
	Kind   ConvKind
	Name   string // room name or the friend's user name
	Title  string // room title or the friend's nickname
	Unread int    // messages from others since MarkRead
	Last   *Message
}

// Friend is a friend with their presence.
type Friend struct {
	User     string
	Nick     string
	Online   bool
	LastSeen int64 // unix ms, 0 unknown
}

// Person is someone in a pending friend request.
type Person struct {
	User string
	Nick string
}

// Invite is a room invitation waiting for an answer (RoomJoin accepts it).
type Invite struct {
	Room  string
	Title string
	From  string
}

// convState is a conversation with its bookkeeping.
type convState struct {
	Conversation
	LastSeen int64 // highest message id received: catch-up after a lost session starts above it
	LastRead int64 // highest id the user has seen (MarkRead)
	// Followed: we were subscribed and caught up, so a gap after a lost
	// session is news to fetch; unfollowed conversations are new to us.
	Followed bool
}

// model is everything the UI reads; guarded by Client.mu.
type model struct {
	me       topics.Profile
	convs    map[string]*convState
	friends  map[string]*Friend
	presence map[string]topics.Presence // last presence of anyone (a friend may be confirmed later)
	incoming map[string]Person
	outgoing map[string]Person
	invites  map[string]Invite
	seen     *idSet
	seenEv   *keySet // user and room events (no ids): a redelivered one is not news
	// following: connected and caught up, so conversations that appear now
	// are followed from their start.
	following bool
}

func newModel() model {
	return model{convs: map[string]*convState{}, friends: map[string]*Friend{}, presence: map[string]topics.Presence{},
		incoming: map[string]Person{}, outgoing: map[string]Person{}, invites: map[string]Invite{}, seen: newIDSet(16384),
		seenEv: newKeySet(1024)}
}

// conv returns conversation id, creating it (nil for a malformed id).
func (m *model) conv(id string) *convState {
	cs := m.convs[id]
	if cs == nil {
		kind, name, err := ParseConv(id)
		if err != nil {
			return nil
		}
		cs = &convState{Conversation: Conversation{ID: id, Kind: kind, Name: name, Title: name}, Followed: m.following}
		if f := m.friends[name]; kind == ConvDM && f != nil && f.Nick != "" {
			cs.Title = f.Nick
		}
		m.convs[id] = cs
	}
	return cs
}

func (cs *convState) snapshot() Conversation {
	c := cs.Conversation
	if c.Last != nil {
		m := *c.Last
		c.Last = &m
	}
	return c
}

// idSet remembers the last n message ids, for dedupe without growth.
type idSet struct {
	m    map[int64]struct{}
	ring []int64
	next int
}

func newIDSet(n int) *idSet { return &idSet{m: make(map[int64]struct{}, n), ring: make([]int64, n)} }

// add reports whether id is new.
func (s *idSet) add(id int64) bool {
	if _, ok := s.m[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != 0 {
		delete(s.m, old)
	}
	s.ring[s.next] = id
	s.m[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
	return true
}

// keySet is idSet for string keys.
type keySet struct {
	m    map[string]struct{}
	ring []string
	next int
}

func newKeySet(n int) *keySet {
	return &keySet{m: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add reports whether k is new.
func (s *keySet) add(k string) bool {
	if _, ok := s.m[k]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.m, old)
	}
	s.ring[s.next] = k
	s.m[k] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
	return true
}

func eventKey(scope string, ev topics.Event) string {
	return fmt.Sprintf("%s|%s|%s|%s|%d|%s", scope, ev.Type, ev.User, ev.Room, ev.TS, ev.Text)
}

// Snapshots for the UI. Each returns a copy, safe to keep.

// Status returns the connection status and, when offline, why.
func (c *Client) Status() (Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.statusErr
}

// Me is your own profile (nickname known once online).
func (c *Client) Me() topics.Profile {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m.me
}

// Conversations lists rooms and DMs, most recent activity first.
func (c *Client) Conversations() []Conversation {
	c.mu.Lock()
	out := make([]Conversation, 0, len(c.m.convs))
	for _, cs := range c.m.convs {
		out = append(out, cs.snapshot())
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Conversation) int {
		var ta, tb int64
		if a.Last != nil {
			ta = a.Last.ID
		}
		if b.Last != nil {
			tb = b.Last.ID
		}
		if ta != tb {
			return cmp.Compare(tb, ta)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Conversation returns one conversation.
func (c *Client) Conversation(id string) (Conversation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ok := c.m.convs[id]
	if !ok {
		return Conversation{}, false
	}
	return cs.snapshot(), true
}

// UnreadTotal sums unread counts (for a badge on the pet).
func (c *Client) UnreadTotal() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, cs := range c.m.convs {
		n += cs.Unread
	}
	return n
}

// Friends lists friends by user name.
func (c *Client) Friends() []Friend {
	c.mu.Lock()
	out := make([]Friend, 0, len(c.m.friends))
	for _, f := range c.m.friends {
		out = append(out, *f)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Friend) int { return strings.Compare(a.User, b.User) })
	return out
}

// FriendRequests lists requests waiting for your answer (incoming) and yours
// waiting for theirs (outgoing).
func (c *Client) FriendRequests() (incoming, outgoing []Person) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.m.incoming {
		incoming = append(incoming, p)
	}
	for _, p := range c.m.outgoing {
		outgoing = append(outgoing, p)
	}
	byUser := func(a, b Person) int { return strings.Compare(a.User, b.User) }
	slices.SortFunc(incoming, byUser)
	slices.SortFunc(outgoing, byUser)
	return incoming, outgoing
}

// Invites lists room invitations.
func (c *Client) Invites() []Invite {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Invite, 0, len(c.m.invites))
	for _, i := range c.m.invites {
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b Invite) int { return strings.Compare(a.Room, b.Room) })
	return out
}

// MarkRead clears a conversation's unread count (the user looked at it).
func (c *Client) MarkRead(conv string) {
	c.mu.Lock()
	cs, ok := c.m.convs[conv]
	changed := ok && cs.Unread > 0
	if ok {
		cs.Unread = 0
		cs.LastRead = max(cs.LastRead, cs.LastSeen)
	}
	c.mu.Unlock()
	if changed {
		c.saveStateSoon()
		c.emit(Event{Type: EventConversations, Conv: conv})
	}
}
