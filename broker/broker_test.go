package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

func TestRoomChatIsStamped(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	bob.sub(topics.Room(topics.Lobby))

	alice.pub(topics.Room(topics.Lobby), 1, "hello 你好 🤖")
	m := bob.expectChat(topics.Room(topics.Lobby))
	if m.From != "alice" || m.Text != "hello 你好 🤖" || m.ID == 0 || m.TS == 0 || m.Nick != "alice" || m.Room != topics.Lobby {
		t.Fatalf("stamped message = %+v", m)
	}

	// A payload claiming another sender is corrected, never passed on.
	alice.pub(topics.Room(topics.Lobby), 1, `{"text":"I am bob","from":"bob","nick":"Bob","id":1,"ts":1}`)
	m2 := bob.expectChat(topics.Room(topics.Lobby))
	if m2.From != "alice" || m2.Nick != "alice" || m2.ID <= m.ID || m2.TS == 1 {
		t.Fatalf("spoofed message delivered as %+v", m2)
	}
}

func TestInvalidPayloadsAreRefused(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	bob.sub(topics.Room(topics.Lobby))
	alice.sub(topics.Events("alice"))

	bad := [][]byte{
		{0xff, 0xfe, 0xfd},
		[]byte(""),
		[]byte("   "),
		[]byte(strings.Repeat("字", topics.MaxTextChars+1)),
		[]byte(strings.Repeat("a", topics.MaxPayloadBytes+1)),
		[]byte(`{"nope":1}`),
	}
	for _, p := range bad {
		alice.pub(topics.Room(topics.Lobby), 1, p)
		ev := alice.expectEvent(topics.EventNotice)
		if !strings.Contains(ev.Text, "refused") {
			t.Errorf("notice %q", ev.Text)
		}
	}
	alice.pub(topics.Room(topics.Lobby), 1, "marker")
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "marker" {
		t.Fatalf("bob received a refused payload first: %+v", m)
	}
	msgs, err := b.Directory().Store().History(context.Background(), store.RoomConv(topics.Lobby), 0, 100)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "marker" {
		t.Fatalf("history holds %d messages (%v), want only the marker", len(msgs), err)
	}
}

func TestDirectMessagesNeedFriendship(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	bob.sub(topics.DMInbox("bob"), topics.Events("bob"))
	alice.sub(topics.Events("alice"), topics.DMInbox("alice"))

	alice.pub(topics.DM("bob", "alice"), 1, "psst")
	if ev := alice.expectEvent(topics.EventNotice); !strings.Contains(ev.Text, "friend") {
		t.Fatalf("stranger DM notice = %q", ev.Text)
	}

	alice.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	if ev := bob.expectEvent(topics.EventFriendRequest); ev.User != "alice" {
		t.Fatalf("friend request event %+v", ev)
	}
	var fl topics.FriendList
	bob.mustCall(topics.MethodFriendList, struct{}{}, &fl)
	if len(fl.Incoming) != 1 || fl.Incoming[0].User != "alice" {
		t.Fatalf("bob's friend list %+v", fl)
	}
	bob.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)
	if ev := alice.expectEvent(topics.EventFriendAccepted); ev.User != "bob" {
		t.Fatalf("accept event %+v", ev)
	}

	alice.pub(topics.DM("bob", "alice"), 1, "now we talk")
	m := bob.expectChat(topics.DM("bob", "alice"))
	if m.From != "alice" || m.Text != "now we talk" || m.To != "bob" {
		t.Fatalf("DM %+v", m)
	}
	// The first DM was never stored nor delivered.
	var h topics.History
	alice.mustCall(topics.MethodHistory, topics.Params{Peer: "bob"}, &h)
	if len(h.Messages) != 1 || h.Messages[0].Text != "now we talk" {
		t.Fatalf("DM history %+v", h.Messages)
	}

	// Writing as someone else is denied by the ACL.
	bob.mustCall(topics.MethodFriendRemove, topics.Params{User: "alice"}, nil)
	alice.expectEvent(topics.EventFriendRemoved)
	alice.pub(topics.DM("bob", "alice"), 1, "still there?")
	if ev := alice.expectEvent(topics.EventNotice); !strings.Contains(ev.Text, "friend") {
		t.Fatalf("after unfriending: %q", ev.Text)
	}
}

