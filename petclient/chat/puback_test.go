package chat

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// ackHolder is a TCP proxy to a broker that can hold back the PUBACKs of
// room messages, as a broker that routed a message but died before its
// commit would; Cut ends every connection through it.
type ackHolder struct {
	ln   net.Listener
	to   string
	mu   sync.Mutex
	hold bool
	ids  map[uint16]bool // packet ids of room messages in flight
	cons []net.Conn
}

func newAckHolder(t *testing.T, to string) *ackHolder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &ackHolder{ln: ln, to: to, hold: true, ids: map[uint16]bool{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *ackHolder) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.to)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.cons = append(p.cons, c, up)
		p.mu.Unlock()
		go p.copy(c, up, p.notePublish)
		go p.copy(up, c, p.dropAck)
	}
}

// copy forwards whole MQTT packets from src to dst; keep says whether
// each (first byte, rest after the length) goes on.
func (p *ackHolder) copy(src, dst net.Conn, keep func(head byte, body []byte) bool) {
	defer dst.Close()
	r := bufio.NewReader(src)
	for {
		head, body, err := brokertest.ReadFrame(r)
		if err != nil {
			return
		}
		if !keep(head, body) {
			continue
		}
		if _, err := dst.Write(frame(head, body)); err != nil {
			return
		}
	}
}

// frame is an MQTT packet again: first byte, remaining length, body.
func frame(head byte, body []byte) []byte {
	out := []byte{head}
	n := len(body)
	for {
		b := byte(n % 128)
		if n /= 128; n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return append(out, body...)
		}
	}
}

// notePublish remembers the packet id of a QoS 1 PUBLISH to a room.
func (p *ackHolder) notePublish(head byte, body []byte) bool {
	if head>>4 != 3 || (head>>1)&3 == 0 || len(body) < 2 {
		return true
	}
	tl := int(body[0])<<8 | int(body[1])
	if len(body) < 2+tl+2 || !strings.HasPrefix(string(body[2:2+tl]), topics.Room("")) {
		return true
	}
	p.mu.Lock()
	p.ids[uint16(body[2+tl])<<8|uint16(body[3+tl])] = true
	p.mu.Unlock()
	return true
}

// dropAck drops the PUBACK of a room message while holding.
func (p *ackHolder) dropAck(head byte, body []byte) bool {
	if head>>4 != 4 || len(body) < 2 {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return !(p.hold && p.ids[uint16(body[0])<<8|uint16(body[1])])
}

// Cut ends every connection made so far and lets PUBACKs through from now on.
func (p *ackHolder) Cut() {
	p.mu.Lock()
	p.hold = false
	for _, c := range p.cons {
		c.Close()
	}
	p.cons = nil
	p.mu.Unlock()
}

// A room message's echo arrives before its PUBACK (the broker routes, then
// commits, then acknowledges): the pet must not call it sent until the
// PUBACK, and must send it again if the connection ends first.
func TestSentOnlyOncePubackCame(t *testing.T) {
	b := startBroker(t, brokerConfig(t.TempDir()))
	register(t, b, "alice")
	proxy := newAckHolder(t, b.MQTTAddr())
	cfg := clientConfig(b, "alice", t.TempDir())
	cfg.Server = "mqtt://" + proxy.ln.Addr().String()
	alice, rec := connected(t, cfg)

	cid, err := alice.Send(RoomConv(topics.Lobby), "你好，先到的回显")
	if err != nil {
		t.Fatal(err)
	}
	rec.wait("own echo", isMsg("你好，先到的回显"))
	// A settled message's SendSent event comes before its echo's message
	// event, so had the echo settled it, it would be recorded by now.
	if n := rec.count(isState(cid, SendSent)); n != 0 {
		t.Fatal("marked sent on its echo, before any PUBACK")
	}
	if out := alice.Outbox(); len(out) != 1 || out[0].CID != cid || out[0].State != SendPending {
		t.Fatalf("outbox after the echo, without PUBACK: %+v", out)
	}

	// The connection ends before the PUBACK: the message goes again, and
	// is sent once acknowledged, stored once.
	proxy.Cut()
	rec.wait("sent after reconnecting", isState(cid, SendSent))
	if len(alice.Outbox()) != 0 {
		t.Fatalf("outbox after the PUBACK: %+v", alice.Outbox())
	}
	msgs, err := alice.History(ctxT(t), RoomConv(topics.Lobby), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, m := range msgs {
		if m.CID == cid {
			stored++
		}
	}
	if stored != 1 {
		t.Fatalf("history holds the message %d times", stored)
	}
}

// A history page that brings the stamped copy of a message still waiting
// for its PUBACK (a catch-up after a reconnect can beat the live echo)
// shows it: the echo that follows is then a duplicate and shows nothing.
func TestHistoryShowsOwnMessageInFlight(t *testing.T) {
	c, rec := unconnected(t)
	cid, err := c.Send(RoomConv(topics.Lobby), "路上的消息")
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.echoes[cid] = make(chan struct{}) // as sendOne does while it waits
	c.mu.Unlock()
	c.ingest([]topics.Message{{ID: 7, Room: topics.Lobby, From: "alice", Nick: "alice", Text: "路上的消息", CID: cid, TS: 1}}, modeHistory)
	rec.wait("the stamped copy from history", isMsg("路上的消息"))
}
