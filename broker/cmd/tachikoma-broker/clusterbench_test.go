package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// The room benchmark's load: members subscribed to the lobby, one more user
// sending -room.rate messages a second for roomSeconds, each to every member.
const (
	roomMembers = 500
	roomSeconds = 10
)

var (
	roomRate  = flag.Int("room.rate", 50, "BenchmarkClusterRoom500: room messages sent per second")
	roomPprof = flag.String("room.pprof", "", "BenchmarkClusterRoom500: save each node's CPU profile of the sending window in this directory")
)

// BenchmarkClusterRoom500 runs tachikoma-broker processes and a 500-member
// room spread evenly over them: one node with SQLite, one node with
// PostgreSQL, and three cluster nodes over PostgreSQL. It reports delivered
// messages/s, p50/p99 from send to delivery, and the CPU time of each node
// process, of PostgreSQL and of this process per delivered message
// (docs/PERFORMANCE.md). Every message must reach every member exactly
// once. Run it alone:
//
//	go test -run '^$' -bench ClusterRoom500 -benchtime 1x -count 3 ./broker/cmd/tachikoma-broker/
func BenchmarkClusterRoom500(b *testing.B) {
	for _, c := range []struct {
		name     string
		nodes    int
		postgres bool
	}{{"sqlite-1node", 1, false}, {"postgres-1node", 1, true}, {"cluster-3nodes", 3, true}} {
		b.Run(c.name, func(b *testing.B) {
			store := ""
			if c.postgres {
				store = pg.Need(b).NewDB(b)
			}
			runRoomBench(b, c.name, startBenchNodes(b, c.nodes, store))
		})
	}
}

// benchUser is the name and password of bench account i; account 0 sends.
func benchUser(i int) (string, string) {
	name := fmt.Sprintf("bench%03d", i)
	return name, name + "-pw"
}

// startBenchNodes imports the bench accounts into store ("": SQLite in the
// first node's data directory) and starts n serve processes on it,
// clustered when n > 1; clients wait for them to listen (benchLogin). Every
// setup gets the same config, so they differ only in what is compared.
func startBenchNodes(tb testing.TB, n int, store string) []*benchNode {
	tb.Helper()
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "broker.yaml")
	conf := "log_level: warn\nlimits:\n  messages_per_second: 100000\n  message_burst: 100000\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	var accounts bytes.Buffer
	for i := range roomMembers + 1 {
		name, pw := benchUser(i)
		fmt.Fprintln(&accounts, name, pw)
	}
	storeArgs := []string{}
	if store != "" {
		storeArgs = []string{"--store", store}
	}
	imp := exec.Command(bin, append([]string{"user", "import", "--data-dir", filepath.Join(dir, "node0")}, storeArgs...)...)
	imp.Stdin = &accounts
	if out, err := imp.CombinedOutput(); err != nil {
		tb.Fatalf("user import: %v\n%s", err, out)
	}
	addrs := make([]string, 2*n) // MQTT, then NATS
	for i := range addrs {
		addrs[i] = freePort(tb)
	}
	var routes []string
	for _, a := range addrs[n:] {
		routes = append(routes, "nats://"+a)
	}
	nodes := make([]*benchNode, n)
	for i := range nodes {
		s := &benchNode{server: server{addr: addrs[i], log: &bytes.Buffer{}}}
		args := append([]string{"serve", "--config", cfg, "--data-dir", filepath.Join(dir, fmt.Sprintf("node%d", i)),
			"--mqtt-addr", s.addr, "--ws-addr", "", "--http-addr", ""}, storeArgs...)
		if *roomPprof != "" {
			s.pprof = freePort(tb)
			args = append(args, "--pprof-addr", s.pprof)
		}
		if n > 1 {
			args = append(args, "--cluster", "bench", "--node-id", fmt.Sprintf("node%c", 'a'+i),
				"--nats-listen", addrs[n+i], "--nats-routes", strings.Join(routes, ","))
		}
		s.cmd = exec.Command(bin, args...)
		s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
		if err := s.cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
		nodes[i] = s
	}
	return nodes
}

