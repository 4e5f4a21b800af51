package chat

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// onMessage is paho's handler: replies go straight to their caller, the
// rest is queued for processInbound. Neither blocks.
func (c *Client) onMessage(topic string, payload []byte) {
	if topic == topics.Replies(c.cfg.User) {
		var r topics.Reply
		if err := json.Unmarshal(payload, &r); err != nil {
			c.log.Warn("unreadable reply", "error", err)
			return
		}
		c.mu.Lock()
		ch := c.calls[r.ID]
		delete(c.calls, r.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- r // buffered 1, and each id is answered once
		}
		return
	}
	c.inq.push(inbound{topic: topic, payload: slices.Clone(payload)})
}

func (c *Client) processInbound() {
	defer c.wg.Done()
	for {
		select {
		case <-c.inq.wake:
		case <-c.closing:
			return
		}
		for _, in := range c.inq.take() {
			c.handle(in.topic, in.payload)
		}
	}
}

func (c *Client) handle(topic string, payload []byte) {
	t, err := topics.Parse(topic)
	if err != nil {
		return
	}
	switch t.Kind {
	case topics.KindRoom, topics.KindDM:
		var m topics.Message
		if err := json.Unmarshal(payload, &m); err != nil {
			c.log.Warn("unreadable chat message", "topic", topic, "error", err)
			return
		}
		if t.Kind == topics.KindRoom {
			m.Room = t.Room
		} else if m.From == c.cfg.User && t.User == c.cfg.User {
			// The broker's copy of a DM this account sent, from here or
			// another device: ours, in the conversation with t.Sender.
			m.To = t.Sender
		} else {
			m.To, m.From = t.User, t.Sender // the topic is authoritative
		}
		c.ingest([]topics.Message{m}, modeLive)
	case topics.KindEvents:
		var ev topics.Event
		if err := json.Unmarshal(payload, &ev); err == nil {
			c.onUserEvent(ev)
		}
	case topics.KindRoomEvents:
		var ev topics.Event
		if err := json.Unmarshal(payload, &ev); err == nil {
			ev.Room = t.Room
			c.onRoomEvent(ev)
		}
	case topics.KindPresence:
		var p topics.Presence
		if err := json.Unmarshal(payload, &p); err == nil {
			c.onPresence(t.User, p)
		}
	}
}

type ingestMode int

const (
	modeLive    ingestMode = iota // delivered now, or missed while away: show it
	modeHistory                   // old messages fetched for the UI or the preview: remember, do not announce
)

// convOf says which conversation m belongs to.
func (c *Client) convOf(m topics.Message) string {
	if m.Room != "" {
		return RoomConv(m.Room)
	}
	if m.From == c.cfg.User {
		return DMConv(m.To)
	}
	return DMConv(m.From)
}

// ingest records messages (oldest first), dropping any already seen, and
// announces new ones. It returns them as the UI sees them.
func (c *Client) ingest(msgs []topics.Message, mode ingestMode) []Message {
	var (
		out    []Message
		events []Event
		convs  = map[string]bool{}
		me     = c.cfg.User
	)
	c.mu.Lock()
	nick := c.m.me.Nickname
	for _, tm := range msgs {
		m := Message{Message: tm, Conv: c.convOf(tm), Own: tm.From == me}
		out = append(out, m)
		queued := false // one of ours from the outbox: the UI waits for its stamped copy
		if m.Own && m.CID != "" {
			var confirmed []Event
			confirmed, queued = c.confirmLocked(m)
			events = append(events, confirmed...)
		}
		// Ids are unique server-wide: one seen before (redelivery after a
		// reconnect, a history page overlapping live delivery) is not news.
		if tm.ID != 0 && !c.m.seen.add(tm.ID) {
			continue
		}
		cs := c.m.conv(m.Conv)
		if cs == nil {
			continue
		}
		if cs.Last == nil || tm.ID > cs.Last.ID {
			last := m
			cs.Last = &last
			convs[m.Conv] = true
		}
		cs.LastSeen = max(cs.LastSeen, tm.ID)
		if mode == modeHistory && !queued {
			cs.LastRead = max(cs.LastRead, tm.ID)
			continue
		}
		if m.Own {
			// Answering means having read the conversation.
			cs.LastRead, cs.Unread = max(cs.LastRead, tm.ID), 0
		} else if tm.ID > cs.LastRead {
			cs.Unread++
		}
		convs[m.Conv] = true
		dm := cs.Kind == ConvDM
		events = append(events, Event{Type: EventMessage, Conv: m.Conv, Message: &m, DM: dm,
			Mention: !m.Own && IsMention(tm.Text, me, nick), User: tm.From, Nick: tm.Nick, Text: tm.Text})
	}
	if len(convs) > 0 {
		c.stateDirty = true
	}
	c.mu.Unlock()
	for _, ev := range events {
		c.emit(ev)
	}
	for id := range convs {
		c.emit(Event{Type: EventConversations, Conv: id})
	}
	if len(convs) > 0 {
		c.saveStateSoon()
	}
	return out
}

