package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
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
		MaxAge: expiry, MaxMsgsPerSubject: int64(cmp.Or(opt.MaxQueued, 1000)), Duplicates: 2 * time.Minute})
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
// could not). A session without a cursor starts at the queue's end: what
// was kept before it existed is not its.
func (n *Node) takeQueue(user, clientID string, give func(packets.Packet) bool) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	key := ownerKey(clientID)
	e, err := n.cursors.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		info, err := n.queue.Info(ctx)
		if err != nil {
			return false, fmt.Errorf("cluster queue: %w", err)
		}
		if _, err := n.cursors.PutString(ctx, key, strconv.FormatUint(info.State.LastSeq, 10)); err != nil {
			return false, fmt.Errorf("cluster queue cursor: %w", err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cluster queue cursor: %w", err)
	}
	from, _ := strconv.ParseUint(string(e.Value()), 10, 64)
	subj := n.subject("queue", user)
	last, err := n.queue.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && last.Sequence <= from {
		n.moveCursor(ctx, e, from)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cluster queue of %s: %w", user, err)
	}
	more, upTo := false, from
	err = n.read(ctx, n.queue, subj, start{seq: from + 1}, last.Sequence, func(seq uint64, pk packets.Packet, _ nats.Header) {
		if !give(pk) {
			more = true
		} else if !more {
			upTo = seq
		}
	})
	if err != nil {
		return false, err
	}
	n.moveCursor(ctx, e, upTo)
	return more, nil
}

// moveCursor writes cursor e at seq if it moved, or if it is old: the
// bucket forgets a cursor not rewritten within its TTL.
func (n *Node) moveCursor(ctx context.Context, e jetstream.KeyValueEntry, seq uint64) {
	from, _ := strconv.ParseUint(string(e.Value()), 10, 64)
	if seq == from && (n.cursorTTL == 0 || time.Since(e.Created()) < n.cursorTTL/2) {
		return
	}
	if _, err := n.cursors.PutString(ctx, e.Key(), strconv.FormatUint(seq, 10)); err != nil {
		n.log.Warn("cluster queue cursor", "key", e.Key(), "error", err)
	}
}

// start is where read begins: at sequence seq (0: the first).
type start struct {
	seq uint64
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
	if from.seq > 0 {
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
	var from uint64
	e, err := n.cursors.Get(ctx, ownerKey(clientID))
	switch {
	case err == nil:
		from, _ = strconv.ParseUint(string(e.Value()), 10, 64)
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, fmt.Errorf("cluster queue cursor: %w", err)
	}
	subj := n.subject("queue", user)
	last, err := n.queue.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) || err == nil && last.Sequence <= from {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cluster queue of %s: %w", user, err)
	}
	k := 0
	err = n.read(ctx, n.queue, subj, start{seq: from + 1}, last.Sequence, func(uint64, packets.Packet, nats.Header) { k++ })
	return k, err
}
