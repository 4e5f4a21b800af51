package chat

import (
	"sync"
)

// EventType says what an Event is about.
type EventType int

const (
	// EventStatus: the connection status changed (Status, Err).
	EventStatus EventType = iota + 1
	// EventMessage: a chat message to show (Conv, Message, Mention, DM).
	// Own messages come too, once the broker stamped them (Message.Own,
	// Message.CID match what Send returned).
	EventMessage
	// EventSendState: an outgoing message changed state (CID, Conv, SendState, Text).
	EventSendState
	// EventPresence: a friend came online or went offline (User, Nick, Online, LastSeen).
	EventPresence
	// EventFriendRequest: User asks to be your friend.
	EventFriendRequest
	// EventFriendAccepted: User and you are now friends (a dm: conversation exists).
	EventFriendAccepted
	// EventFriendDeclined: User declined your request.
	EventFriendDeclined
	// EventFriendRemoved: User removed you (or you removed them elsewhere).
	EventFriendRemoved
	// EventRoomInvite: User invited you to Room (Text is its title).
	EventRoomInvite
	// EventRoomMembers: someone (User) joined, left or created Room (Text: joined/left/created).
	EventRoomMembers
	// EventConversations: the list of conversations or an unread count changed.
	EventConversations
	// EventNotice: the server refused something you sent; Text says why.
	EventNotice
	// EventToken: a new resume token (Text) to keep for the next start.
	EventToken
)

func (t EventType) String() string {
	names := [...]string{"?", "status", "message", "send-state", "presence", "friend-request", "friend-accepted",
		"friend-declined", "friend-removed", "room-invite", "room-members", "conversations", "notice", "token"}
	if int(t) < len(names) {
		return names[t]
	}
	return "?"
}

// Event is one thing that happened, for the UI. Which fields are set
// depends on Type (see the EventType constants).
type Event struct {
	Type EventType

	Status Status // EventStatus
	Err    error  // EventStatus: why the connection failed or ended (nil when fine)

	Conv    string   // EventMessage, EventSendState, EventConversations (may be empty: many changed)
	Message *Message // EventMessage
	Mention bool     // EventMessage: @username or @nickname of yours in the text
	DM      bool     // EventMessage: a direct message

	CID       string    // EventSendState
	SendState SendState // EventSendState

	User     string // presence, friend and room events
	Nick     string
	Room     string
	Online   bool  // EventPresence
	LastSeen int64 // EventPresence: unix ms
	Text     string
}

// listener delivers events to one callback, in order, from its own
// goroutine: a slow UI never stalls the network side, and nothing is dropped.
type listener struct {
	fn     func(Event)
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	closed bool
	done   chan struct{}
}

func newListener(fn func(Event)) *listener {
	l := &listener{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *listener) push(ev Event) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, ev)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *listener) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *listener) run() {
	defer close(l.done)
	for range l.wake {
		for {
			l.mu.Lock()
			if len(l.queue) == 0 {
				closed := l.closed
				l.mu.Unlock()
				if closed {
					return
				}
				break
			}
			batch := l.queue
			l.queue = nil
			l.mu.Unlock()
			for _, ev := range batch {
				l.fn(ev)
			}
		}
	}
}

// hub fans events out to listeners.
type hub struct {
	mu   sync.Mutex
	next int
	ls   map[int]*listener
}

func (h *hub) add(fn func(Event)) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ls == nil {
		h.ls = map[int]*listener{}
	}
	h.next++
	id := h.next
	h.ls[id] = newListener(fn)
	return func() {
		h.mu.Lock()
		l := h.ls[id]
		delete(h.ls, id)
		h.mu.Unlock()
		if l != nil {
			l.close()
		}
	}
}

func (h *hub) emit(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.ls {
		l.push(ev)
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	ls := h.ls
	h.ls = nil
	h.mu.Unlock()
	for _, l := range ls {
		l.close()
	}
}
