package conn

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// packet is one MQTT packet on the wire, and the PUBACK id if it is one.
type packet struct {
	wire  []byte
	ackID int // -1: not a PUBACK
}

func puback(id uint16) packet {
	return packet{wire: []byte{0x40, 2, byte(id >> 8), byte(id)}, ackID: int(id)}
}

// other is a packet whose first byte is t with a body of n bytes, its
// fixed header encoded by mochi.
func other(t byte, n int, fill byte) packet {
	var buf bytes.Buffer
	fh := packets.FixedHeader{Type: t >> 4, Dup: t&8 != 0, Qos: t >> 1 & 3, Retain: t&1 != 0, Remaining: n}
	fh.Encode(&buf)
	// A body full of PUBACK-looking bytes, which must not be taken for one.
	for i := range n {
		buf.WriteByte([]byte{0x40, 2, fill, byte(i)}[i%4])
	}
	return packet{wire: buf.Bytes(), ackID: -1}
}

// run writes the packets' bytes split into the given chunks, reads them
// all through a Conn (with a handler when take) and returns what the
// reader saw and the ids taken.
func run(t *testing.T, stream []byte, chunks []int, take bool) (seen []byte, taken []int) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	c := Wrap(b, Options{}, nil)
	if take {
		c.OnPuback(func(id uint16) { taken = append(taken, int(id)) })
	}
	go func() {
		rest := stream
		for _, n := range chunks {
			if _, err := a.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
		a.Close()
	}()
	buf := make([]byte, 512)
	for {
		n, err := c.Read(buf)
		seen = append(seen, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return seen, taken
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestPubacksTakenOthersPassed(t *testing.T) {
	pkts := []packet{other(0x10, 30, 1), puback(1), other(0x30, 200, 2), puback(2), puback(0x0203),
		other(0xC0, 0, 0), puback(4), other(0x30, 20000, 3), puback(5)}
	var stream, want []byte
	for _, p := range pkts {
		stream = append(stream, p.wire...)
		if p.ackID < 0 {
			want = append(want, p.wire...)
		}
	}
	// One chunk per packet, except that PUBACK 4 is split over two writes.
	var chunks []int
	for i, p := range pkts {
		if p.ackID == 4 {
			chunks = append(chunks, 1, 3)
			continue
		}
		chunks = append(chunks, len(pkts[i].wire))
	}
	seen, taken := run(t, stream, chunks, true)
	want4 := append(slices.Clone(want[:len(want)-len(pkts[7].wire)]), append(puback(4).wire, pkts[7].wire...)...)
	if !bytes.Equal(seen, want4) {
		t.Fatalf("mochi would see % x...\nwant % x...", head(seen), head(want4))
	}
	if !slices.Equal(taken, []int{1, 2, 0x0203, 5}) {
		t.Fatalf("taken %v, want 1 2 515 5 (4 was split, so mochi reads it)", taken)
	}

	// No handler: everything passes.
	seen, _ = run(t, stream, chunks, false)
	if !bytes.Equal(seen, stream) {
		t.Fatal("without a handler the stream changed")
	}
}

// Random packets in random chunks: mochi sees exactly the stream without the
// PUBACKs taken, and every PUBACK is either taken or seen.
func TestRandomStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var pkts []packet
		for range 1 + rng.IntN(40) {
			switch rng.IntN(3) {
			case 0:
				pkts = append(pkts, puback(uint16(rng.IntN(65536))))
			case 1:
				pkts = append(pkts, other(0x30, rng.IntN(300), byte(round)))
			default:
				pkts = append(pkts, other(0x82, rng.IntN(20), byte(round)))
			}
		}
		var stream []byte
		for _, p := range pkts {
			stream = append(stream, p.wire...)
		}
		var chunks []int
		for rest := len(stream); rest > 0; {
			n := min(rest, 1+rng.IntN(64))
			chunks = append(chunks, n)
			rest -= n
		}
		seen, taken := run(t, stream, chunks, true)
		// A PUBACK is taken when its four bytes arrive in one read.
		chunkOf := make([]int, 0, len(stream))
		for i, n := range chunks {
			for range n {
				chunkOf = append(chunkOf, i)
			}
		}
		var want []byte
		var wantTaken []int
		off := 0
		for _, p := range pkts {
			if p.ackID >= 0 && chunkOf[off] == chunkOf[off+3] {
				wantTaken = append(wantTaken, p.ackID)
			} else {
				want = append(want, p.wire...)
			}
			off += len(p.wire)
		}
		if !slices.Equal(taken, wantTaken) || !bytes.Equal(seen, want) {
			t.Fatalf("round %d: taken %v, want %v; mochi saw %d bytes, want %d", round, taken, wantTaken, len(seen), len(want))
		}
	}
}

// PUBACKs mochi never sees still count as traffic: the keepalive deadline
// moves on, as mochi moves it for every packet it reads.
func TestPubacksKeepTheConnectionAlive(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	c := Wrap(b, Options{}, nil)
	c.OnPuback(func(uint16) {})
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for id := uint16(1); ; id++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := a.Write(puback(id).wire); err != nil {
					return
				}
			}
		}
	}()
	end := time.Now().Add(2500 * time.Millisecond) // two and a half deadlines
	go func() {
		time.Sleep(time.Until(end))
		close(stop)
		a.Write(other(0xC0, 0, 0).wire) // PINGREQ: mochi's to read
	}()
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("read failed after %v of PUBACKs only: %v", time.Since(end.Add(-2500*time.Millisecond)).Round(time.Millisecond), err)
	}
	if !bytes.Equal(buf[:n], []byte{0xC0, 0}) {
		t.Fatalf("read % x, want the PINGREQ", buf[:n])
	}

	// Silence still ends in the deadline.
	_ = c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent connection: %v, want the deadline", err)
	}
}

