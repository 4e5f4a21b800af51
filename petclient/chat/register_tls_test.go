package chat

import (
	"context"
	"errors"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
)

// TestRegisterOverHTTPS registers through a TLS broker's https API with the
// server's CA, then logs in over mqtts; without the CA it is a TLS error.
func TestRegisterOverHTTPS(t *testing.T) {
	cfg := brokerConfig(t.TempDir())
	cert, key, _ := brokertest.SelfSigned(t)
	cfg.TLS.CertFile, cfg.TLS.KeyFile = cert, key
	b := startBroker(t, cfg)

	c := clientConfig(b, "mei", "")
	c.Server, c.RegisterURL, c.Password = "mqtts://"+b.MQTTAddr(), "https://"+b.HTTPAddr(), "correct-horse"
	if err := Register(context.Background(), c, "小美"); !errors.Is(err, ErrTLS) {
		t.Fatalf("register without the CA: %v, want a TLS error", err)
	}
	c.TLS.CAFile = cert
	if err := Register(context.Background(), c, "小美"); err != nil {
		t.Fatalf("register over https: %v", err)
	}
	connected(t, c)
}
