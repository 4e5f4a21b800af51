package chat

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
)

// TestExpiredCertificateMessage: a server whose certificate expired, or is
// not valid yet, gets a message that says which and what to do.
func TestExpiredCertificateMessage(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		from, until time.Time
		want        string
	}{
		{now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), "expired on " + now.Add(-24*time.Hour).Format("2006-01-02")},
		{now.Add(24 * time.Hour), now.Add(48 * time.Hour), "only valid from " + now.Add(24*time.Hour).Format("2006-01-02") + ": check this computer's date"},
	} {
		cfg := brokerConfig(t.TempDir())
		cfg.TLS.CertFile, cfg.TLS.KeyFile, _ = brokertest.SelfSignedFor(t, c.from, c.until)
		b := startBroker(t, cfg)
		register(t, b, "alice")
		cl := clientConfig(b, "alice", "")
		cl.Server, cl.TLS.CAFile = "mqtts://"+b.MQTTAddr(), cfg.TLS.CertFile
		err := connectErr(t, cl)
		if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("certificate valid %s to %s: %v, want %q", c.from.Format(time.DateOnly), c.until.Format(time.DateOnly), err, c.want)
		}
		b.Close()
	}
}
