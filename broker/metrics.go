package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// The counters themselves are in metrics_prom.go; the pet builds with the
// nometrics tag (metrics_off.go) so that it links no Prometheus client.

func topicKind(topic string) topics.Kind {
	t, _ := topics.Parse(topic)
	return t.Kind
}

// OnPublish counts every client's PUBLISH by topic kind, then handles it
// (onPublish); refusals are counted where they are decided (refuse, withholdAck).
func (h *chatHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if !cl.Net.Inline {
		h.b.metrics.in[topicKind(pk.TopicName)].Inc()
	}
	return h.onPublish(cl, pk)
}

// refuse counts a refused publish and drops it (refusal).
func (h *chatHook) refuse(cl *mqtt.Client, pk packets.Packet, code packets.Code) (packets.Packet, error) {
	h.b.metrics.refused("publish", code)
	return refusal(cl, pk, code)
}
