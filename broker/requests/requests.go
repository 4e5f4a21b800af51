// Package requests answers the calls users publish on
// tachikoma/users/{user}/requests: friends, rooms, history and profiles.
// It knows nothing of MQTT beyond a Publisher for events.
package requests

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/directory"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// Publisher sends broker-originated messages (mochi's Server.Publish fits).
type Publisher interface {
	Publish(topic string, payload []byte, retain bool, qos byte) error
}

// Presence tells whether a user is connected, tells two new friends each
// other's presence, and carries a new nickname to friends.
type Presence interface {
	Online(user string) bool
	Befriended(a, b string)
	Renamed(user string)
}

// Tokens issues resume tokens (see the broker's auth fast path).
type Tokens interface {
	IssueToken(user string) (string, time.Time, error)
	// RevokeToken ends one of user's tokens; a *topics.Error for a token
	// that is not one.
	RevokeToken(user, tok string) error
}

// Handler answers requests.
type Handler struct {
	Dir      *directory.Directory
	Pub      Publisher
	Presence Presence
	Tokens   Tokens
	Log      *slog.Logger
	Now      func() time.Time
}

// Handle decodes payload as a request from user and returns the reply to
// publish on user's replies topic. A payload that is not a request at all
// still gets a reply (with an empty id) so that the sender learns why.
func (h *Handler) Handle(ctx context.Context, user string, payload []byte) topics.Reply {
	var req topics.Request
	if len(payload) > topics.MaxRequestBytes {
		return topics.Reply{Error: topics.Errorf(topics.CodeBadRequest, "request too large: at most %d bytes", topics.MaxRequestBytes)}
	}
	if err := json.Unmarshal(payload, &req); err != nil {
		return topics.Reply{Error: topics.Errorf(topics.CodeBadRequest, "request is not JSON {id, method, params}: %v", err)}
	}
	var p topics.Params
	if len(req.Params) > 0 && string(req.Params) != "null" {
		if err := json.Unmarshal(req.Params, &p); err != nil {
			return topics.Reply{ID: req.ID, Error: topics.Errorf(topics.CodeBadRequest, "params: %v", err)}
		}
	}
	res, rerr := h.call(ctx, user, req.Method, p)
	if rerr != nil {
		return topics.Reply{ID: req.ID, Error: rerr}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return topics.Reply{ID: req.ID, Error: topics.Errorf(topics.CodeInternal, "encode result: %v", err)}
	}
	return topics.Reply{ID: req.ID, Result: b}
}

// PeekID returns a request's id without handling it (for refusals); none
// for a payload larger than a request may be, as Handle answers it.
func PeekID(payload []byte) string {
	if len(payload) > topics.MaxRequestBytes {
		return ""
	}
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(payload, &r)
	return r.ID
}

type ok struct {
	OK bool `json:"ok"`
}

func (h *Handler) call(ctx context.Context, user, method string, p topics.Params) (any, *topics.Error) {
	switch method {
	case topics.MethodFriendRequest:
		return h.friendRequest(ctx, user, p.User)
	case topics.MethodFriendAccept:
		return h.friendAccept(ctx, user, p.User)
	case topics.MethodFriendDecline:
		return h.friendDecline(ctx, user, p.User)
	case topics.MethodFriendRemove:
		return h.friendRemove(ctx, user, p.User)
	case topics.MethodFriendList:
		return h.friendList(user), nil
	case topics.MethodRoomCreate:
		return h.roomCreate(ctx, user, p)
	case topics.MethodRoomJoin:
		return h.roomJoin(ctx, user, p.Room)
	case topics.MethodRoomLeave:
		return h.roomLeave(ctx, user, p.Room)
	case topics.MethodRoomInvite:
		return h.roomInvite(ctx, user, p.Room, p.User)
	case topics.MethodRoomList:
		return h.roomList(user), nil
	case topics.MethodRoomMembers:
		return h.roomMembers(user, p.Room)
	case topics.MethodHistory:
		return h.history(ctx, user, p)
	case topics.MethodProfileGet:
		return h.profileGet(user, p.User)
	case topics.MethodProfileSet:
		return h.profileSet(ctx, user, p.Nickname)
	case topics.MethodAuthToken:
		tok, exp, err := h.Tokens.IssueToken(user)
		if err != nil {
			return nil, internal(err)
		}
		return topics.Token{Token: tok, Expires: exp.UnixMilli()}, nil
	case topics.MethodAuthRevoke:
		if err := h.Tokens.RevokeToken(user, p.Token); err != nil {
			if te := (*topics.Error)(nil); errors.As(err, &te) {
				return nil, te
			}
			return nil, internal(err)
		}
		return ok{true}, nil
	case "":
		return nil, topics.Errorf(topics.CodeBadRequest, "request has no method")
	}
	return nil, topics.Errorf(topics.CodeNotFound, "unknown method %q", method)
}