// benchNode is a serve process, with its profiling address under -room.pprof.
type benchNode struct {
	server
	pprof string
}

// profileNodes fetches a CPU profile of each node over the sending window
// into -room.pprof, if set; the channel yields once all are saved.
func profileNodes(config string, nodes []*benchNode) <-chan error {
	done := make(chan error, 1)
	if *roomPprof == "" {
		done <- nil
		return done
	}
	if err := os.MkdirAll(*roomPprof, 0o755); err != nil {
		done <- err
		return done
	}
	errs := make(chan error, len(nodes))
	for i, n := range nodes {
		go func() {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", n.pprof, roomSeconds)
			resp, err := http.Get(url)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			f, err := os.Create(filepath.Join(*roomPprof, fmt.Sprintf("%s-node%c.pprof", config, 'a'+i)))
			if err == nil {
				_, err = io.Copy(f, resp.Body)
				err = errors.Join(err, f.Close())
			}
			errs <- err
		}()
	}
	go func() {
		var all error
		for range nodes {
			all = errors.Join(all, <-errs)
		}
		done <- all
	}()
	return done
}

// roomMember is one subscriber; its fields belong to its reader goroutine
// until the connection is closed.
type roomMember struct {
	node   int
	conn   *benchConn
	got    []uint8 // copies of each message
	lat    []time.Duration
	last   time.Time // last delivery of a counted message
	warmed atomic.Bool
}

