package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/jackc/pgx/v5"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	"github.com/tachikoma-pet/tachikoma/petclient/chat"
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

// TestClusterKill9 is issue 17's failure test. alice on node A sends 200
// QoS 1 room messages; node B is killed with SIGKILL after 100 of them are
// acknowledged and node C, which holds bob's pet and dave, after 150. bob
// is the real pet chat client behind a TCP balancer, as docs/CLUSTER.md
// tells operators to run the nodes: it reconnects by itself, to A, with the
// same client id and no session there, and catches up from history. Every
// acknowledged message reaches bob's pet once by id, history on A is what
// PostgreSQL holds, and carol on A sees dave offline within the heartbeat
// bound while bob stays online.
func TestClusterKill9(t *testing.T) {
	url := pg.Need(t).NewDB(t)
	pw := map[string]string{"alice": "alicepass1", "bob": "bobpass123", "carol": "carolpass1", "dave": "davepass12"}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		mustRun(t, pw[u]+"\n", "user", "add", u, "--store", url, "--data-dir", t.TempDir())
	}
	nodes := startClusterNodes(t, url, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]

	// bob's pet is far away (50 ms each way) and lands on C while it lives.
	lb := startBalancer(t, 50*time.Millisecond, c.addr, b.addr, a.addr)
	bob := startPet(t, lb.addr, "bob", pw["bob"])
	carol := startPet(t, a.addr, "carol", pw["carol"])
	dave := startPet(t, c.addr, "dave", pw["dave"])
	for _, f := range []*pet{bob, dave} {
		if _, err := carol.c.FriendRequest(ctxFor(t, time.Minute), f.c.User()); err != nil {
			t.Fatal(err)
		}
		if err := f.c.FriendAccept(ctxFor(t, time.Minute), "carol"); err != nil {
			t.Fatal(err)
		}
	}
	within(t, "carol on A sees bob and dave on C online", time.Minute, func() bool {
		return carol.online("bob") == 1 && carol.online("dave") == 1
	})

	alice := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + a.addr).SetUsername("alice").
		SetPassword(pw["alice"]).SetClientID("alice-pet").SetAutoReconnect(false))
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
	lobby := topics.Room(topics.Lobby)
	var acked []string
	var killedC time.Time
	for i := range 200 {
		switch i {
		case 100:
			// The first half crossed from A to C through NATS.
			within(t, "bob's pet on C gets alice's first 100 messages", time.Minute, func() bool { return bob.messages() >= 100 })
			kill(b)
		case 150:
			kill(c)
			killedC = time.Now()
		case 175:
			// The rest go out as bob's pet comes back: they reach it live
			// while it is still loading its lists, before its catch-up
			// reads history for what it missed (150 to 174).
			within(t, "bob's pet back online through the balancer", time.Minute, func() bool { return bob.connections() >= 2 })
		}
		cid := fmt.Sprintf("m%03d", i)
		tok := alice.Publish(lobby, 1, false, fmt.Sprintf(`{"text":"第%d条","cid":%q}`, i, cid))
		if !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
			t.Fatalf("message %d not acknowledged: %v", i, tok.Error())
		}
		acked = append(acked, cid)
	}

	// Presence: dave, only on C, is offline for carol within the bound;
	// bob, back on A, is online. Both as carol's pet shows them and as the
	// friend list on A answers.
	const presenceBound = 30 * time.Second // heartbeat stale after 6 s, on a loaded machine
	within(t, "carol sees dave offline", max(time.Until(killedC.Add(presenceBound)), time.Second), func() bool { return carol.online("dave") == 0 })
	if at := carol.offlineAt("dave"); at.Sub(killedC) > presenceBound {
		t.Errorf("carol saw dave offline %v after node C died, want within %v", at.Sub(killedC), presenceBound)
	}
	within(t, "carol sees bob online", time.Minute, func() bool { return carol.online("bob") == 1 })
	within(t, "the friend list on A: bob online, dave offline", time.Minute, func() bool {
		fl, err := carol.c.FriendList(ctxFor(t, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		st := map[string]string{}
		for _, f := range fl.Friends {
			st[f.User] = f.Status
		}
		return st["bob"] == topics.Online && st["dave"] == topics.Offline
	})
	if got := lb.backendsUsed(); len(got) < 2 || got[0] != c.addr || got[len(got)-1] != a.addr {
		t.Errorf("bob's connections went to %v, want C first and A last (%s, %s)", got, c.addr, a.addr)
	}

	// PostgreSQL holds each acknowledged message once; node A's history
	// answer is exactly PostgreSQL's.
	rows := pgLobby(t, url)
	idOf := map[string]int64{}
	for _, r := range rows {
		if r.From != "alice" {
			continue
		}
		if _, dup := idOf[r.CID]; dup {
			t.Errorf("%s stored twice", r.CID)
		}
		idOf[r.CID] = r.ID
	}
	for _, cid := range acked {
		if idOf[cid] == 0 {
			t.Errorf("acknowledged %s not in PostgreSQL", cid)
		}
	}
	if len(idOf) != len(acked) {
		t.Errorf("PostgreSQL holds %d of alice's messages, %d were acknowledged", len(idOf), len(acked))
	}
	hist := lobbyHistory(t, a.addr, "alice", pw["alice"])
	slices.Reverse(hist)
	for i := range max(len(hist), len(rows)) {
		var h, r topics.Message
		if i < len(hist) {
			h = hist[i]
		}
		if i < len(rows) {
			r = rows[i]
		}
		if h.ID != r.ID || h.From != r.From || h.Text != r.Text || h.CID != r.CID {
			t.Errorf("history on A differs from PostgreSQL at row %d of %d/%d: history %d %s %q %s, PostgreSQL %d %s %q %s",
				i, len(hist), len(rows), h.ID, h.From, h.Text, h.CID, r.ID, r.From, r.Text, r.CID)
			break
		}
	}

	// bob's pet shows every acknowledged message once: what reached C
	// live, what it missed from history, what A sent after. carol's
	// message, sent after every one of alice's was acknowledged on A,
	// comes after them on bob's connection to A.
	if _, err := carol.c.Send(chat.RoomConv(topics.Lobby), "最后一条"); err != nil {
		t.Fatal(err)
	}
	if !until(time.Minute, func() bool { return bob.messages() >= len(acked) && bob.textFrom("carol", "最后一条") > 0 }) {
		t.Errorf("bob's pet did not show every acknowledged message and carol's last within a minute")
	}
	got := bob.alicesIDs()
	for _, cid := range acked {
		if n := got[idOf[cid]]; n != 1 {
			t.Errorf("bob's pet showed %s (id %d) %d times, want once", cid, idOf[cid], n)
		}
	}
	if len(got) != len(acked) {
		t.Errorf("bob's pet showed %d different messages of alice, %d were acknowledged", len(got), len(acked))
	}
	if t.Failed() {
		return
	}
	t.Logf("%d acknowledged, each once in PostgreSQL, in A's history and on bob's pet (connections: %v); dave offline for carol %v after C died",
		len(acked), lb.backendsUsed(), carol.offlineAt("dave").Sub(killedC).Round(time.Millisecond))
}

// pet is the pet's own chat client (petclient/chat) with what it showed.
type pet struct {
	c     *chat.Client
	mu    sync.Mutex
	ids   map[int64]int        // alice's lobby messages shown, by id
	texts map[string]int       // "sender\x00text" of lobby messages shown
	offAt map[string]time.Time // when a friend was last shown offline
	ups   int                  // connections made (status online)
}

// startPet connects user's pet to addr with a fixed client id, as an
// installed pet would, and records what it shows.
func startPet(t *testing.T, addr, user, password string) *pet {
	t.Helper()
	c, err := chat.New(chat.Config{Server: "mqtt://" + addr, User: user, Password: password, ClientID: "pet-" + user,
		StateDir: t.TempDir(), ConnectTimeout: 20 * time.Second, CallTimeout: 30 * time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second}, brokertest.Logger(t, slog.LevelWarn))
	if err != nil {
		t.Fatal(err)
	}
	p := &pet{c: c, ids: map[int64]int{}, texts: map[string]int{}, offAt: map[string]time.Time{}}
	remove := c.OnEvent(p.record)
	t.Cleanup(func() { remove(); c.Close() })
	if err := c.Connect(ctxFor(t, time.Minute)); err != nil {
		t.Fatalf("%s's pet: %v", user, err)
	}
	return p
}

func (p *pet) record(ev chat.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Type {
	case chat.EventMessage:
		if ev.Conv == chat.RoomConv(topics.Lobby) {
			p.texts[ev.Message.From+"\x00"+ev.Message.Text]++
			if ev.Message.From == "alice" {
				p.ids[ev.Message.ID]++
			}
		}
	case chat.EventPresence:
		if !ev.Online {
			p.offAt[ev.User] = time.Now()
		}
	case chat.EventStatus:
		if ev.Status == chat.StatusOnline {
			p.ups++
		}
	}
}

// online is 1 when the pet shows friend online, 0 offline, -1 not a friend.
func (p *pet) online(friend string) int {
	for _, f := range p.c.Friends() {
		if f.User == friend {
			if f.Online {
				return 1
			}
			return 0
		}
	}
	return -1
}

func (p *pet) offlineAt(friend string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.offAt[friend]
}

func (p *pet) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ups
}

