package chat

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"time"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// SendState is where an outgoing message stands.
type SendState int

const (
	// SendPending: queued or on its way (also while offline).
	SendPending SendState = iota
	// SendSent: the server stamped and stored it (own copy seen).
	SendSent
	// SendFailed: refused or unanswered; Retry or Discard it.
	SendFailed
)

func (s SendState) String() string {
	return [...]string{"pending", "sent", "failed"}[s]
}

func (s SendState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *SendState) UnmarshalText(b []byte) error {
	switch string(b) {
	case "pending":
		*s = SendPending
	case "sent":
		*s = SendSent
	case "failed":
		*s = SendFailed
	default:
		return errors.New("unknown send state " + string(b))
	}
	return nil
}

// Outgoing is a message you typed, until the server has it.
type Outgoing struct {
	CID     string    `json:"cid"`
	Conv    string    `json:"conv"`
	Text    string    `json:"text"`
	State   SendState `json:"state"`
	Err     string    `json:"error,omitempty"` // why it failed
	Created int64     `json:"created"`         // unix ms
	ID      int64     `json:"id,omitempty"`    // the server's id once sent

	drops int // connections that ended while this message waited for its PUBACK
}

// maxDrops: a message the server answers by closing the connection (MQTT
// 3.1.1 has no negative PUBACK: a write the ACL denies, e.g. to a room one
// is not in) would otherwise be resent forever.
const maxDrops = 3

const outboxFile = "outbox.json"

// Send queues text for conv (room:NAME or dm:USER) and returns its cid at
// once; EventSendState reports pending → sent or failed. Offline, the message
// waits (on disk) for the connection. The error is only for a message that
// can never be sent (empty, too long, bad conversation).
func (c *Client) Send(conv, text string) (string, error) {
	kind, name, err := ParseConv(conv)
	if err != nil {
		return "", &Error{Kind: ErrInvalid, Msg: err.Error()}
	}
	if kind == ConvDM && name == c.cfg.User {
		return "", &Error{Kind: ErrInvalid, Msg: "that is you"}
	}
	probe, _ := json.Marshal(topics.Outgoing{Text: text, CID: "x"})
	if _, err := topics.DecodeOutgoing(probe); err != nil {
		return "", &Error{Kind: ErrInvalid, Msg: err.Error()}
	}
	o := &Outgoing{CID: c.newID("m"), Conv: conv, Text: text, State: SendPending, Created: now().UnixMilli()}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return "", ErrClosed
	}
	c.out = append(c.out, o)
	c.outboxDirty = true
	c.mu.Unlock()
	c.wakeSaver()
	c.emit(Event{Type: EventSendState, CID: o.CID, Conv: conv, SendState: SendPending, Text: text})
	c.kickOutbox()
	return o.CID, nil
}

// Retry sends a failed message again (same cid: if it did arrive after
// all, the server drops the copy).
func (c *Client) Retry(cid string) error {
	c.mu.Lock()
	i := slices.IndexFunc(c.out, func(o *Outgoing) bool { return o.CID == cid })
	if i < 0 {
		c.mu.Unlock()
		return errors.New("no queued message " + cid)
	}
	o := c.out[i]
	o.State, o.Err = SendPending, ""
	c.outboxDirty = true
	ev := Event{Type: EventSendState, CID: cid, Conv: o.Conv, SendState: SendPending, Text: o.Text}
	c.mu.Unlock()
	c.wakeSaver()
	c.emit(ev)
	c.kickOutbox()
	return nil
}

// Discard drops a queued message that has not been sent.
func (c *Client) Discard(cid string) {
	c.mu.Lock()
	c.out = slices.DeleteFunc(c.out, func(o *Outgoing) bool { return o.CID == cid && o.State != SendSent })
	c.outboxDirty = true
	c.mu.Unlock()
	c.wakeSaver()
}

// Outbox lists messages not yet sent (pending and failed), oldest first.
func (c *Client) Outbox() []Outgoing {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Outgoing, 0, len(c.out))
	for _, o := range c.out {
		out = append(out, *o)
	}
	return out
}

func (c *Client) kickOutbox() {
	select {
	case c.wakeOut <- struct{}{}:
	default:
	}
}

// runOutbox sends pending messages one at a time, in order, while online.
func (c *Client) runOutbox() {
	defer c.wg.Done()
	for {
		select {
		case <-c.wakeOut:
		case <-c.closing:
			return
		}
		for {
			cn := c.current()
			if cn == nil {
				break
			}
			c.mu.Lock()
			var next *Outgoing
			for _, o := range c.out {
				if o.State == SendPending {
					cp := *o
					next = &cp
					break
				}
			}
			c.mu.Unlock()
			if next == nil {
				break
			}
			if !c.sendOne(cn, next) {
				break // connection gone: wait for the next one
			}
		}
	}
}