func TestNoSnooping(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "mallory")
	alice, bob, mallory := connect(t, b, "alice"), connect(t, b, "bob"), connect(t, b, "mallory")
	befriend(t, alice, bob)
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "secret", Public: new(bool)}, nil)
	alice.mustCall(topics.MethodRoomInvite, topics.Params{Room: "secret", User: "bob"}, nil)
	bob.mustCall(topics.MethodRoomJoin, topics.Params{Room: "secret"}, nil)

	mallory.sub("#", "tachikoma/#", topics.AllPresence, topics.AllRooms, "tachikoma/users/+/dm/+", "tachikoma/users/bob/#")
	for _, f := range []string{topics.Events("bob"), topics.Replies("alice"), topics.DM("bob", "alice"), topics.Room("secret"), topics.PresenceTopic("alice"), topics.Requests("mallory")} {
		if code := mallory.subResult(f); code < 0x80 {
			t.Errorf("mallory subscribed to %s (code %#x)", f, code)
		}
	}
	// A private room refuses uninvited joins.
	if r := mallory.call(topics.MethodRoomJoin, topics.Params{Room: "secret"}); r.Error == nil || r.Error.Code != topics.CodeForbidden {
		t.Fatalf("mallory joined the private room: %+v", r)
	}
	if r := mallory.call(topics.MethodHistory, topics.Params{Room: "secret"}); r.Error == nil {
		t.Fatal("mallory read a private room's history")
	}

	bob.sub(topics.DMInbox("bob"), topics.Room("secret"))
	alice.pub(topics.DM("bob", "alice"), 1, "private")
	alice.pub(topics.Room("secret"), 1, "members only")
	alice.mustCall(topics.MethodFriendList, nil, nil) // a reply on alice's topic
	bob.mustCall(topics.MethodFriendRequest, topics.Params{User: "mallory"}, nil)
	bob.expectChat(topics.Room("secret"))
	fence(alice, topics.Room(topics.Lobby), mallory)
	fence(bob, topics.Room(topics.Lobby), mallory)
	for _, m := range mallory.unexpected(func(tp string) bool {
		return tp == topics.Room(topics.Lobby) || tp == topics.PresenceTopic("mallory") ||
			tp == topics.Events("mallory") || tp == topics.Replies("mallory")
	}) {
		t.Errorf("mallory received %s", m)
	}
}

func topicsOf(ms []paho.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Topic())
	}
	return out
}