func (c *Client) onUserEvent(ev topics.Event) {
	out := Event{User: ev.User, Nick: ev.Nick, Room: ev.Room, Text: ev.Text}
	convsChanged := false
	c.mu.Lock()
	if !c.m.seenEv.add(eventKey("user", ev)) {
		c.mu.Unlock()
		return
	}
	switch ev.Type {
	case topics.EventFriendRequest:
		out.Type = EventFriendRequest
		c.m.incoming[ev.User] = Person{User: ev.User, Nick: ev.Nick}
	case topics.EventFriendAccepted:
		out.Type = EventFriendAccepted
		delete(c.m.incoming, ev.User)
		delete(c.m.outgoing, ev.User)
		c.addFriendLocked(topics.Profile{User: ev.User, Nickname: ev.Nick})
		convsChanged = true
	case topics.EventFriendDeclined:
		out.Type = EventFriendDeclined
		delete(c.m.outgoing, ev.User)
	case topics.EventFriendRemoved:
		out.Type = EventFriendRemoved
		c.removeFriendLocked(ev.User)
		convsChanged = true
	case topics.EventRoomInvite:
		out.Type = EventRoomInvite
		c.m.invites[ev.Room] = Invite{Room: ev.Room, Title: ev.Text, From: ev.User}
	case topics.EventRoomJoined:
		// Joined or created from another device (or this one): the event
		// brings the title the room's own "joined" does not.
		cs := c.m.conv(RoomConv(ev.Room))
		if cs == nil {
			break // not a room name
		}
		cs.Title = cmp.Or(ev.Text, cs.Title)
		delete(c.m.invites, ev.Room)
		c.stateDirty = true
		out.Conv, convsChanged = RoomConv(ev.Room), true
	case topics.EventRoomLeft:
		// Left from another device (or this one, after RoomLeave did this).
		delete(c.m.convs, RoomConv(ev.Room))
		c.stateDirty = true
		out.Conv, convsChanged = RoomConv(ev.Room), true
	case topics.EventNotice:
		out.Type = EventNotice
		c.lastNotice, c.lastNoticeAt = ev.Text, now()
		close(c.noticeCh)
		c.noticeCh = make(chan struct{})
	default:
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if out.Type != 0 {
		c.emit(out)
	}
	if convsChanged {
		c.saveStateSoon()
		c.emit(Event{Type: EventConversations, Conv: out.Conv})
	}
	if ev.Type == topics.EventFriendAccepted {
		// The new friend's retained presence was not ours to read until now.
		go c.refreshFriend(ev.User)
	}
}

func (c *Client) refreshFriend(user string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CallTimeout)
	defer cancel()
	var p topics.Profile
	if err := c.Call(ctx, topics.MethodProfileGet, topics.Params{User: user}, &p); err != nil {
		return
	}
	ts := p.LastSeen
	c.onPresence(user, topics.Presence{Status: p.Status, TS: ts, Nick: p.Nickname})
}

