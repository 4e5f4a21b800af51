package broker_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// acmeDomain has a dot: autocert asks for no certificate without one.
const acmeDomain = "chat.tachikoma.test"

// waitACMECert dials addr until the handshake verifies against roots (the
// first one waits for the issuance) and returns the served certificate.
func waitACMECert(t *testing.T, addr string, roots *x509.CertPool) []byte {
	t.Helper()
	var last error
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		d := &net.Dialer{Timeout: time.Minute}
		c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: acmeDomain})
		if err == nil {
			defer c.Close()
			return c.ConnectionState().PeerCertificates[0].Raw
		}
		last = err
	}
	t.Fatalf("no certificate from pebble served at %s after 2 minutes: %v", addr, last)
	return nil
}

// TestACMEPebble obtains a certificate from pebble, which validates the
// challenge for real (HTTP-01 on challenge_addr, or TLS-ALPN-01 on the MQTT
// TLS port), then chats over MQTT TLS and HTTPS trusting only pebble's root;
// a restart with pebble gone serves the cached certificate.
func TestACMEPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs pebble")
	}
	for _, challenge := range []string{"http-01", "tls-alpn-01"} {
		t.Run(challenge, func(t *testing.T) {
			mqttPort, challPort := brokertest.FreePort(t), brokertest.FreePort(t)
			opt := brokertest.PebbleOptions{Addr: "127.0.0.1", HTTPPort: challPort, TLSPort: brokertest.FreePort(t)}
			if challenge == "tls-alpn-01" {
				opt.HTTPPort, opt.TLSPort = brokertest.FreePort(t), mqttPort
			}
			peb := brokertest.StartPebble(t, opt)

			cfg := testConfig(t.TempDir())
			cfg.MQTTAddr = fmt.Sprintf("127.0.0.1:%d", mqttPort)
			cfg.TLS.ACME = broker.ACMEConfig{Domain: acmeDomain, Email: "admin@tachikoma.test",
				DirectoryURL: peb.DirectoryURL, DirectoryCAFile: peb.CAFile}
			if challenge == "http-01" {
				cfg.TLS.ACME.ChallengeAddr = fmt.Sprintf("127.0.0.1:%d", challPort)
			} else {
				cfg.TLS.ACME.ChallengeAddr = ""
			}
			b := startBroker(t, cfg)
			cert := waitACMECert(t, b.MQTTAddr(), peb.Roots)
			// Only challenge's port reaches the broker: the other one is closed.
			if !strings.Contains(peb.Log(), "set VALID by completed challenge") {
				t.Error("pebble's log shows no validated challenge")
			}

			register(t, b, "alice")
			withTLS := func(o *paho.ClientOptions) {
				o.SetTLSConfig(&tls.Config{RootCAs: peb.Roots, ServerName: acmeDomain})
			}
			for _, url := range []string{"ssl://" + b.MQTTAddr(), "wss://" + b.WSAddr() + "/mqtt"} {
				c, err := dial(t, url, "alice", "alice-password", "acme-"+url[:3], withTLS)
				if err != nil {
					t.Fatalf("%s with pebble's root: %v", url, err)
				}
				c.sub(topics.Room(topics.Lobby))
				c.pub(topics.Room(topics.Lobby), 1, "证书来自 pebble")
				if m := c.expectChat(topics.Room(topics.Lobby)); m.Text != "证书来自 pebble" {
					t.Fatalf("%s: got %q", url, m.Text)
				}
			}
			hc := &http.Client{Timeout: waitFor, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: peb.Roots, ServerName: acmeDomain}}}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				resp, err := hc.Get("https://" + b.HTTPAddr() + "/readyz")
				if err != nil {
					t.Fatalf("https with pebble's root: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("/readyz %s with the certificate served", resp.Status)
				}
			}

			if _, err := os.Stat(filepath.Join(cfg.DataDir, "acme", acmeDomain)); err != nil {
				t.Errorf("the certificate is not in the cache dir: %v", err)
			}
			// With pebble gone a new issuance would fail: the cache serves.
			peb.Stop()
			b.Close()
			b2 := startBroker(t, cfg)
			if got := waitACMECert(t, b2.MQTTAddr(), peb.Roots); !bytes.Equal(got, cert) {
				t.Fatal("after a restart the broker serves another certificate than the cached one")
			}
		})
	}
}

// TestACMENotReady: without a certificate the broker is not ready, and
// /readyz says why (here: no CA at the directory URL).
func TestACMENotReady(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.TLS.ACME = broker.ACMEConfig{Domain: acmeDomain, ChallengeAddr: "",
		DirectoryURL: fmt.Sprintf("https://127.0.0.1:%d/dir", brokertest.FreePort(t))}
	b := startBroker(t, cfg)
	hc := &http.Client{Timeout: waitFor, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := hc.Get("https://" + b.HTTPAddr() + "/readyz"); err == nil {
			resp.Body.Close()
			t.Fatal("a TLS handshake succeeded without a certificate")
		}
		// No certificate, no https: ask the broker's handler directly.
		rec := httptest.NewRecorder()
		b.HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if body := rec.Body.String(); rec.Code == http.StatusServiceUnavailable && strings.Contains(body, "no ACME certificate yet") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz without a certificate: %d %s", rec.Code, rec.Body.String())
		}
	}
}

// TestACMEConfigErrors: a bad tls.acme is refused at load with the key named.
func TestACMEConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*broker.Config)
		want string
	}{
		{"no dot", func(c *broker.Config) { c.TLS.ACME.Domain = "localhost" }, "tls.acme.domain"},
		{"url as domain", func(c *broker.Config) { c.TLS.ACME.Domain = "https://chat.example.com" }, "tls.acme.domain"},
		{"port in domain", func(c *broker.Config) { c.TLS.ACME.Domain = "chat.example.com:8883" }, "tls.acme.domain"},
		{"ip", func(c *broker.Config) { c.TLS.ACME.Domain = "203.0.113.7" }, "tls.acme.domain"},
		{"and files", func(c *broker.Config) {
			c.TLS.ACME.Domain, c.TLS.CertFile, c.TLS.KeyFile = "chat.example.com", "a.pem", "b.pem"
		}, "not both"},
		{"email", func(c *broker.Config) { c.TLS.ACME.Domain, c.TLS.ACME.Email = "chat.example.com", "me" }, "tls.acme.email"},
		{"http directory", func(c *broker.Config) {
			c.TLS.ACME.Domain, c.TLS.ACME.DirectoryURL = "chat.example.com", "http://ca.example.com/dir"
		}, "tls.acme.directory_url"},
		{"challenge addr", func(c *broker.Config) { c.TLS.ACME.Domain, c.TLS.ACME.ChallengeAddr = "chat.example.com", "80" }, "tls.acme.challenge_addr"},
		{"keys without domain", func(c *broker.Config) { c.TLS.ACME.Email = "me@example.com" }, "set domain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			tc.set(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}

	// A CA file that is not there, or not PEM, stops the start.
	for _, ca := range []string{filepath.Join(t.TempDir(), "missing.pem"), writeFile(t, "not a certificate")} {
		cfg := testConfig(t.TempDir())
		cfg.TLS.ACME = broker.ACMEConfig{Domain: acmeDomain, DirectoryCAFile: ca, ChallengeAddr: ""}
		b, err := broker.New(cfg, broker.Options{PasswordCost: &fastHash})
		if err != nil {
			t.Fatal(err)
		}
		err = b.Start()
		b.Close()
		if err == nil || !strings.Contains(err.Error(), "tls.acme.directory_ca_file") {
			t.Errorf("CA file %s: got %v", ca, err)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