func TestWriteACL(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.ACLFile = filepath.Join(t.TempDir(), "acl")
	if err := os.WriteFile(cfg.ACLFile, []byte("topic read home/#\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, cfg)
	register(t, b, "alice", "bob", "mallory")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	// bob may read every topic forged below but the last two: a forgery
	// reaching him shows on "#" whatever its topic.
	bob.sub("#")
	bob.expect(topics.PresenceTopic("alice"))

	mallory := connect(t, b, "mallory")
	forged := `{"text":"forged"}`
	for _, tp := range []string{topics.DM("bob", "alice"), topics.PresenceTopic("alice"), topics.Events("bob"), topics.RoomEvents(topics.Lobby), "home/x", "tachikoma/bogus/x", "$SYS/x"} {
		mallory.pub(tp, 0, forged)
	}
	// A request in bob's name would be answered on bob's replies.
	mallory.pub(topics.Requests("bob"), 0, `{"id":"forged","method":"friend.list"}`)
	fence(mallory, topics.Room(topics.Lobby), bob)
	for _, m := range bob.all() {
		if strings.Contains(string(m.Payload()), "forged") {
			t.Errorf("bob received forged %s: %s", m.Topic(), m.Payload())
		}
	}
	// A denied QoS 1 write from a 3.1.1 client is acknowledged and dropped,
	// as mosquitto does; the connection stays and the sender is told.
	mallory.sub(topics.Events("mallory"))
	mallory.pub(topics.PresenceTopic("alice"), 1, "x")
	if ev := mallory.expectEvent(topics.EventNotice); !strings.Contains(ev.Text, topics.PresenceTopic("alice")) {
		t.Fatalf("notice %q", ev.Text)
	}
	if !mallory.c.IsConnectionOpen() {
		t.Fatal("mallory disconnected after a forbidden QoS 1 write")
	}
}

func TestLoginFailures(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	url := "tcp://" + b.MQTTAddr()
	for _, c := range []struct{ user, pw string }{{"alice", "wrong"}, {"nobody", "whatever1"}, {"", ""}, {"Alice", "alice-password"}} {
		if _, err := dial(t, url, c.user, c.pw, "x"); err == nil {
			t.Errorf("login %q/%q accepted", c.user, c.pw)
		}
	}
	if _, err := dial(t, url, "alice", "alice-password", "ok"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
}

func TestClientIDBelongsToItsUser(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "mallory")
	url := "tcp://" + b.MQTTAddr()
	a, err := dial(t, url, "alice", "alice-password", "alice-pet", func(o *paho.ClientOptions) { o.SetCleanSession(false) })
	if err != nil {
		t.Fatal(err)
	}
	a.sub(topics.DMInbox("alice"))
	a.c.Disconnect(0)
	if _, err := dial(t, url, "mallory", "mallory-password", "alice-pet", func(o *paho.ClientOptions) { o.SetCleanSession(false) }); err == nil {
		t.Fatal("mallory took over alice's session")
	}
}

func TestWillAbuse(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob", "mallory")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "club"}, nil)
	url := "tcp://" + b.MQTTAddr()
	for _, tp := range []string{topics.DM("bob", "alice"), topics.DM("bob", "mallory"), topics.PresenceTopic("bob"), topics.Events("bob"), topics.Room("club"), topics.Requests("mallory"), "$SYS/x", "home/x"} {
		_, err := dial(t, url, "mallory", "mallory-password", "m-will", func(o *paho.ClientOptions) { o.SetWill(tp, "forged", 1, true) })
		if err == nil {
			t.Errorf("connect with will on %s accepted", tp)
		}
	}
	// A will on a topic one may write goes out stamped.
	bob.sub(topics.Room(topics.Lobby))
	m, err := dial(t, url, "mallory", "mallory-password", "m-will2", func(o *paho.ClientOptions) {
		o.SetWill(topics.Room(topics.Lobby), `{"text":"bye","from":"alice"}`, 1, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.ExpireClient("m-will2") // an abrupt loss sends the will
	_ = m
	got := bob.expectChat(topics.Room(topics.Lobby))
	if got.From != "mallory" || got.Text != "bye" {
		t.Fatalf("will delivered as %+v", got)
	}
}

func TestHistoryPaging(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessageBurst = 200
	b := startBroker(t, cfg)
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	for i := range 120 {
		alice.pub(topics.Room(topics.Lobby), 1, fmt.Sprintf("m%03d", i))
	}
	var all []topics.Message
	before := int64(0)
	for {
		var h topics.History
		alice.mustCall(topics.MethodHistory, topics.Params{Room: topics.Lobby, Before: before, Limit: 50}, &h)
		all = append(all, h.Messages...)
		if len(h.Messages) < 50 {
			break
		}
		before = h.Messages[len(h.Messages)-1].ID
	}
	if len(all) != 120 {
		t.Fatalf("paged %d messages, want 120", len(all))
	}
	for i, m := range all {
		if want := fmt.Sprintf("m%03d", 119-i); m.Text != want || (i > 0 && m.ID >= all[i-1].ID) {
			t.Fatalf("message %d = %+v, want %s newest first", i, m, want)
		}
	}
	if r := alice.call(topics.MethodHistory, topics.Params{Room: topics.Lobby, Limit: 101}); r.Error == nil || r.Error.Code != 400 {
		t.Fatalf("limit 101 accepted: %+v", r)
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "club", Title: "俱乐部"}, nil)
	alice.pub(topics.Room("club"), 1, "before restart")
	alice.pub(topics.DM("bob", "alice"), 1, "dm before restart")
	alice.mustCall(topics.MethodProfileSet, topics.Params{Nickname: "阿丽"}, nil)
	b.Close()

	b2 := startBroker(t, testConfig(dir))
	alice2, bob2 := connect(t, b2, "alice"), connect(t, b2, "bob")
	var h topics.History
	alice2.mustCall(topics.MethodHistory, topics.Params{Room: "club"}, &h)
	if len(h.Messages) != 1 || h.Messages[0].Text != "before restart" {
		t.Fatalf("room history after restart: %+v", h)
	}
	bob2.mustCall(topics.MethodHistory, topics.Params{Peer: "alice"}, &h)
	if len(h.Messages) != 1 || h.Messages[0].Text != "dm before restart" {
		t.Fatalf("DM history after restart: %+v", h)
	}
	var p topics.Profile
	bob2.mustCall(topics.MethodProfileGet, topics.Params{User: "alice"}, &p)
	if p.Nickname != "阿丽" || p.Status != topics.Online {
		t.Fatalf("profile after restart: %+v", p)
	}
	// Ids keep increasing across restarts.
	alice2.sub(topics.Room("club"))
	alice2.pub(topics.Room("club"), 1, "after")
	if m := alice2.expectChat(topics.Room("club")); m.ID <= h.Messages[0].ID {
		t.Fatalf("id %d not after %d", m.ID, h.Messages[0].ID)
	}
}

func TestOfflineDMsOutliveADay(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	url := "tcp://" + b.MQTTAddr()
	awaySession(t, b, "bob", "bob-pet", topics.DMInbox("bob"), topics.AllRooms)

	alice.pub(topics.DM("bob", "alice"), 1, "while you were away")
	// mochi's default would expire this queued message after 24 h. (The
	// PUBACK to alice precedes the fan-out: wait for the message to queue.)
	exp, ok := b.QueuedExpiry("bob-pet")
	for deadline := time.Now().Add(waitFor); !ok && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		exp, ok = b.QueuedExpiry("bob-pet")
	}
	if !ok || exp.Before(time.Now().Add(25*time.Hour)) {
		t.Fatalf("queued DM expires at %v (queued: %v), want more than a day away", exp, ok)
	}
	// Room chat is left to history rather than queued for an absent client.
	alice.pub(topics.Room(topics.Lobby), 1, "room chatter")
	alice.mustCall(topics.MethodFriendList, nil, nil) // a round trip after the fan-out
	if q := b.QueuedTopics("bob-pet"); len(q) != 1 || q[0] != topics.DM("bob", "alice") {
		t.Fatalf("queued for the offline session: %v, want only the DM", q)
	}
	bp2, err := dial(t, url, "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	if m := bp2.expectChat(topics.DM("bob", "alice")); m.Text != "while you were away" {
		t.Fatalf("offline DM %+v", m)
	}
}

func TestRateLimit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 0.2, 2
	b := startBroker(t, cfg)
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	alice.sub(topics.Events("alice"))
	// QoS 0 over the limit: dropped, with a notice.
	for range 4 {
		alice.pub(topics.Room(topics.Lobby), 0, "spam")
	}
	if ev := alice.expectEvent(topics.EventNotice); !strings.Contains(ev.Text, "too fast") {
		t.Fatalf("notice %q", ev.Text)
	}
	// QoS 1 over the limit from a 3.1.1 client: no PUBACK for a dropped
	// message; the connection ends instead so that the client resends later.
	alice.c.Publish(topics.Room(topics.Lobby), 1, false, "more spam").WaitTimeout(time.Second)
	deadline := time.Now().Add(waitFor)
	for alice.c.IsConnectionOpen() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alice.c.IsConnectionOpen() {
		t.Fatal("still connected after a dropped QoS 1 publish")
	}
	msgs, _ := b.Directory().Store().History(context.Background(), store.RoomConv(topics.Lobby), 0, 10)
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages, want the 2 within the burst", len(msgs))
	}
}

func TestDuplicateCIDIsDeliveredOnce(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	bob.sub(topics.Room(topics.Lobby))
	for range 3 {
		alice.pub(topics.Room(topics.Lobby), 1, `{"text":"once","cid":"abc-1"}`)
	}
	alice.pub(topics.Room(topics.Lobby), 1, "marker")
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "once" || m.CID != "abc-1" {
		t.Fatalf("first = %+v", m)
	}
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "marker" {
		t.Fatalf("a duplicate was delivered: %+v", m)
	}
}

// A retry whose PUBACK was lost to a restart: the broker that stored the
// message is gone, so only the database knows the cid.
func TestDuplicateCIDAfterRestartIsDropped(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	register(t, b, "alice", "bob")
	alice := connect(t, b, "alice")
	alice.pub(topics.Room(topics.Lobby), 1, `{"text":"once","cid":"abc-1"}`)
	b.Close()

	b2 := startBroker(t, testConfig(dir))
	alice2, bob := connect(t, b2, "alice"), connect(t, b2, "bob")
	bob.sub(topics.Room(topics.Lobby))
	alice2.pub(topics.Room(topics.Lobby), 1, `{"text":"new","cid":"abc-2"}`)
	alice2.pub(topics.Room(topics.Lobby), 1, `{"text":"once","cid":"abc-1"}`)
	alice2.pub(topics.Room(topics.Lobby), 1, "marker")
	for _, want := range []string{"new", "marker"} {
		if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != want {
			t.Fatalf("got %q, want %q (a retry from before the restart was delivered again?)", m.Text, want)
		}
	}
	msgs, _ := b2.Directory().Store().History(context.Background(), store.RoomConv(topics.Lobby), 0, 10)
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want once, new and marker", len(msgs))
	}
}

