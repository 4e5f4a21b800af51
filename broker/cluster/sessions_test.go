package cluster

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestClaimsNameWhomTheyReplace: claims of one client id racing on two
// nodes are ordered, and each names the node of the claim just before it
// (the one that must hand over), never an older one.
func TestClaimsNameWhomTheyReplace(t *testing.T) {
	nodes := startTwo(t)
	key := ownerKey("bob-pet")
	type result struct {
		rev  uint64
		from string
		node string
	}
	const perNode = 20
	results := make(chan result, 2*perNode)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ready, wg sync.WaitGroup
	ready.Add(1)
	for _, n := range nodes {
		for range perNode {
			wg.Go(func() {
				ready.Wait()
				rev, from, err := n.owners.claim(ctx, key)
				if err != nil {
					t.Error(err)
					return
				}
				results <- result{rev, from, n.cfg.NodeID}
			})
		}
	}
	ready.Done()
	wg.Wait()
	close(results)
	var all []result
	for r := range results {
		all = append(all, r)
	}
	slices.SortFunc(all, func(x, y result) int { return int(x.rev) - int(y.rev) })
	prev := ""
	for i, r := range all {
		if r.from != prev {
			t.Errorf("claim %d (revision %d, %s) replaced %q, want %q", i, r.rev, r.node, r.from, prev)
		}
		prev = r.node
	}
	if len(all) != 2*perNode {
		t.Errorf("%d claims, want %d", len(all), 2*perNode)
	}
}

// unwritableKV refuses every write, as a bucket without its majority.
type unwritableKV struct{ jetstream.KeyValue }

func (unwritableKV) Create(context.Context, string, []byte, ...jetstream.KVCreateOpt) (uint64, error) {
	return 0, errors.New("no quorum")
}

func (unwritableKV) Update(context.Context, string, []byte, uint64) (uint64, error) {
	return 0, errors.New("no quorum")
}

// TestFailedClaimGivesWay: a session whose claim could not be written ends
// when another node claims its client id, rather than live on beside it.
func TestFailedClaimGivesWay(t *testing.T) {
	nodes := startTwo(t)
	a, b := nodes[0], nodes[1]
	kv := a.owners.kv
	a.owners.kv = unwritableKV{kv}
	a.SessionStarted("bob-pet", false) // fails after claimWait
	a.owners.kv = kv
	if a.owners.started("bob-pet").IsZero() {
		t.Fatal("the session with a failed claim is not held")
	}
	b.SessionStarted("bob-pet", false)
	if b.owners.revision("bob-pet") == 0 {
		t.Fatal("node1 did not claim bob-pet")
	}
	deadline := time.Now().Add(30 * time.Second)
	for !a.owners.started("bob-pet").IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("node0 still holds bob-pet's session after node1 claimed it")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClaimHandedToNextClaim: claims other nodes wrote while this node's
// was on its way are handed over to in order: the first after its own,
// not the newest (whose claimant takes over from that first one).
func TestClaimHandedToNextClaim(t *testing.T) {
	c := &claim{foreign: []uint64{9, 3, 7}}
	for _, tc := range []struct{ rev, want uint64 }{{5, 7}, {0, 3}, {7, 9}, {9, 0}} {
		if got := c.after(tc.rev); got != tc.want {
			t.Errorf("after %d: %d, want %d", tc.rev, got, tc.want)
		}
	}
}