func (h *Handler) now() int64 {
	if h.Now != nil {
		return h.Now().UnixMilli()
	}
	return time.Now().UnixMilli()
}

// internal hides a server fault's details (SQL, paths) from the client;
// the log keeps them.
func internal(err error) *topics.Error {
	slog.Error("request failed", "error", err)
	return topics.Errorf(topics.CodeInternal, "the server could not do that; try again later")
}

// event publishes a user event (QoS 1 so that persistent sessions queue it).
func (h *Handler) event(to string, ev topics.Event) {
	ev.TS = h.now()
	b, _ := json.Marshal(ev)
	if err := h.Pub.Publish(topics.Events(to), b, false, 1); err != nil && h.Log != nil {
		h.Log.Warn("publish event", "to", to, "type", ev.Type, "error", err)
	}
}

func (h *Handler) roomEvent(room string, ev topics.Event) {
	ev.TS = h.now()
	ev.Room = room
	b, _ := json.Marshal(ev)
	if err := h.Pub.Publish(topics.RoomEvents(room), b, false, 1); err != nil && h.Log != nil {
		h.Log.Warn("publish room event", "room", room, "type", ev.Type, "error", err)
	}
}

func (h *Handler) otherUser(self, other string) *topics.Error {
	if other == "" {
		return topics.Errorf(topics.CodeBadRequest, "params.user is required")
	}
	if other == self {
		return topics.Errorf(topics.CodeBadRequest, "that is you")
	}
	if _, ok := h.Dir.User(other); !ok {
		return topics.Errorf(topics.CodeNotFound, "no user %q", other)
	}
	return nil
}

func (h *Handler) friendRequest(ctx context.Context, user, other string) (any, *topics.Error) {
	if e := h.otherUser(user, other); e != nil {
		return nil, e
	}
	asked, err := h.Dir.RequestFriend(ctx, user, other)
	if err != nil {
		return nil, internal(err)
	}
	switch asked {
	case store.AlreadyFriends:
		return nil, topics.Errorf(topics.CodeConflict, "%s is already your friend", other)
	case store.Befriended: // they asked first: asking back is accepting
		h.befriended(user, other)
		return map[string]string{"status": "friends"}, nil
	case store.Requested: // asking again sends no second event, so it cannot spam them
		h.event(other, topics.Event{Type: topics.EventFriendRequest, User: user, Nick: h.Dir.Nickname(user)})
	}
	return map[string]string{"status": "requested"}, nil
}

func (h *Handler) friendAccept(ctx context.Context, user, other string) (any, *topics.Error) {
	if e := h.otherUser(user, other); e != nil {
		return nil, e
	}
	if !h.Dir.HasRequest(other, user) {
		return nil, topics.Errorf(topics.CodeNotFound, "no friend request from %s", other)
	}
	if err := h.Dir.MakeFriends(ctx, user, other); err != nil {
		return nil, internal(err)
	}
	h.befriended(user, other)
	return map[string]string{"status": "friends"}, nil
}

