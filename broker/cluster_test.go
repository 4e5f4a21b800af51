package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/broker/cluster"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// clusterWait bounds how long a cluster takes to form on a loaded machine.
const clusterWait = 60 * time.Second

// node is one broker of a test cluster.
type node struct {
	*broker.Broker
	n *cluster.Node
}

// startCluster runs n brokers on loopback, each a cluster node with an
// embedded NATS server routed to the others, and waits until every node
// has routes to all others. They share one PostgreSQL database.
func startCluster(t testing.TB, n int, configure ...func(*broker.Config)) []node {
	t.Helper()
	db := pg.Need(t).NewDB(t)
	addrs := make([]string, n)
	routes := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", brokertest.FreePort(t))
		routes[i] = "nats://" + addrs[i]
	}
	nodes := make([]node, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range nodes {
		cfg := testConfig(t.TempDir())
		cfg.Store = db
		for _, f := range configure {
			f(&cfg)
		}
		cfg.Cluster = broker.ClusterConfig{Name: "test", NodeID: fmt.Sprintf("node%c", 'a'+i), NATSListen: addrs[i], NATSRoutes: strings.Join(routes, ",")}
		wg.Add(1)
		go func() { // each waits for the others to keep JetStream's copies
			defer wg.Done()
			nodes[i], errs[i] = startNode(t, cfg)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(clusterWait)
	for _, nd := range nodes {
		for len(nd.n.Peers()) < n-1 {
			if time.Now().After(deadline) {
				t.Fatalf("cluster did not form: peers %v", nd.n.Peers())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// startNode starts one cluster node as tachikoma-broker serve does, and
// stops it when the test ends.
func startNode(t testing.TB, cfg broker.Config) (node, error) {
	log := brokertest.Logger(t, testLogLevel)
	cn, err := cluster.Start(cfg.Cluster, cluster.Options{DataDir: cfg.DataDir, Logger: log, SessionExpiry: time.Duration(cfg.Sessions.SessionExpiry),
		MessageExpiry: time.Duration(cfg.Sessions.MessageExpiry), MaxQueued: cfg.Limits.MaxQueued})
	if err != nil {
		return node{}, err
	}
	b, err := broker.New(cfg, broker.Options{PasswordCost: &fastHash, Logger: log, Backplane: cn})
	if err != nil {
		cn.Close()
		return node{}, err
	}
	if err := cn.Attach(b); err != nil {
		b.Close()
		cn.Close()
		return node{}, err
	}
	if err := b.Start(); err != nil {
		b.Close()
		cn.Close()
		return node{}, err
	}
	t.Cleanup(func() {
		b.Close()
		cn.Close()
	})
	return node{b, cn}, nil
}

// waitCluster polls cond until it holds or clusterWait passes.
func waitCluster(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, clusterWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClusterChatsAsOneBroker: alice on node A and bob on node C chat in a
// room, become friends, send DMs, see each other's presence and read the
// same history, as on one broker.
func TestClusterChatsAsOneBroker(t *testing.T) {
	nodes := startCluster(t, 3)
	a, c := nodes[0], nodes[2]
	register(t, a.Broker, "alice", "bob", "carol")
	for _, nd := range nodes {
		waitCluster(t, "accounts on every node", func() bool { _, ok := nd.Directory().User("carol"); return ok })
	}

	bob := connect(t, c.Broker, "bob")
	bob.sub(topics.Root + "/#")
	alice := connect(t, a.Broker, "alice")
	alice.sub(topics.Root + "/#")

	lobby := topics.Room(topics.Lobby)
	alice.pub(lobby, 1, `{"text":"大家好","cid":"a1"}`)
	if m := expectChatFrom(t, bob, lobby, "alice"); m.Text != "大家好" {
		t.Fatalf("bob got %+v in the lobby", m)
	}
	bob.pub(lobby, 1, `{"text":"hi alice","cid":"b1"}`)
	if m := expectChatFrom(t, alice, lobby, "bob"); m.Text != "hi alice" {
		t.Fatalf("alice got %+v in the lobby", m)
	}

	// A room alice creates on A, bob joins on C; carol on B is not in it.
	carol := connect(t, nodes[1].Broker, "carol")
	carol.sub(topics.Root + "/#")
	alice.mustCall(topics.MethodRoomCreate, topics.Params{Room: "club"}, nil)
	bob.mustCall(topics.MethodRoomJoin, topics.Params{Room: "club"}, nil)
	club := topics.Room("club")
	alice.pub(club, 1, `{"text":"俱乐部","cid":"a3"}`)
	expectChatFrom(t, bob, club, "alice")
	fence(alice, lobby, bob, carol)
	for _, m := range carol.all() {
		if m.Topic() == club {
			t.Errorf("carol, not a member, got %s", m.Payload())
		}
	}
	n := 0
	for _, m := range bob.all() {
		if m.Topic() == lobby && strings.Contains(string(m.Payload()), "大家好") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("bob got alice's lobby message %d times, want once", n)
	}

	// A friend request made on A reaches bob on C, who accepts it there.
	alice.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	bob.expectEvent(topics.EventFriendRequest)
	bob.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)
	alice.expectEvent(topics.EventFriendAccepted)
	waitCluster(t, "friendship on node A", func() bool { return a.Directory().AreFriends("alice", "bob") })

	dm := topics.DM("bob", "alice")
	alice.pub(dm, 1, `{"text":"悄悄话","cid":"a2"}`)
	got := expectChatFrom(t, bob, dm, "alice")
	if got.Text != "悄悄话" || got.To != "bob" {
		t.Fatalf("bob got DM %+v", got)
	}
	bob.pub(topics.DM("alice", "bob"), 1, `{"text":"收到","cid":"b2"}`)
	expectChatFrom(t, alice, topics.DM("alice", "bob"), "bob")

	// Presence: alice going and coming back on A is seen by bob on C.
	alice.c.Disconnect(100)
	expectPresence(t, bob, "alice", topics.Offline)
	alice2 := connect(t, a.Broker, "alice")
	expectPresence(t, bob, "alice", topics.Online)

	// History read on either node is the same, ids included.
	var ha, hc topics.History
	waitCluster(t, "history on both nodes", func() bool {
		alice2.mustCall(topics.MethodHistory, topics.Params{Peer: "bob"}, &ha)
		bob.mustCall(topics.MethodHistory, topics.Params{Peer: "alice"}, &hc)
		return len(ha.Messages) == 2 && slices.EqualFunc(ha.Messages, hc.Messages, func(x, y topics.Message) bool { return x.ID == y.ID && x.Text == y.Text })
	})
	if ha.Messages[0].ID <= ha.Messages[1].ID || ha.Messages[0].Text != "收到" {
		t.Errorf("history not newest first: %+v", ha.Messages)
	}
}

// expectPresence waits up to clusterWait for c to be told that user's
// status is status.
func expectPresence(t *testing.T, c *client, user, status string) {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for time.Now().Before(deadline) {
		if c.next(func(m paho.Message) bool {
			var p topics.Presence
			return m.Topic() == topics.PresenceTopic(user) && json.Unmarshal(m.Payload(), &p) == nil && p.Status == status
		}) != nil {
			return
		}
	}
	t.Fatalf("%s: %s never %s; got %v", c.user, user, status, c.received())
}

// expectChatFrom waits for a chat message from sender on topic.
func expectChatFrom(t *testing.T, c *client, topic, sender string) topics.Message {
	t.Helper()
	var msg topics.Message
	if c.next(func(m paho.Message) bool {
		return m.Topic() == topic && json.Unmarshal(m.Payload(), &msg) == nil && msg.From == sender
	}) == nil {
		t.Fatalf("%s: nothing from %s on %s; got %v", c.user, sender, topic, c.received())
	}
	return msg
}

// TestClusterTakeover: a client id that connects to node C while its
// persistent session is on node A takes the session over, as on one
// broker: A closes the old connection and keeps nothing, and a DM reaches
// the new session once.
func TestClusterTakeover(t *testing.T) {
	nodes := startCluster(t, 3)
	a, c := nodes[0], nodes[2]
	register(t, a.Broker, "alice", "bob")
	waitCluster(t, "accounts on node C", func() bool { _, ok := c.Directory().User("bob"); return ok })
	persistent := func(o *paho.ClientOptions) { o.SetCleanSession(false) }

	old, err := dial(t, "tcp://"+a.MQTTAddr(), "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	old.sub(topics.Root + "/#")
	alice := connect(t, a.Broker, "alice")
	alice.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	old.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)

	bob, err := dial(t, "tcp://"+c.MQTTAddr(), "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	waitCluster(t, "old connection closed", func() bool { return !old.c.IsConnected() })
	waitCluster(t, "session gone from node A", func() bool { return a.SessionCount() == 1 }) // alice's
	bob.sub(topics.Root + "/#")
	alice.pub(topics.DM("bob", "alice"), 1, `{"text":"还在吗","cid":"t1"}`)
	expectChatFrom(t, bob, topics.DM("bob", "alice"), "alice")
	fence(alice, topics.DM("bob", "alice"), bob)
	n := 0
	for _, m := range bob.all() {
		if strings.Contains(string(m.Payload()), "还在吗") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("bob got the DM %d times, want once", n)
	}
}

// TestClusterTakeoverRace: the same client id connecting to two nodes at
// once ends with one session in the cluster.
func TestClusterTakeoverRace(t *testing.T) {
	nodes := startCluster(t, 3)
	register(t, nodes[0].Broker, "bob")
	for _, nd := range nodes {
		waitCluster(t, "accounts on every node", func() bool { _, ok := nd.Directory().User("bob"); return ok })
	}
	persistent := func(o *paho.ClientOptions) { o.SetCleanSession(false) }
	for round := range 5 {
		id := fmt.Sprintf("bob-race-%d", round)
		var wg sync.WaitGroup
		clients := make([]*client, 2)
		for i, nd := range []node{nodes[0], nodes[1]} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				clients[i], _ = dial(t, "tcp://"+nd.MQTTAddr(), "bob", "bob-password", id, persistent)
			}()
		}
		wg.Wait()
		waitCluster(t, "one session of "+id, func() bool {
			held := 0
			for _, nd := range nodes {
				held += nd.SessionCount()
			}
			live := 0
			for _, cl := range clients {
				if cl != nil && cl.c.IsConnected() {
					live++
				}
			}
			return held == 1 && live <= 1
		})
		// The one left still works once every claim has been seen.
		for _, cl := range clients {
			if cl != nil && cl.c.IsConnected() {
				cl.mustCall(topics.MethodProfileGet, topics.Params{}, nil)
				cl.mustCall(topics.MethodProfileGet, topics.Params{}, nil)
				if !cl.c.IsConnected() {
					t.Errorf("round %d: the session left was ended too", round)
				}
			}
		}
		held := 0
		for _, nd := range nodes {
			held += nd.SessionCount()
		}
		if held != 1 {
			t.Errorf("round %d: %d sessions of one client id", round, held)
		}
		for _, cl := range clients {
			if cl != nil {
				cl.c.Disconnect(0)
			}
		}
		for _, nd := range nodes { // the next round counts its own session only
			nd.EndSession(id)
		}
	}
}

// TestClusterStatus: GET /api/v1/cluster on any node lists every node,
// healthy.
func TestClusterStatus(t *testing.T) {
	nodes := startCluster(t, 3)
	var st broker.ClusterStatus
	waitCluster(t, "three healthy nodes", func() bool {
		res, err := http.Get("http://" + nodes[1].HTTPAddr() + "/api/v1/cluster")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || json.Unmarshal(body, &st) != nil {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		healthy := 0
		for _, n := range st.Nodes {
			if n.Healthy {
				healthy++
			}
		}
		return healthy == 3
	})
	if st.Cluster != "test" || st.Node != "nodeb" || st.Nodes[0].ID != "nodea" || st.Nodes[2].ID != "nodec" {
		t.Errorf("status %+v", st)
	}
}

// TestClusterPresence: a user online on two nodes stays online for a
// friend on a third until both connections close; a friend subscribing
// on another node is sent the current state; and when the node holding
// a user's only connection dies (its NATS gone, no goodbye), the friend
// sees them offline once its heartbeat is stale.
func TestClusterPresence(t *testing.T) {
	nodes := startCluster(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	register(t, a.Broker, "alice", "bob", "carol")
	for _, nd := range nodes {
		waitCluster(t, "accounts on every node", func() bool { _, ok := nd.Directory().User("carol"); return ok })
	}
	alice := connect(t, a.Broker, "alice")
	carol := connect(t, a.Broker, "carol")
	bob := connect(t, c.Broker, "bob")
	alice.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	bob.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)

	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-second"); err != nil {
		t.Fatal(err)
	}
	bob.sub(topics.Root + "/#") // sent alice's state as node C knows it
	expectPresence(t, bob, "alice", topics.Online)
	var fl topics.FriendList
	bob.mustCall(topics.MethodFriendList, topics.Params{}, &fl)
	if len(fl.Friends) != 1 || fl.Friends[0].Status != topics.Online {
		t.Errorf("bob's friend list on C: %+v, want alice online", fl)
	}

	waitCluster(t, "node A sees alice on B", func() bool { return a.n.OnlineElsewhere("alice") })
	// alice is still online on B.
	alice.c.Disconnect(100)
	waitCluster(t, "alice's session on A gone", func() bool { return a.SessionCount() == 1 }) // carol's
	// What A sent before carol's message has reached C when it has.
	carol.pub(topics.Room(topics.Lobby), 1, `{"text":"fence","cid":"f1"}`)
	expectChatFrom(t, bob, topics.Room(topics.Lobby), "carol")
	for _, m := range bob.drain() {
		if m.Topic() == topics.PresenceTopic("alice") && strings.Contains(string(m.Payload()), topics.Offline) {
			t.Fatalf("bob told alice is offline while she is on node B: %s", m.Payload())
		}
	}

	b.n.Close() // node B dies as far as the cluster can tell
	expectPresence(t, bob, "alice", topics.Offline)
}

// TestClusterOfflineQueue: DMs sent while bob is away, his persistent
// session on node C, reach him once when C is gone and he comes back on
// node A with the same client id; and once, not twice, when he next
// resumes the session on A, which held them too.
func TestClusterOfflineQueue(t *testing.T) {
	nodes := startCluster(t, 3)
	a, c := nodes[0], nodes[2]
	register(t, a.Broker, "alice", "bob")
	waitCluster(t, "accounts on node C", func() bool { _, ok := c.Directory().User("bob"); return ok })
	persistent := func(o *paho.ClientOptions) { o.SetCleanSession(false) }
	dm := topics.DM("bob", "alice")

	bob, err := dial(t, "tcp://"+c.MQTTAddr(), "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	bob.sub(topics.Root + "/#")
	alice := connect(t, a.Broker, "alice")
	alice.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
	bob.mustCall(topics.MethodFriendAccept, topics.Params{User: "alice"}, nil)
	waitCluster(t, "friendship on node A", func() bool { return a.Directory().AreFriends("alice", "bob") })
	bob.c.Disconnect(100)
	waitCluster(t, "bob away for node A", func() bool { return !a.n.Online("bob") })

	send := func(from, to int) {
		for i := from; i < to; i++ {
			alice.pub(dm, 1, fmt.Sprintf(`{"text":"离线%d","cid":"q%d"}`, i, i))
		}
	}
	// count waits until c has had every one of texts and the offline
	// queue has handed over all it held, then fails on any text c got
	// twice.
	count := func(c *client, from, to int) {
		t.Helper()
		waitCluster(t, "the queued DMs", func() bool {
			seen := 0
			for i := from; i < to; i++ {
				for _, m := range c.all() {
					if strings.Contains(string(m.Payload()), fmt.Sprintf(`"离线%d"`, i)) {
						seen++
						break
					}
				}
			}
			return seen == to-from
		})
		// The queue is read in the background, after mochi resent what a
		// resumed session held: a copy given twice comes from it.
		waitCluster(t, "the offline queue taken", func() bool {
			k, err := a.n.Pending("bob", "bob-pet")
			return err == nil && k == 0
		})
		fence(alice, dm, c)
		n := map[string]int{}
		for _, m := range c.all() {
			var msg topics.Message
			if m.Topic() == dm && json.Unmarshal(m.Payload(), &msg) == nil && strings.HasPrefix(msg.Text, "离线") {
				n[msg.Text]++
			}
		}
		for text, k := range n {
			if k != 1 {
				t.Errorf("%s got %q %d times", c.user, text, k)
			}
		}
	}
	send(0, 20)
	c.n.Close() // node C dies with bob's session
	c.Close()

	back, err := dial(t, "tcp://"+a.MQTTAddr(), "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	back.sub(topics.Root + "/#")
	count(back, 0, 20)

	back.c.Disconnect(100)
	waitCluster(t, "bob away again", func() bool { return !a.n.Online("bob") })
	send(20, 25)
	again, err := dial(t, "tcp://"+a.MQTTAddr(), "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	count(again, 20, 25)
}

// TestClusterTakeoverCarries: a persistent session taken over from a node
// that is still alive keeps what it held there, as on one broker: what node
// A had sent bob's session and bob had not acknowledged (a room message, a
// DM, a friend request event) and the DM queued while bob was away reach
// the new session on node B each once, the held ones in their order, over
// MQTT 3.1.1 and 5.
func TestClusterTakeoverCarries(t *testing.T) {
	nodes := startCluster(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	register(t, a.Broker, "alice", "bob", "carol", "dave")
	for _, nd := range nodes {
		waitCluster(t, "accounts on every node", func() bool { _, ok := nd.Directory().User("dave"); return ok })
	}
	alice := connect(t, a.Broker, "alice")
	alice.sub(topics.Root + "/#")
	bob := connect(t, a.Broker, "bob")
	befriend(t, alice, bob)
	bob.c.Disconnect(100)
	waitCluster(t, "friendship on node B", func() bool { return b.Directory().AreFriends("alice", "bob") })
	lobby, dm := topics.Room(topics.Lobby), topics.DM("bob", "alice")

	for _, tc := range []struct {
		version byte
		asker   string
	}{{4, "carol"}, {5, "dave"}} {
		id := fmt.Sprintf("bob-v%d", tc.version)
		var props packets.Properties
		if tc.version == 5 {
			props.SessionExpiryInterval, props.SessionExpiryIntervalFlag = 3600, true
		}
		texts := []string{fmt.Sprintf("房间%d", tc.version), fmt.Sprintf("私信%d-1", tc.version)}
		event := fmt.Sprintf(`"%s"`, tc.asker) // in the friend request event, from tc.asker
		late := fmt.Sprintf("私信%d-2", tc.version)
		held := func(pk packets.Packet) (string, bool) {
			switch {
			case pk.TopicName == topics.Events("bob") && strings.Contains(string(pk.Payload), event):
				return "event", true
			case pk.TopicName == lobby || pk.TopicName == dm:
				var m topics.Message
				if json.Unmarshal(pk.Payload, &m) == nil && (slices.Contains(texts, m.Text) || m.Text == late) {
					return m.Text, true
				}
			}
			return "", false
		}

		// Node A sends these and bob does not acknowledge them.
		old := dialRawSession(t, a.Broker, "bob", id, false, tc.version, props)
		old.subscribe(packets.Subscription{Filter: topics.Root + "/#", Qos: 1}, 0)
		alice.pub(lobby, 1, fmt.Sprintf(`{"text":%q,"cid":"r%d"}`, texts[0], tc.version))
		alice.pub(dm, 1, fmt.Sprintf(`{"text":%q,"cid":"d%d"}`, texts[1], tc.version))
		asker := connect(t, c.Broker, tc.asker)
		asker.mustCall(topics.MethodFriendRequest, topics.Params{User: "bob"}, nil)
		var order []string
		for len(order) < 3 {
			if what, ok := held(old.nextPublish()); ok {
				order = append(order, what)
			}
		}
		// bob goes away; a DM then is held on A and queued in JetStream.
		old.conn.Close()
		waitCluster(t, "bob away", func() bool { return !a.n.Online("bob") && !b.n.Online("bob") })
		alice.pub(dm, 1, fmt.Sprintf(`{"text":%q,"cid":"e%d"}`, late, tc.version))
		waitCluster(t, "node A holding bob's four", func() bool {
			return len(slices.DeleteFunc(a.QueuedTopics(id), func(topic string) bool {
				return topic != lobby && topic != dm && topic != topics.Events("bob")
			})) == 4
		})
		order = append(order, late)

		// bob comes back on node B: A gives way and hands over.
		cur := dialRawSession(t, b.Broker, "bob", id, false, tc.version, props)
		waitCluster(t, "session gone from node A", func() bool { return a.QueuedTopics(id) == nil })
		got := map[string]int{}
		var seen, ids []string
		note := func(pk packets.Packet) {
			if what, ok := held(pk); ok {
				got[what]++
				seen = append(seen, what)
				ids = append(ids, fmt.Sprintf("%s#%d", what, pk.PacketID))
			}
		}
		for _, pk := range cur.subscribeSeeing(packets.Subscription{Filter: topics.Root + "/#", Qos: 1}, 0) {
			note(pk)
		}
		marker := fmt.Sprintf("fence%d", tc.version)
		deadline := time.Now().Add(clusterWait)
		for fenced := false; !fenced || len(got) < 4; {
			if time.Now().After(deadline) {
				t.Fatalf("MQTT %d: node B gave %v, want %v each once", tc.version, seen, order)
			}
			pk, err := cur.read(time.Second)
			if err != nil {
				if len(got) == 4 && !fenced { // everything came: what else would, is before this
					alice.pub(dm, 1, fmt.Sprintf(`{"text":%q}`, marker))
				}
				continue
			}
			if pk.FixedHeader.Type != packets.Publish {
				continue
			}
			if pk.FixedHeader.Qos > 0 {
				cur.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
			}
			fenced = fenced || strings.Contains(string(pk.Payload), marker)
			note(pk)
		}
		for _, what := range order {
			if got[what] != 1 {
				t.Errorf("MQTT %d: %s given %d times on node B, want once (all: %v)", tc.version, what, got[what], seen)
			}
		}
		// What A held comes in A's order; the late DM may come first, from
		// the offline queue.
		inOrder := slices.DeleteFunc(slices.Clone(seen), func(s string) bool { return s == late })
		if !slices.Equal(inOrder, order[:3]) {
			t.Errorf("MQTT %d: node B gave %v, want %v in that order", tc.version, ids, order[:3])
		}
		cur.conn.Close()
	}
}

// TestClusterOfflineQueueSessions: two persistent sessions of bob (two
// client ids) on node C are away while alice sends DMs; C dies; each
// session, back on its own node, gets every DM once.
func TestClusterOfflineQueueSessions(t *testing.T) {
	nodes := startCluster(t, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	register(t, a.Broker, "alice", "bob")
	for _, nd := range nodes {
		waitCluster(t, "accounts on every node", func() bool { _, ok := nd.Directory().User("bob"); return ok })
	}
	persistent := func(o *paho.ClientOptions) { o.SetCleanSession(false) }
	dm := topics.DM("bob", "alice")
	ids := []string{"bob-pet", "bob-phone"}
	for _, id := range ids {
		s, err := dial(t, "tcp://"+c.MQTTAddr(), "bob", "bob-password", id, persistent)
		if err != nil {
			t.Fatal(err)
		}
		s.sub(topics.Root + "/#")
		if id == ids[0] {
			alice := connect(t, a.Broker, "alice")
			befriend(t, alice, s)
			alice.c.Disconnect(100)
		}
		s.c.Disconnect(100)
	}
	alice := connect(t, a.Broker, "alice")
	waitCluster(t, "friendship on node A", func() bool { return a.Directory().AreFriends("alice", "bob") })
	waitCluster(t, "bob away for node A", func() bool { return !a.n.Online("bob") })
	var texts []string
	for i := range 10 {
		texts = append(texts, fmt.Sprintf("给两个%d", i))
		alice.pub(dm, 1, fmt.Sprintf(`{"text":%q,"cid":"s%d"}`, texts[i], i))
	}
	c.n.Close() // node C dies with both sessions
	c.Close()

	for i, nd := range []node{a, b} {
		back, err := dial(t, "tcp://"+nd.MQTTAddr(), "bob", "bob-password", ids[i], persistent)
		if err != nil {
			t.Fatal(err)
		}
		back.sub(topics.Root + "/#")
		waitCluster(t, ids[i]+" given the queued DMs", func() bool {
			k, err := nd.n.Pending("bob", ids[i])
			return err == nil && k == 0 && len(dmTexts(back, dm, texts)) >= len(texts)
		})
		fence(alice, dm, back)
		n := map[string]int{}
		for _, text := range dmTexts(back, dm, texts) {
			n[text]++
		}
		for _, text := range texts {
			if n[text] != 1 {
				t.Errorf("%s got %q %d times, want once", ids[i], text, n[text])
			}
		}
	}
}

// dmTexts is the texts c received on topic that are among texts.
func dmTexts(c *client, topic string, texts []string) []string {
	var out []string
	for _, m := range c.all() {
		var msg topics.Message
		if m.Topic() == topic && json.Unmarshal(m.Payload(), &msg) == nil && slices.Contains(texts, msg.Text) {
			out = append(out, msg.Text)
		}
	}
	return out
}

// heldBackplane is a cluster that holds one DM for bob and gives it, in
// the first take after arm, only once the test says.
type heldBackplane struct {
	first   chan struct{} // closed at the first take (the session's start)
	once    sync.Once
	armed   atomic.Bool
	waiting chan struct{} // closed: the armed take is about to give
	give    chan struct{} // closed: it gives
	given   chan bool     // what give answered
}

func (h *heldBackplane) Forward(packets.Packet)      {}
func (h *heldBackplane) Interest(string, bool)       {}
func (h *heldBackplane) DirectoryChanged()           {}
func (h *heldBackplane) SessionStarted(string, bool) {}
func (h *heldBackplane) SessionEnded(string)         {}
func (h *heldBackplane) Presence(string, []byte)     {}
func (h *heldBackplane) OnlineElsewhere(string) bool { return false }
func (h *heldBackplane) Status(context.Context) (broker.ClusterStatus, error) {
	return broker.ClusterStatus{}, nil
}

func (h *heldBackplane) Held(_, _ string, give func(packets.Packet) bool) (bool, error) {
	armed := h.armed.CompareAndSwap(true, false)
	h.once.Do(func() { close(h.first) })
	if !armed {
		return false, nil
	}
	close(h.waiting)
	<-h.give
	h.given <- give(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
		TopicName: topics.DM("bob", "alice"), Payload: []byte(`{"id":7,"from":"alice","text":"你好"}`), Created: time.Now().Unix()})
	return false, nil
}

// TestClusterEndSessionDuringTake: a session taken over by another node
// while it is being given what the cluster held for it either gets the
// message before it ends (and hands it over) or leaves it in the cluster
// for its new owner: never given to the ended session, lost.
func TestClusterEndSessionDuringTake(t *testing.T) {
	bp := &heldBackplane{first: make(chan struct{}), waiting: make(chan struct{}), give: make(chan struct{}), given: make(chan bool, 1)}
	b := brokertest.StartWith(t, testConfig(t.TempDir()), broker.Options{Logger: brokertest.Logger(t, testLogLevel), Backplane: bp})
	register(t, b, "alice", "bob")
	bob := connect(t, b, "bob", func(o *paho.ClientOptions) { o.SetCleanSession(false) })
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(clusterWait):
			t.Fatalf("%s: not within %v", what, clusterWait)
		}
	}
	wait(bp.first, "the take at the session's start")
	bp.armed.Store(true)
	bob.sub(topics.DMInbox("bob"))
	wait(bp.waiting, "the take after subscribe")

	ended := make(chan []packets.Packet, 1)
	go func() { ended <- b.EndSession("bob-" + t.Name()) }()
	var held []packets.Packet
	select {
	case held = <-ended:
	case <-time.After(clusterWait):
		t.Fatal("EndSession did not return")
	}
	close(bp.give)
	var took bool
	select {
	case took = <-bp.given:
	case <-time.After(clusterWait):
		t.Fatal("the take did not give")
	}
	handed := slices.ContainsFunc(held, func(pk packets.Packet) bool { return pk.TopicName == topics.DM("bob", "alice") })
	if took && !handed {
		t.Error("the DM was given to the ended session and is in no handover: lost")
	}
}
