package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// clusterStart bounds how long three node processes take to form a
// cluster on a loaded machine (each waits for the others' JetStream).
const clusterStart = 3 * time.Minute

// startClusterNodes runs n tachikoma-broker serve processes as one cluster
// over the PostgreSQL database url, and returns them once each listens.
func startClusterNodes(t *testing.T, url string, n int) []*server {
	t.Helper()
	cfg := writeFile(t, "limits:\n  messages_per_second: 100000\n  message_burst: 100000\n")
	nats := make([]string, n)
	routes := make([]string, n)
	for i := range nats {
		nats[i] = freePort(t)
		routes[i] = "nats://" + nats[i]
	}
	nodes := make([]*server, n)
	for i := range nodes {
		s := &server{addr: freePort(t), log: &bytes.Buffer{}}
		s.cmd = exec.Command(bin, "serve", "--config", cfg, "--store", url, "--data-dir", t.TempDir(),
			"--mqtt-addr", s.addr, "--ws-addr", "", "--http-addr", "",
			"--cluster", "test", "--node-id", fmt.Sprintf("node%c", 'a'+i), "--nats-listen", nats[i],
			"--nats-routes", strings.Join(routes, ","))
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
		nodes[i] = s
	}
	deadline := time.Now().Add(clusterStart)
	for _, s := range nodes {
		for {
			if c, err := net.Dial("tcp", s.addr); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node did not listen on %s:\n%s", s.addr, s.log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// TestClusterKill9 sends 200 room messages from alice on node A to bob on
// node C, kills node B with SIGKILL halfway and then node C; bob
// reconnects to A with the same client id. Every acknowledged message is
// in history exactly once, bob never gets a message twice, and every
// message acknowledged after his reconnection reaches him once.
func TestClusterKill9(t *testing.T) {
	url := pg.Need(t).NewDB(t)
	mustRun(t, "alicepass1\n", "user", "add", "alice", "--store", url, "--data-dir", t.TempDir())
	mustRun(t, "bobpass123\n", "user", "add", "bob", "--store", url, "--data-dir", t.TempDir())
	nodes := startClusterNodes(t, url, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]

	var mu sync.Mutex
	got := map[int64]int{} // message id → copies bob received
	onMsg := func(_ paho.Client, m paho.Message) {
		var msg topics.Message
		if json.Unmarshal(m.Payload(), &msg) == nil && msg.From == "alice" {
			mu.Lock()
			got[msg.ID]++
			mu.Unlock()
		}
	}
	lobby := topics.Room(topics.Lobby)
	bobOn := func(addr string) paho.Client {
		t.Helper()
		o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetUsername("bob").SetPassword("bobpass123").
			SetClientID("bob-pet").SetCleanSession(false).SetAutoReconnect(false).SetConnectTimeout(time.Minute).
			SetOrderMatters(true).SetDefaultPublishHandler(onMsg)
		cl := paho.NewClient(o)
		if tok := cl.Connect(); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
			t.Fatalf("bob connect to %s: %v", addr, tok.Error())
		}
		if tok := cl.Subscribe(lobby, 1, onMsg); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
			t.Fatalf("bob subscribe: %v", tok.Error())
		}
		return cl
	}
	bob := bobOn(c.addr)
	defer func() { bob.Disconnect(0) }()

	alice := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + a.addr).SetUsername("alice").
		SetPassword("alicepass1").SetClientID("alice-pet").SetAutoReconnect(false))
	if tok := alice.Connect(); !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
		t.Fatalf("alice connect: %v", tok.Error())
	}
	defer alice.Disconnect(0)

	kill := func(s *server) {
		if err := s.cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		s.cmd.Wait()
	}
	var acked []string
	var afterReconnect []string
	send := func(i int) {
		cid := fmt.Sprintf("m%03d", i)
		tok := alice.Publish(lobby, 1, false, fmt.Sprintf(`{"text":"第%d条","cid":%q}`, i, cid))
		if !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
			t.Fatalf("message %d not acknowledged: %v", i, tok.Error())
		}
		acked = append(acked, cid)
	}
	for i := range 200 {
		switch i {
		case 100:
			// The first half crossed from A to C through NATS.
			deadline := time.Now().Add(time.Minute)
			for received(&mu, got) < 100 {
				if time.Now().After(deadline) {
					t.Fatalf("bob on C got %d of alice's 100 messages from A", received(&mu, got))
				}
				time.Sleep(20 * time.Millisecond)
			}
			kill(b)
		case 150:
			kill(c)
			bob = bobOn(a.addr) // the same client id, on the node left
		}
		send(i)
		if i >= 150 {
			afterReconnect = append(afterReconnect, fmt.Sprintf("m%03d", i))
		}
	}

	// History on A is PostgreSQL's: every acknowledged message, once.
	stored := historyCIDs(t, a.addr, "alice", "alicepass1")
	if missing := missingFrom(stored, acked); missing > 0 {
		t.Fatalf("%d of %d acknowledged messages missing from history", missing, len(acked))
	}
	ids := historyIDs(t, a.addr)
	waitFor := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		live := 0
		for _, cid := range afterReconnect {
			if got[ids[cid]] > 0 {
				live++
			}
		}
		mu.Unlock()
		if live == len(afterReconnect) {
			break
		}
		if time.Now().After(waitFor) {
			t.Fatalf("bob got %d of the %d messages sent after he reconnected to A", live, len(afterReconnect))
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range got {
		if n != 1 {
			t.Errorf("bob got message %d %d times", id, n)
		}
	}
	t.Logf("%d acknowledged, all in history once; bob got %d live, none twice", len(acked), len(got))
}

// historyIDs maps each lobby message's cid to its id, read from node addr.
func historyIDs(t *testing.T, addr string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	seen := map[string]int{}
	for _, m := range lobbyHistory(t, addr, "alice", "alicepass1") {
		out[m.CID] = m.ID
		seen[m.CID]++
	}
	for cid, n := range seen {
		if n != 1 {
			t.Errorf("%s is in history %d times", cid, n)
		}
	}
	return out
}

// received is how many different messages got counts.
func received(mu *sync.Mutex, got map[int64]int) int {
	mu.Lock()
	defer mu.Unlock()
	return len(got)
}