// befriended tells both users of their new friendship, and each the
// other's presence.
func (h *Handler) befriended(user, other string) {
	h.event(other, topics.Event{Type: topics.EventFriendAccepted, User: user, Nick: h.Dir.Nickname(user)})
	h.event(user, topics.Event{Type: topics.EventFriendAccepted, User: other, Nick: h.Dir.Nickname(other)})
	if h.Presence != nil {
		h.Presence.Befriended(user, other)
	}
}

func (h *Handler) friendDecline(ctx context.Context, user, other string) (any, *topics.Error) {
	if e := h.otherUser(user, other); e != nil {
		return nil, e
	}
	if !h.Dir.HasRequest(other, user) {
		return nil, topics.Errorf(topics.CodeNotFound, "no friend request from %s", other)
	}
	if err := h.Dir.DropFriendRequest(ctx, other, user); err != nil {
		return nil, internal(err)
	}
	h.event(other, topics.Event{Type: topics.EventFriendDeclined, User: user, Nick: h.Dir.Nickname(user)})
	return ok{true}, nil
}

func (h *Handler) friendRemove(ctx context.Context, user, other string) (any, *topics.Error) {
	if e := h.otherUser(user, other); e != nil {
		return nil, e
	}
	switch {
	case h.Dir.AreFriends(user, other):
		if err := h.Dir.Unfriend(ctx, user, other); err != nil {
			return nil, internal(err)
		}
		h.event(other, topics.Event{Type: topics.EventFriendRemoved, User: user, Nick: h.Dir.Nickname(user)})
	case h.Dir.HasRequest(user, other): // withdraw one's own request
		if err := h.Dir.DropFriendRequest(ctx, user, other); err != nil {
			return nil, internal(err)
		}
	default:
		return nil, topics.Errorf(topics.CodeNotFound, "%s is not your friend", other)
	}
	return ok{true}, nil
}

func (h *Handler) profile(name string, withStatus bool) topics.Profile {
	u, _ := h.Dir.User(name)
	p := topics.Profile{User: name, Nickname: u.Nickname}
	if withStatus {
		p.Status = topics.Offline
		if h.Presence != nil && h.Presence.Online(name) {
			p.Status = topics.Online
		}
		p.LastSeen = u.LastSeen
	}
	return p
}

func (h *Handler) profiles(names []string, withStatus bool) []topics.Profile {
	out := make([]topics.Profile, 0, len(names))
	for _, n := range names {
		out = append(out, h.profile(n, withStatus))
	}
	return out
}

func (h *Handler) friendList(user string) topics.FriendList {
	in, out := h.Dir.Requests(user)
	return topics.FriendList{
		Friends:  h.profiles(h.Dir.Friends(user), true),
		Incoming: h.profiles(in, false),
		Outgoing: h.profiles(out, false),
	}
}

func (h *Handler) roomCreate(ctx context.Context, user string, p topics.Params) (any, *topics.Error) {
	if err := topics.CheckRoom(p.Room); err != nil {
		return nil, topics.Errorf(topics.CodeBadRequest, "%v", err)
	}
	title := strings.TrimSpace(p.Title)
	if title == "" {
		title = p.Room
	}
	if err := topics.CheckNickname(title); err != nil { // same rules as nicknames
		return nil, topics.Errorf(topics.CodeBadRequest, "title: %s", strings.TrimPrefix(err.Error(), "nickname "))
	}
	public := true
	if p.Public != nil {
		public = *p.Public
	}
	err := h.Dir.CreateRoom(ctx, directory.Room{Name: p.Room, Title: title, Public: public, Owner: user})
	if errors.Is(err, store.ErrExists) {
		return nil, topics.Errorf(topics.CodeConflict, "room %s already exists", p.Room)
	}
	if err != nil {
		return nil, internal(err)
	}
	h.roomEvent(p.Room, topics.Event{Type: topics.EventCreated, User: user, Nick: h.Dir.Nickname(user)})
	h.event(user, topics.Event{Type: topics.EventRoomJoined, Room: p.Room, Text: title})
	return topics.RoomInfo{Room: p.Room, Title: title, Public: public, Owner: user, Member: true, Members: 1}, nil
}

