package broker_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// BenchmarkRoomMessageAmongIdlePets times one message in a two-member room,
// from the talker's PUBLISH to the other member's copy, while other pets
// are connected and subscribed as the pet subscribes (they are not members).
// A broker that finds recipients among the topic's subscribers pays for
// every connected pet on every message; run it with -benchtime=2000x.
func BenchmarkRoomMessageAmongIdlePets(b *testing.B) {
	for _, idle := range []int{0, 2000} {
		b.Run(fmt.Sprintf("idle=%d", idle), func(b *testing.B) {
			cfg := testConfig(b.TempDir())
			cfg.Limits.MessagesPerSecond, cfg.Limits.MessageBurst = 1e6, 1e6
			// Errors only: closing 2,000 connections at the end would log a
			// warning each and bury the figures.
			br := brokertest.Start(b, cfg, brokertest.Logger(b, slog.LevelError))
			names := []string{"talker", "member"}
			for i := range idle {
				names = append(names, fmt.Sprintf("idle%04d", i))
			}
			register(b, br, names...)
			for _, n := range names[2:] {
				c := dialRaw(b, br, n, 4, packets.Properties{})
				for _, f := range topics.PetFilters(n) {
					c.subscribe(packets.Subscription{Filter: f, Qos: 1}, 0)
				}
			}
			room := topics.Room("den")
			talker, member := connect(b, br, "talker"), connect(b, br, "member")
			talker.mustCall(topics.MethodRoomCreate, topics.Params{Room: "den"}, nil)
			member.mustCall(topics.MethodRoomJoin, topics.Params{Room: "den"}, nil)
			sub := dialRaw(b, br, "member", 4, packets.Properties{})
			sub.subscribe(packets.Subscription{Filter: room, Qos: 0}, 0)
			pub := dialRaw(b, br, "talker", 4, packets.Properties{})
			msg := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: room, Payload: []byte("hi")}
			b.ResetTimer()
			for range b.N {
				pub.send(msg)
				sub.nextPublish()
			}
		})
	}
}
