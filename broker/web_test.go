package broker_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/topics"
)

func TestWebClientServed(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	resp, err := http.Get("http://" + b.HTTPAddr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "connect-src 'self'") {
		t.Fatalf("GET / = %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	if code := get(t, "http://"+b.HTTPAddr()+"/favicon.ico"); code != 404 {
		t.Fatalf("unknown path = %d, want 404", code)
	}
	if code := get(t, "http://"+b.HTTPAddr()+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d beside the web client", code)
	}
}

// The page's MQTT goes to /mqtt on its own origin: the HTTP listener hands
// it to the WebSocket listener.
func TestWebSocketOnHTTPListener(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	register(t, b, "alice", "bob")
	bob := connect(t, b, "bob")
	bob.sub(topics.Room(topics.Lobby))
	ws, err := dial(t, "ws://"+b.HTTPAddr()+"/mqtt", "alice", "alice-password", "alice-web")
	if err != nil {
		t.Fatal(err)
	}
	ws.pub(topics.Room(topics.Lobby), 1, "from the page")
	if m := bob.expectChat(topics.Room(topics.Lobby)); m.Text != "from the page" || m.From != "alice" {
		t.Fatalf("%+v", m)
	}
	// The refusing CONNACK must arrive before the close, or a browser can
	// only say that the network failed.
	for _, addr := range []string{b.HTTPAddr(), b.WSAddr()} {
		_, err := dial(t, "ws://"+addr+"/mqtt", "alice", "wrong-password", "alice-web2")
		if err == nil || !strings.Contains(err.Error(), "not Authorized") {
			t.Fatalf("wrong password over ws://%s/mqtt: %v, want CONNACK not authorized", addr, err)
		}
	}
}

func TestWebClientOff(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Web.Enabled = false
	b := startBroker(t, cfg)
	if code := get(t, "http://"+b.HTTPAddr()+"/"); code != 404 {
		t.Fatalf("GET / with web.enabled off = %d, want 404", code)
	}
	if code := get(t, "http://"+b.HTTPAddr()+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
}
