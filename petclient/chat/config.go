package chat

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config says where and as whom the pet chats.
type Config struct {
	// Server is mqtt://host[:1883], mqtts://host[:8883], ws://host[:8083][/mqtt]
	// or wss://host[:8083][/mqtt]. A bare host[:port] means mqtt://.
	Server string
	// RegisterURL is the broker's HTTP API (e.g. http://host:8080); empty
	// derives it from Server's host with port 8080.
	RegisterURL string

	User     string
	Password string // the account password; may be empty when Token is set
	Token    string // a resume token from an earlier login (fast, see auth.token)

	// ClientID is this installation's id (NewClientID, persisted by the
	// caller). The MQTT client id is ClientID+"-"+User, so that another
	// account on the same computer has a session of its own.
	ClientID string

	// StateDir keeps the outgoing queue and read markers across restarts
	// (one sub-directory per account). Empty keeps nothing on disk.
	StateDir string

	TLS TLSOptions

	// Timeouts and backoff; zero values take the defaults below.
	ConnectTimeout time.Duration // dial + CONNACK, default 10 s
	CallTimeout    time.Duration // a request without its own deadline, default 15 s
	SendTimeout    time.Duration // PUBACK of a chat message while online, default 20 s
	EchoTimeout    time.Duration // own message echo before asking history, default 3 s
	BackoffMin     time.Duration // first reconnect delay, default 500 ms
	BackoffMax     time.Duration // reconnect delay cap, default 30 s
	KeepAlive      time.Duration // MQTT keep-alive, default 30 s
}

// TLSOptions configure mqtts:// and wss://.
type TLSOptions struct {
	// CAFile is a PEM file of extra trusted certificates (a self-signed
	// server's own certificate works too).
	CAFile string
	// InsecureSkipVerify accepts any certificate. Only for a self-signed
	// server the user explicitly chose to trust without a CA file: it gives
	// up protection against anyone in the middle.
	InsecureSkipVerify bool
	// ServerName overrides the name checked in the certificate.
	ServerName string
}

func (c *Config) withDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ConnectTimeout, 10*time.Second)
	def(&c.CallTimeout, 15*time.Second)
	def(&c.SendTimeout, 20*time.Second)
	def(&c.EchoTimeout, 3*time.Second)
	def(&c.BackoffMin, 500*time.Millisecond)
	def(&c.BackoffMax, 30*time.Second)
	def(&c.KeepAlive, 30*time.Second)
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = c.BackoffMin
	}
}

// Server is a parsed server address.
type Server struct {
	Scheme string // mqtt, mqtts, ws, wss
	Host   string // without port; IPv6 without brackets
	Port   int
	Path   string // ws/wss only
}

// TLS reports whether the transport is encrypted.
func (s Server) TLS() bool { return s.Scheme == "mqtts" || s.Scheme == "wss" }

// Addr is host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// String renders the canonical URL.
func (s Server) String() string { return s.Scheme + "://" + s.Addr() + s.Path }

// pahoURL is the URL in paho's spelling.
func (s Server) pahoURL() string {
	switch s.Scheme {
	case "mqtt":
		return "tcp://" + s.Addr()
	case "mqtts":
		return "ssl://" + s.Addr()
	}
	return s.String()
}

// Default ports of the broker (docs/PROTOCOL.md).
const (
	DefaultMQTTPort  = 1883
	DefaultMQTTSPort = 8883
	DefaultWSPort    = 8083
	DefaultHTTPPort  = 8080
)

// ParseServer reads a server address as a person types it. The error says
// what is wrong in words the UI can show.
func ParseServer(s string) (Server, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Server{}, badURL(s, "no server address given")
	}
	if !strings.Contains(s, "://") {
		s = "mqtt://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(err.Error(), "port") {
			return Server{}, badURL(s, "the port is not a number from 1 to 65535")
		}
		return Server{}, badURL(s, "not a valid address")
	}
	srv := Server{Scheme: strings.ToLower(u.Scheme)}
	switch srv.Scheme {
	case "mqtt", "tcp":
		srv.Scheme, srv.Port = "mqtt", DefaultMQTTPort
	case "mqtts", "ssl", "tls":
		srv.Scheme, srv.Port = "mqtts", DefaultMQTTSPort
	case "ws", "wss":
		srv.Port = DefaultWSPort
	default:
		return Server{}, badURL(s, fmt.Sprintf("unknown scheme %q: use mqtt://, mqtts://, ws:// or wss://", u.Scheme))
	}
	if u.User != nil {
		return Server{}, badURL(s, "put the user name in the login fields, not in the address")
	}
	srv.Host = u.Hostname()
	if srv.Host == "" {
		return Server{}, badURL(s, "the address has no host name")
	}
	if strings.ContainsAny(srv.Host, " /\\") {
		return Server{}, badURL(s, "the host name contains spaces or slashes")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Server{}, badURL(s, fmt.Sprintf("port %q is not a number from 1 to 65535", p))
		}
		srv.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return Server{}, badURL(s, "the port after ':' is missing")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Server{}, badURL(s, "the address may not contain '?' or '#'")
	}
	switch srv.Scheme {
	case "ws", "wss":
		srv.Path = u.EscapedPath()
		if srv.Path == "" || srv.Path == "/" {
			srv.Path = "/mqtt"
		}
	default:
		if u.Path != "" && u.Path != "/" {
			return Server{}, badURL(s, "an mqtt:// address has no path (did you mean ws://…/mqtt?)")
		}
	}
	return srv, nil
}

// registerURL is the HTTP API base for srv. Encrypted servers get https so a
// password typed for a TLS server never travels in clear; a server whose API
// is plain HTTP behind TLS MQTT needs an explicit RegisterURL.
func registerURL(cfg Config) (string, error) {
	if cfg.RegisterURL != "" {
		u, err := url.Parse(cfg.RegisterURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", badURL(cfg.RegisterURL, "the registration address must look like http://host:8080")
		}
		return strings.TrimRight(cfg.RegisterURL, "/"), nil
	}
	srv, err := ParseServer(cfg.Server)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if srv.TLS() {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(srv.Host, strconv.Itoa(DefaultHTTPPort)), nil
}

// tlsConfig builds the client TLS configuration for srv.
func tlsConfig(srv Server, o TLSOptions) (*tls.Config, error) {
	if !srv.TLS() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: srv.Host, InsecureSkipVerify: o.InsecureSkipVerify}
	if o.ServerName != "" {
		tc.ServerName = o.ServerName
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, &Error{Kind: ErrTLS, Msg: "cannot read the CA file", Err: err}
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &Error{Kind: ErrTLS, Msg: "the CA file " + o.CAFile + " holds no PEM certificate"}
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// NewClientID makes an installation id: generate it once, store it with the
// settings, and pass it in every Config so the broker keeps one persistent
// session (queued messages) for this computer.
func NewClientID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "pet-" + hex.EncodeToString(b)
}
