package broker

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// HTTPConfig is about the HTTP side when the broker sits behind a reverse
// proxy (nginx, Caddy) that forwards the API, the web client and /mqtt.
type HTTPConfig struct {
	// TrustedProxies are the addresses and networks whose X-Forwarded-For
	// and X-Real-IP headers are believed; from anyone else they are ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Plain keeps http_addr without TLS when tls: is set, for a reverse
	// proxy on the same host that terminates HTTPS itself.
	Plain bool `yaml:"plain"`
}

// validate refuses a plain HTTP listener that other hosts can reach:
// registrations carry passwords.
func (h HTTPConfig) validate(httpAddr string) error {
	if _, err := parseTrustedProxies(h.TrustedProxies); err != nil {
		return err
	}
	if !h.Plain || httpAddr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(httpAddr)
	if a, perr := netip.ParseAddr(host); err != nil || (host != "localhost" && (perr != nil || !a.IsLoopback())) {
		return fmt.Errorf("http.plain needs http_addr on loopback (127.0.0.1:8080) with a reverse proxy in front, not %q: passwords must not cross the network in clear", httpAddr)
	}
	return nil
}

// trustedProxies says which peers may tell the broker a client's address.
type trustedProxies []netip.Prefix

func parseTrustedProxies(list []string) (trustedProxies, error) {
	return parseNetworks("http.trusted_proxies", list)
}

func (t trustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// trustsHostPort is trusts for a "host:port" or bare host.
func (t trustedProxies) trustsHostPort(remote string) bool {
	a, ok := parseHostAddr(remote)
	return ok && t.trusts(a)
}

// parseHostAddr reads "1.2.3.4", "1.2.3.4:5", "::1", "[::1]:5".
func parseHostAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil && a.Zone() == ""
}

// clientAddr is the address of the client that made r: its peer's, unless
// the peer is a trusted proxy, then the nearest address in X-Forwarded-For
// that is not a trusted proxy (the ones left of it could be made up by the
// client), or X-Real-IP. A header that does not parse is not believed.
func (t trustedProxies) clientAddr(r *http.Request) netip.Addr {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok || !t.trusts(peer) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	if len(hops) == 0 {
		if a, ok := parseHostAddr(r.Header.Get("X-Real-IP")); ok {
			return a
		}
		return peer
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(hops[i])
		if !ok {
			return client
		}
		client = a
		if !t.trusts(a) {
			break
		}
	}
	return client
}

// clientHost is the client's address as SplitHostPort would give it, for
// per-address limits.
func (b *Broker) clientHost(r *http.Request) string {
	if a := b.proxies.clientAddr(r); a.IsValid() {
		return a.String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wsClientAddr is the address a WebSocket client's MQTT session is known
// by (its login throttle, its pending-connection slot, the logs); nil
// keeps the connection's own.
func (b *Broker) wsClientAddr(r *http.Request) net.Addr {
	if len(b.proxies) == 0 || !b.proxies.trustsHostPort(r.RemoteAddr) {
		return nil
	}
	a := b.proxies.clientAddr(r)
	if !a.IsValid() {
		return nil
	}
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0))
}

// admitWS takes a pending slot before the WebSocket upgrade; connections
// from a trusted proxy carry many clients and are counted per client once
// upgraded instead.
func (b *Broker) admitWS(remote string) (release func(), ok bool) {
	if b.proxies.trustsHostPort(remote) {
		return func() {}, true
	}
	return b.admitConn(remote)
}
