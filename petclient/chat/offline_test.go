package chat

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// restartable is a broker that can be stopped and started again on the
// same addresses and data dir.
type restartable struct {
	t   *testing.T
	cfg broker.Config
	b   *broker.Broker
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{t: t, cfg: brokerConfig(t.TempDir())}
	// Ports below the ephemeral range: between stop and start, an
	// ephemeral port could be taken by any program's outgoing connection.
	p := lowPorts(t, 3)
	r.cfg.MQTTAddr, r.cfg.WSAddr, r.cfg.HTTPAddr = p[0], p[1], p[2]
	r.b = startBroker(t, r.cfg)
	return r
}

func lowPorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range 500 {
		addr := "127.0.0.1:" + strconv.Itoa(20000+rand.IntN(10000))
		if slices.Contains(out, addr) {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		if out = append(out, addr); len(out) == n {
			return out
		}
	}
	t.Fatal("no free ports")
	return nil
}

func (r *restartable) stop() { r.b.Close() }

func (r *restartable) start() { r.b = startBroker(r.t, r.cfg) }

func historyWithCID(t *testing.T, b *broker.Broker, conv, cid string) int {
	t.Helper()
	msgs, err := b.Directory().Store().History(context.Background(), conv, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.CID == cid {
			n++
		}
	}
	return n
}

func TestOfflineQueueAcrossBrokerRestart(t *testing.T) {
	br := newRestartable(t)
	register(t, br.b, "alice", "bob")
	alice, arec := connected(t, clientConfig(br.b, "alice", t.TempDir()))
	bob, brec := connected(t, clientConfig(br.b, "bob", t.TempDir()))
	befriend(t, alice, bob)

	br.stop()
	_, down := arec.waitFrom(0, "offline", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOffline })
	roomCID, err := alice.Send(RoomConv(topics.Lobby), "typed while the server was down")
	if err != nil {
		t.Fatal(err)
	}
	dmCID, _ := alice.Send(DMConv("bob"), "a DM typed offline")
	if out := alice.Outbox(); len(out) != 2 || out[0].State != SendPending || out[1].State != SendPending {
		t.Fatalf("outbox while offline %+v", out)
	}
	if err := alice.Call(ctxT(t), topics.MethodFriendList, nil, nil); err == nil {
		t.Fatal("a request succeeded while offline")
	}

	br.start()
	_, i := arec.waitFrom(down, "connecting", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusConnecting })
	arec.waitFrom(i, "online", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOnline })
	arec.wait("room message sent", isState(roomCID, SendSent))
	arec.wait("DM sent", isState(dmCID, SendSent))

	// Bob (reconnected too) gets each exactly once: live, or caught up from
	// history when he came back after alice sent.
	brec.wait("room message", isMsg("typed while the server was down"))
	brec.wait("DM", isMsg("a DM typed offline"))
	if _, err := bob.Send(RoomConv(topics.Lobby), "marker"); err != nil {
		t.Fatal(err)
	}
	arec.wait("marker", isMsg("marker"))
	brec.wait("marker", isMsg("marker"))
	for _, text := range []string{"typed while the server was down", "a DM typed offline"} {
		if n := brec.count(isMsg(text)); n != 1 {
			t.Fatalf("bob got %q %d times", text, n)
		}
		if n := arec.count(isMsg(text)); n != 1 {
			t.Fatalf("alice saw her own %q %d times", text, n)
		}
	}
	if n := historyWithCID(t, br.b, store.RoomConv(topics.Lobby), roomCID); n != 1 {
		t.Fatalf("room history holds the queued message %d times", n)
	}
	if n := historyWithCID(t, br.b, store.DMConv("alice", "bob"), dmCID); n != 1 {
		t.Fatalf("DM history holds the queued message %d times", n)
	}
	if len(alice.Outbox()) != 0 {
		t.Fatalf("outbox not empty: %+v", alice.Outbox())
	}
}

func TestQueuePersistsAcrossClientRestart(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	state := t.TempDir()
	cfg := clientConfig(b, "alice", state)

	// First run: never connects (say the network is down), the user types.
	first, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	cid1, _ := first.Send(RoomConv(topics.Lobby), "first words")
	cid2, _ := first.Send(RoomConv(topics.Lobby), "second words")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	_, brec := connected(t, clientConfig(b, "bob", ""))
	second, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if out := second.Outbox(); len(out) != 2 || out[0].CID != cid1 || out[1].CID != cid2 || out[0].Text != "first words" {
		t.Fatalf("outbox after restart %+v", out)
	}
	rec := record(t, second, "alice-2")
	if err := second.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	rec.wait("second sent", isState(cid2, SendSent))
	brec.wait("first", isMsg("first words"))
	ev := brec.wait("second", isMsg("second words"))
	first1 := brec.wait("first", isMsg("first words"))
	if first1.Message.ID >= ev.Message.ID {
		t.Fatal("queued messages sent out of order")
	}
	// The queue file is empty now: a third run sends nothing again.
	second.Close()
	third, _ := New(cfg, testLogger(t))
	defer third.Close()
	if out := third.Outbox(); len(out) != 0 {
		t.Fatalf("sent messages still queued on disk: %+v", out)
	}
}