// The parser reports each read in which a PUBLISH begins, not bytes that
// only look like one inside another packet.
func TestPublishesAreReported(t *testing.T) {
	body := other(0x82, 300, 0x30)
	split := 50
	for body.wire[split]>>4 != publishType {
		split++
	}
	chunks := [][]byte{
		other(0x30, 10, 0).wire,
		puback(7).wire,
		body.wire[:split], body.wire[split:], // the second part begins with a PUBLISH-looking body byte
		append(other(0x32, 5, 0).wire, other(0x30, 0x30, 0).wire...), // two in one read
	}
	var p parser
	var reads []int
	for i, ch := range chunks {
		if _, ev := p.filter(slices.Clone(ch), func(uint16) {}); ev.published {
			reads = append(reads, i)
		}
	}
	if !slices.Equal(reads, []int{0, 4}) {
		t.Fatalf("PUBLISHes reported in reads %v, want 0 and 4", reads)
	}
}

func head(b []byte) []byte { return b[:min(len(b), 40)] }

// Any bytes in any chunks: no panic, nothing lost or duplicated (what mochi
// sees plus four bytes per PUBACK taken is the input), and without a
// handler the stream is untouched.
func FuzzFilter(f *testing.F) {
	f.Add([]byte{0x40, 2, 0, 1, 0x30, 3, 'a', 'b', 'c', 0x40, 2, 0, 2}, uint8(3))
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x40, 2, 0, 1}, uint8(0))
	f.Add([]byte{0xc0, 0, 0x40, 2, 1, 2, 0x40, 3, 1, 2, 3}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var take, pass parser
		taken := 0
		ack := func(uint16) { taken++ }
		var seen, passed []byte
		for rest := data; len(rest) > 0; {
			n := min(len(rest), int(chunk)+1)
			a, b := slices.Clone(rest[:n]), slices.Clone(rest[:n])
			k, _ := take.filter(a, ack)
			seen = append(seen, a[:k]...)
			k, _ = pass.filter(b, nil)
			passed = append(passed, b[:k]...)
			rest = rest[n:]
		}
		if len(seen)+4*taken != len(data) {
			t.Fatalf("%d bytes in, %d passed and %d PUBACKs taken", len(data), len(seen), taken)
		}
		if !bytes.Equal(passed, data) {
			t.Fatal("without a handler the stream changed")
		}
	})
}