func TestRequestErrors(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	cases := []struct {
		method string
		params any
		code   int
	}{
		{"nope", nil, 404},
		{topics.MethodFriendRequest, topics.Params{User: "ghost"}, 404},
		{topics.MethodFriendRequest, topics.Params{User: "alice"}, 400},
		{topics.MethodRoomCreate, topics.Params{Room: "Bad Name"}, 400},
		{topics.MethodRoomCreate, topics.Params{Room: topics.Lobby}, 409},
		{topics.MethodRoomLeave, topics.Params{Room: topics.Lobby}, 403},
		{topics.MethodHistory, topics.Params{}, 400},
		{topics.MethodProfileSet, topics.Params{Nickname: strings.Repeat("x", 33)}, 400},
	}
	for _, c := range cases {
		if r := alice.call(c.method, c.params); r.Error == nil || r.Error.Code != c.code {
			t.Errorf("%s %+v: %+v, want code %d", c.method, c.params, r.Error, c.code)
		}
	}
	alice.pub(topics.Requests("alice"), 1, "not json")
	var r topics.Reply
	select {
	case m := <-alice.replies:
		if err := json.Unmarshal(m.Payload(), &r); err != nil || r.Error == nil || r.Error.Code != 400 {
			t.Fatalf("garbage request reply %+v %v", r, err)
		}
	case <-time.After(waitFor):
		t.Fatal("no reply to a garbage request")
	}
}

