package broker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

func presenceOf(t *testing.T, pk packets.Packet) (user, status string) {
	t.Helper()
	var p topics.Presence
	if err := json.Unmarshal(pk.Payload, &p); err != nil {
		t.Fatalf("presence payload %q: %v", pk.Payload, err)
	}
	tp, err := topics.Parse(pk.TopicName)
	if err != nil || tp.Kind != topics.KindPresence {
		t.Fatalf("not a presence topic: %q", pk.TopicName)
	}
	return tp.User, p.Status
}

// A new subscription gets the current presence of the subscriber and their
// friends, flagged retained, with its subscription identifier; nobody
// else's, whatever the filter. MQTT 5 retain handling is honoured.
func TestPresenceOnSubscribe(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben", "cat", "dan")
	ben, cat := connect(t, b, "ben"), connect(t, b, "cat")
	befriend(t, ben, connect(t, b, "amy"))
	_ = cat // online, but no friend of amy's

	amy := dialRaw(t, b, "amy", 5, packets.Properties{})
	for _, filter := range []string{topics.AllPresence, "#", "+/presence/#", topics.PresenceTopic("ben"), topics.PresenceTopic("ben") + "/#"} {
		got := amy.subscribeSeeing(packets.Subscription{Filter: filter, Qos: 1}, 4)
		var users []string
		for _, pk := range got {
			user, status := presenceOf(t, pk)
			if status != topics.Online || !pk.FixedHeader.Retain {
				t.Fatalf("%s: %s is %q, retain %v; want online, retained", filter, user, status, pk.FixedHeader.Retain)
			}
			if ids := pk.Properties.SubscriptionIdentifier; len(ids) != 1 || ids[0] != 4 {
				t.Fatalf("%s: subscription identifiers %v, want [4]", filter, ids)
			}
			users = append(users, user)
		}
		sort.Strings(users)
		want := "[amy ben]"
		if strings.HasPrefix(filter, topics.PresenceTopic("ben")) {
			want = "[ben]"
		}
		if got := fmt.Sprint(users); got != want {
			t.Fatalf("%s brought the presence of %s, want %s", filter, got, want)
		}
	}
	// Retain handling 1: only for a subscription that is new; 2: never.
	if got := amy.subscribeSeeing(packets.Subscription{Filter: topics.AllPresence, Qos: 1, RetainHandling: 1}, 0); len(got) != 0 {
		t.Fatalf("retain handling 1 on an existing subscription brought %d messages", len(got))
	}
	if got := amy.subscribeSeeing(packets.Subscription{Filter: "tachikoma/presence/#", Qos: 1, RetainHandling: 1}, 0); len(got) != 2 {
		t.Fatalf("retain handling 1 on a new subscription brought %d messages, want 2", len(got))
	}
	if got := amy.subscribeSeeing(packets.Subscription{Filter: "tachikoma/#", Qos: 1, RetainHandling: 2}, 0); len(got) != 0 {
		t.Fatalf("retain handling 2 brought %d messages", len(got))
	}
	// An MQTT 3.1.1 subscriber gets the retain flag too.
	dan := dialRaw(t, b, "dan", 4, packets.Properties{})
	if got := dan.subscribeSeeing(packets.Subscription{Filter: topics.AllPresence, Qos: 0}, 0); len(got) != 1 || !got[0].FixedHeader.Retain {
		t.Fatalf("dan (no friends) got %+v, want only his own presence, retained", got)
	}
}

// A change reaches current subscribers without the retain flag, unless an
// MQTT 5 subscription asked for it as published.
func TestPresenceChangeRetainFlag(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben", "cat")
	ben := connect(t, b, "ben")
	befriend(t, ben, connect(t, b, "amy"))
	befriend(t, ben, connect(t, b, "cat"))
	plain := dialRaw(t, b, "amy", 5, packets.Properties{})
	plain.subscribeSeeing(packets.Subscription{Filter: topics.PresenceTopic("ben"), Qos: 1}, 0)
	asPublished := dialRaw(t, b, "cat", 5, packets.Properties{})
	asPublished.subscribeSeeing(packets.Subscription{Filter: topics.PresenceTopic("ben"), Qos: 1, RetainAsPublished: true}, 0)

	ben.c.Disconnect(0)
	for _, c := range []struct {
		rc   *rawClient
		want bool
	}{{plain, false}, {asPublished, true}} {
		pk := c.rc.nextPublish()
		if user, status := presenceOf(t, pk); user != "ben" || status != topics.Offline {
			t.Fatalf("got %s %s, want ben offline", user, status)
		}
		if pk.FixedHeader.Retain != c.want {
			t.Fatalf("retain-as-published %v: retain flag %v", c.want, pk.FixedHeader.Retain)
		}
	}
}

