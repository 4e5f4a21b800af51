package broker_test

import (
	"encoding/json"
	"testing"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// TestClusterDMCopyCrossesNodes: the copy of a DM for its sender's own
// sessions reaches a session of theirs on another node, once, as the DM
// reaches its addressee there.
func TestClusterDMCopyCrossesNodes(t *testing.T) {
	nodes := startCluster(t, 2)
	a, b := nodes[0], nodes[1]
	register(t, a.Broker, "alice", "bob")
	waitCluster(t, "accounts on node B", func() bool { _, ok := b.Directory().User("bob"); return ok })
	alice := connect(t, a.Broker, "alice")
	tab, err := dial(t, "tcp://"+b.MQTTAddr(), "alice", "alice-password", "alice-tab")
	if err != nil {
		t.Fatal(err)
	}
	bob := connect(t, b.Broker, "bob")
	befriend(t, alice, bob)
	waitCluster(t, "friendship on both nodes", func() bool {
		return a.Directory().AreFriends("alice", "bob") && b.Directory().AreFriends("alice", "bob")
	})
	tab.sub(topics.Root + "/#")
	bob.sub(topics.Root + "/#")

	alice.pub(topics.DM("bob", "alice"), 1, `{"text":"跨节点的私信","cid":"x1"}`)
	got := expectChatFrom(t, bob, topics.DM("bob", "alice"), "alice")
	copied := expectChatFrom(t, tab, topics.DM("alice", "bob"), "alice")
	if copied.ID != got.ID || copied.To != "bob" || copied.CID != "x1" {
		t.Fatalf("copy on node B %+v, bob got %+v", copied, got)
	}
	fence(alice, topics.Room(topics.Lobby), tab, bob)
	n := 0
	for _, m := range tab.all() {
		var msg topics.Message
		if json.Unmarshal(m.Payload(), &msg) == nil && msg.ID == got.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("alice's session on node B got the DM %d times", n)
	}
}
