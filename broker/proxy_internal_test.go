package broker

import (
	"net/http"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := parseTrustedProxies([]string{"10.0.0.0/8", "::1", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, xff, realIP, want string
	}{
		{"no proxy", "198.51.100.1:5000", "", "", "198.51.100.1"},
		{"spoofed by a stranger", "198.51.100.1:5000", "203.0.113.9", "203.0.113.8", "198.51.100.1"},
		{"through a proxy", "10.1.2.3:5000", "203.0.113.9", "", "203.0.113.9"},
		{"the client's own header is left of the proxy's", "10.1.2.3:5000", "1.1.1.1, 203.0.113.9", "", "203.0.113.9"},
		{"two proxies", "[::1]:5000", "203.0.113.9, 192.0.2.7, 10.0.0.1", "", "203.0.113.9"},
		{"X-Real-IP", "10.1.2.3:5000", "", "203.0.113.9", "203.0.113.9"},
		{"X-Forwarded-For wins", "10.1.2.3:5000", "203.0.113.9", "203.0.113.8", "203.0.113.9"},
		{"port and IPv6", "10.1.2.3:5000", "[2001:db8::1]:4444", "", "2001:db8::1"},
		{"garbage", "10.1.2.3:5000", "203.0.113.9, unknown", "", "10.1.2.3"},
		{"all proxies", "10.1.2.3:5000", "10.9.9.9", "", "10.9.9.9"},
		{"mapped", "[::ffff:10.1.2.3]:5000", "203.0.113.9", "", "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.peer, Header: http.Header{}}
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := proxies.clientAddr(r).String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := parseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad network is accepted")
	}
}
