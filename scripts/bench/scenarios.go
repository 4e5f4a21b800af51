package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// result is one scenario run against one broker.
type result struct {
	Scenario          string             `json:"scenario"`
	Broker            string             `json:"broker"`
	Client            string             `json:"client,omitempty"` // the load generator's MQTT client (room and DM scenarios)
	Round             int                `json:"round"`
	Params            map[string]any     `json:"params"`
	Connect           connStats          `json:"connect"`
	Sent              int64              `json:"sent,omitempty"`
	Offered           int64              `json:"offered,omitempty"`
	Delivered         int64              `json:"delivered,omitempty"`
	Share             float64            `json:"delivered_share,omitempty"`
	DeliveredPerS     float64            `json:"delivered_per_s,omitempty"`
	Latency           latency            `json:"latency"`
	CPUSeconds        float64            `json:"broker_cpu_s"`
	CPUusPerDelivered float64            `json:"broker_cpu_us_per_delivered,omitempty"`
	RSSBaselineKiB    int64              `json:"rss_baseline_kib,omitempty"`
	RSSPeakKiB        int64              `json:"rss_peak_kib"`
	RSSSteadyKiB      int64              `json:"rss_steady_kib"`
	RSSPerConnKiB     float64            `json:"rss_per_conn_kib,omitempty"`
	Extra             map[string]float64 `json:"extra,omitempty"`
	Notes             []string           `json:"notes,omitempty"`
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// drainIdle ends the wait for deliveries after a pause this long: an
// overloaded broker that persists (NATS writing its consumers' state) can
// pause for seconds and still deliver everything.
const drainIdle = 10 * time.Second

// waitCount waits until got() reaches want, or nothing changed for idle,
// or limit passed.
func waitCount(got func() int64, want int64, idle, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, lastChange := got(), time.Now()
	for got() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if n := got(); n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > idle {
			return
		}
	}
}

// pace runs fn count times at interval, starting after offset, stopping at
// stop; it returns how many ran.
func pace(offset, interval time.Duration, count int, stop time.Time, fn func(k int) error) (int, error) {
	time.Sleep(offset)
	start := time.Now()
	for k := 0; k < count; k++ {
		due := start.Add(time.Duration(k) * interval)
		if due.After(stop) {
			return k, nil
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if err := fn(k); err != nil {
			return k, err
		}
	}
	return count, nil
}

// chatRun is a fan-out measurement shared by the room and DM scenarios.
type chatRun struct {
	h         hist
	delivered atomic.Int64
	lastNS    atomic.Int64
	perConn   []atomic.Int64
}

func (r *chatRun) handler(k int) onMessage {
	return func(topic string, p []byte) {
		now := time.Now()
		if t, ok := sentAt(p); ok {
			r.h.add(now.Sub(t))
		}
		r.perConn[k].Add(1)
		r.delivered.Add(1)
		r.lastNS.Store(now.UnixNano())
	}
}

// scenarioName tells the clients apart: the raw client's results keep the
// names they have always had.
func scenarioName(base, cl string) string {
	if cl == clientRaw {
		return base
	}
	return base + "-" + cl
}

// roomScenario: members subscribed to one room, talkers publishing to it,
// all connected with the client cl.
func (e *env) roomScenario(srv *server, qos byte, cl string) (result, error) {
	o := e.o
	M, T := o.members, o.talkers
	res := result{Scenario: scenarioName(fmt.Sprintf("room-qos%d", qos), cl), Broker: srv.kind, Client: cl,
		Params: map[string]any{"client": cl, "members": M, "talkers": T, "rate_msgs_per_s": o.rate, "duration_s": o.duration.Seconds(), "payload_bytes": o.payload, "pet_payload": o.petPayload, "qos": qos}}
	run := &chatRun{perConn: make([]atomic.Int64, M)}
	topic := topics.Room(benchRoom)
	memberIdx := seq(T, M)
	pos := map[int]int{}
	for k, i := range memberIdx {
		pos[i] = k
	}
	members, cs, err := e.connectMany(srv, cl, memberIdx, "m", func(int) []string { return []string{topic} }, qos,
		func(i int) onMessage { return run.handler(pos[i]) }, o.workers)
	if err != nil {
		return res, err
	}
	defer closeAll(members)
	res.Connect = cs
	talkers, _, err := e.connectMany(srv, cl, seq(0, T), "t", nil, 0, nil, o.workers)
	if err != nil {
		return res, err
	}
	defer closeAll(talkers)
	time.Sleep(time.Second)

	prof := e.startProfile(srv, res.Scenario, o.duration+2*time.Second)
	srv.resetPeak()
	win, t0 := startCPU(srv.pid()), time.Now()
	interval := time.Duration(float64(time.Second) * float64(T) / o.rate)
	perTalker := int(o.rate*o.duration.Seconds()/float64(T) + 0.5)
	stop := t0.Add(o.duration + interval)
	var sent atomic.Int64
	var wg sync.WaitGroup
	var pubErr atomic.Value
	for k, c := range talkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := pace(time.Duration(k)*interval/time.Duration(T), interval, perTalker, stop, func(j int) error {
				return c.publish(topic, qos, makePayload(int64(k*perTalker+j), o.payload, o.petPayload))
			})
			sent.Add(int64(n))
			if err != nil {
				pubErr.Store(err)
			}
		}()
	}
	wg.Wait()
	want := sent.Load() * int64(M)
	waitCount(run.delivered.Load, want, drainIdle, 60*time.Second)
	if qos > 0 {
		waitCount(func() int64 { return acked(talkers) }, sent.Load(), drainIdle, 30*time.Second)
	}
	cpu, gen, other := win.end()
	prof.wait()
	if err, ok := pubErr.Load().(error); ok {
		res.Notes = append(res.Notes, "publish error: "+err.Error())
	}
	e.fillChat(&res, run, sent.Load(), want, cpu, t0, srv)
	res.Extra["loadgen_cpu_s"], res.Extra["other_processes_cpu_s"] = gen, other
	if qos > 0 {
		res.Extra["pubacks"] = float64(acked(talkers))
	}
	return res, nil
}