// A broker restart loses sessions: what was said meanwhile comes from
// history, once, when the client comes back.
func TestCatchUpAfterLostSession(t *testing.T) {
	br := newRestartable(t)
	register(t, br.b, "alice", "bob")
	state := t.TempDir()
	acfg := clientConfig(br.b, "alice", state)
	alice, arec := connected(t, acfg)
	bob, _ := connected(t, clientConfig(br.b, "bob", ""))
	bob.Send(RoomConv(topics.Lobby), "before")
	arec.wait("before", isMsg("before"))
	alice.Close()

	br.stop()
	br.start()
	bob.Send(RoomConv(topics.Lobby), "while alice was away")
	bob.Send(RoomConv(topics.Lobby), "and more")
	// Wait until both are stored (bob's echo of the last).
	brec := record(t, bob, "bob")
	brec.wait("and more", isMsg("and more"))

	alice2, arec2 := connected(t, acfg)
	arec2.wait("missed 1", isMsg("while alice was away"))
	arec2.wait("missed 2", isMsg("and more"))
	if n := arec2.count(isMsg("before")); n != 0 {
		t.Fatalf("an old message came again %d times", n)
	}
	conv, _ := alice2.Conversation(RoomConv(topics.Lobby))
	if conv.Unread != 3 || conv.Last == nil || conv.Last.Text != "and more" {
		t.Fatalf("lobby after catch-up: unread %d last %+v", conv.Unread, conv.Last)
	}
}

// Start connects in the background: a pet starting without its server keeps
// trying and comes online when the server does.
func TestStartRetriesUntilTheServerIsBack(t *testing.T) {
	br := newRestartable(t)
	register(t, br.b, "alice")
	cfg := clientConfig(br.b, "alice", t.TempDir())
	br.stop()
	c, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rec := record(t, c, "alice")
	c.Start()
	_, i := rec.waitFrom(0, "unreachable", func(ev Event) bool { return ev.Type == EventStatus && errors.Is(ev.Err, ErrUnreachable) })
	rec.waitFrom(i+1, "another attempt", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusConnecting })
	br.start()
	rec.wait("online", func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusOnline })

	// A wrong password stops the retries until the user acts.
	bad := cfg
	bad.Password, bad.ClientID = "wrong-password", "other"
	c2, _ := New(bad, testLogger(t))
	defer c2.Close()
	rec2 := record(t, c2, "alice-bad")
	c2.Start()
	rec2.wait("auth error", func(ev Event) bool { return ev.Type == EventStatus && errors.Is(ev.Err, ErrAuth) })
	// Watch for a while: with BackoffMax 200 ms a retrying client would
	// have tried several times (a negative check needs a window).
	attempts := func() int {
		return rec2.count(func(ev Event) bool { return ev.Type == EventStatus && ev.Status == StatusConnecting })
	}
	for end := time.Now().Add(5 * cfg.BackoffMax); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n := attempts(); n != 1 {
			t.Fatalf("%d attempts with a refused password, want 1", n)
		}
	}
	// The user asks: one more attempt.
	from := rec2.len()
	c2.ReconnectNow()
	rec2.waitFrom(from, "second auth error", func(ev Event) bool { return ev.Type == EventStatus && errors.Is(ev.Err, ErrAuth) })
	if n := attempts(); n != 2 {
		t.Fatalf("%d attempts after ReconnectNow, want 2", n)
	}
}

// Messages that arrive live on a new connection before the catch-up has
// read history do not hide the gap before them: the catch-up starts above
// what the client had seen when the connection was made.
func TestCatchUpWithLiveDeliveryFirst(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, arec := connected(t, clientConfig(b, "alice", ""))
	bcfg := clientConfig(b, "bob", t.TempDir())
	bob, brec := connected(t, bcfg)
	send := func(text string) {
		t.Helper()
		cid, err := alice.Send(RoomConv(topics.Lobby), text)
		if err != nil {
			t.Fatal(err)
		}
		arec.wait(text+" sent", isState(cid, SendSent))
	}
	send("已读")
	brec.wait("已读", isMsg("已读"))
	bob.Close()
	b.EndSession(bcfg.ClientID + "-bob") // the session is lost, as when its node dies
	send("错过一")
	send("错过二")

	back, err := New(bcfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	rec := record(t, back, "bob-back")
	back.hookCatchUp = func() {
		send("新的")
		rec.wait("新的, live before the catch-up", isMsg("新的"))
	}
	if err := back.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"错过一", "错过二", "新的"} {
		rec.wait(text, isMsg(text))
		if n := rec.count(isMsg(text)); n != 1 {
			t.Errorf("bob got %q %d times, want once", text, n)
		}
	}
	if n := rec.count(isMsg("已读")); n != 0 {
		t.Errorf("bob got the message he had already read %d times again", n)
	}
}
