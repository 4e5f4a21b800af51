package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// Call sends a request (docs/PROTOCOL.md, "Requests") and decodes its
// result into result (may be nil). A refusal by the server is returned as
// *topics.Error (Code 400/403/404/409/429/500, Message readable). Offline it
// fails at once with ErrOffline: requests are not queued. Without a deadline
// in ctx, Config.CallTimeout applies.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	cn := c.current()
	if cn == nil {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return &Error{Kind: ErrOffline, Msg: "not connected to the chat server"}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	p, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("%s params: %w", method, err)
	}
	id := c.newID("r")
	req, _ := json.Marshal(topics.Request{ID: id, Method: method, Params: p})
	ch := make(chan topics.Reply, 1)
	c.mu.Lock()
	c.calls[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
	}()
	tok := cn.pc.Publish(topics.Requests(c.cfg.User), 1, false, req)
	select {
	case <-tok.Done():
		if tok.Error() != nil {
			return &Error{Kind: ErrOffline, Msg: method + ": not sent", Err: tok.Error()}
		}
	case <-cn.lost:
		return &Error{Kind: ErrOffline, Msg: method + ": connection lost"}
	case <-ctx.Done():
		return ctxErr(method, ctx)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return r.Error
		}
		if result != nil && len(r.Result) > 0 {
			if err := json.Unmarshal(r.Result, result); err != nil {
				return fmt.Errorf("%s result: %w", method, err)
			}
		}
		return nil
	case <-cn.lost:
		return &Error{Kind: ErrOffline, Msg: method + ": connection lost before the answer"}
	case <-ctx.Done():
		return ctxErr(method, ctx)
	}
}

func ctxErr(method string, ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: ErrTimeout, Msg: method + ": the server did not answer in time"}
	}
	return ctx.Err()
}

// IsCode reports whether err is a server refusal with that code.
func IsCode(err error, code int) bool {
	var e *topics.Error
	return errors.As(err, &e) && e.Code == code
}

// FriendRequest asks user to be your friend. It returns "requested", or
// "friends" when they had already asked you.
func (c *Client) FriendRequest(ctx context.Context, user string) (string, error) {
	var r struct {
		Status string `json:"status"`
	}
	if err := c.Call(ctx, topics.MethodFriendRequest, topics.Params{User: user}, &r); err != nil {
		return "", err
	}
	c.mu.Lock()
	if r.Status == "friends" {
		delete(c.m.incoming, user)
		c.addFriendLocked(topics.Profile{User: user})
	} else {
		c.m.outgoing[user] = Person{User: user}
	}
	c.mu.Unlock()
	c.emit(Event{Type: EventConversations})
	return r.Status, nil
}

// FriendAccept accepts user's request; their DM conversation appears.
func (c *Client) FriendAccept(ctx context.Context, user string) error {
	if err := c.Call(ctx, topics.MethodFriendAccept, topics.Params{User: user}, nil); err != nil {
		return err
	}
	c.mu.Lock()
	nick := c.m.incoming[user].Nick
	delete(c.m.incoming, user)
	c.addFriendLocked(topics.Profile{User: user, Nickname: nick})
	c.mu.Unlock()
	c.saveStateSoon()
	c.emit(Event{Type: EventConversations, Conv: DMConv(user)})
	go c.refreshFriend(user)
	return nil
}

// FriendDecline declines user's request.
func (c *Client) FriendDecline(ctx context.Context, user string) error {
	if err := c.Call(ctx, topics.MethodFriendDecline, topics.Params{User: user}, nil); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.m.incoming, user)
	c.mu.Unlock()
	return nil
}

// FriendRemove ends a friendship (or withdraws your pending request).
func (c *Client) FriendRemove(ctx context.Context, user string) error {
	if err := c.Call(ctx, topics.MethodFriendRemove, topics.Params{User: user}, nil); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.m.outgoing, user)
	c.removeFriendLocked(user)
	c.mu.Unlock()
	c.saveStateSoon()
	c.emit(Event{Type: EventConversations, Conv: DMConv(user)})
	return nil
}

// FriendList asks the server for friends and pending requests (the model
// is refreshed too).
func (c *Client) FriendList(ctx context.Context) (topics.FriendList, error) {
	var fl topics.FriendList
	err := c.Call(ctx, topics.MethodFriendList, struct{}{}, &fl)
	return fl, err
}