func runRoomBench(b *testing.B, config string, nodes []*benchNode) {
	messages := *roomRate * roomSeconds
	if messages < 1 || messages >= 60000 { // packet ids 60000 and up are the warm-up's
		b.Fatalf("-room.rate %d: want 1 to %d", *roomRate, 59999/roomSeconds)
	}
	lobby := topics.Room(topics.Lobby)
	var delivered, warmups atomic.Int64
	members := make([]*roomMember, roomMembers)
	var wg sync.WaitGroup
	errs := make(chan error, roomMembers)
	sem := make(chan struct{}, 4) // logins hash a password each: a few at a time
	for i := range members {
		m := &roomMember{node: i % len(nodes), got: make([]uint8, messages), lat: make([]time.Duration, 0, messages)}
		members[i] = m
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name, pw := benchUser(i + 1)
			c, err := benchLogin(nodes[m.node].addr, name, pw)
			if err == nil {
				err = c.subscribe(lobby)
			}
			if err != nil {
				errs <- fmt.Errorf("%s on node %c: %w\n%s", name, 'a'+m.node, err, nodes[m.node].log)
				return
			}
			m.conn = c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var readers sync.WaitGroup
	for _, m := range members {
		readers.Add(1)
		go func() {
			defer readers.Done()
			m.conn.read(func(text []byte) {
				if bytes.HasPrefix(text, []byte("w@")) {
					if !m.warmed.Swap(true) {
						warmups.Add(1)
					}
					return
				}
				seq, sent, ok := parseBenchText(text)
				if !ok || seq >= messages {
					return
				}
				now := time.Now()
				m.got[seq]++
				m.lat = append(m.lat, now.Sub(time.Unix(0, sent)))
				m.last = now
				delivered.Add(1)
			}, nil)
		}()
	}
	defer func() {
		for _, m := range members {
			m.conn.c.Close()
		}
		readers.Wait()
	}()
	name, pw := benchUser(0)
	sender, err := benchLogin(nodes[0].addr, name, pw)
	if err != nil {
		b.Fatal(err)
	}
	defer sender.c.Close()
	var acks atomic.Int64
	go sender.read(nil, &acks)

	// Warm up until every member gets messages (in a cluster, until every
	// node's interest in the room has reached the sender's node).
	deadline := time.Now().Add(2 * time.Minute)
	for id := uint16(60000); warmups.Load() < roomMembers; id++ {
		if time.Now().After(deadline) {
			b.Fatalf("after 2 minutes only %d of %d members get room messages", warmups.Load(), roomMembers)
		}
		if err := sender.publish(lobby, id, fmt.Appendf(nil, `{"text":"w@%d","cid":"w%d"}`, time.Now().UnixNano(), id)); err != nil {
			b.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second) // the last warm-up messages' PUBACKs and deliveries

	// What the nodes cost doing nothing (a cluster keeps NATS routes and
	// JetStream's Raft groups alive), to tell it from what delivering costs.
	idle := sampleCPU(nodes)
	time.Sleep(5 * time.Second)
	ackBase := acks.Load()
	before := sampleCPU(nodes)
	idleFor := before.at.Sub(idle.at)
	profiles := profileNodes(config, nodes)
	b.ResetTimer()
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(*roomRate))
	var sendErr error // reported with the counts below
	for seq := range messages {
		<-tick.C
		payload := fmt.Appendf(nil, `{"text":"m%d@%d","cid":"m%d"}`, seq, time.Now().UnixNano(), seq)
		if sendErr = sender.publish(lobby, uint16(seq+1), payload); sendErr != nil {
			sendErr = fmt.Errorf("message %d: %w", seq, sendErr)
			break
		}
	}
	tick.Stop()
	sending := time.Since(start)
	want := int64(messages * roomMembers)
	// Wait while deliveries still come, at most 30 s without one.
	for seen, still := int64(-1), time.Now(); delivered.Load() < want || acks.Load()-ackBase < int64(messages); {
		if n := delivered.Load(); n != seen {
			seen, still = n, time.Now()
		} else if time.Since(still) > 30*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()
	after := sampleCPU(nodes)
	if err := <-profiles; err != nil {
		b.Error(err)
	}
	for _, m := range members {
		m.conn.c.Close()
	}
	readers.Wait()

	// Results: counts first, so that a loss is reported with the figures.
	var lat []time.Duration
	perNode := make([]int64, len(nodes))
	var lost, dup int64
	last := start
	for _, m := range members {
		for _, n := range m.got {
			switch {
			case n == 0:
				lost++
			case n > 1:
				dup += int64(n - 1)
			}
			perNode[m.node] += int64(n)
		}
		lat = append(lat, m.lat...)
		if m.last.After(last) {
			last = m.last
		}
	}
	total := delivered.Load()
	slices.Sort(lat)
	pct := func(p int) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[(len(lat)-1)*p/100].Microseconds()) / 1000
	}
	perMsg := func(cpu time.Duration, n int64) float64 {
		if n == 0 {
			return 0
		}
		return float64(cpu.Nanoseconds()) / 1000 / float64(n)
	}
	b.ReportMetric(float64(total)/last.Sub(start).Seconds(), "delivered/s")
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(99), "p99-ms")
	var nodesCPU time.Duration
	var detail strings.Builder
	for i := range nodes {
		cpu := after.nodes[i] - before.nodes[i]
		nodesCPU += cpu
		b.ReportMetric(perMsg(cpu, perNode[i]), fmt.Sprintf("node%c-µs/delivered", 'a'+i))
		idleCPU := before.nodes[i] - idle.nodes[i]
		fmt.Fprintf(&detail, " node%c %.2fs/%d (idle %.0f ms/s)", 'a'+i, cpu.Seconds(), perNode[i],
			float64(idleCPU.Milliseconds())/idleFor.Seconds())
	}
	pgCPU, clientCPU := after.pg-before.pg, after.self-before.self
	others := after.busy - before.busy - nodesCPU - pgCPU - clientCPU
	b.ReportMetric(perMsg(nodesCPU, total), "nodes-µs/delivered")
	if pgCPU > 0 {
		b.ReportMetric(perMsg(pgCPU, total), "postgres-µs/delivered")
	}
	b.ReportMetric(perMsg(clientCPU, total), "bench-µs/delivered")
	// The bench process does the same work per delivery in every setup, so
	// the nodes' CPU over its own is steadier than either when other
	// processes slow the shared cores down.
	if clientCPU > 0 {
		b.ReportMetric(float64(nodesCPU)/float64(clientCPU), "nodes/bench-CPU")
	}
	b.Logf("delivered %d of %d (lost %d, duplicates %d), PUBACKs %d of %d, sent in %.2fs, delivered in %.2fs; CPU s/deliveries:%s postgres %.2fs bench %.2fs other processes %.2fs; load average %s → %s",
		total, want, lost, dup, acks.Load()-ackBase, messages, sending.Seconds(), last.Sub(start).Seconds(), detail.String(),
		pgCPU.Seconds(), clientCPU.Seconds(), others.Seconds(), before.load, after.load)
	if lost > 0 || dup > 0 || total != want || acks.Load()-ackBase < int64(messages) || sendErr != nil {
		b.Errorf("%d of %d deliveries: %d lost, %d duplicated; %d of %d messages acknowledged; sending: %v",
			total, want, lost, dup, acks.Load()-ackBase, messages, sendErr)
	}
}

