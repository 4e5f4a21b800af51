package broker_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/gorilla/websocket"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
)

// fromProxy sends r as a proxy would, naming client in X-Forwarded-For.
func fromProxy(t *testing.T, method, url, client, body string) int {
	t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Forwarded-For", client)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTrustedProxies: behind a trusted proxy (the test, on loopback),
// per-address limits count the client named in X-Forwarded-For; when the
// peer is not a trusted proxy, the header is a spoof and changes nothing.
func TestTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		name := map[bool]string{true: "trusted", false: "spoofed"}[trusted]
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			cfg.HTTP.TrustedProxies = []string{"10.0.0.0/8"}
			if trusted {
				cfg.HTTP.TrustedProxies = []string{"127.0.0.1/32", "::1"}
			}
			cfg.Registration.PerMinute = 1
			cfg.Limits.MaxPendingPerAddress = 1
			cfg.Limits.ConnectTimeout = broker.Duration(time.Minute)
			b := startBroker(t, cfg)
			register(t, b, "alice")
			base := "http://" + b.HTTPAddr()

			// Registrations: one a minute per address.
			reg := func(user, client string) int {
				return fromProxy(t, "POST", base+"/api/v1/register", client,
					`{"username":"`+user+`","password":"correct horse battery"}`)
			}
			if code := reg("bob", "198.51.100.1"); code != http.StatusCreated {
				t.Fatalf("first registration: %d", code)
			}
			if code := reg("carol", "198.51.100.1"); code != http.StatusTooManyRequests {
				t.Errorf("second registration from one client: %d, want 429", code)
			}
			want := map[bool]int{true: http.StatusCreated, false: http.StatusTooManyRequests}[trusted]
			if code := reg("dave", "198.51.100.2"); code != want {
				t.Errorf("registration from another client's header: %d, want %d", code, want)
			}

			// metrics_allow (loopback) is checked against the client.
			want = map[bool]int{true: http.StatusForbidden, false: http.StatusOK}[trusted]
			if code := fromProxy(t, "GET", base+"/metrics", "203.0.113.5", ""); code != want {
				t.Errorf("/metrics for an outside client through the proxy: %d, want %d", code, want)
			}

			// WebSocket connections waiting to log in: one per address. A
			// silent one from 203.0.113.1 holds its address's slot.
			hdr := func(client string) http.Header { return http.Header{"X-Forwarded-For": {client}} }
			d := websocket.Dialer{Subprotocols: []string{"mqtt"}, HandshakeTimeout: waitFor}
			silent, _, err := d.Dial("ws://"+b.WSAddr()+"/mqtt", hdr("203.0.113.1"))
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			for deadline := time.Now().Add(30 * time.Second); scrape(t, base)["tachikoma_connections_pending"] < 1; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the silent WebSocket connection is not pending after 30 s")
				}
			}
			wsLogin := func(client string) error {
				c, err := dial(t, "ws://"+b.WSAddr()+"/mqtt", "alice", "alice-password", "ws-"+client,
					func(o *paho.ClientOptions) { o.SetHTTPHeaders(hdr(client)) })
				if err == nil {
					c.c.Disconnect(0)
				}
				return err
			}
			if err := wsLogin("203.0.113.1"); err == nil {
				t.Error("a second pending connection from one client's address was let in")
			}
			err = wsLogin("203.0.113.2")
			if trusted && err != nil {
				t.Errorf("another client behind the proxy could not log in: %v", err)
			}
			if !trusted && err == nil {
				t.Error("a spoofed X-Forwarded-For got a pending slot of its own")
			}
		})
	}
}

// TestHTTPPlainBehindProxy: http.plain keeps the API plain for a proxy on
// loopback while MQTT stays on TLS; on any other address it is refused.
func TestHTTPPlainBehindProxy(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.TLS.CertFile, cfg.TLS.KeyFile, _ = brokertest.SelfSigned(t)
	cfg.HTTP.Plain = true
	b := startBroker(t, cfg)
	if code := get(t, "http://"+b.HTTPAddr()+"/healthz"); code != http.StatusOK {
		t.Errorf("plain /healthz: %d", code)
	}
	servedCert(t, b.MQTTAddr()) // fails the test unless MQTT is TLS

	for _, addr := range []string{"0.0.0.0:8080", "192.0.2.1:8080", ":8080"} {
		cfg.HTTPAddr = addr
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "http.plain") {
			t.Errorf("http.plain on %s: %v", addr, err)
		}
	}
}
