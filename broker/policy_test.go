package broker

import (
	"context"
	"slices"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/directory"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// testPolicy is a policy over a directory of ann, bob (ann's friend), cat
// (in room den with ann) and dan (nobody's friend, in no room).
func testPolicy(t *testing.T) (*policy, []string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir, err := directory.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	accounts := []string{"ann", "bob", "cat", "dan"}
	for _, u := range accounts {
		if err := dir.CreateUser(ctx, u, u, "x"); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(dir.MakeFriends(ctx, "ann", "bob"))
	must(dir.CreateRoom(ctx, directory.Room{Name: "den", Owner: "ann"}))
	must(dir.Join(ctx, "den", "ann"))
	must(dir.Join(ctx, "den", "cat"))
	return &policy{dir: dir}, accounts
}

// Readers and Allowed state "who may read" twice, once as a set and once as
// a predicate: for every topic kind they must agree.
func TestReadersAreWhoAllowedLetsRead(t *testing.T) {
	p, accounts := testPolicy(t)
	// "gus" has no account: a topic naming him is readable by him alone
	// where Allowed looks only at the name.
	everyone := append(slices.Clone(accounts), "gus")
	for _, topic := range []string{
		topics.Room("den"),
		topics.RoomEvents("den"),
		topics.Room(topics.Lobby),
		topics.RoomEvents(topics.Lobby),
		topics.Room("nowhere"),
		topics.DM("bob", "ann"),
		topics.DM("gus", "ann"),
		topics.Requests("ann"),
		topics.Replies("ann"),
		topics.Events("cat"),
		topics.PresenceTopic("ann"),
		topics.PresenceTopic("dan"),
		topics.PresenceTopic("gus"),
		topics.Root + "/rooms/den/nope", // malformed: nobody
		topics.Root + "/rooms/Den",
		"sensors/kitchen", // outside tachikoma/, no ACL file: nobody
	} {
		t.Run(topic, func(t *testing.T) {
			names, all := p.Readers(topic)
			if all {
				names = accounts // every account, and only accounts
			}
			got := slices.Sorted(slices.Values(names))
			var want []string
			for _, u := range everyone {
				if p.Allowed(u, u+"-pet", topic, false) {
					want = append(want, u)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("Readers = %v (all %v), Allowed lets %v read", got, all, want)
			}
		})
	}
}
