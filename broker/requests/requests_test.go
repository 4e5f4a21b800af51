package requests_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/directory"
	"github.com/tachikoma-pet/tachikoma/broker/requests"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// events records what a node publishes, as "to: type user".
type events struct {
	mu   sync.Mutex
	sent []string
}

func (p *events) Publish(topic string, payload []byte, _ bool, _ byte) error {
	var ev topics.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, fmt.Sprintf("%s: %s %s", topic, ev.Type, ev.User))
	return nil
}

// take returns what was published since the last take.
func (p *events) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.sent
	p.sent = nil
	return out
}

// presence records the friendships a node announced.
type presence struct{ befriended []string }

func (p *presence) Online(string) bool     { return false }
func (p *presence) Befriended(a, b string) { p.befriended = append(p.befriended, a+"+"+b) }
func (p *presence) Renamed(string)         {}

// node is one broker's request handler over a store other nodes share.
type node struct {
	h    *requests.Handler
	pub  *events
	pres *presence
}

func newNode(t *testing.T, st store.Store) *node {
	t.Helper()
	dir, err := directory.New(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{pub: &events{}, pres: &presence{}}
	n.h = &requests.Handler{Dir: dir, Pub: n.pub, Presence: n.pres}
	return n
}

// call makes user's request and returns its result's status, or its error.
func (n *node) call(t *testing.T, user, method, other string) string {
	t.Helper()
	params, _ := json.Marshal(topics.Params{User: other})
	req, _ := json.Marshal(topics.Request{ID: "1", Method: method, Params: params})
	r := n.h.Handle(context.Background(), user, req)
	if r.Error != nil {
		return fmt.Sprintf("error %d", r.Error.Code)
	}
	var res struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		t.Fatalf("%s: %s: %v", method, r.Result, err)
	}
	return res.Status
}

// TestFriendRequestCrossedWithAnotherNode: bob asks alice on node B, whose
// directory has not yet seen alice's request to him from node A; asking
// back is accepting, as on one broker, since the shared store decides.
func TestFriendRequestCrossedWithAnotherNode(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range []string{"alice", "bob"} {
		if err := st.CreateUser(ctx, store.User{Name: n, Nickname: "小" + n, PWHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := newNode(t, st), newNode(t, st)

	if got := a.call(t, "alice", topics.MethodFriendRequest, "bob"); got != "requested" {
		t.Fatalf("alice asks bob: %s", got)
	}
	if got, want := a.pub.take(), []string{topics.Events("bob") + ": friend.request alice"}; !slices.Equal(got, want) {
		t.Fatalf("alice's request sent %q, want %q", got, want)
	}
	if got := a.call(t, "alice", topics.MethodFriendRequest, "bob"); got != "requested" || len(a.pub.take()) != 0 {
		t.Fatalf("asking again: %s, and it must send nothing", got)
	}

	if got := b.call(t, "bob", topics.MethodFriendRequest, "alice"); got != "friends" {
		t.Fatalf("bob asks alice back on node B: %s, want friends", got)
	}
	want := []string{topics.Events("alice") + ": friend.accepted bob", topics.Events("bob") + ": friend.accepted alice"}
	if got := b.pub.take(); !slices.Equal(got, want) {
		t.Fatalf("bob's asking back sent %q, want %q", got, want)
	}
	if !slices.Equal(b.pres.befriended, []string{"bob+alice"}) {
		t.Fatalf("presence told of %q", b.pres.befriended)
	}
	if !b.h.Dir.AreFriends("alice", "bob") || b.h.Dir.HasRequest("alice", "bob") {
		t.Fatal("node B's directory does not show them as friends without requests")
	}
	if rs, err := st.FriendRequests(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("requests left in the store: %v %v", rs, err)
	}

	// Node A still holds alice's request: asking again is refused, and A
	// learns of the friendship.
	if got := a.call(t, "alice", topics.MethodFriendRequest, "bob"); got != fmt.Sprintf("error %d", topics.CodeConflict) {
		t.Fatalf("alice asks her new friend again on node A: %s", got)
	}
	if len(a.pub.take()) != 0 || !a.h.Dir.AreFriends("alice", "bob") || a.h.Dir.HasRequest("alice", "bob") {
		t.Fatal("node A sent an event, or did not learn of the friendship")
	}
}