func (h *Handler) existingRoom(name string) (directory.Room, *topics.Error) {
	if err := topics.CheckRoom(name); err != nil {
		return directory.Room{}, topics.Errorf(topics.CodeBadRequest, "%v", err)
	}
	r, ok := h.Dir.Room(name)
	if !ok {
		return r, topics.Errorf(topics.CodeNotFound, "no room %q", name)
	}
	return r, nil
}

func (h *Handler) roomJoin(ctx context.Context, user, name string) (any, *topics.Error) {
	r, e := h.existingRoom(name)
	if e != nil {
		return nil, e
	}
	if h.Dir.IsMember(name, user) {
		return ok{true}, nil
	}
	if !r.Public && !h.Dir.IsInvited(name, user) {
		return nil, topics.Errorf(topics.CodeForbidden, "room %s is private: ask a member for an invite", name)
	}
	if err := h.Dir.Join(ctx, name, user); err != nil {
		return nil, internal(err)
	}
	h.roomEvent(name, topics.Event{Type: topics.EventJoined, User: user, Nick: h.Dir.Nickname(user)})
	// The room's own event has no title and reaches only sessions that
	// subscribed to it: the joiner's other sessions learn it here.
	h.event(user, topics.Event{Type: topics.EventRoomJoined, Room: name, Text: r.Title})
	return ok{true}, nil
}

func (h *Handler) roomLeave(ctx context.Context, user, name string) (any, *topics.Error) {
	if _, e := h.existingRoom(name); e != nil {
		return nil, e
	}
	if name == topics.Lobby {
		return nil, topics.Errorf(topics.CodeForbidden, "everyone stays in the lobby")
	}
	if !h.Dir.IsMember(name, user) {
		return nil, topics.Errorf(topics.CodeNotFound, "you are not in room %s", name)
	}
	if err := h.Dir.Leave(ctx, name, user); err != nil {
		return nil, internal(err)
	}
	h.roomEvent(name, topics.Event{Type: topics.EventLeft, User: user, Nick: h.Dir.Nickname(user)})
	// The room's events no longer reach the leaver: their other sessions
	// learn it here.
	h.event(user, topics.Event{Type: topics.EventRoomLeft, Room: name})
	return ok{true}, nil
}

func (h *Handler) roomInvite(ctx context.Context, user, name, other string) (any, *topics.Error) {
	r, e := h.existingRoom(name)
	if e != nil {
		return nil, e
	}
	if e := h.otherUser(user, other); e != nil {
		return nil, e
	}
	if !h.Dir.IsMember(name, user) {
		return nil, topics.Errorf(topics.CodeForbidden, "only members of %s can invite", name)
	}
	if h.Dir.IsMember(name, other) {
		return nil, topics.Errorf(topics.CodeConflict, "%s is already in %s", other, name)
	}
	if err := h.Dir.Invite(ctx, name, other, user); err != nil {
		return nil, internal(err)
	}
	h.event(other, topics.Event{Type: topics.EventRoomInvite, User: user, Nick: h.Dir.Nickname(user), Room: name, Text: r.Title})
	return ok{true}, nil
}

func (h *Handler) roomList(user string) topics.RoomList {
	var out topics.RoomList
	out.Rooms = []topics.RoomInfo{}
	for _, r := range h.Dir.Rooms() {
		member := h.Dir.IsMember(r.Name, user)
		invited := !member && h.Dir.IsInvited(r.Name, user)
		if !member && !invited && !r.Public {
			continue
		}
		out.Rooms = append(out.Rooms, topics.RoomInfo{Room: r.Name, Title: r.Title, Public: r.Public, Owner: r.Owner,
			Member: member, Invited: invited, Members: h.Dir.MemberCount(r.Name)})
	}
	return out
}

