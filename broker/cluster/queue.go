package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// The offline queue: a DM for a user with no connection anywhere in the
// cluster is also kept in a JetStream stream (subject queue.{user}, three
// copies, as long as messages may live), which survives the node that
// holds the user's session. Messages are not deleted when taken: each
// persistent session has a cursor, the last sequence it took, in the
// "cursors" bucket, so that every session of the user (each client id)
// gets them, on any node. The handover stream (handover.go) is opened
// here too.
func (n *Node) startQueue(ctx context.Context, js jetstream.JetStream, replicas int, opt Options) error {
	expiry := cmp.Or(opt.MessageExpiry, opt.SessionExpiry)
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: n.bucket("queue"),
		Subjects: []string{n.subject("queue", ">")}, Replicas: replicas, Storage: jetstream.FileStorage,
		MaxAge: expiry, MaxMsgsPerSubject: int64(cmp.Or(opt.MaxQueued, 1000)),
		Duplicates: min(2*time.Minute, expiry)}) // JetStream refuses a window past MaxAge
	if err != nil {
		return fmt.Errorf("cluster: queue stream: %w", err)
	}
	cursors, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.bucket("cursors"), History: 1,
		TTL: opt.SessionExpiry, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("cluster: cursors bucket: %w", err)
	}
	handover, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: n.bucket("handover"),
		Subjects: []string{n.subject("handover", "*")}, Replicas: replicas, Storage: jetstream.FileStorage,
		MaxAge: expiry})
	if err != nil {
		return fmt.Errorf("cluster: handover stream: %w", err)
	}
	n.js, n.queue, n.cursors, n.handover, n.cursorTTL = js, st, cursors, handover, opt.SessionExpiry
	return nil
}

// queueIfAway keeps pk, a QoS 1 or 2 DM, for user when they have no
// connection on any node.
func (n *Node) queueIfAway(user string, pk packets.Packet, data []byte, h nats.Header) {
	if pk.FixedHeader.Qos == 0 || n.Online(user) {
		return
	}
	id := topics.MessageID(pk.Payload)
	if id == 0 {
		return
	}
	m := &nats.Msg{Subject: n.subject("queue", user), Data: data, Header: nats.Header{}}
	for k, v := range h {
		m.Header[k] = v
	}
	// Per user: a DM and its sender's copy share an id.
	m.Header.Set(nats.MsgIdHdr, user+"."+strconv.FormatInt(id, 10))
	if _, err := n.js.PublishMsgAsync(m); err != nil {
		n.log.Error("cluster queue", "user", user, "error", err)
	}
}

// Online reports user connected here or on another node.
func (n *Node) Online(user string) bool {
	n.presence.mu.Lock()
	_, here := n.presence.local[user]
	n.presence.mu.Unlock()
	return here || n.OnlineElsewhere(user)
}

// Held gives clientID's session what the cluster holds for it: a handover
// from the node it was taken over from, then its user's offline queue
// past the session's cursor.
func (n *Node) Held(user, clientID string, give func(packets.Packet) bool) (bool, error) {
	more, err := n.takeHandover(clientID, give)
	if err != nil {
		return false, err
	}
	queued, err := n.takeQueue(user, clientID, give)
	return more || queued, err
}

// takeQueue gives the session the queue's messages for user past its
// cursor, and moves the cursor past those it took (up to the first it
// could not).
func (n *Node) takeQueue(user, clientID string, give func(packets.Packet) bool) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := n.loadCursor(ctx, clientID)
	if err != nil {
		return false, err
	}
	cur := e.cur
	subj := n.subject("queue", user)
	last, err := n.queue.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && cur.past(last) {
		n.moveCursor(ctx, e, cur)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cluster queue of %s: %w", user, err)
	}
	if e, err = n.confirmCursor(ctx, clientID, e); err != nil {
		return false, err
	}
	if cur = e.cur; cur.past(last) {
		return false, nil
	}
	more, upTo := false, cur
	err = n.read(ctx, n.queue, subj, cur.next(), last.Sequence, func(seq uint64, pk packets.Packet, _ nats.Header) {
		if !give(pk) {
			more = true
		} else if !more {
			upTo = cursor{seq: seq}
		}
	})
	if err != nil {
		return false, err
	}
	// Not ctx: a read that ended near its deadline would leave the cursor
	// behind what the session took.
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	n.moveCursor(wctx, e, upTo)
	return more, nil
}

