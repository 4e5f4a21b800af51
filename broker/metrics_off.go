//go:build nometrics

package broker

import (
	"net/http"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/tachikoma-pet/tachikoma/topics"
)

// promMetrics without Prometheus: the same fields and methods, counting
// nothing, for programs that host a broker but never serve /metrics (the pet).
type promMetrics struct {
	in, out    [topics.KindPresence + 1]noCounter
	refusals   noCounterVec
	backups    noCounterVec
	lastBackup noCounter
}

type noCounter struct{}

func (noCounter) Inc()              {}
func (noCounter) Add(float64)       {}
func (noCounter) SetToCurrentTime() {}

type noCounterVec struct{}

func (noCounterVec) WithLabelValues(...string) noCounter { return noCounter{} }

func newMetrics(*Broker) *promMetrics { return &promMetrics{} }

func (*promMetrics) refused(string, packets.Code)        {}
func (*promMetrics) login(error)                         {}
func (*promMetrics) committed(int, time.Duration, error) {}

// handler says why there are no metrics.
func (*promMetrics) handler(*Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "this program was built without metrics (tag nometrics)")
	})
}
