package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/broker/store/postgres"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// TestChatOnPostgreSQL runs the whole chat path on a PostgreSQL store:
// registration, friends, a DM, room chat and history, then a second broker
// with its own data dir on the same database sees the same accounts and
// history and token key, as a cluster's nodes do.
func TestChatOnPostgreSQL(t *testing.T) {
	url := pg.Need(t).NewDB(t)
	cfg := testConfig(t.TempDir())
	cfg.Store = url
	b := startBroker(t, cfg)
	base := "http://" + b.HTTPAddr()
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"username":"alice","password":"alicepass1","nickname":"爱丽丝"}`, 201},
		{`{"username":"bob","password":"bobpass12"}`, 201},
		{`{"username":"alice","password":"alicepass1"}`, 409},
	} {
		if code, body := post(t, base+"/api/v1/register", c.body); code != c.code {
			t.Fatalf("register %s = %d %s, want %d", c.body, code, body, c.code)
		}
	}
	alice, bob := dialOK(t, b.MQTTAddr(), "alice", "alicepass1"), dialOK(t, b.MQTTAddr(), "bob", "bobpass12")
	bob.sub(topics.DMInbox("bob"), topics.Events("bob"), topics.Room(topics.Lobby))
	alice.sub(topics.Events("alice"), topics.DMInbox("alice"))

	alice.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	if ev := bob.expectEvent(topics.EventFriendRequest); ev.User != "alice" || ev.Nick != "爱丽丝" {
		t.Fatalf("friend request event %+v", ev)
	}
	bob.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)
	alice.expectEvent(topics.EventFriendAccepted)

	alice.pub(topics.DM("bob", "alice"), 1, "你好，bob")
	if m := bob.expectChat(topics.DM("bob", "alice")); m.From != "alice" || m.Text != "你好，bob" || m.Nick != "爱丽丝" {
		t.Fatalf("DM %+v", m)
	}
	alice.pub(topics.Room(topics.Lobby), 1, "大家好")
	bob.expectChat(topics.Room(topics.Lobby))

	var h topics.History
	bob.mustCall(topics.MethodHistory, topics.Params{Peer: "alice"}, &h)
	if len(h.Messages) != 1 || h.Messages[0].Text != "你好，bob" {
		t.Fatalf("DM history %+v", h.Messages)
	}
	dmID := h.Messages[0].ID

	// The database holds it all: a second node on the same store.
	cfg2 := testConfig(t.TempDir())
	cfg2.Store = url
	b2 := startBroker(t, cfg2)
	// A resume token node 1 issued logs in on node 2: the key is the store's.
	var tok topics.Token
	bob.mustCall(topics.MethodAuthToken, struct{}{}, &tok)
	carol := dialOK(t, b2.MQTTAddr(), "bob", tok.Token)
	// A token revoked on node 2 no longer logs in on node 1.
	carol.mustCall(topics.MethodAuthRevoke, topics.Params{Token: tok.Token}, nil)
	if c, err := dial(t, "tcp://"+b.MQTTAddr(), "bob", tok.Token, "bob-revoked"); err == nil {
		c.c.Disconnect(0)
		t.Fatal("a token revoked on node 2 logs in on node 1")
	}
	var h2 topics.History
	carol.mustCall(topics.MethodHistory, topics.Params{Peer: "alice"}, &h2)
	if len(h2.Messages) != 1 || h2.Messages[0].ID != dmID {
		t.Fatalf("history on the second broker %+v, want message %d", h2.Messages, dmID)
	}
	var fl topics.FriendList
	carol.mustCall(topics.MethodFriendList, struct{}{}, &fl)
	if len(fl.Friends) != 1 || fl.Friends[0].User != "alice" {
		t.Fatalf("friends on the second broker %+v", fl)
	}
	// Ids come from the database, not from each node's count since it
	// started: messages sent on both nodes after both started stay apart.
	alice.pub(topics.Room(topics.Lobby), 1, "from node 1")
	bob.expectChat(topics.Room(topics.Lobby))
	carol.pub(topics.Room(topics.Lobby), 1, "from node 2")
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(waitFor)
	for {
		ms, err := st.History(context.Background(), store.RoomConv(topics.Lobby), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 3 {
			if ms[0].Text != "from node 2" || ms[1].Text != "from node 1" || ms[2].Text != "大家好" ||
				ms[0].ID <= ms[1].ID || ms[1].ID <= ms[2].ID || ms[2].ID <= dmID {
				t.Fatalf("lobby in PostgreSQL %+v", ms)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lobby in PostgreSQL %+v, want 3 messages", ms)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialOK(t *testing.T, addr, user, pw string) *client {
	t.Helper()
	c, err := dial(t, "tcp://"+addr, user, pw, user+"-"+addr)
	if err != nil {
		t.Fatalf("connect %s: %v", user, err)
	}
	return c
}

// TestRetryOnAnotherNodeIsADuplicate: a pet whose node died resends its
// unacknowledged messages, with their cids, to another node; one that the
// first node had stored is a duplicate there too, even when the second
// node read the sender's cids before (its index of them cannot see what
// other nodes store).
func TestRetryOnAnotherNodeIsADuplicate(t *testing.T) {
	nodes := twoNodes(t)
	bob := dialOK(t, nodes[0].MQTTAddr(), "bob", "bobpass12")
	bob.sub(topics.Room(topics.Lobby))
	onA := dialOK(t, nodes[0].MQTTAddr(), "alice", "alicepass1")
	onA.pub(topics.Room(topics.Lobby), 1, `{"text":"first","cid":"c1"}`) // node A reads alice's cids
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "first" {
		t.Fatalf("got %+v", m)
	}
	onB := dialOK(t, nodes[1].MQTTAddr(), "alice", "alicepass1")
	onB.pub(topics.Room(topics.Lobby), 1, `{"text":"stored by B","cid":"c2"}`) // acknowledged: committed
	onA.pub(topics.Room(topics.Lobby), 1, `{"text":"stored by B","cid":"c2"}`) // the retry
	onA.pub(topics.Room(topics.Lobby), 1, `{"text":"next","cid":"c3"}`)
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "next" {
		t.Fatalf("bob got %q (cid %s, id %d) again from node A, want the next message", m.Text, m.CID, m.ID)
	}
}

// TestFriendshipReachesANodeThatMissedTheNotice: a node learns of a
// friendship another node made from that node's notice, which is lost when
// the node dies right after its commit; the next poll of the store must
// still bring it. Two brokers on one database without a cluster are nodes
// whose every notice is lost.
func TestFriendshipReachesANodeThatMissedTheNotice(t *testing.T) {
	nodes := twoNodes(t)
	// Node B knows both accounts (a login of a name it does not know
	// reloads) before the friendship is made.
	aliceB := dialOK(t, nodes[1].MQTTAddr(), "alice", "alicepass1")
	dialOK(t, nodes[1].MQTTAddr(), "bob", "bobpass12")
	aliceA, bobA := dialOK(t, nodes[0].MQTTAddr(), "alice", "alicepass1"), dialOK(t, nodes[0].MQTTAddr(), "bob", "bobpass12")
	aliceA.sub(topics.Events("alice"))
	aliceA.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	bobA.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)
	aliceA.expectEvent(topics.EventFriendAccepted)

	deadline := time.Now().Add(waitFor)
	for {
		var fl topics.FriendList
		aliceB.mustCall(topics.MethodFriendList, struct{}{}, &fl)
		if len(fl.Friends) == 1 && fl.Friends[0].User == "bob" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B's friend list for alice is still %+v", fl)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// twoNodes starts two brokers on one new PostgreSQL database, as a
// cluster's nodes without their NATS, and registers alice and bob.
func twoNodes(t *testing.T) []*broker.Broker {
	t.Helper()
	url := pg.Need(t).NewDB(t)
	var nodes []*broker.Broker
	for range 2 {
		cfg := testConfig(t.TempDir())
		cfg.Store = url
		nodes = append(nodes, startBroker(t, cfg))
	}
	for _, body := range []string{`{"username":"alice","password":"alicepass1"}`, `{"username":"bob","password":"bobpass12"}`} {
		if code, resp := post(t, "http://"+nodes[0].HTTPAddr()+"/api/v1/register", body); code != 201 {
			t.Fatalf("register %s = %d %s", body, code, resp)
		}
	}
	return nodes
}