// cursor is how far a session took its user's queue: up to the sequence
// seq, or, before it took any, nothing stored before since (when the
// session started: what was kept before it existed is not its).
type cursor struct {
	seq   uint64
	since time.Time
}

// parseCursor reads a cursor as String wrote it.
func parseCursor(v []byte) (cursor, error) {
	if t, ok := strings.CutPrefix(string(v), "@"); ok {
		ns, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return cursor{}, fmt.Errorf("bad start time %q", v)
		}
		return cursor{since: time.Unix(0, ns)}, nil
	}
	seq, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return cursor{}, fmt.Errorf("bad sequence %q", v)
	}
	return cursor{seq: seq}, nil
}

func (c cursor) String() string {
	if c.seq == 0 && !c.since.IsZero() {
		return "@" + strconv.FormatInt(c.since.UnixNano(), 10)
	}
	return strconv.FormatUint(c.seq, 10)
}

// past reports last, the newest message on the queue, at or behind c:
// nothing to read.
func (c cursor) past(last *jetstream.RawStreamMsg) bool {
	return last.Sequence <= c.seq || last.Time.Before(c.since)
}

// next is where reading the queue past c starts.
func (c cursor) next() start {
	if c.seq == 0 && !c.since.IsZero() {
		return start{since: c.since}
	}
	return start{seq: c.seq + 1}
}

// storedCursor is a session's cursor as the bucket holds it.
type storedCursor struct {
	key     string
	cur     cursor
	rev     uint64
	created time.Time
}

// loadCursor reads the cursor of clientID's session. One not written
// when the session started (JetStream was not answering) starts now, at
// the session's start if it is on this node.
func (n *Node) loadCursor(ctx context.Context, clientID string) (storedCursor, error) {
	key := ownerKey(clientID)
	e, err := n.cursors.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		started, err := n.startCursor(ctx, key, cmp.Or(n.owners.started(clientID), time.Now()))
		if err == nil {
			return started, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return storedCursor{}, fmt.Errorf("cluster queue cursor of %s: %w", clientID, err)
		}
		e, err = n.cursors.Get(ctx, key)
	}
	var c storedCursor
	if err == nil {
		c, err = storedFrom(key, e)
	}
	if err != nil {
		return storedCursor{}, fmt.Errorf("cluster queue cursor of %s: %w", clientID, err)
	}
	return c, nil
}

// storedFrom is the cursor that entry e of key holds.
func storedFrom(key string, e jetstream.KeyValueEntry) (storedCursor, error) {
	c, err := parseCursor(e.Value())
	if err != nil {
		return storedCursor{}, err
	}
	return storedCursor{key: key, cur: c, rev: e.Revision(), created: e.Created()}, nil
}

// confirmCursor returns e if it is the cursor's latest revision, else
// the latest, checked by writing it again conditional on its revision: a
// key-value read may come from a replica behind the bucket's leader, and
// a cursor read behind would give the session again what it took.
func (n *Node) confirmCursor(ctx context.Context, clientID string, e storedCursor) (storedCursor, error) {
	for {
		rev, err := n.cursors.Update(ctx, e.key, []byte(e.cur.String()), e.rev)
		if err == nil {
			e.rev, e.created = rev, time.Now()
			return e, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return storedCursor{}, fmt.Errorf("cluster queue cursor of %s: %w", clientID, err)
		}
		pause(ctx)
		if e, err = n.loadCursor(ctx, clientID); err != nil {
			return storedCursor{}, err
		}
	}
}

