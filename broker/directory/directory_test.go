package directory_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/directory"
	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// twoUsers is a store with alice and bob, not friends.
func twoUsers(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, n := range []string{"alice", "bob"} {
		if err := st.CreateUser(context.Background(), store.User{Name: n, Nickname: n, PWHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// heldStore holds the next reload that reads friend requests, after it
// read friendships, until release is closed.
type heldStore struct {
	store.Store
	hold    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (h *heldStore) FriendRequests(ctx context.Context) ([]store.Pair, error) {
	if h.hold.CompareAndSwap(true, false) {
		close(h.entered)
		<-h.release
	}
	return h.Store.FriendRequests(ctx)
}

func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("%s: not within a minute", what)
	}
}

// TestReloadsDoNotOverwriteNewerOnes: a node reloads (a poll) and, while it
// reads, another node makes alice and bob friends and says so; the reload
// that notice starts must not be overwritten by the older one's reads, since
// nothing would reload again (friendships do not change the generation).
func TestReloadsDoNotOverwriteNewerOnes(t *testing.T) {
	ctx := context.Background()
	st := twoUsers(t)
	h := &heldStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
	d, err := directory.New(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	h.hold.Store(true)
	first, second := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(first)
		if _, err := d.Reload(ctx); err != nil {
			t.Error(err)
		}
	}()
	within(t, h.entered, "the first reload reading")
	if err := st.MakeFriends(ctx, "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(second)
		if _, err := d.Reload(ctx); err != nil {
			t.Error(err)
		}
	}()
	// Give the second reload time to finish before the first does, if it
	// can; waiting for the first is right, and a slow machine can only hide
	// the defect, never fake it.
	select {
	case <-second:
	case <-time.After(2 * time.Second):
	}
	close(h.release)
	within(t, first, "the first reload")
	within(t, second, "the second reload")
	if !d.AreFriends("alice", "bob") {
		t.Fatal("the older reload overwrote the newer one: alice and bob are not friends in memory")
	}
}

// churnStore makes a local change (a disconnect's last-seen time) while
// every reload reads the accounts, as on a busy node.
type churnStore struct {
	store.Store
	d       *directory.Directory
	changes sync.WaitGroup
}

func (c *churnStore) Users(ctx context.Context) ([]store.User, error) {
	if d := c.d; d != nil {
		done := make(chan struct{})
		c.changes.Go(func() {
			defer close(done)
			_ = d.SetLastSeen(ctx, "alice", time.Now().UnixMilli())
		})
		// A reload may make the change wait for it; it must not wait
		// for the change.
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	return c.Store.Users(ctx)
}

// TestReloadLandsThoughLocalChangesKeepComing: local changes made during a
// reload make it read again, but it must not give up and leave out what
// another node changed.
func TestReloadLandsThoughLocalChangesKeepComing(t *testing.T) {
	ctx := context.Background()
	st := twoUsers(t)
	c := &churnStore{Store: st}
	d, err := directory.New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MakeFriends(ctx, "alice", "bob"); err != nil { // another node
		t.Fatal(err)
	}
	c.d = d
	_, err = d.Reload(ctx)
	c.d = nil
	c.changes.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !d.AreFriends("alice", "bob") {
		t.Fatal("Reload returned no error but left out another node's friendship")
	}
}
