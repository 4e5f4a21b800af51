package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// startTwo starts a cluster of two nodes (JetStream's smallest that
// forms), closed when the test ends.
func startTwo(t *testing.T) []*Node {
	t.Helper()
	return startTwoWith(t, Options{SessionExpiry: time.Hour})
}

// startTwoWith is startTwo with opt (its data directory and logger set
// here).
func startTwoWith(t *testing.T, opt Options) []*Node {
	t.Helper()
	addrs := []string{fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t)), fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t))}
	routes := "nats://" + addrs[0] + ",nats://" + addrs[1]
	nodes := make([]*Node, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() { // each waits for the other to keep JetStream's copies
			nodes[i], errs[i] = Start(broker.ClusterConfig{Name: "unit", NodeID: fmt.Sprintf("node%d", i), NATSListen: addr, NATSRoutes: routes},
				Options{DataDir: t.TempDir(), Logger: brokertest.Logger(t, slog.LevelWarn), SessionExpiry: opt.SessionExpiry,
					MessageExpiry: opt.MessageExpiry, MaxQueued: opt.MaxQueued})
		})
	}
	wg.Wait()
	for _, n := range nodes {
		if n != nil {
			t.Cleanup(n.Close)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// startOne is one node of startTwo's cluster.
func startOne(t *testing.T) *Node { return startTwo(t)[0] }

// TestShortExpiryStarts: a node starts with the shortest expiries the
// broker's configuration allows (one minute), shorter than the queue's
// usual two-minute duplicate window.
func TestShortExpiryStarts(t *testing.T) {
	startTwoWith(t, Options{SessionExpiry: time.Minute, MessageExpiry: time.Minute})
}

// queueDM keeps a DM to bob with message id id in the offline queue, as
// the node does for a user away from every node, and waits until it is
// stored.
func queueDM(n *Node, id int64, text string) error {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
		TopicName: topics.DM("bob", "alice"), Payload: fmt.Appendf(nil, `{"id":%d,"from":"alice","text":%q}`, id, text)}
	data, err := broker.EncodeForwarded(pk)
	if err != nil {
		return err
	}
	n.queueIfAway("bob", pk, data, nats.Header{})
	select {
	case <-n.js.PublishAsyncComplete():
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("the queue did not store the DM")
	}
}

// taken is the texts takeQueue gives clientID's session.
func taken(t *testing.T, n *Node, clientID string) []string {
	t.Helper()
	var texts []string
	_, err := n.takeQueue("bob", clientID, func(pk packets.Packet) bool {
		texts = append(texts, string(pk.Payload))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// TestQueueFromSessionStart: a persistent session's place in the offline
// queue is where it started, written as it starts, so that a DM queued
// while it is away is its even when its node is gone before it read the
// queue once (here: the node forgot the session); a session that started
// after the DM does not get it.
func TestQueueFromSessionStart(t *testing.T) {
	n := startOne(t)
	n.SessionStarted("bob-pet", true)
	n.SessionEnded("bob-pet") // as if its node died before the session read the queue
	if err := queueDM(n, 101, "离线"); err != nil {
		t.Fatal(err)
	}
	n.SessionStarted("bob-late", true)

	if got := taken(t, n, "bob-pet"); len(got) != 1 {
		t.Errorf("bob-pet was given %q, want the one DM queued after it started", got)
	}
	if got := taken(t, n, "bob-pet"); len(got) != 0 {
		t.Errorf("bob-pet was given %q again", got)
	}
	if got := taken(t, n, "bob-late"); len(got) != 0 {
		t.Errorf("bob-late, started after the DM, was given %q", got)
	}
}

// TestReadWaitsForSlowConsumer: a consumer that has given nothing yet is
// slow, not empty: read waits for the messages up to the last sequence it
// was told of (a handover read short was purged whole).
func TestReadWaitsForSlowConsumer(t *testing.T) {
	n := startOne(t)
	if err := queueDM(n, 1, "一"); err != nil {
		t.Fatal(err)
	}
	subj := n.subject("queue", "bob")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	last, err := n.queue.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	// The message read is stored only after read has begun waiting.
	stored := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		stored <- queueDM(n, 2, "二")
	}()
	var seqs []uint64
	err = n.read(ctx, n.queue, subj, start{seq: last.Sequence + 1}, last.Sequence+1, func(seq uint64, _ packets.Packet, _ nats.Header) {
		seqs = append(seqs, seq)
	})
	if err != nil || len(seqs) != 1 || seqs[0] != last.Sequence+1 {
		t.Fatalf("read gave sequences %v (error %v), want [%d]", seqs, err, last.Sequence+1)
	}
	if err := <-stored; err != nil {
		t.Fatal(err)
	}

	// Short of last when the context ends: an error, not an empty read.
	short, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	err = n.read(short, n.queue, subj, start{seq: last.Sequence + 2}, last.Sequence+2, func(uint64, packets.Packet, nats.Header) {})
	if err == nil {
		t.Error("read short of the last sequence reported no error")
	}
}

// behindKV answers the first Get with stale, as a replica behind the
// bucket's leader may.
type behindKV struct {
	jetstream.KeyValue
	stale jetstream.KeyValueEntry
	used  bool
}

func (k *behindKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	if !k.used {
		k.used = true
		return k.stale, nil
	}
	return k.KeyValue.Get(ctx, key)
}

// TestQueueCursorReadBehind: a cursor read from a replica behind the
// bucket's leader does not give the session again what it took.
func TestQueueCursorReadBehind(t *testing.T) {
	n := startOne(t)
	n.SessionStarted("bob-pet", true)
	if err := queueDM(n, 301, "一次"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stale, err := n.cursors.Get(ctx, ownerKey("bob-pet"))
	if err != nil {
		t.Fatal(err)
	}
	if got := taken(t, n, "bob-pet"); len(got) != 1 {
		t.Fatalf("bob-pet was given %q, want the one DM", got)
	}
	n.cursors = &behindKV{KeyValue: n.cursors, stale: stale}
	if got := taken(t, n, "bob-pet"); len(got) != 0 {
		t.Errorf("with its cursor read behind, bob-pet was given %q again", got)
	}
}

// slowStream's consumers hand over a fetch that has messages only once
// the context they were made with is done: a read that ends at its
// deadline. An empty fetch comes back at once, so that a slow first fetch
// on a loaded machine does not use up the read before it sees a message.
type slowStream struct{ jetstream.Stream }

func (s slowStream) OrderedConsumer(ctx context.Context, cfg jetstream.OrderedConsumerConfig) (jetstream.Consumer, error) {
	c, err := s.Stream.OrderedConsumer(ctx, cfg)
	return slowConsumer{c, ctx}, err
}

type slowConsumer struct {
	jetstream.Consumer
	ctx context.Context
}

func (c slowConsumer) Fetch(batch int, opts ...jetstream.FetchOpt) (jetstream.MessageBatch, error) {
	b, err := c.Consumer.Fetch(batch, opts...)
	if err != nil {
		return b, err
	}
	var msgs []jetstream.Msg
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	if len(msgs) > 0 {
		<-c.ctx.Done()
	}
	ch := make(chan jetstream.Msg, len(msgs))
	for _, m := range msgs {
		ch <- m
	}
	close(ch)
	return heldBatch{ch, b.Error()}, nil
}

// heldBatch is a fetch's messages, all received before it is handed on.
type heldBatch struct {
	msgs <-chan jetstream.Msg
	err  error
}

func (b heldBatch) Messages() <-chan jetstream.Msg { return b.msgs }
func (b heldBatch) Error() error                   { return b.err }

// TestQueueCursorAfterSlowRead: a read of the queue that ends at its
// deadline still moves the cursor past what the session took.
func TestQueueCursorAfterSlowRead(t *testing.T) {
	n := startOne(t)
	n.SessionStarted("bob-pet", true)
	if err := queueDM(n, 401, "慢"); err != nil {
		t.Fatal(err)
	}
	fast := n.queue
	n.queue = slowStream{fast}
	if got := taken(t, n, "bob-pet"); len(got) != 1 {
		t.Fatalf("bob-pet was given %q, want the one DM", got)
	}
	n.queue = fast
	if got := taken(t, n, "bob-pet"); len(got) != 0 {
		t.Errorf("after a slow read, bob-pet was given %q again", got)
	}
}

// handOverDM has the session of bob-pet, claimed on n, handed over one
// DM with message id id.
func handOverDM(t *testing.T, n *Node, id int64, text string) {
	t.Helper()
	n.SessionStarted("bob-pet", true)
	rev := n.owners.revision("bob-pet")
	if rev == 0 {
		t.Fatal("bob-pet's session was not claimed")
	}
	dm := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
		TopicName: topics.DM("bob", "alice"), Payload: fmt.Appendf(nil, `{"id":%d,"from":"alice","text":%q}`, id, text)}
	n.handOver(ownerKey("bob-pet"), rev, []packets.Packet{dm})
}

// handed is the texts takeHandover gives bob-pet's session.
func handed(t *testing.T, n *Node) []string {
	t.Helper()
	var texts []string
	if _, err := n.takeHandover("bob-pet", func(pk packets.Packet) bool {
		texts = append(texts, string(pk.Payload))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return texts
}

// TestHandoverForgottenAfterSlowRead: a handover read that ends at its
// deadline is still forgotten once given, not given again.
func TestHandoverForgottenAfterSlowRead(t *testing.T) {
	n := startOne(t)
	handOverDM(t, n, 501, "交接")
	fast := n.handover
	n.handover = slowStream{fast}
	if got := handed(t, n); len(got) != 1 {
		t.Fatalf("bob-pet was handed %q, want the one DM", got)
	}
	n.handover = fast
	if got := handed(t, n); len(got) != 0 {
		t.Errorf("after a slow read, bob-pet was handed %q again", got)
	}
}

// TestHandoverKeepsLaterEndMarker: taking a handover does not forget the
// end marker of a later claim's handover (one with no messages), which
// that claimant waits for.
func TestHandoverKeepsLaterEndMarker(t *testing.T) {
	n := startOne(t)
	handOverDM(t, n, 701, "先")
	rev := n.owners.revision("bob-pet")
	n.handOver(ownerKey("bob-pet"), rev+100, nil) // the next owner's, nothing held
	if got := handed(t, n); len(got) != 1 {
		t.Fatalf("bob-pet was handed %q, want the one DM", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := n.handover.GetLastMsgForSubject(ctx, n.subject("handover", ownerKey("bob-pet")))
	if err != nil {
		t.Fatalf("the later claim's end marker is gone: %v", err)
	}
	if got, want := m.Header.Get(hdrClaim), strconv.FormatUint(rev+100, 10); got != want || m.Header.Get(hdrEnd) == "" {
		t.Errorf("last handover message is for claim %s (end %q), want the end marker of %s", got, m.Header.Get(hdrEnd), want)
	}
}

// failingJS refuses asynchronous publishes and the first fails
// synchronous ones, as a stream whose leader is being elected.
type failingJS struct {
	jetstream.JetStream
	fails int
}

func (j *failingJS) PublishMsgAsync(*nats.Msg, ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	return nil, errors.New("no stream leader")
}

func (j *failingJS) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if j.fails > 0 {
		j.fails--
		return nil, errors.New("no stream leader")
	}
	return j.JetStream.PublishMsg(ctx, m, opts...)
}

// TestHandoverStoredThroughFailures: a handover message the stream
// refuses at first is stored once it takes it, before the end marker.
func TestHandoverStoredThroughFailures(t *testing.T) {
	n := startOne(t)
	js := n.js
	n.js = &failingJS{JetStream: js, fails: 1}
	handOverDM(t, n, 601, "别丢")
	n.js = js
	if got := handed(t, n); len(got) != 1 {
		t.Errorf("bob-pet was handed %q, want the one DM", got)
	}
}
