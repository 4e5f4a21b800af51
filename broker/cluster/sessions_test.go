package cluster

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
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
