package cluster

import (
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
// copies), which survives the node that holds the user's session. The
// session that next takes it, on any node, is given what it does not
// already hold (by message id), and the stream forgets it.
func (n *Node) startQueue(ctx context.Context, js jetstream.JetStream, replicas int, expiry time.Duration) error {
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: n.bucket("queue"),
		Subjects: []string{n.subject("queue", ">")}, Replicas: replicas, Storage: jetstream.FileStorage,
		MaxAge: expiry, Duplicates: 2 * time.Minute})
	if err != nil {
		return fmt.Errorf("cluster: queue stream: %w", err)
	}
	n.js, n.queue = js, st
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
	m.Header.Set(nats.MsgIdHdr, strconv.FormatInt(id, 10))
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

// Queued is what the offline queue holds for user, oldest first.
func (n *Node) Queued(user string) ([]broker.QueuedMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	subj := n.subject("queue", user)
	if _, err := n.queue.GetLastMsgForSubject(ctx, subj); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("cluster queue of %s: %w", user, err)
	}
	cons, err := n.queue.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		return nil, fmt.Errorf("cluster queue of %s: %w", user, err)
	}
	var out []broker.QueuedMessage
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			break
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			pk, err := broker.DecodeForwarded(m.Data())
			if err != nil {
				continue
			}
			pk.Origin = m.Headers().Get(hdrOrigin)
			pk.Created, _ = strconv.ParseInt(m.Headers().Get(hdrCreated), 10, 64)
			pk.Expiry, _ = strconv.ParseInt(m.Headers().Get(hdrExpiry), 10, 64)
			seq := meta.Sequence.Stream
			out = append(out, broker.QueuedMessage{Packet: pk, Done: func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := n.queue.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
					n.log.Warn("cluster queue delete", "user", user, "error", err)
				}
			}})
		}
		if got < 256 {
			break
		}
	}
	return out, nil
}