func TestRoomsAndPresence(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	// The wildcard covers rooms joined later; an exact subscription to a
	// room one is not in is refused.
	if code := alice.subResult(topics.RoomEvents("club")); code < 0x80 {
		t.Fatalf("subscribed to a room that does not exist yet: %#x", code)
	}
	alice.sub(topics.AllRoomEvents, topics.PresenceTopic("bob"))
	var p topics.Presence
	_ = json.Unmarshal(alice.expect(topics.PresenceTopic("bob")).Payload(), &p)
	if p.Status != topics.Online {
		t.Fatalf("bob presence %+v", p)
	}
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "club", Title: "The Club"}, nil)
	bob.mustCall(topics.MethodRoomJoin, topics.Params{Room: "club"}, nil)
	var ev topics.Event
	for ev.Type != topics.EventJoined {
		_ = json.Unmarshal(alice.expect(topics.RoomEvents("club")).Payload(), &ev)
	}
	if ev.User != "bob" || ev.Room != "club" {
		t.Fatalf("join event %+v", ev)
	}
	var mem topics.Members
	alice.mustCall(topics.MethodRoomMembers, topics.Params{Room: "club"}, &mem)
	if len(mem.Members) != 2 {
		t.Fatalf("members %+v", mem)
	}
	var rl topics.RoomList
	bob.mustCall(topics.MethodRoomList, nil, &rl)
	if len(rl.Rooms) != 2 || !rl.Rooms[0].Member || !rl.Rooms[1].Member {
		t.Fatalf("room list %+v", rl)
	}
	bob.c.Disconnect(0)
	_ = json.Unmarshal(alice.expect(topics.PresenceTopic("bob")).Payload(), &p)
	if p.Status != topics.Offline {
		t.Fatalf("bob presence after leaving %+v", p)
	}
}