// messages is how many different messages of alice the pet showed.
func (p *pet) messages() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}

func (p *pet) textFrom(sender, text string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.texts[sender+"\x00"+text]
}

func (p *pet) alicesIDs() map[int64]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.ids)
}

// balancer is a TCP load balancer as docs/CLUSTER.md puts in front of the
// nodes: each new connection goes to the first backend that accepts a
// dial, so a dead node is skipped. Bytes take latency each way.
type balancer struct {
	addr     string
	latency  time.Duration
	backends []string
	mu       sync.Mutex
	used     []string // the backend of each connection, in order
	conns    []net.Conn
	closed   bool
}

func startBalancer(t *testing.T, latency time.Duration, backends ...string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lb := &balancer{addr: ln.Addr().String(), latency: latency, backends: backends}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		lb.mu.Lock()
		lb.closed = true
		for _, c := range lb.conns {
			c.Close()
		}
		lb.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				lb.forward(down)
			}()
		}
	}()
	return lb
}

func (lb *balancer) forward(down net.Conn) {
	defer down.Close()
	for _, addr := range lb.backends {
		up, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			continue
		}
		defer up.Close()
		lb.mu.Lock()
		if lb.closed {
			lb.mu.Unlock()
			return
		}
		lb.used = append(lb.used, addr)
		lb.conns = append(lb.conns, down, up)
		lb.mu.Unlock()
		done := make(chan struct{}, 2)
		go func() { lb.pipe(up, down); done <- struct{}{} }()
		go func() { lb.pipe(down, up); done <- struct{}{} }()
		<-done // either side ending ends both, as a balancer's proxy does
		down.Close()
		up.Close()
		<-done
		return
	}
}

