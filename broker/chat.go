package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

var (
	errDuplicate  = errors.New("duplicate message")
	errNotFriends = errors.New("you are not friends")
	errStore      = errors.New("message store failed")
)

// acceptChat validates a chat publish from user and stamps it. It stores
// nothing: storeChat does, once the caller has decided to deliver.
func (b *Broker) acceptChat(user string, t topics.Topic, payload []byte) (topics.Message, error) {
	out, err := topics.DecodeOutgoing(payload)
	if err != nil {
		return topics.Message{}, err
	}
	if t.Kind == topics.KindDM && !b.dir.AreFriends(t.User, t.Sender) {
		return topics.Message{}, fmt.Errorf("%w with %s: send a friend request first", errNotFriends, t.User)
	}
	if out.CID != "" {
		if err := b.claimCID(user, out.CID); err != nil {
			return topics.Message{}, err
		}
	}
	id, err := b.store.NextMessageID(context.Background())
	if err != nil {
		if out.CID != "" {
			b.cids.release(user + "\x00" + out.CID)
		}
		return topics.Message{}, fmt.Errorf("%w: %v", errStore, err)
	}
	msg := topics.Message{
		ID:   id,
		From: user,
		Nick: b.dir.Nickname(user),
		Text: out.Text,
		TS:   b.now().UnixMilli(),
		CID:  out.CID,
	}
	if t.Kind == topics.KindRoom {
		msg.Room = t.Room
	} else {
		msg.To = t.User
	}
	return msg, nil
}

// storeChat hands msg to history. With wait, its committed waits for the
// commit: a PUBACK sent after it means the message survives kill -9.
// Without (QoS 0: no acknowledgement waits), a failed commit is logged and
// counted (UnstoredChat) from the log's goroutine.
func (b *Broker) storeChat(msg topics.Message, t topics.Topic, wait bool) (savingChat, error) {
	conv := store.RoomConv(t.Room)
	if t.Kind == topics.KindDM {
		conv = store.DMConv(t.User, t.Sender)
	}
	s := savingChat{b: b, waits: wait}
	if msg.CID != "" {
		s.cid = msg.From + "\x00" + msg.CID
		s.claim = b.cids.get(s.cid) // taken by acceptChat just before
	}
	m := store.Message{ID: msg.ID, Conv: conv, Sender: msg.From, Nick: msg.Nick, Text: msg.Text, TS: msg.TS, CID: msg.CID}
	var err error
	if wait {
		s.commit, err = b.store.AppendMessage(m)
	} else {
		failed := s.failed // a copy: the log's goroutine calls it
		err = b.store.AppendMessageThen(m, func(err error) {
			if err != nil {
				b.unstoredChat.Add(1)
				b.log.Error("chat delivered but not saved to history", "user", msg.From, "id", msg.ID, "error", failed(err))
			} else {
				s.stored()
			}
		})
	}
	if err != nil {
		return savingChat{}, s.failed(err)
	}
	return s, nil
}

// savingChat is a chat message handed to history.
type savingChat struct {
	b      *Broker
	cid    string    // the key of the sender's claim on the message's cid, "" if none
	claim  *cidClaim // that claim
	commit store.Commit
	waits  bool
}

// committed returns once the message is in history (at once for one that
// nobody waits for), or the error that kept it out.
func (s savingChat) committed() error {
	if !s.waits {
		return nil
	}
	if err := s.commit.Wait(); err != nil {
		return s.failed(err)
	}
	s.stored()
	return nil
}

// stored settles the message's cid claim: duplicates may be acknowledged.
func (s savingChat) stored() {
	if s.claim != nil {
		s.claim.settle(true)
	}
}

// failed releases the cid of a message that was not stored, so that the
// sender's retry gets through, and wraps err.
func (s savingChat) failed(err error) error {
	if s.cid != "" {
		s.b.cids.releaseClaim(s.cid, s.claim)
	}
	return fmt.Errorf("%w: %v", errStore, err)
}

// UnstoredChat is how many QoS 0 chat messages were delivered but failed to
// reach history.
func (b *Broker) UnstoredChat() int64 { return b.unstoredChat.Load() }

