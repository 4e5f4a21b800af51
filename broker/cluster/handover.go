package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tachikoma-pet/tachikoma/broker"
)

// The handover: a node whose session of a client id another node claimed
// later publishes what the session held (broker.EndSession) to the
// "handover" stream, subject handover.{key of the client id}, each message
// marked with the claim's revision, then an end marker. The claiming node
// gives the session the messages of its claim and of earlier ones not
// taken (a claimant that gave the session up in turn before it took
// them), and forgets them; a handover to a later claim is left for it.
// startQueue opens the stream.

// Headers of a handover message.
const (
	hdrClaim = "Tk-Claim" // the revision of the claim it is for
	hdrEnd   = "Tk-End"   // on the end marker: how many messages came before
	hdrIndex = "Tk-Index" // the message's place in the handover
)

// handoverWait bounds how long a session that took over from a live node
// waits for its handover before it takes what there is.
const handoverWait = 30 * time.Second

// handOver publishes held, the messages of the session of key that the
// claim at revision rev took over, then the end marker.
func (n *Node) handOver(key string, rev uint64, held []packets.Packet) {
	subj := n.subject("handover", key)
	claim := strconv.FormatUint(rev, 10)
	deadline := time.Now().Add(handoverWait) // for the messages stored one by one
	var sent []jetstream.PubAckFuture
	for i, pk := range held {
		if pk.Expiry < 0 {
			pk.Expiry = 0 // held back for the client's receive maximum
		}
		data, err := broker.EncodeForwarded(pk)
		if err != nil {
			n.log.Warn("cluster handover", "topic", pk.TopicName, "error", err)
			continue
		}
		m := &nats.Msg{Subject: subj, Data: data, Header: nats.Header{}}
		m.Header.Set(hdrClaim, claim)
		m.Header.Set(hdrIndex, strconv.Itoa(i))
		m.Header.Set(nats.MsgIdHdr, subj+"."+claim+"."+strconv.Itoa(i)) // a resend is stored once
		m.Header.Set(hdrOrigin, pk.Origin)
		m.Header.Set(hdrCreated, strconv.FormatInt(pk.Created, 10))
		if pk.Expiry > 0 {
			m.Header.Set(hdrExpiry, strconv.FormatInt(pk.Expiry, 10))
		}
		f, err := n.js.PublishMsgAsync(m)
		if err != nil {
			n.publishNow(m, deadline)
			continue
		}
		sent = append(sent, f)
	}
	select {
	case <-n.js.PublishAsyncComplete():
	case <-time.After(handoverWait):
	case <-n.done:
		return
	}
	// The end marker says the handover is whole: what a loaded stream
	// failed to store is sent again first.
	deadline = time.Now().Add(handoverWait)
	for _, f := range sent {
		select {
		case <-f.Ok():
			continue
		case err := <-f.Err():
			n.log.Warn("cluster handover resend", "error", err)
		default:
		}
		n.publishNow(f.Msg(), deadline)
	}
	m := &nats.Msg{Subject: subj, Header: nats.Header{}}
	m.Header.Set(hdrClaim, claim)
	m.Header.Set(hdrEnd, strconv.Itoa(len(held)))
	n.publishNow(m, deadline)
	n.log.Info("cluster session handed over", "messages", len(held))
}

// publishNow stores m in its stream and waits for the acknowledgement,
// trying again until deadline (a stream leader being elected): a message
// of a handover that is not stored is lost.
func (n *Node) publishNow(m *nats.Msg, deadline time.Time) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := n.js.PublishMsg(ctx, m)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			n.log.Error("cluster handover", "subject", m.Subject, "error", err)
			return
		}
		n.log.Warn("cluster handover, trying again", "subject", m.Subject, "error", err)
		select {
		case <-n.done:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// awaitHandover waits until the handover to clientID's claim at revision
// rev is complete (or handoverWait passed), then has the broker take it.
func (n *Node) awaitHandover(clientID string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), handoverWait)
	defer cancel()
	go func() {
		select {
		case <-n.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	// On a loaded cluster the consumer's creation can time out: giving up
	// at once would take the handover before it is there.
	var cons jetstream.Consumer
	var err error
	for try := 0; ctx.Err() == nil; try++ {
		cons, err = n.handover.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{n.subject("handover", ownerKey(clientID))}, MaxResetAttempts: resetAttempts})
		if err == nil {
			break
		}
		n.log.Warn("cluster handover consumer", "client", clientID, "try", try, "error", err)
		pause(ctx)
	}
	if err == nil {
		claim := strconv.FormatUint(rev, 10)
		for ctx.Err() == nil {
			m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
			if err != nil {
				pause(ctx)
				continue
			}
			if m.Headers().Get(hdrClaim) == claim && m.Headers().Get(hdrEnd) != "" {
				break
			}
		}
	}
	select {
	case <-n.done:
		return
	default:
	}
	if n.owners.finish(clientID, rev) {
		n.b.HandedOver(clientID)
	}
}

// pause waits a moment before a try again, or until ctx is done.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
}

// takeHandover gives the session of clientID the handovers to its claim
// and earlier ones, in order, and forgets what it took.
func (n *Node) takeHandover(clientID string, give func(packets.Packet) bool) (bool, error) {
	rev := n.owners.revision(clientID)
	if rev == 0 {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	subj := n.subject("handover", ownerKey(clientID))
	last, err := n.handover.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cluster handover: %w", err)
	}
	// Published asynchronously, a message retried (a stream leader being
	// elected) can land after the next: the index restores A's order.
	type held struct {
		claim, index, seq uint64
		pk                packets.Packet
	}
	var all []held
	ended := map[uint64]bool{} // claims whose handover is complete
	err = n.read(ctx, n.handover, subj, start{}, last.Sequence, func(seq uint64, pk packets.Packet, h nats.Header) {
		claim, _ := strconv.ParseUint(h.Get(hdrClaim), 10, 64)
		if h.Get(hdrEnd) != "" {
			ended[claim] = true
			return
		}
		index, _ := strconv.ParseUint(h.Get(hdrIndex), 10, 64)
		all = append(all, held{claim, index, seq, pk})
	})
	if err != nil {
		return false, err
	}
	slices.SortFunc(all, func(x, y held) int { return cmp.Or(cmp.Compare(x.claim, y.claim), cmp.Compare(x.index, y.index)) })
	var taken []uint64
	kept := false
	waited := n.owners.waited(clientID)
	for _, m := range all {
		// A handover to an earlier claim of this client id is the
		// session's too (its claimant gave it up before taking it); one to
		// a later claim is not this session's. This claim's is given
		// whole, once complete (or waited for long enough).
		mine := m.claim < rev || m.claim == rev && (ended[rev] || waited)
		if mine && give(m.pk) {
			taken = append(taken, m.seq)
		} else {
			kept = true
		}
	}
	// Not ctx: a read that ended near its deadline would leave what the
	// session took in the stream, given again at its next take.
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	later := false // a later claim's end marker, which its claimant awaits
	for claim := range ended {
		later = later || claim > rev
	}
	if !kept && !later {
		// One purge forgets all of it, end markers included.
		err := n.handover.Purge(ctx, jetstream.WithPurgeSubject(subj), jetstream.WithPurgeSequence(last.Sequence+1))
		if err != nil {
			n.log.Warn("cluster handover purge", "client", clientID, "error", err)
		}
		return false, nil
	}
	for _, seq := range taken {
		if err := n.handover.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			n.log.Warn("cluster handover delete", "client", clientID, "error", err)
		}
	}
	return kept, nil
}
