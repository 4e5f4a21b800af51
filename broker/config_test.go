package broker

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExampleConfigIsTheDefault(t *testing.T) {
	cfg, err := LoadConfig("../configs/broker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if def := DefaultConfig(); !reflect.DeepEqual(cfg, def) {
		t.Fatalf("configs/broker.yaml differs from the defaults:\n%+v\n%+v", cfg, def)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]string{
		"mqtt_addr: [":                                                "yaml",
		"mqtt_adr: x":                                                 "not found",
		"limits:\n  login_max_delay: soon":                            "not a duration",
		"tls:\n  cert_file: a.pem":                                    "both",
		"log_level: loud":                                             "log_level",
		"data_dir: ''":                                                "data_dir",
		"store: /var/lib/tachikoma.db":                                "want sqlite or a URL",
		"store: postgres://db/t\nbackups:\n  every: 24h":              "pg_dump",
		"limits:\n  messages_per_second: 0":                           "messages_per_second",
		"registration:\n  mode: invites":                              "want open, invite or closed",
		"registration:\n  enabled: false\n  mode: invite":             "contradicts mode: invite",
		"registration:\n  enabled: false\n  mode: open":               "contradicts mode: open",
		"registration:\n  mode: open\n  enabled: false":               "contradicts mode: open",
		"registration:\n  enabled: true\n  mode: closed":              "contradicts mode: closed",
		"registration:\n  global_per_minute: 2":                       "global_per_minute",
		"registration:\n  pending_expiry: -1h":                        "pending_expiry",
		"public:\n  mqtt: https://chat.example.com":                   "public.mqtt",
		"public:\n  ws: chat.example.com/mqtt":                        "public.ws",
		"server_name: \"a\\nb\"":                                      "server_name",
		"cluster:\n  name: t\n  node_id: a\n  nats_listen: ':6222'":   "shared store",
		"cluster:\n  node_id: a":                                      "need cluster.name",
		"cluster:\n  name: t\n  node_id: A.b\n  nats_listen: ':6222'": "node_id must be",
		"cluster:\n  name: t\n  node_id: a":                           "nats_listen",
		"cluster:\n  name: t\n  node_id: a\n  nats_listen: ':6222'\n  nats_url: nats://x:4222":       "not both",
		"cluster:\n  name: t\n  node_id: a\n  nats_url: nats://x:4222\n  nats_routes: nats://y:6222": "not with nats_url",
	}
	for in, want := range cases {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(in), 0o600)
		if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", in, err, want)
		}
	}
	// The key before mode existed keeps its meaning.
	p := filepath.Join(t.TempDir(), "old.yaml")
	os.WriteFile(p, []byte("registration:\n  enabled: false\n"), 0o600)
	if cfg, err := LoadConfig(p); err != nil || cfg.Registration.Mode != RegistrationClosed {
		t.Errorf("registration.enabled: false: mode %q, %v", cfg.Registration.Mode, err)
	}
	p = filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(p, nil, 0o600)
	if cfg, err := LoadConfig(p); err != nil || cfg.Sessions.MessageExpiry != Duration(720*time.Hour) {
		t.Fatalf("empty file: %v", err)
	}
}
