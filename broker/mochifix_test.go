package broker

import (
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