// RoomCreate creates a room (public unless public is false) and joins it.
func (c *Client) RoomCreate(ctx context.Context, room, title string, public bool) (topics.RoomInfo, error) {
	var ri topics.RoomInfo
	if err := c.Call(ctx, topics.MethodRoomCreate, topics.Params{Room: room, Title: title, Public: &public}, &ri); err != nil {
		return ri, err
	}
	c.addRoom(room, ri.Title)
	return ri, nil
}

// RoomJoin joins a public room, or a private one you are invited to.
func (c *Client) RoomJoin(ctx context.Context, room string) error {
	if err := c.Call(ctx, topics.MethodRoomJoin, topics.Params{Room: room}, nil); err != nil {
		return err
	}
	c.mu.Lock()
	title := c.m.invites[room].Title
	c.mu.Unlock()
	c.addRoom(room, title)
	return nil
}

func (c *Client) addRoom(room, title string) {
	c.mu.Lock()
	cs := c.m.conv(RoomConv(room))
	if cs != nil && title != "" {
		cs.Title = title
	}
	delete(c.m.invites, room)
	c.stateDirty = true
	c.mu.Unlock()
	c.saveStateSoon()
	c.emit(Event{Type: EventConversations, Conv: RoomConv(room)})
}

// RoomLeave leaves a room (never the lobby).
func (c *Client) RoomLeave(ctx context.Context, room string) error {
	if err := c.Call(ctx, topics.MethodRoomLeave, topics.Params{Room: room}, nil); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.m.convs, RoomConv(room))
	c.stateDirty = true
	c.mu.Unlock()
	c.saveStateSoon()
	c.emit(Event{Type: EventConversations, Conv: RoomConv(room)})
	return nil
}

// RoomInvite invites user into a room you are in.
func (c *Client) RoomInvite(ctx context.Context, room, user string) error {
	return c.Call(ctx, topics.MethodRoomInvite, topics.Params{Room: room, User: user}, nil)
}

// RoomList lists your rooms, invitations and public rooms.
func (c *Client) RoomList(ctx context.Context) ([]topics.RoomInfo, error) {
	var rl topics.RoomList
	err := c.Call(ctx, topics.MethodRoomList, struct{}{}, &rl)
	return rl.Rooms, err
}

// RoomMembers lists a room's members (members only).
func (c *Client) RoomMembers(ctx context.Context, room string) ([]topics.Profile, error) {
	var m topics.Members
	err := c.Call(ctx, topics.MethodRoomMembers, topics.Params{Room: room}, &m)
	return m.Members, err
}

// History returns up to limit messages of conv older than the id before
// (0: the newest), newest first. Page back by passing the smallest id you
// have. The messages count as seen: a later delivery of the same message
// raises no event.
func (c *Client) History(ctx context.Context, conv string, before int64, limit int) ([]Message, error) {
	msgs, err := c.history(ctx, conv, before, limit)
	if err != nil {
		return nil, err
	}
	rev := make([]topics.Message, len(msgs))
	for i, m := range msgs {
		rev[len(msgs)-1-i] = m
	}
	shown := c.ingest(rev, modeHistory)
	out := make([]Message, len(shown))
	for i, m := range shown {
		out[len(shown)-1-i] = m
	}
	return out, nil
}

// Profile returns user's profile ("" for your own).
func (c *Client) Profile(ctx context.Context, user string) (topics.Profile, error) {
	var p topics.Profile
	err := c.Call(ctx, topics.MethodProfileGet, topics.Params{User: user}, &p)
	return p, err
}

// SetNickname changes your nickname.
func (c *Client) SetNickname(ctx context.Context, nick string) (topics.Profile, error) {
	var p topics.Profile
	if err := c.Call(ctx, topics.MethodProfileSet, topics.Params{Nickname: nick}, &p); err != nil {
		return p, err
	}
	c.mu.Lock()
	c.m.me = p
	c.mu.Unlock()
	return p, nil
}

func now() time.Time { return time.Now() }

// RevokeToken asks the broker to end the client's resume token (auth.revoke,
// for a log-out) and forgets it; without a token there is nothing to end.
func (c *Client) RevokeToken(ctx context.Context) error {
	c.mu.Lock()
	tok := c.token
	c.token = ""
	c.mu.Unlock()
	if tok == "" {
		return nil
	}
	return c.Call(ctx, topics.MethodAuthRevoke, topics.Params{Token: tok}, nil)
}
