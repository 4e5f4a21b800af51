package broker

import (
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The session index under takeovers, hook by hook in the orders mochi can
// produce them: whatever the order, deliveries end up looking at the client
// mochi holds.
func TestSessionIndexFollowsTakeovers(t *testing.T) {
	b := &Broker{mqtt: mqtt.New(&mqtt.Options{})}
	x := newSessionIndex()
	client := func(filter string) *mqtt.Client {
		cl := b.mqtt.NewClient(nil, "t", "bob-pet", false)
		cl.Properties.Username = []byte("bob")
		cl.State.Subscriptions.Add(filter, packets.Subscription{Filter: filter, Qos: 1})
		cl.State.Subscriptions.Add("$share/g/tachikoma/#", packets.Subscription{Filter: "$share/g/tachikoma/#"})
		return cl
	}
	stored := func() *session {
		t.Helper()
		ss := x.sessions("bob")
		if len(ss) != 1 {
			t.Fatalf("%d sessions indexed for bob, want 1", len(ss))
		}
		return ss[0]
	}

	old := client("tachikoma/#")
	b.mqtt.Clients.Add(old)
	x.put("bob", old, plainSubscriptions(old))
	if s := stored(); s.cl != old || len(s.subs) != 1 || s.subs[0].Filter != "tachikoma/#" {
		t.Fatalf("stored %+v: want the old client with its one plain subscription", s)
	}

	// A new connection takes the id over; the old one finishes a SUBSCRIBE
	// and then ends, all before the new one's OnSessionEstablished.
	next := client("tachikoma/rooms/+")
	b.mqtt.Clients.Add(next)
	x.refresh(b, "bob", old)
	if s := stored(); s.cl != old {
		t.Fatal("refresh of a client taken over replaced the index entry")
	}
	x.drop(b, "bob", old)
	if s := stored(); s.cl != next || s.subs[0].Filter != "tachikoma/rooms/+" {
		t.Fatalf("after the old client ended: %+v, want the client mochi holds", s)
	}
	x.put("bob", next, plainSubscriptions(next))
	x.drop(b, "bob", old) // a late second end of the old one changes nothing
	if s := stored(); s.cl != next {
		t.Fatal("a late drop of the old client removed its successor")
	}
	x.refresh(b, "bob", old)
	if s := stored(); s.cl != next {
		t.Fatal("a late refresh of the old client overwrote its successor")
	}

	// The session ends for good.
	b.mqtt.Clients.Delete(next.ID)
	x.drop(b, "bob", next)
	if ss := x.sessions("bob"); len(ss) != 0 {
		t.Fatalf("after the end: %d sessions", len(ss))
	}
}