func (h *Handler) roomMembers(user, name string) (any, *topics.Error) {
	if _, e := h.existingRoom(name); e != nil {
		return nil, e
	}
	if !h.Dir.IsMember(name, user) {
		return nil, topics.Errorf(topics.CodeForbidden, "you are not in room %s", name)
	}
	return topics.Members{Room: name, Members: h.profiles(h.Dir.Members(name), false)}, nil
}

func (h *Handler) history(ctx context.Context, user string, p topics.Params) (any, *topics.Error) {
	limit := p.Limit
	switch {
	case limit == 0:
		limit = topics.HistoryDefaultLimit
	case limit < 0 || limit > topics.HistoryMaxLimit:
		return nil, topics.Errorf(topics.CodeBadRequest, "limit must be 1 to %d", topics.HistoryMaxLimit)
	}
	if p.Before < 0 {
		return nil, topics.Errorf(topics.CodeBadRequest, "before must be a message id")
	}
	var conv string
	me, _ := h.Dir.User(user)
	since := me.SinceID // DMs: only since both accounts exist
	switch {
	case p.Room != "" && p.Peer != "":
		return nil, topics.Errorf(topics.CodeBadRequest, "give room or peer, not both")
	case p.Room != "":
		if _, e := h.existingRoom(p.Room); e != nil {
			return nil, e
		}
		if !h.Dir.IsMember(p.Room, user) {
			return nil, topics.Errorf(topics.CodeForbidden, "you are not in room %s", p.Room)
		}
		conv = store.RoomConv(p.Room)
		r, _ := h.Dir.Room(p.Room)
		since = r.SinceID // the whole life of this room, not of an older one of that name
	case p.Peer != "":
		// Past conversations stay readable after an unfriending: they are yours.
		if !topics.ValidUsername(p.Peer) {
			return nil, topics.Errorf(topics.CodeBadRequest, "invalid peer %q", p.Peer)
		}
		conv = store.DMConv(user, p.Peer)
		if peer, ok := h.Dir.User(p.Peer); ok {
			since = max(since, peer.SinceID)
		}
	default:
		return nil, topics.Errorf(topics.CodeBadRequest, "history needs params.room or params.peer")
	}
	msgs, err := h.Dir.Store().HistorySince(ctx, conv, p.Before, since, limit)
	if err != nil {
		return nil, internal(err)
	}
	out := topics.History{Messages: make([]topics.Message, 0, len(msgs))}
	for _, m := range msgs {
		out.Messages = append(out.Messages, FromStored(m))
	}
	return out, nil
}

// FromStored turns a stored message into its wire form.
func FromStored(m store.Message) topics.Message {
	tm := topics.Message{ID: m.ID, From: m.Sender, Nick: m.Nick, Text: m.Text, TS: m.TS, CID: m.CID}
	if a, b, isDM := store.ConvPeers(m.Conv); isDM {
		tm.To = a
		if a == m.Sender {
			tm.To = b
		}
	} else {
		tm.Room = strings.TrimPrefix(m.Conv, "r/")
	}
	return tm
}

func (h *Handler) profileGet(user, other string) (any, *topics.Error) {
	if other == "" {
		other = user
	}
	if _, ok := h.Dir.User(other); !ok {
		return nil, topics.Errorf(topics.CodeNotFound, "no user %q", other)
	}
	return h.profile(other, other == user || h.Dir.AreFriends(user, other)), nil
}

func (h *Handler) profileSet(ctx context.Context, user, nick string) (any, *topics.Error) {
	nick = strings.TrimSpace(nick)
	if err := topics.CheckNickname(nick); err != nil {
		return nil, topics.Errorf(topics.CodeBadRequest, "%v", err)
	}
	if err := h.Dir.SetNickname(ctx, user, nick); err != nil {
		return nil, internal(err)
	}
	h.Presence.Renamed(user)
	return h.profile(user, true), nil
}