// pipe copies src to dst, each read written latency after it came.
func (lb *balancer) pipe(dst, src net.Conn) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	line := make(chan chunk, 256)
	go func() {
		defer close(line)
		for {
			b := make([]byte, 32<<10)
			n, err := src.Read(b)
			if n > 0 {
				line <- chunk{b[:n], time.Now().Add(lb.latency)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range line {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			src.Close()
			for range line { // let the reader end
			}
			return
		}
	}
}

func (lb *balancer) backendsUsed() []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return slices.Clone(lb.used)
}

// pgLobby reads the lobby's messages straight from PostgreSQL, oldest first.
func pgLobby(t *testing.T, url string) []topics.Message {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	rows, err := db.Query(ctx, `SELECT id, sender, body, COALESCE(cid, '') FROM messages WHERE conv = $1 ORDER BY id`, store.RoomConv(topics.Lobby))
	if err != nil {
		t.Fatal(err)
	}
	var out []topics.Message
	for rows.Next() {
		var m topics.Message
		if err := rows.Scan(&m.ID, &m.From, &m.Text, &m.CID); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// within polls cond until it holds, failing t after d.
func within(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	if !until(d, cond) {
		t.Fatalf("%s: not within %v", what, d.Round(time.Second))
	}
}

// until polls cond until it holds (true) or d has passed (false).
func until(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