// parseBenchText reads "m<seq>@<unix ns>" at the start of text.
func parseBenchText(text []byte) (seq int, sent int64, ok bool) {
	s, ok := bytes.CutPrefix(text, []byte("m"))
	if !ok {
		return 0, 0, false
	}
	a, rest, ok := bytes.Cut(s, []byte("@"))
	if !ok {
		return 0, 0, false
	}
	if end := bytes.IndexByte(rest, '"'); end >= 0 {
		rest = rest[:end]
	}
	n, err1 := strconv.Atoi(string(a))
	t, err2 := strconv.ParseInt(string(rest), 10, 64)
	return n, t, err1 == nil && err2 == nil
}

// cpuSample is CPU time used so far by the nodes, PostgreSQL, this process
// and the whole machine, and the load average.
type cpuSample struct {
	at             time.Time
	nodes          []time.Duration
	pg, self, busy time.Duration
	load           string
}

// USER_HZ: /proc reports CPU time in hundredths of a second on Linux.
const clockTick = 10 * time.Millisecond

func sampleCPU(nodes []*benchNode) cpuSample {
	s := cpuSample{at: time.Now()}
	for _, n := range nodes {
		f, _ := procStat(n.cmd.Process.Pid)
		s.nodes = append(s.nodes, f.cpu)
	}
	// PostgreSQL runs as our child; its backends are its children.
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	all := map[int]procFields{}
	for _, p := range stats {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if f, err := procStat(pid); err == nil {
			all[pid] = f
		}
	}
	for pid, f := range all {
		if f.ppid == os.Getpid() && f.comm == "postgres" {
			s.pg += f.cpu + f.children
			for _, c := range all {
				if c.ppid == pid {
					s.pg += c.cpu + c.children
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		for i, v := range f[1:] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && i != 3 && i != 4 && i < 8 {
				s.busy += time.Duration(n) * clockTick
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		s.load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return s
}

type procFields struct {
	comm          string
	ppid          int
	cpu, children time.Duration // utime+stime, cutime+cstime
}

func procStat(pid int) (procFields, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procFields{}, err
	}
	// pid (comm) state ppid ... utime stime cutime cstime: comm may hold spaces.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procFields{}, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 15 {
		return procFields{}, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	tick := func(i int) time.Duration { n, _ := strconv.ParseInt(f[i], 10, 64); return time.Duration(n) * clockTick }
	ppid, _ := strconv.Atoi(f[1])
	return procFields{comm: string(b[open+1 : end]), ppid: ppid, cpu: tick(11) + tick(12), children: tick(13) + tick(14)}, nil
}

// benchConn is the bench's MQTT 3.1.1 client, packets coded by mochi's
// codec: one reader goroutine, QoS 1 both ways, PUBACKs written in batches,
// so that 500 members cost this process little beside the brokers.
type benchConn struct {
	c   net.Conn
	r   *bufio.Reader
	wmu sync.Mutex
	w   *bufio.Writer
}

// benchLogin connects as the pet would, trying again while a node still
// starts (connection refused) or answers "server unavailable" because no
// password hashing slot freed up within a second on a loaded machine.
func benchLogin(addr, user, pw string) (*benchConn, error) {
	deadline := time.Now().Add(clusterStart)
	for {
		c, err := benchDial(addr, user, pw)
		retry := errors.Is(err, errLoginBusy) || errors.Is(err, syscall.ECONNREFUSED)
		if !retry || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// errLoginBusy is CONNACK code 3, server unavailable.
var errLoginBusy = errors.New("server unavailable")

func benchDial(addr, user, pw string) (*benchConn, error) {
	nc, err := net.DialTimeout("tcp", addr, time.Minute)
	if err != nil {
		return nil, err
	}
	c := &benchConn{c: nc, r: bufio.NewReaderSize(nc, 4096), w: bufio.NewWriterSize(nc, 1024)}
	nc.SetDeadline(time.Now().Add(2 * time.Minute)) // logins queue behind password hashing
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 600,
			ClientIdentifier: user + "-bench", UsernameFlag: true, Username: []byte(user), PasswordFlag: true, Password: []byte(pw)}}
	if err := c.send(&pk, pk.ConnectEncode); err != nil {
		nc.Close()
		return nil, err
	}
	fh, body, err := c.next(nil)
	switch {
	case err != nil:
	case fh.Type != packets.Connack || len(body) < 2:
		err = fmt.Errorf("CONNACK expected, got packet type %d %v", fh.Type, body)
	case body[1] == packets.Err3ServerUnavailable.Code:
		err = errLoginBusy
	case body[1] != 0:
		err = fmt.Errorf("login refused, CONNACK code %d", body[1])
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect %s: %w", user, err)
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

// subscribe subscribes to filter at QoS 1, as the pet does, and waits for
// the SUBACK; it must come before any PUBLISH starts the reader.
func (c *benchConn) subscribe(filter string) error {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 4,
		PacketID: 1, Filters: packets.Subscriptions{{Filter: filter, Qos: 1}}}
	if err := c.send(&pk, pk.SubscribeEncode); err != nil {
		return err
	}
	c.c.SetDeadline(time.Now().Add(time.Minute))
	defer c.c.SetDeadline(time.Time{})
	fh, body, err := c.next(nil)
	if err == nil && (fh.Type != packets.Suback || len(body) < 3 || body[2] > 1) {
		err = fmt.Errorf("SUBACK with QoS 1 expected, got packet type %d %v", fh.Type, body)
	}
	return err
}

func (c *benchConn) send(pk *packets.Packet, encode func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(buf.Bytes()); err != nil {
		return err
	}
	return c.w.Flush()
}

// publish sends a QoS 1 PUBLISH with packet id id.
func (c *benchConn) publish(topic string, id uint16, payload []byte) error {
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, ProtocolVersion: 4,
		TopicName: topic, PacketID: id, Payload: payload}
	return c.send(&pk, pk.PublishEncode)
}

// next reads one packet into buf (grown as needed).
func (c *benchConn) next(buf []byte) (packets.FixedHeader, []byte, error) {
	var fh packets.FixedHeader
	hb, err := c.r.ReadByte()
	if err != nil {
		return fh, buf, err
	}
	if err := fh.Decode(hb); err != nil {
		return fh, buf, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return fh, buf, err
	}
	buf = slices.Grow(buf[:0], n)[:n]
	_, err = io.ReadFull(c.r, buf)
	return fh, buf, err
}

// read handles packets until the connection closes: each PUBLISH's chat
// text goes to onText, PUBACKs for our publishes are counted in acks.
func (c *benchConn) read(onText func([]byte), acks *atomic.Int64) {
	var buf []byte
	for {
		fh, body, err := c.next(buf)
		buf = body
		if err != nil {
			return
		}
		switch fh.Type {
		case packets.Publish:
			pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 4}
			if pk.PublishDecode(body) != nil {
				continue
			}
			if fh.Qos > 0 {
				c.wmu.Lock()
				c.w.Write([]byte{packets.Puback << 4, 2, byte(pk.PacketID >> 8), byte(pk.PacketID)})
				c.wmu.Unlock()
			}
			if onText != nil {
				if _, text, ok := bytes.Cut(pk.Payload, []byte(`"text":"`)); ok {
					onText(text)
				}
			}
		case packets.Puback:
			if acks != nil {
				acks.Add(1)
			}
		}
		if c.r.Buffered() == 0 { // nothing more queued: send the PUBACKs written so far
			c.wmu.Lock()
			err := c.w.Flush()
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}
