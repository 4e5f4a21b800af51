package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tachikoma-pet/tachikoma/broker"
)

// Each node writes a heartbeat into the cluster's "nodes" bucket; an entry
// older than nodeStale marks a node unhealthy, and the bucket forgets it
// after nodeGone.
const (
	heartbeatEvery = 2 * time.Second
	nodeStale      = 3 * heartbeatEvery
	nodeGone       = time.Hour
)

// heartbeat is a node's entry in the nodes bucket.
type heartbeat struct {
	Node     string `json:"node"`
	Started  int64  `json:"started"` // unix ms
	Sessions int    `json:"sessions"`
}

func (n *Node) startNodes(ctx context.Context, js jetstream.JetStream, replicas int) error {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.bucket("nodes"), History: 1,
		TTL: nodeGone, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("cluster: nodes bucket: %w", err)
	}
	n.nodes = kv
	n.beat()
	go n.every(heartbeatEvery, n.beat)
	return nil
}

// every calls f each d until the node closes.
func (n *Node) every(d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
			f()
		}
	}
}

func (n *Node) beat() {
	sessions := 0
	if b := n.attached.Load(); b != nil {
		sessions = b.SessionCount()
	}
	hb, _ := json.Marshal(heartbeat{Node: n.cfg.NodeID, Started: n.started.UnixMilli(), Sessions: sessions})
	ctx, cancel := context.WithTimeout(context.Background(), heartbeatEvery)
	defer cancel()
	if _, err := n.nodes.Put(ctx, n.cfg.NodeID, hb); err != nil {
		n.log.Warn("cluster heartbeat", "error", err)
	}
}

// Status is the cluster as this node sees it, for GET /api/v1/cluster.
func (n *Node) Status(ctx context.Context) (broker.ClusterStatus, error) {
	st := broker.ClusterStatus{Cluster: n.cfg.Name, Node: n.cfg.NodeID}
	keys, err := n.nodes.ListKeys(ctx)
	if err != nil {
		return st, fmt.Errorf("cluster status: %w", err)
	}
	peers := n.Peers()
	for key := range keys.Keys() {
		e, err := n.nodes.Get(ctx, key)
		if err != nil {
			continue
		}
		var hb heartbeat
		if json.Unmarshal(e.Value(), &hb) != nil {
			continue
		}
		age := time.Since(e.Created())
		cn := broker.ClusterNode{ID: hb.Node, Started: hb.Started, LastSeen: e.Created().UnixMilli(), Sessions: hb.Sessions,
			Healthy: age < nodeStale}
		// The embedded server's own view: a node it has no route to is
		// not healthy from here, whatever its last heartbeat said.
		if n.srv != nil && hb.Node != n.cfg.NodeID && !slices.Contains(peers, hb.Node) {
			cn.Healthy = false
		}
		st.Nodes = append(st.Nodes, cn)
	}
	slices.SortFunc(st.Nodes, func(a, b broker.ClusterNode) int { return strings.Compare(a.ID, b.ID) })
	return st, nil
}
