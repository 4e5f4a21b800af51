package broker_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// BenchmarkClusterRoom500 sends room messages from one member to a room of
// 500 whose members are spread over three cluster nodes, against the same
// on one broker, and reports delivered messages per second and the p99
// from publish to delivery (docs/PERFORMANCE.md). Run it alone:
//
//	go test -run '^$' -bench ClusterRoom500 -benchtime 1x ./broker/
func BenchmarkClusterRoom500(b *testing.B) {
	const members, messages, perSecond = 500, 200, 50
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var brokers []*broker.Broker
			if n == 1 {
				cfg := testConfig(b.TempDir())
				cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 10000, 10000
				brokers = []*broker.Broker{startBroker(b, cfg)}
			} else {
				for _, nd := range startCluster(b, n, func(cfg *broker.Config) {
					cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 10000, 10000
				}) {
					brokers = append(brokers, nd.Broker)
				}
			}
			names := make([]string, members)
			for i := range names {
				names[i] = fmt.Sprintf("m%03d", i)
			}
			register(b, brokers[0], names...)
			for _, br := range brokers {
				waitCluster(b, "accounts on every node", func() bool { _, ok := br.Directory().User(names[members-1]); return ok })
			}
			var mu sync.Mutex
			var lat []time.Duration
			var delivered atomic.Int64
			var last atomic.Int64
			onMsg := func(_ paho.Client, m paho.Message) {
				var msg topics.Message
				if json.Unmarshal(m.Payload(), &msg) != nil {
					return
				}
				sent, err := strconv.ParseInt(msg.Text, 10, 64)
				if err != nil {
					return
				}
				now := time.Now()
				delivered.Add(1)
				last.Store(now.UnixNano())
				mu.Lock()
				lat = append(lat, now.Sub(time.Unix(0, sent)))
				mu.Unlock()
			}
			var talker *client
			lobby := topics.Room(topics.Lobby)
			for i, name := range names {
				br := brokers[i%len(brokers)]
				c, err := dial(b, "tcp://"+br.MQTTAddr(), name, name+"-password", name+"-bench",
					func(o *paho.ClientOptions) { o.SetDefaultPublishHandler(onMsg) })
				if err != nil {
					b.Fatal(err)
				}
				c.sub(lobby)
				if i == 0 {
					talker = c
				}
			}
			b.ResetTimer()
			start := time.Now()
			tick := time.NewTicker(time.Second / perSecond)
			for i := range messages {
				<-tick.C
				talker.c.Publish(lobby, 0, false, fmt.Sprintf(`{"text":"%d","cid":"b%d"}`, time.Now().UnixNano(), i))
			}
			tick.Stop()
			want := int64(messages * members)
			deadline := time.Now().Add(2 * time.Minute)
			for delivered.Load() < want && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			b.StopTimer()
			elapsed := time.Unix(0, last.Load()).Sub(start)
			mu.Lock()
			slices.Sort(lat)
			p99 := lat[len(lat)*99/100]
			mu.Unlock()
			b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "delivered/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(delivered.Load())/float64(want)*100, "%delivered")
		})
	}
}
