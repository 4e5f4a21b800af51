package broker

import (
	"slices"
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// TestOrderHeld: messages held for an MQTT 5 client's receive maximum leave
// in the order their packet ids were given, across the ids' wrap.
func TestOrderHeld(t *testing.T) {
	s := mqtt.New(nil)
	cl := s.NewClient(nil, "test", "c", false)
	cl.Properties.ProtocolVersion = 5
	order := []uint16{65533, 65534, 65535, 1, 2, 3}
	for i, id := range order {
		// One second for all, and not in id order, as mochi's clock would.
		cl.State.Inflight.Set(packets.Packet{PacketID: id, Created: 1_800_000_000 + int64(i%2), Expiry: -1})
	}
	for _, want := range order {
		orderHeld(cl)
		next, ok := cl.State.Inflight.NextImmediate()
		if !ok || next.PacketID != want {
			t.Fatalf("next held message %d, want %d", next.PacketID, want)
		}
		cl.State.Inflight.Delete(next.PacketID)
	}
}

// TestKeepaliveFitsMochisDeadline: the keepalive a client ends up with,
// one and a half times which mochi computes in 16 bits for the read
// deadline, does not overflow; MQTT 5 clients are told a changed one.
func TestKeepaliveFitsMochisDeadline(t *testing.T) {
	h := &specHook{}
	s := mqtt.New(nil)
	for _, version := range []byte{4, 5} {
		for _, asked := range []uint16{0, 1, 60, 43690, 43691, 65535} {
			cl := s.NewClient(nil, "test", "c", false)
			cl.Properties.ProtocolVersion = version
			cl.State.Keepalive = asked
			if err := h.OnConnect(cl, packets.Packet{}); err != nil {
				t.Fatal(err)
			}
			k := cl.State.Keepalive
			if deadline := k + k/2; deadline < k { // as mochi's refreshDeadline
				t.Errorf("v%d keepalive %d: kept %d, whose deadline overflows to %d s", version, asked, k, deadline)
			}
			if asked > 0 && asked <= maxKeepalive && k != asked {
				t.Errorf("v%d keepalive %d changed to %d", version, asked, k)
			}
			if told := k != asked && version == 5; cl.State.ServerKeepalive != told {
				t.Errorf("v%d keepalive %d: server keepalive sent = %v, want %v", version, asked, cl.State.ServerKeepalive, told)
			}
		}
	}
}

// TestResumedQueueDropsExpired: what expired while an MQTT 5 client was
// away is not resent when its session resumes, even before mochi's
// once-a-second sweep has run [MQTT-3.3.2-5]; the rest stays, and $SYS
// inflight counts the drop.
func TestResumedQueueDropsExpired(t *testing.T) {
	b := newListenerlessBroker(t)
	h := &specHook{b: b}
	cl := b.mqtt.NewClient(nil, "test", "c", false)
	cl.Properties.ProtocolVersion = 5
	const now = 1_800_000_000
	queued := []packets.Packet{
		{PacketID: 1, ProtocolVersion: 5, Created: now - 3, Expiry: now - 2},  // expired
		{PacketID: 2, ProtocolVersion: 5, Created: now - 3, Expiry: now},      // due this second: kept, as mochi's sweep keeps it
		{PacketID: 3, ProtocolVersion: 5, Created: now - 3, Expiry: now + 60}, // kept
		{PacketID: 4, ProtocolVersion: 5, Created: now - 3, Expiry: -1},       // held for receive maximum, never expires here
	}
	for _, p := range queued {
		p.FixedHeader.Type = packets.Publish
		cl.State.Inflight.Set(p)
	}
	b.mqtt.Info.Inflight = int64(len(queued))
	h.dropExpiredQueued(cl, now)
	var left []uint16
	for _, p := range cl.State.Inflight.GetAll(false) {
		left = append(left, p.PacketID)
	}
	slices.Sort(left)
	if !slices.Equal(left, []uint16{2, 3, 4}) {
		t.Errorf("queue after resuming: %v, want [2 3 4]", left)
	}
	if got := b.mqtt.Info.Inflight; got != 3 {
		t.Errorf("$SYS inflight %d, want 3", got)
	}
}