// A change goes to the sessions of the user's friends: one copy per client
// however many of its filters match (highest QoS, every identifier), to a
// client that took over another connection's id, and to a friend's offline
// session (queued); a stranger's wildcard gets nothing.
func TestPresenceChangeReachesFriendsSessions(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben", "cat", "dan", "zed")
	ben := connect(t, b, "ben")
	for _, u := range []string{"amy", "cat", "dan"} {
		befriend(t, ben, connect(t, b, u))
	}
	benTopic := topics.PresenceTopic("ben")

	amy := dialRaw(t, b, "amy", 5, packets.Properties{})
	amy.subscribeSeeing(packets.Subscription{Filter: "#", Qos: 0}, 1)
	amy.subscribeSeeing(packets.Subscription{Filter: topics.AllPresence, Qos: 1}, 2)

	// cat's second connection takes over the first one's client id.
	dialRawSession(t, b, "cat", "cat-pet", true, 4, packets.Properties{})
	cat := dialRawSession(t, b, "cat", "cat-pet", true, 4, packets.Properties{})
	cat.subscribeSeeing(packets.Subscription{Filter: benTopic, Qos: 1}, 0)

	// dan keeps a session and goes away.
	dan := dialRawSession(t, b, "dan", "dan-pet", false, 4, packets.Properties{})
	dan.subscribeSeeing(packets.Subscription{Filter: benTopic, Qos: 1}, 0)
	dan.conn.Close()
	deadline := time.Now().Add(waitFor)
	for b.ClientConnected("dan-pet") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	zed := dialRaw(t, b, "zed", 4, packets.Properties{})
	zed.subscribeSeeing(packets.Subscription{Filter: "#", Qos: 1}, 0)

	ben.c.Disconnect(0)
	pk := amy.nextPublish()
	if user, status := presenceOf(t, pk); user != "ben" || status != topics.Offline {
		t.Fatalf("amy got %s %s", user, status)
	}
	if ids := pk.Properties.SubscriptionIdentifier; pk.FixedHeader.Qos != 1 || fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("amy's copy: qos %d, identifiers %v; want 1 and [1 2] (one copy for both filters)", pk.FixedHeader.Qos, ids)
	}
	amy.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
	if user, status := presenceOf(t, cat.nextPublish()); user != "ben" || status != topics.Offline {
		t.Fatalf("cat (after a takeover) got %s %s", user, status)
	}
	// dan's copy may be queued after cat's was written.
	for deadline := time.Now().Add(waitFor); !slices.Contains(b.QueuedTopics("dan-pet"), benTopic); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dan's offline session queued %v, want %s", b.QueuedTopics("dan-pet"), benTopic)
		}
	}

	// amy's next packet is her own request's reply: no second copy came first.
	// zed's likewise: nothing of ben's.
	for _, rc := range []*rawClient{amy, zed} {
		user := "amy"
		if rc == zed {
			user = "zed"
		}
		rc.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topics.Requests(user),
			Payload: []byte(`{"id":"r1","method":"room.list"}`)})
		for {
			in := rc.nextPublish()
			if in.TopicName == topics.Replies(user) {
				break
			}
			if in.TopicName == benTopic {
				t.Fatalf("%s got a copy of ben's presence it should not have: %s", user, in.Payload)
			}
		}
	}
}

// Becoming friends brings each the other's current presence at once, on
// subscriptions made before the friendship.
func TestNewFriendsSeeEachOthersPresence(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben")
	watcher := dialRaw(t, b, "amy", 4, packets.Properties{})
	if got := watcher.subscribeSeeing(packets.Subscription{Filter: topics.AllPresence, Qos: 1}, 0); len(got) != 1 {
		t.Fatalf("before the friendship: %d presences, want amy's own", len(got))
	}
	ben := connect(t, b, "ben")
	befriend(t, ben, connect(t, b, "amy"))
	for {
		pk := watcher.nextPublish()
		if pk.FixedHeader.Qos > 0 {
			watcher.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: pk.PacketID})
		}
		if pk.TopicName != topics.PresenceTopic("ben") {
			continue // amy's own presence, events
		}
		if _, status := presenceOf(t, pk); status != topics.Online {
			t.Fatalf("ben is %q, want online", status)
		}
		return
	}
}

// A shared subscription gets changes too: one member of the group, among
// those who may read it.
func TestPresenceChangeReachesSharedSubscription(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben", "cat")
	ben := connect(t, b, "ben")
	befriend(t, ben, connect(t, b, "amy"))
	cat := dialRaw(t, b, "cat", 5, packets.Properties{}) // in the group, but no friend of ben's
	cat.subscribeSeeing(packets.Subscription{Filter: "$share/pets/" + topics.AllPresence, Qos: 1}, 0)
	amy := dialRaw(t, b, "amy", 5, packets.Properties{})
	if got := amy.subscribeSeeing(packets.Subscription{Filter: "$share/pets/" + topics.AllPresence, Qos: 1}, 0); len(got) != 0 {
		t.Fatalf("a shared subscription brought %d retained messages", len(got))
	}
	ben.c.Disconnect(0)
	pk := amy.nextPublish()
	if user, status := presenceOf(t, pk); user != "ben" || status != topics.Offline {
		t.Fatalf("got %s %s, want ben offline", user, status)
	}
}

// A new nickname reaches friends through presence at once: the pet takes a
// friend's name from presence, so a payload still naming the old one
// renamed them back in every friend's pet until they reconnected.
func TestPresenceFollowsNicknameChange(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "amy", "ben")
	amy, ben := connect(t, b, "amy"), connect(t, b, "ben")
	befriend(t, amy, ben)
	ben.sub(topics.PresenceTopic("amy"))
	amy.mustCall(topics.MethodProfileSet, topics.Params{Nickname: "小艾 Amy"}, nil)
	renamed := func(m paho.Message) bool {
		var p topics.Presence
		return m.Topic() == topics.PresenceTopic("amy") && json.Unmarshal(m.Payload(), &p) == nil &&
			p.Status == topics.Online && p.Nick == "小艾 Amy"
	}
	if ben.next(renamed) == nil {
		t.Fatalf("ben got no presence of amy with her new name; got %v", ben.received())
	}
	// And what a new subscription is sent (the retained presence).
	later := connect(t, b, "ben", func(o *paho.ClientOptions) { o.SetClientID("ben-later") })
	later.sub(topics.PresenceTopic("amy"))
	if later.next(renamed) == nil {
		t.Fatalf("a new subscription got no presence of amy with her new name; got %v", later.received())
	}
}