func TestAdminChangesApplyWhileRunning(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	register(t, b, "alice", "bob")
	bob := connect(t, b, "bob", func(o *paho.ClientOptions) { o.SetCleanSession(false) })
	alice0 := connect(t, b, "alice")
	befriend(t, alice0, bob)
	bob.pub(topics.DM("alice", "bob"), 1, "from the first bob")
	// The admin CLI opens its own store on the same directory.
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateRoom(context.Background(), store.Room{Name: "news", Title: "News", Public: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteUser(context.Background(), "bob"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitFor)
	for bob.c.IsConnectionOpen() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if bob.c.IsConnectionOpen() {
		t.Fatal("deleted user still connected")
	}
	// Their presence is forgotten, not turned "offline" for whoever takes
	// the name next.
	for n, _ := b.PresenceOf("bob"); n > 0 && time.Now().Before(deadline); n, _ = b.PresenceOf("bob") {
		time.Sleep(20 * time.Millisecond)
	}
	if n, pr := b.PresenceOf("bob"); n > 0 || pr != nil {
		t.Fatalf("the deleted user's presence survived: %d connections, %s", n, pr)
	}
	alice := connect(t, b, "alice")
	alice.mustCall(topics.MethodRoomJoin, topics.Params{Room: "news"}, nil)
	// The session is gone, and a new "bob" inherits neither it nor the DMs.
	if b.ClientConnected("bob-"+t.Name()) || len(b.QueuedTopics("bob-"+t.Name())) > 0 {
		t.Fatal("the deleted user's session survived")
	}
	for b.IndexedSessions("bob") > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := b.IndexedSessions("bob"); n > 0 {
		t.Fatalf("the deleted user's session is still in the delivery index (%d)", n)
	}
	register(t, b, "bob")
	bob2 := connect(t, b, "bob")
	var h topics.History
	bob2.mustCall(topics.MethodHistory, topics.Params{Peer: "alice"}, &h)
	if len(h.Messages) != 0 {
		t.Fatalf("a re-registered name reads the old DMs: %+v", h.Messages)
	}
	alice.mustCall(topics.MethodHistory, topics.Params{Peer: "bob"}, &h)
	if len(h.Messages) != 0 {
		t.Fatalf("alice sees the old bob's DMs as the new bob's: %+v", h.Messages)
	}
}

func TestRegistrationAPI(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Registration.PerMinute = 3
	b := startBroker(t, cfg)
	base := "http://" + b.HTTPAddr()
	cases := []struct {
		body string
		code int
	}{
		{`{"username":"dave","password":"davepass1","nickname":"大卫"}`, 201},
		{`{"username":"dave","password":"davepass1"}`, 409},
		{`{"username":"Dave!","password":"davepass1"}`, 400},
		{`{"username":"eve","password":"short"}`, 429}, // fourth from one address
	}
	for _, c := range cases {
		code, body := post(t, base+"/api/v1/register", c.body)
		if code != c.code {
			t.Errorf("register %s = %d %s, want %d", c.body, code, body, c.code)
		}
	}
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "dave", "davepass1", "d"); err != nil {
		t.Fatalf("registered user cannot log in: %v", err)
	}
	if code := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}

	cfg2 := testConfig(t.TempDir())
	cfg2.Registration.Mode = broker.RegistrationClosed
	b2 := startBroker(t, cfg2)
	if code, _ := post(t, "http://"+b2.HTTPAddr()+"/api/v1/register", `{"username":"dave","password":"davepass1"}`); code != 403 {
		t.Fatalf("disabled registration answered %d", code)
	}
}