// acked counts the PUBACKs conns received for their QoS 1 publishes.
func acked(conns []client) int64 {
	var n int64
	for _, c := range conns {
		n += c.acked()
	}
	return n
}

func (e *env) fillChat(res *result, run *chatRun, sent, want int64, cpu float64, t0 time.Time, srv *server) {
	res.Sent, res.Offered, res.Delivered = sent, want, run.delivered.Load()
	if want > 0 {
		res.Share = float64(res.Delivered) / float64(want)
	}
	if last := run.lastNS.Load(); last > 0 {
		res.DeliveredPerS = float64(res.Delivered) / time.Unix(0, last).Sub(t0).Seconds()
	}
	res.Latency = run.h.summary()
	res.CPUSeconds = cpu
	if res.Delivered > 0 {
		res.CPUusPerDelivered = cpu * 1e6 / float64(res.Delivered)
	}
	res.RSSPeakKiB, res.RSSSteadyKiB = srv.peak(), srv.rss()
	lo, hi := int64(1<<62), int64(0)
	for i := range run.perConn {
		n := run.perConn[i].Load()
		lo, hi = min(lo, n), max(hi, n)
	}
	res.Extra = map[string]float64{"min_per_receiver": float64(lo), "max_per_receiver": float64(hi)}
}

// dmScenario: friend pairs sending each other direct messages, connected
// with the client cl.
func (e *env) dmScenario(srv *server, cl string) (result, error) {
	o := e.o
	P := o.pairs
	N := 2 * P
	res := result{Scenario: scenarioName("dm-qos1", cl), Broker: srv.kind, Client: cl,
		Params: map[string]any{"client": cl, "pairs": P, "rate_msgs_per_s": o.dmRate, "duration_s": o.duration.Seconds(), "payload_bytes": o.payload, "pet_payload": o.petPayload, "qos": 1}}
	run := &chatRun{perConn: make([]atomic.Int64, N)}
	conns, cs, err := e.connectMany(srv, cl, seq(0, N), "d", func(i int) []string { return []string{topics.DMInbox(userName(i))} }, 1,
		func(i int) onMessage { return run.handler(i) }, o.workers)
	if err != nil {
		return res, err
	}
	defer closeAll(conns)
	res.Connect = cs
	// What the broker spends with everyone connected and silent is part of
	// its figure per DM below; this says how much.
	idle0, idleT := cpuSeconds(srv.pid()), time.Now()
	time.Sleep(time.Second)
	idleCPU := (cpuSeconds(srv.pid()) - idle0) / time.Since(idleT).Seconds() * 100

	prof := e.startProfile(srv, res.Scenario, o.duration+2*time.Second)
	srv.resetPeak()
	win, t0 := startCPU(srv.pid()), time.Now()
	interval := time.Duration(float64(time.Second) * float64(N) / o.dmRate)
	perUser := int(o.dmRate*o.duration.Seconds()/float64(N) + 0.5)
	stop := t0.Add(o.duration + interval)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for i, c := range conns {
		peer := i ^ 1
		topic := topics.DM(userName(peer), userName(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := time.Duration(rand.Int64N(int64(interval)))
			n, _ := pace(off, interval, perUser, stop, func(j int) error {
				return c.publish(topic, 1, makePayload(int64(i*perUser+j), o.payload, o.petPayload))
			})
			sent.Add(int64(n))
		}()
	}
	wg.Wait()
	want := sent.Load()
	waitCount(run.delivered.Load, want, drainIdle, 60*time.Second)
	// A durable DM's work ends with the sender's PUBACK (ours and NATS send
	// it after storing the message).
	waitCount(func() int64 { return acked(conns) }, want, drainIdle, 30*time.Second)
	cpu, gen, other := win.end()
	prof.wait()
	e.fillChat(&res, run, sent.Load(), want, cpu, t0, srv)
	res.Extra["loadgen_cpu_s"], res.Extra["other_processes_cpu_s"] = gen, other
	res.Extra["pubacks"] = float64(acked(conns))
	res.Extra["idle_cpu_percent"] = idleCPU
	return res, nil
}

// idleFilters is what an idle pet subscribes to (the pet's own list): its
// rooms and their events, its DMs, replies and events, friends' presence.
func idleFilters(i int) []string { return topics.PetFilters(userName(i)) }

// idleScenario holds N authenticated, subscribed, silent connections.
func (e *env) idleScenario(srv *server) (result, error) {
	o := e.o
	N := o.idle
	res := result{Scenario: "idle", Broker: srv.kind, Params: map[string]any{"connections": N, "hold_s": o.hold.Seconds(), "filters_per_conn": len(idleFilters(0))}}
	time.Sleep(2 * time.Second)
	base := srv.rss()
	res.RSSBaselineKiB = base
	srv.resetPeak()
	selfBase, _, _ := memKiB(os.Getpid())
	cpu0 := cpuSeconds(srv.pid())
	conns, cs, err := e.connectMany(srv, clientRaw, seq(0, N), "i", idleFilters, 1, nil, o.workers)
	if err != nil {
		return res, err
	}
	res.Connect = cs
	// Like the pet after logging in, each sends a request (the pet sends a
	// few: profile, friends, rooms, history). A broker that kept the
	// stacks of clients that had just published would show it here.
	// mosquitto has no requests: the same publish goes to a topic nobody
	// reads (every client's tachikoma/# would otherwise get all 20,000).
	for k, c := range conns {
		topic := topics.Requests(userName(k))
		if srv.kind != kindOurs {
			topic = "bench/nobody/" + userName(k)
		}
		if err := c.publish(topic, 0, []byte(`{"id":"1","method":"friend.list"}`)); err != nil {
			closeAll(conns)
			return res, fmt.Errorf("client i%d: request: %w", k, err)
		}
	}
	cpuConnect := cpuSeconds(srv.pid()) - cpu0
	time.Sleep(2 * time.Second)
	cpu1 := cpuSeconds(srv.pid())
	hold0 := time.Now()
	prof := e.startProfile(srv, res.Scenario, o.hold)
	time.Sleep(o.hold)
	holdCPU := cpuSeconds(srv.pid()) - cpu1
	prof.wait()
	steady := srv.rss()
	self, _, _ := memKiB(os.Getpid())
	res.RSSPeakKiB, res.RSSSteadyKiB = srv.peak(), steady
	res.RSSPerConnKiB = float64(steady-base) / float64(N)
	res.CPUSeconds = cpuConnect
	res.Extra = map[string]float64{
		"connect_cpu_us_per_conn":  cpuConnect * 1e6 / float64(N),
		"hold_cpu_percent":         holdCPU / time.Since(hold0).Seconds() * 100,
		"broker_threads":           float64(threads(srv.pid())),
		"loadgen_rss_per_conn_kib": float64(self-selfBase) / float64(N),
	}
	t0 := time.Now()
	closeAll(conns)
	res.Extra["disconnect_all_s"] = time.Since(t0).Seconds()
	return res, nil
}

// stormScenario drops N connected clients by restarting our broker and
// times their return (each reconnects with its resume token, backing off
// 0.25 s doubling to 2 s, with jitter).
func (e *env) stormScenario(start func() (*server, error), srv *server) (result, *server, error) {
	o := e.o
	N := o.storm
	res := result{Scenario: "reconnect-storm", Broker: srv.kind, Params: map[string]any{"clients": N}}
	conns, cs, err := e.connectMany(srv, clientRaw, seq(0, N), "s", idleFilters, 1, nil, o.workers)
	if err != nil {
		return res, srv, err
	}
	res.Connect = cs
	time.Sleep(time.Second)

	var back atomic.Int64
	var attempts atomic.Int64
	var lastBack atomic.Int64
	deadline := time.Now().Add(o.stormLimit)
	final := make([]client, N)
	var wg sync.WaitGroup
	var cur atomic.Pointer[server]
	cur.Store(srv)
	for k, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-c.lost()
			backoff := 250 * time.Millisecond
			time.Sleep(time.Duration(rand.Int64N(int64(backoff))))
			for try := 0; try < 1000 && time.Now().Before(deadline); try++ {
				attempts.Add(1)
				nc, err := e.connectOne(cur.Load(), clientRaw, k, "s", idleFilters, 1, nil)
				if err == nil {
					final[k] = nc
					back.Add(1)
					lastBack.Store(time.Now().UnixNano())
					return
				}
				time.Sleep(backoff/2 + time.Duration(rand.Int64N(int64(backoff))))
				backoff = min(2*backoff, 2*time.Second)
			}
		}()
	}
	t0 := time.Now()
	shutdown := srv.stop(60 * time.Second)
	t1 := time.Now()
	nsrv, err := start()
	if err != nil {
		return res, nil, err
	}
	cur.Store(nsrv)
	listening := time.Since(t1)
	cpu0 := cpuSeconds(nsrv.pid())
	wg.Wait()
	defer closeAll(final)
	total := time.Duration(0)
	if lb := lastBack.Load(); lb > 0 {
		total = time.Unix(0, lb).Sub(t0)
	}
	res.Delivered = back.Load()
	res.CPUSeconds = cpuSeconds(nsrv.pid()) - cpu0
	res.RSSPeakKiB, res.RSSSteadyKiB = nsrv.peak(), nsrv.rss()
	res.Extra = map[string]float64{
		"reconnected":                 float64(back.Load()),
		"all_back_s":                  total.Seconds(),
		"broker_shutdown_s":           shutdown.Seconds(),
		"broker_listening_s":          listening.Seconds(),
		"reconnect_after_listen":      (total - shutdown - listening).Seconds(),
		"connect_attempts":            float64(attempts.Load()),
		"connects_per_s_after_listen": float64(back.Load()) / max(0.001, (total-shutdown-listening).Seconds()),
	}
	if back.Load() < int64(N) {
		res.Notes = append(res.Notes, fmt.Sprintf("only %d of %d clients came back within %s", back.Load(), N, o.stormLimit))
	}
	return res, nsrv, nil
}