// addFriendLocked records a friend and their DM conversation.
func (c *Client) addFriendLocked(p topics.Profile) {
	f := c.m.friends[p.User]
	if f == nil {
		f = &Friend{User: p.User}
		c.m.friends[p.User] = f
	}
	if p.Nickname != "" {
		f.Nick = p.Nickname
	}
	if p.Status != "" {
		f.Online, f.LastSeen = p.Status == topics.Online, p.LastSeen
	} else if pr, ok := c.m.presence[p.User]; ok {
		f.Online = pr.Status == topics.Online
		if !f.Online {
			f.LastSeen = pr.TS
		}
	}
	cs := c.m.conv(DMConv(p.User))
	if f.Nick != "" {
		cs.Title = f.Nick
	}
	c.stateDirty = true
}

func (c *Client) removeFriendLocked(user string) {
	delete(c.m.friends, user)
	delete(c.m.convs, DMConv(user))
	c.stateDirty = true
}

func (c *Client) onRoomEvent(ev topics.Event) {
	mine := ev.User == c.cfg.User
	c.mu.Lock()
	if !c.m.seenEv.add(eventKey("room", ev)) {
		c.mu.Unlock()
		return
	}
	if mine {
		switch ev.Type {
		case topics.EventJoined, topics.EventCreated:
			cs := c.m.conv(RoomConv(ev.Room))
			if inv, ok := c.m.invites[ev.Room]; ok && inv.Title != "" && cs != nil {
				cs.Title = inv.Title
			}
			delete(c.m.invites, ev.Room)
		case topics.EventLeft:
			delete(c.m.convs, RoomConv(ev.Room))
		}
		c.stateDirty = true
	}
	c.mu.Unlock()
	c.emit(Event{Type: EventRoomMembers, Room: ev.Room, Conv: RoomConv(ev.Room), User: ev.User, Nick: ev.Nick, Text: ev.Type})
	if mine {
		c.saveStateSoon()
		c.emit(Event{Type: EventConversations, Conv: RoomConv(ev.Room)})
	}
}

func (c *Client) onPresence(user string, p topics.Presence) {
	if user == c.cfg.User {
		return
	}
	c.mu.Lock()
	c.m.presence[user] = p
	f := c.m.friends[user]
	if f == nil {
		c.mu.Unlock()
		return
	}
	online := p.Status == topics.Online
	changed := f.Online != online
	f.Online = online
	if !online && p.TS != 0 {
		f.LastSeen = p.TS
	}
	if p.Nick != "" && p.Nick != f.Nick {
		f.Nick = p.Nick
		if cs := c.m.convs[DMConv(user)]; cs != nil {
			cs.Title = p.Nick
		}
	}
	ev := Event{Type: EventPresence, User: user, Nick: f.Nick, Online: f.Online, LastSeen: f.LastSeen}
	c.mu.Unlock()
	if changed {
		c.emit(ev)
	}
}

// syncLists replaces friends, requests, rooms and invites with the
// server's view (events missed while away, e.g. across a broker restart,
// are thereby caught up).
func (c *Client) syncLists(ctx context.Context) error {
	var (
		prof topics.Profile
		fl   topics.FriendList
		rl   topics.RoomList
	)
	if err := c.Call(ctx, topics.MethodProfileGet, struct{}{}, &prof); err != nil {
		return err
	}
	if err := c.Call(ctx, topics.MethodFriendList, struct{}{}, &fl); err != nil {
		return err
	}
	if err := c.Call(ctx, topics.MethodRoomList, struct{}{}, &rl); err != nil {
		return err
	}
	c.mu.Lock()
	if prof.User != "" {
		c.m.me = prof
	}
	friends := map[string]bool{}
	for _, p := range fl.Friends {
		friends[p.User] = true
		c.addFriendLocked(p)
	}
	for u := range c.m.friends {
		if !friends[u] {
			c.removeFriendLocked(u)
		}
	}
	c.m.incoming, c.m.outgoing = map[string]Person{}, map[string]Person{}
	for _, p := range fl.Incoming {
		c.m.incoming[p.User] = Person{User: p.User, Nick: p.Nickname}
	}
	for _, p := range fl.Outgoing {
		c.m.outgoing[p.User] = Person{User: p.User, Nick: p.Nickname}
	}
	rooms := map[string]bool{}
	c.m.invites = map[string]Invite{}
	for _, r := range rl.Rooms {
		switch {
		case r.Member:
			rooms[r.Room] = true
			cs := c.m.conv(RoomConv(r.Room))
			cs.Title = r.Title
		case r.Invited:
			c.m.invites[r.Room] = Invite{Room: r.Room, Title: r.Title}
		}
	}
	for id, cs := range c.m.convs {
		if cs.Kind == ConvRoom && !rooms[cs.Name] {
			delete(c.m.convs, id)
		}
		if cs.Kind == ConvDM && !friends[cs.Name] {
			delete(c.m.convs, id)
		}
	}
	c.stateDirty, c.synced = true, true
	c.mu.Unlock()
	c.saveStateSoon()
	c.emit(Event{Type: EventConversations})
	return nil
}

