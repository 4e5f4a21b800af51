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