// sendOne publishes o and settles its state. It returns false when the
// connection ended first (o stays pending and is sent again later: the
// server drops a second copy by cid).
func (c *Client) sendOne(cn *conn, o *Outgoing) bool {
	kind, name, _ := ParseConv(o.Conv)
	if kind == ConvRoom {
		c.mu.Lock()
		_, member := c.m.convs[o.Conv]
		synced := c.synced
		c.mu.Unlock()
		if synced && !member {
			// The broker would close the connection on this write.
			c.fail(o.CID, "you are not in room "+name)
			return true
		}
	}
	topic := topics.Room(name)
	if kind == ConvDM {
		topic = topics.DM(name, c.cfg.User)
	}
	payload, _ := json.Marshal(topics.Outgoing{Text: o.Text, CID: o.CID})
	echo := make(chan struct{})
	c.mu.Lock()
	c.echoes[o.CID] = echo
	notices := c.noticeCh
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.echoes, o.CID)
		c.mu.Unlock()
	}()

	tok := cn.pc.Publish(topic, 1, false, payload)
	timeout := time.NewTimer(c.cfg.SendTimeout)
	defer timeout.Stop()
	select {
	case <-tok.Done():
		if tok.Error() != nil {
			c.log.Info("publish failed; will retry", "cid", o.CID, "error", tok.Error())
			return false
		}
	case <-echo:
		// The broker routes a message before it commits it; only the
		// PUBACK says it is stored, so the pet never shows sent what a
		// crash can still lose.
		select {
		case <-tok.Done():
			if tok.Error() != nil {
				c.log.Info("publish failed after its echo; will retry", "cid", o.CID, "error", tok.Error())
				return false
			}
			c.settle(o.CID)
			return true
		case <-cn.lost:
			return false
		case <-c.closing:
			return false
		case <-timeout.C:
			c.fail(o.CID, "the server did not acknowledge the message")
			return true
		}
	case <-cn.lost:
		c.mu.Lock()
		drops := 0
		if i := slices.IndexFunc(c.out, func(q *Outgoing) bool { return q.CID == o.CID }); i >= 0 {
			c.out[i].drops++
			drops = c.out[i].drops
		}
		c.mu.Unlock()
		if drops >= maxDrops {
			c.fail(o.CID, "the server closed the connection each time this message was sent (not allowed there?)")
		}
		return false
	case <-c.closing:
		return false
	case <-timeout.C:
		c.fail(o.CID, "the server did not acknowledge the message")
		return true
	}
	// PUBACK means "received", not "accepted": a refused message is
	// acknowledged too (with a notice). Room messages and DMs (the broker's
	// copy to our own sessions) echo back to us; for missing echoes (an
	// older broker, a lost copy), history decides.
	t := time.NewTimer(c.cfg.EchoTimeout)
	select {
	case <-echo:
		t.Stop()
		c.settle(o.CID)
		return true
	case <-notices:
	case <-t.C:
	case <-cn.lost:
		t.Stop()
		return false
	case <-c.closing:
		t.Stop()
		return false
	}
	t.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CallTimeout)
	defer cancel()
	msgs, err := c.history(ctx, o.Conv, 0, 50)
	if err != nil {
		if errors.Is(err, ErrOffline) {
			return false
		}
		var te *topics.Error
		if errors.As(err, &te) {
			if te.Code == topics.CodeForbidden || te.Code == topics.CodeNotFound {
				// The broker acknowledges a refused write without closing the
				// connection, so our lists are stale: read them again.
				if err := c.syncLists(ctx); err != nil {
					c.log.Info("re-reading lists after a refused message failed", "error", err)
				}
			}
			c.fail(o.CID, te.Message)
		} else {
			c.fail(o.CID, "could not confirm delivery: "+err.Error())
		}
		return true
	}
	for _, m := range msgs {
		if m.CID == o.CID && m.From == c.cfg.User {
			c.ingest([]topics.Message{m}, modeLive)
			c.settle(o.CID)
			return true
		}
	}
	c.mu.Lock()
	reason := "the server refused the message"
	if c.lastNotice != "" && now().Sub(c.lastNoticeAt) < c.cfg.SendTimeout {
		reason = c.lastNotice
	}
	c.mu.Unlock()
	c.fail(o.CID, reason)
	return true
}

func (c *Client) fail(cid, reason string) {
	c.mu.Lock()
	i := slices.IndexFunc(c.out, func(o *Outgoing) bool { return o.CID == cid })
	if i < 0 || c.out[i].State != SendPending {
		c.mu.Unlock()
		return
	}
	o := c.out[i]
	o.State, o.Err = SendFailed, reason
	c.outboxDirty = true
	ev := Event{Type: EventSendState, CID: cid, Conv: o.Conv, SendState: SendFailed, Text: reason}
	c.mu.Unlock()
	c.log.Info("message not sent", "cid", cid, "reason", reason)
	c.wakeSaver()
	c.emit(ev)
}