// Catch-up bounds: pages of history per conversation after a lost session.
const (
	catchUpPage  = topics.HistoryMaxLimit
	catchUpPages = 5
)

// catchUp fetches what the broker could not queue for us. With the session
// kept (sessionPresent) the broker delivers what we missed; without it (a
// broker restart, an expired session) history fills the gap for every
// conversation we were following. Conversations new to us (first run, a
// room joined elsewhere) only get their newest message, quietly: old
// history is not news. A followed conversation is read back to since (its
// LastSeen when the connection was made), not to what live delivery has
// brought since.
func (c *Client) catchUp(ctx context.Context, sessionPresent bool, since map[string]int64) error {
	type todo struct {
		id       string
		lastSeen int64
		followed bool
	}
	var list []todo
	c.mu.Lock()
	for id, cs := range c.m.convs {
		seen, ok := since[id]
		if !ok {
			seen = cs.LastSeen
		}
		list = append(list, todo{id, seen, cs.Followed})
	}
	c.mu.Unlock()
	for _, t := range list {
		if sessionPresent && t.followed {
			continue
		}
		if !t.followed {
			msgs, err := c.history(ctx, t.id, 0, 1)
			if err != nil {
				return err
			}
			c.ingest(msgs, modeHistory)
			continue
		}
		var missed []topics.Message
		before := int64(0)
		for range catchUpPages {
			page, err := c.history(ctx, t.id, before, catchUpPage)
			if err != nil {
				return err
			}
			done := len(page) < catchUpPage
			for _, m := range page {
				if m.ID <= t.lastSeen {
					done = true
					break
				}
				missed = append(missed, m)
			}
			if done || len(page) == 0 {
				break
			}
			before = page[len(page)-1].ID
		}
		slices.Reverse(missed) // oldest first, as live delivery would have been
		c.ingest(missed, modeLive)
	}
	// Everything listed now is followed: subscribed, and caught up.
	c.mu.Lock()
	for _, cs := range c.m.convs {
		cs.Followed = true
	}
	c.m.following = c.cur != nil && !c.cur.isLost()
	c.stateDirty = true
	c.mu.Unlock()
	c.saveStateSoon()
	return nil
}

// lastSeenNow is every conversation's LastSeen.
func (c *Client) lastSeenNow() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m.convs))
	for id, cs := range c.m.convs {
		out[id] = cs.LastSeen
	}
	return out
}

// history is one page, newest first.
func (c *Client) history(ctx context.Context, conv string, before int64, limit int) ([]topics.Message, error) {
	kind, name, err := ParseConv(conv)
	if err != nil {
		return nil, err
	}
	p := topics.Params{Before: before, Limit: limit}
	if kind == ConvRoom {
		p.Room = name
	} else {
		p.Peer = name
	}
	var h topics.History
	if err := c.Call(ctx, topics.MethodHistory, p, &h); err != nil {
		return nil, err
	}
	for i := range h.Messages {
		if kind == ConvRoom {
			h.Messages[i].Room = name
		}
	}
	return h.Messages, nil
}