// startCursor gives the session of key, if it has none, a cursor at the
// messages queued from since on (jetstream.ErrKeyExists if it has one).
func (n *Node) startCursor(ctx context.Context, key string, since time.Time) (storedCursor, error) {
	c := cursor{since: since}
	rev, err := n.cursors.Create(ctx, key, []byte(c.String()))
	if err != nil {
		return storedCursor{}, err
	}
	return storedCursor{key: key, cur: c, rev: rev, created: time.Now()}, nil
}

// moveCursor writes cursor e at c if it moved, or if it is old: the
// bucket forgets a cursor not rewritten within its TTL. The write is
// conditional on e: a cursor another node moved meanwhile stays.
func (n *Node) moveCursor(ctx context.Context, e storedCursor, c cursor) {
	if c == e.cur && (n.cursorTTL == 0 || time.Since(e.created) < n.cursorTTL/2) {
		return
	}
	_, err := n.cursors.Update(ctx, e.key, []byte(c.String()), e.rev)
	switch {
	case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		n.log.Debug("cluster queue cursor moved elsewhere", "key", e.key)
	case err != nil:
		n.log.Warn("cluster queue cursor", "key", e.key, "error", err)
	}
}

// start is where read begins: at sequence seq (0: the first), or at the
// first message stored at or after since.
type start struct {
	seq   uint64
	since time.Time
}

// resetAttempts bounds how often a fetch of an ordered consumer tries to
// create it: by default it tries forever, past our context and past the
// node's own shutdown.
const resetAttempts = 2

// read calls each, in order, for every message on subj in st from
// from up to sequence last, the last there when the caller looked (a
// handover's end marker with an empty packet). A consumer that has given
// nothing yet is slow, not empty: what is short of last is an error.
func (n *Node) read(ctx context.Context, st jetstream.Stream, subj string, from start, last uint64, each func(seq uint64, pk packets.Packet, h nats.Header)) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}, MaxResetAttempts: resetAttempts}
	switch {
	case !from.since.IsZero():
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from.since
	case from.seq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from.seq
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", subj, err)
	}
	var at uint64 // the sequence of the last message read
	for ctx.Err() == nil {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			pause(ctx)
			continue
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			at = meta.Sequence.Stream
			if m.Headers().Get(hdrEnd) != "" {
				each(at, packets.Packet{}, m.Headers()) // a handover's end marker
			} else if pk, err := broker.DecodeForwarded(m.Data()); err != nil {
				n.log.Warn("cluster message dropped", "subject", subj, "error", err)
			} else {
				pk.Origin = m.Headers().Get(hdrOrigin)
				pk.Created, _ = strconv.ParseInt(m.Headers().Get(hdrCreated), 10, 64)
				pk.Expiry, _ = strconv.ParseInt(m.Headers().Get(hdrExpiry), 10, 64)
				each(at, pk, m.Headers())
			}
			// None pending: last was deleted meanwhile, and this is the end.
			if at >= last || meta.NumPending == 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("cluster %s: read to %d of %d: %w", subj, at, last, ctx.Err())
}

// Pending is how many messages the offline queue holds for user past the
// cursor of clientID's session.
func (n *Node) Pending(user, clientID string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var cur cursor // none: from the first
	e, err := n.cursors.Get(ctx, ownerKey(clientID))
	switch {
	case err == nil:
		if cur, err = parseCursor(e.Value()); err != nil {
			return 0, fmt.Errorf("cluster queue cursor of %s: %w", clientID, err)
		}
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, fmt.Errorf("cluster queue cursor: %w", err)
	}
	subj := n.subject("queue", user)
	last, err := n.queue.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && cur.past(last) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cluster queue of %s: %w", user, err)
	}
	k := 0
	err = n.read(ctx, n.queue, subj, cur.next(), last.Sequence, func(uint64, packets.Packet, nats.Header) { k++ })
	return k, err
}