// claimCID takes (user, cid) for a message about to be stored, or returns
// errDuplicate when user already sent a message with cid: a retry after a
// lost PUBACK, or a resend from a client's offline queue. Claiming before
// storing makes two copies racing in on two connections count as one.
func (b *Broker) claimCID(user, cid string) error {
	key := user + "\x00" + cid
	for {
		c, fresh := b.cids.claim(key)
		if fresh {
			break
		}
		// A duplicate is acknowledged as the first copy would be: only
		// once that is stored. If it fails, this copy takes its place.
		<-c.done
		if c.stored {
			return errDuplicate
		}
	}
	// Not among the recent ones. It may have been stored before a restart
	// or long ago; the index of sent cids, when this broker has one, rules
	// that out for a new one without reading the database. If it cannot
	// load, the database decides.
	if b.sent != nil {
		if maybe, err := b.sent.add(context.Background(), user, cid); err == nil && !maybe {
			return nil
		}
	}
	id, err := b.store.FindByCID(context.Background(), user, cid)
	if err != nil {
		b.cids.release(key)
		return fmt.Errorf("%w: %v", errStore, err)
	}
	if id != 0 {
		if c := b.cids.get(key); c != nil {
			c.settle(true)
		}
		return errDuplicate
	}
	return nil
}

// notice tells user why something they sent was refused.
func (b *Broker) notice(user, text string) {
	ev, _ := json.Marshal(topics.Event{Type: topics.EventNotice, Text: text, TS: b.now().UnixMilli()})
	_ = b.Publish(topics.Events(user), ev, false, 1)
}

// reply publishes a request's answer.
func (b *Broker) reply(user string, r topics.Reply) {
	p, err := json.Marshal(r)
	if err != nil {
		b.log.Error("encode reply", "error", err)
		return
	}
	_ = b.Publish(topics.Replies(user), p, false, 1)
}

// Publish sends a message of the broker's own (requests.Publisher). A
// Tachikoma topic goes through route, like chat: mochi would look at every
// pet subscribed to tachikoma/#. Nothing the broker sends there is
// retained (presence has its own tracker), so retain is ignored there.
func (b *Broker) Publish(topic string, payload []byte, retain bool, qos byte) error {
	t, err := topics.Parse(topic)
	if err != nil {
		return err
	}
	if t.Kind == topics.KindOther {
		return b.mqtt.Publish(topic, payload, retain, qos)
	}
	b.route(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos},
		TopicName:   topic,
		Payload:     payload,
		Created:     time.Now().Unix(),
	})
	return nil
}

// recentSet remembers the last n keys (FIFO), for dedupe without growth,
// each with its claim: whether the message that took it is stored yet.
type recentSet struct {
	mu   sync.Mutex
	m    map[string]*cidClaim
	ring []string
	next int
}

// cidClaim is settled once its message is stored, or has failed and given
// the key up; stored is set before done is closed.
type cidClaim struct {
	done   chan struct{}
	once   sync.Once
	stored bool
}

// settle records the outcome, once; later calls do nothing.
func (c *cidClaim) settle(stored bool) {
	c.once.Do(func() {
		c.stored = stored
		close(c.done)
	})
}

// newRecentSet sizes nothing up front: a map presized for n keys is megabytes
// resident in a pet that hosts a broker for two people.
func newRecentSet(n int) *recentSet {
	return &recentSet{m: make(map[string]*cidClaim), ring: make([]string, n)}
}

// claim adds k and reports whether it was absent; if it was present, it
// returns the claim holding it.
func (r *recentSet) claim(k string) (*cidClaim, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.m[k]; ok {
		return c, false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.m, old)
	}
	r.ring[r.next] = k
	c := &cidClaim{done: make(chan struct{})}
	r.m[k] = c
	r.next = (r.next + 1) % len(r.ring)
	return c, true
}

// get returns the claim holding k, nil if none.
func (r *recentSet) get(k string) *cidClaim {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[k]
}

// release forgets k (its ring slot just falls out later) and wakes those
// waiting on its claim, whose copy may then take it.
func (r *recentSet) release(k string) { r.releaseClaim(k, r.get(k)) }

// releaseClaim is release of k while c holds it: a claim the ring evicted
// meanwhile leaves the key's newer claim alone.
func (r *recentSet) releaseClaim(k string, c *cidClaim) {
	if c == nil {
		return
	}
	r.mu.Lock()
	if r.m[k] == c {
		delete(r.m, k)
	}
	r.mu.Unlock()
	c.settle(false)
}