// confirmLocked settles the queued message m (own, stamped) belongs to;
// queued says m is one of the outbox's, settled now or in flight.
func (c *Client) confirmLocked(m Message) (evs []Event, queued bool) {
	if ch, ok := c.echoes[m.CID]; ok {
		// In flight: sendOne settles it once the PUBACK came.
		close(ch)
		delete(c.echoes, m.CID)
		return nil, true
	}
	evs = c.settleLocked(m.CID)
	return evs, len(evs) > 0
}

// settle marks cid sent once the broker acknowledged and stamped it.
func (c *Client) settle(cid string) {
	c.mu.Lock()
	evs := c.settleLocked(cid)
	c.mu.Unlock()
	for _, ev := range evs {
		c.emit(ev)
	}
}

func (c *Client) settleLocked(cid string) []Event {
	i := slices.IndexFunc(c.out, func(o *Outgoing) bool { return o.CID == cid })
	if i < 0 {
		return nil
	}
	o := c.out[i]
	c.out = slices.Delete(c.out, i, i+1)
	c.outboxDirty = true
	c.wakeSaver()
	return []Event{{Type: EventSendState, CID: cid, Conv: o.Conv, SendState: SendSent, Text: o.Text}}
}

// Persistence: outbox.json is written promptly after every change (nothing
// typed may be lost); state.json (read markers, previews) at most once a
// second.

type savedState struct {
	Convs map[string]savedConv `json:"convs"`
}

type savedConv struct {
	Title    string   `json:"title"`
	Unread   int      `json:"unread"`
	LastSeen int64    `json:"last_seen"`
	LastRead int64    `json:"last_read"`
	Followed bool     `json:"followed"`
	Last     *Message `json:"last,omitempty"`
}

func (c *Client) loadOutbox() error {
	if c.dir == "" {
		return nil
	}
	var out []*Outgoing
	if err := readJSONFile(filepath.Join(c.dir, outboxFile), &out); err != nil {
		return err
	}
	for _, o := range out {
		if o.State == SendSent || o.CID == "" {
			continue
		}
		if _, _, err := ParseConv(o.Conv); err != nil {
			continue
		}
		c.out = append(c.out, o)
	}
	return nil
}

func (c *Client) loadState() error {
	if c.dir == "" {
		return nil
	}
	var st savedState
	if err := readJSONFile(filepath.Join(c.dir, "state.json"), &st); err != nil {
		return err
	}
	for id, sc := range st.Convs {
		cs := c.m.conv(id)
		if cs == nil {
			continue
		}
		if sc.Title != "" {
			cs.Title = sc.Title
		}
		cs.Unread, cs.LastSeen, cs.LastRead, cs.Last, cs.Followed = sc.Unread, sc.LastSeen, sc.LastRead, sc.Last, sc.Followed
		if sc.Last != nil {
			c.m.seen.add(sc.Last.ID)
		}
	}
	return nil
}

func (c *Client) wakeSaver() {
	select {
	case c.wakeSave <- struct{}{}:
	default:
	}
}

func (c *Client) saveStateSoon() {
	c.mu.Lock()
	c.stateDirty = true
	c.mu.Unlock()
	c.wakeSaver()
}

func (c *Client) runSaver() {
	defer c.wg.Done()
	var lastState time.Time
	for {
		select {
		case <-c.wakeSave:
		case <-c.closing:
			return
		}
		c.mu.Lock()
		stateDue := c.stateDirty && time.Since(lastState) >= time.Second
		c.mu.Unlock()
		if err := c.save(stateDue); err != nil {
			c.log.Warn("saving chat state", "error", err)
		}
		if stateDue {
			lastState = time.Now()
		}
		c.mu.Lock()
		again := c.stateDirty
		c.mu.Unlock()
		if again { // state changed meanwhile or was not due: look again soon
			select {
			case <-time.After(time.Second):
				c.wakeSaver()
			case <-c.closing:
				return
			}
		}
	}
}

func (c *Client) saveNow() error { return c.save(true) }

// save writes the outbox when it changed, and the state when asked.
func (c *Client) save(withState bool) error {
	if c.dir == "" {
		return nil
	}
	c.mu.Lock()
	var out []Outgoing
	outDirty := c.outboxDirty
	if outDirty {
		out = make([]Outgoing, 0, len(c.out))
		for _, o := range c.out {
			out = append(out, *o)
		}
		c.outboxDirty = false
	}
	var st *savedState
	if withState && c.stateDirty {
		st = &savedState{Convs: map[string]savedConv{}}
		for id, cs := range c.m.convs {
			st.Convs[id] = savedConv{Title: cs.Title, Unread: cs.Unread, LastSeen: cs.LastSeen, LastRead: cs.LastRead, Followed: cs.Followed, Last: cs.Last}
		}
		c.stateDirty = false
	}
	c.mu.Unlock()
	var errs []error
	if outDirty {
		if err := writeJSONFile(filepath.Join(c.dir, outboxFile), out); err != nil {
			c.mu.Lock()
			c.outboxDirty = true
			c.mu.Unlock()
			errs = append(errs, err)
		}
	}
	if st != nil {
		if err := writeJSONFile(filepath.Join(c.dir, "state.json"), st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
