package chat

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	good := map[string]string{
		"mqtt://chat.example":         "mqtt://chat.example:1883",
		"chat.example":                "mqtt://chat.example:1883",
		"chat.example:1999":           "mqtt://chat.example:1999",
		"mqtts://chat.example":        "mqtts://chat.example:8883",
		"ws://chat.example":           "ws://chat.example:8083/mqtt",
		"wss://chat.example:443/chat": "wss://chat.example:443/chat",
		"tcp://10.0.0.2:1883":         "mqtt://10.0.0.2:1883",
		"mqtt://[fd00::1]":            "mqtt://[fd00::1]:1883",
		" MQTT://Chat.example ":       "mqtt://Chat.example:1883",
	}
	for in, want := range good {
		s, err := ParseServer(in)
		if err != nil || s.String() != want {
			t.Errorf("ParseServer(%q) = %v, %v; want %s", in, s, err, want)
		}
	}
	bad := map[string]string{
		"":                      "no server",
		"http://chat.example":   "unknown scheme",
		"mqtt://":               "no host",
		"mqtt://host:99999":     "port",
		"mqtt://host:abc":       "port",
		"mqtt://host:":          "missing",
		"mqtt://bob:pw@host":    "user name",
		"mqtt://host/path":      "no path",
		"ws://host/mqtt?x=1":    "'?'",
		"mqtt://host name:1883": "",
	}
	for in, why := range bad {
		_, err := ParseServer(in)
		if !errors.Is(err, ErrBadURL) || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseServer(%q) error %v, want ErrBadURL mentioning %q", in, err, why)
		}
	}
}

func TestRegisterURL(t *testing.T) {
	for srv, want := range map[string]string{
		"mqtt://h:1999":      "http://h:8080",
		"ws://h/mqtt":        "http://h:8080",
		"mqtts://h":          "https://h:8080",
		"mqtt://[fd00::1]:1": "http://[fd00::1]:8080",
	} {
		got, err := registerURL(Config{Server: srv})
		if err != nil || got != want {
			t.Errorf("registerURL(%s) = %q, %v; want %s", srv, got, err, want)
		}
	}
	if got, _ := registerURL(Config{Server: "mqtt://h", RegisterURL: "https://api.h/"}); got != "https://api.h" {
		t.Errorf("explicit RegisterURL: %q", got)
	}
	if _, err := registerURL(Config{Server: "mqtt://h", RegisterURL: "ftp://x"}); !errors.Is(err, ErrBadURL) {
		t.Errorf("ftp register URL: %v", err)
	}
}

func TestIsMention(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"hi @alice", true},
		{"@alice: look", true},
		{"@ALICE!", true},
		{"hey @Ali the cat", true}, // by nickname
		{"@alicex", false},
		{"mail alice@alice.org", false},
		{"alice without at", false},
		{"@阿丽你好", true},
		{"@阿丽", true},
		{"", false},
	}
	for _, c := range cases {
		nick := "Ali"
		if strings.Contains(c.text, "阿丽") {
			nick = "阿丽"
		}
		if got := IsMention(c.text, "alice", nick); got != c.want {
			t.Errorf("IsMention(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	if IsMention("@bob", "alice", "") {
		t.Error("empty nickname matched")
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	c := &Client{cfg: Config{BackoffMin: 100 * time.Millisecond, BackoffMax: 2 * time.Second}}
	for n := 0; n < 12; n++ {
		base := 100 * time.Millisecond << n
		if base > 2*time.Second || n > 5 {
			base = 2 * time.Second
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(n)
			if d < base/2 || d > base {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, base/2, base)
			}
			seen[d] = true
		}
		if len(seen) < 5 {
			t.Fatalf("backoff(%d) has no jitter: %v", n, seen)
		}
	}
}

func TestParseConv(t *testing.T) {
	if k, n, err := ParseConv("room:lobby"); err != nil || k != ConvRoom || n != "lobby" {
		t.Fatal(k, n, err)
	}
	if k, n, err := ParseConv(DMConv("bob")); err != nil || k != ConvDM || n != "bob" {
		t.Fatal(k, n, err)
	}
	for _, bad := range []string{"lobby", "room:", "dm:B", "room:a/b", "dm:x"} {
		if _, _, err := ParseConv(bad); err == nil {
			t.Errorf("ParseConv(%q) accepted", bad)
		}
	}
}
