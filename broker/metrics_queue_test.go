package broker_test

import (
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/topics"
)

var persistent connOpt = func(o *paho.ClientOptions) { o.SetCleanSession(false) }

// awaySession subscribes user's persistent session id to filters, then
// disconnects it and waits until the broker has seen it go.
func awaySession(t *testing.T, b *broker.Broker, user, id string, filters ...string) {
	t.Helper()
	c, err := dial(t, "tcp://"+b.MQTTAddr(), user, user+"-password", id, persistent)
	if err != nil {
		t.Fatal(err)
	}
	c.sub(filters...)
	c.c.Disconnect(0)
	for deadline := time.Now().Add(waitFor); b.ClientConnected(id); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still connected after %v", id, waitFor)
		}
	}
}

// TestMetricsOfflineQueues: DMs held for an away session show in
// tachikoma_offline_queued_messages and _longest, and go when it is back.
func TestMetricsOfflineQueues(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	base := "http://" + b.HTTPAddr()
	register(t, b, "alice", "bob")
	alice, bob := connect(t, b, "alice"), connect(t, b, "bob")
	befriend(t, alice, bob)
	url := "tcp://" + b.MQTTAddr()
	awaySession(t, b, "bob", "bob-pet", topics.DMInbox("bob"))
	if m := scrape(t, base); m["tachikoma_offline_queued_messages"] != 0 || m["tachikoma_offline_queue_longest"] != 0 {
		t.Fatalf("queues before any DM: %v %v", m["tachikoma_offline_queued_messages"], m["tachikoma_offline_queue_longest"])
	}
	for _, text := range []string{"一", "二", "三"} {
		alice.pub(topics.DM("bob", "alice"), 1, text)
	}
	var m map[string]float64
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m = scrape(t, base)
		if m["tachikoma_offline_queued_messages"] == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("offline queue after 3 DMs: %v, want 3", m["tachikoma_offline_queued_messages"])
		}
	}
	if m["tachikoma_offline_queue_longest"] != 3 {
		t.Errorf("longest offline queue %v, want 3", m["tachikoma_offline_queue_longest"])
	}
	bp2, err := dial(t, url, "bob", "bob-password", "bob-pet", persistent)
	if err != nil {
		t.Fatal(err)
	}
	bp2.expectChat(topics.DM("bob", "alice"))
	if m := scrape(t, base); m["tachikoma_offline_queued_messages"] != 0 {
		t.Errorf("offline queue with bob back: %v, want 0", m["tachikoma_offline_queued_messages"])
	}
}

// TestMetricsSubscribeRefusals: each refused filter is counted by reason,
// on MQTT 3.1.1 too, where the SUBACK says only 0x80.
func TestMetricsSubscribeRefusals(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.MaxSubscriptionsPerSession, cfg.Limits.MaxSubscriptionsPerUser = 2, 2
	b := startBroker(t, cfg)
	base := "http://" + b.HTTPAddr()
	register(t, b, "alice")
	key := func(why string) string { return `tachikoma_refusals_total{reason="` + why + `",stage="subscribe"}` }
	before := scrape(t, base)
	for _, why := range []string{"quota_exceeded", "filter_too_long_or_deep", "not_authorized"} {
		if v, ok := before[key(why)]; !ok || v != 0 {
			t.Errorf("%s before any refusal: %v (listed: %v), want 0", key(why), v, ok)
		}
	}

	c := connect(t, b, "alice")
	deep := strings.Repeat("a/", 20) + "a"
	for _, f := range []string{"elsewhere/topic", deep} {
		if code := c.subResult(f); code < 0x80 {
			t.Fatalf("%s was granted (%#x)", f, code)
		}
	}
	c.sub(topics.Room(topics.Lobby), topics.DMInbox("alice"))
	if code := c.subResult(topics.AllRooms); code < 0x80 {
		t.Fatalf("a third filter was granted (%#x)", code)
	}
	m := scrape(t, base)
	for why, want := range map[string]float64{"quota_exceeded": 1, "filter_too_long_or_deep": 1, "not_authorized": 1, "invalid_filter": 0} {
		if m[key(why)] != want {
			t.Errorf("%s = %v, want %v", key(why), m[key(why)], want)
		}
	}
}