// historyScenario pages a room holding o.histMsgs messages: C users each
// send paced `history` requests (≤ 20/s, under the 25/s request limit) and
// time request → reply end to end.
func (e *env) historyScenario(srv *server) (result, error) {
	o := e.o
	C := o.histClients
	per := (o.histRequests + C - 1) / C
	res := result{Scenario: "history", Broker: srv.kind, Params: map[string]any{"messages": o.histMsgs, "clients": C,
		"requests": per * C, "limit": 50, "per_client_rate": 20}}
	type pend struct {
		mu sync.Mutex
		ch map[string]chan []byte
	}
	ps := make([]*pend, C)
	for k := range ps {
		ps[k] = &pend{ch: map[string]chan []byte{}}
	}
	conns, cs, err := e.connectMany(srv, clientRaw, seq(0, C), "h", func(i int) []string { return []string{topics.Replies(userName(i))} }, 1,
		func(i int) onMessage {
			p := ps[i]
			return func(topic string, b []byte) {
				var r struct {
					ID string `json:"id"`
				}
				if json.Unmarshal(b, &r) != nil {
					return
				}
				p.mu.Lock()
				ch := p.ch[r.ID]
				delete(p.ch, r.ID)
				p.mu.Unlock()
				if ch != nil {
					ch <- append([]byte(nil), b...)
				}
			}
		}, o.workers)
	if err != nil {
		return res, err
	}
	defer closeAll(conns)
	res.Connect = cs
	time.Sleep(time.Second)
	var all, newest, deep hist
	var bad, timeouts atomic.Int64
	var firstBad atomic.Value
	srv.resetPeak()
	cpu0 := cpuSeconds(srv.pid())
	prof := e.startProfile(srv, res.Scenario, time.Duration(per)*50*time.Millisecond+time.Second)
	var wg sync.WaitGroup
	for k, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(k), 7))
			pace(time.Duration(k)*50*time.Millisecond/time.Duration(C), 50*time.Millisecond, per, time.Now().Add(10*time.Minute), func(j int) error {
				before := int64(0)
				if j%4 != 0 {
					before = 51 + rng.Int64N(int64(o.histMsgs-50))
				}
				id := "h" + strconv.Itoa(j)
				ch := make(chan []byte, 1)
				ps[k].mu.Lock()
				ps[k].ch[id] = ch
				ps[k].mu.Unlock()
				req := fmt.Sprintf(`{"id":%q,"method":"history","params":{"room":%q,"before":%d,"limit":50}}`, id, histRoom, before)
				t := time.Now()
				if err := c.publish(topics.Requests(userName(k)), 1, []byte(req)); err != nil {
					return err
				}
				select {
				case b := <-ch:
					d := time.Since(t)
					all.add(d)
					if before == 0 {
						newest.add(d)
					} else {
						deep.add(d)
					}
					var r struct {
						Result topics.History `json:"result"`
						Error  *topics.Error  `json:"error"`
					}
					if json.Unmarshal(b, &r) != nil || r.Error != nil || len(r.Result.Messages) != 50 {
						bad.Add(1)
						firstBad.CompareAndSwap(nil, string(b[:min(len(b), 300)]))
					}
				case <-time.After(10 * time.Second):
					timeouts.Add(1)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	res.CPUSeconds = cpuSeconds(srv.pid()) - cpu0
	prof.wait()
	res.Latency = all.summary()
	res.Delivered = all.n.Load()
	if res.Delivered > 0 {
		res.CPUusPerDelivered = res.CPUSeconds * 1e6 / float64(res.Delivered)
	}
	res.RSSPeakKiB, res.RSSSteadyKiB = srv.peak(), srv.rss()
	nl, dl := newest.summary(), deep.summary()
	res.Extra = map[string]float64{"newest_p50_ms": nl.P50ms, "newest_p99_ms": nl.P99ms, "deep_p50_ms": dl.P50ms,
		"deep_p99_ms": dl.P99ms, "bad_replies": float64(bad.Load()), "timeouts": float64(timeouts.Load())}
	if s, ok := firstBad.Load().(string); ok {
		res.Notes = append(res.Notes, "first bad reply: "+strings.TrimSpace(s))
	}
	return res, nil
}