func TestWebSocket(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob := connect(t, b, "bob")
	bob.sub(topics.Room(topics.Lobby))
	ws, err := dial(t, "ws://"+b.WSAddr()+"/mqtt", "alice", "alice-password", "alice-browser")
	if err != nil {
		t.Fatal(err)
	}
	ws.pub(topics.Room(topics.Lobby), 1, "over websocket")
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "over websocket" || m.From != "alice" {
		t.Fatalf("%+v", m)
	}
	if _, err := dial(t, "ws://"+b.WSAddr()+"/other", "alice", "alice-password", "x"); err == nil {
		t.Fatal("websocket served outside /mqtt")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cfg := broker.DefaultConfig()
	cfg.DataDir = ""
	if _, err := broker.New(cfg, broker.Options{}); err == nil {
		t.Fatal("empty data dir accepted")
	}
}

func TestLoginWithResumeToken(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	var tok topics.Token
	alice.mustCall(topics.MethodAuthToken, nil, &tok)
	if !strings.HasPrefix(tok.Token, "tk1.alice.") || tok.Expires <= time.Now().UnixMilli() {
		t.Fatalf("token %+v", tok)
	}
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", tok.Token, "alice-2"); err != nil {
		t.Fatalf("token login: %v", err)
	}
	// auth.revoke (a log-out) ends it; only its owner may, and only once.
	register(t, b, "bob")
	bob := connect(t, b, "bob")
	if r := bob.call(topics.MethodAuthRevoke, topics.Params{Token: tok.Token}); r.Error == nil || r.Error.Code != topics.CodeBadRequest {
		t.Fatalf("bob revoking alice's token: %+v", r.Error)
	}
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", tok.Token, "alice-3"); err != nil {
		t.Fatalf("token login after bob's attempt: %v", err)
	}
	alice.mustCall(topics.MethodAuthRevoke, topics.Params{Token: tok.Token}, nil)
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", tok.Token, "alice-4"); err == nil {
		t.Fatal("a revoked token still logs in")
	}
	if r := alice.call(topics.MethodAuthRevoke, topics.Params{Token: tok.Token}); r.Error == nil || r.Error.Code != topics.CodeBadRequest {
		t.Fatalf("revoking twice: %+v", r.Error)
	}
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-5"); err != nil {
		t.Fatalf("password login after a revocation: %v", err)
	}
}

func TestOversizedPacketsAreRefused(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	alice.c.Publish(topics.Room(topics.Lobby), 0, false, strings.Repeat("x", 200*1024)).WaitTimeout(time.Second)
	deadline := time.Now().Add(waitFor)
	for alice.c.IsConnectionOpen() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alice.c.IsConnectionOpen() {
		t.Fatal("a 200 KiB packet was accepted")
	}
}

// TestDisguisingNamesRefused: a nickname or room title with a direction
// override is refused by the broker with topics.CheckNickname's reason.
func TestDisguisingNamesRefused(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice")
	alice := connect(t, b, "alice")
	for _, c := range []struct {
		method string
		params topics.Params
	}{
		{topics.MethodProfileSet, topics.Params{Nickname: "阿丽\u202Eexe.jpg"}},
		{topics.MethodRoomCreate, topics.Params{Room: "club", Title: "俱乐部\u2028admin"}},
	} {
		r := alice.call(c.method, c.params)
		if r.Error == nil || !strings.Contains(r.Error.Message, "U+") {
			t.Errorf("%s %+v: got %+v, want a refusal naming the character", c.method, c.params, r.Error)
		}
	}
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "club", Title: "俱乐部 🐱\u200d👤"}, nil)
}
