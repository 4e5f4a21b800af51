package broker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// Config is the broker's configuration (configs/broker.yaml documents each key).
type Config struct {
	MQTTAddr string `yaml:"mqtt_addr"` // MQTT over TCP; "" disables
	WSAddr   string `yaml:"ws_addr"`   // MQTT over WebSocket at /mqtt; "" disables
	HTTPAddr string `yaml:"http_addr"` // HTTP API; "" disables

	ServerName   string       `yaml:"server_name"`   // shown to clients by GET /api/v1/server
	Public       PublicConfig `yaml:"public"`        // addresses clients should use, when not the listeners'
	MetricsAllow string       `yaml:"metrics_allow"` // addresses and networks that may read /metrics
	DataDir      string       `yaml:"data_dir"`
	// Store is where accounts and history live: "" or "sqlite" for SQLite
	// in DataDir, or postgres://… for a PostgreSQL database that a
	// cluster of brokers shares.
	Store   string     `yaml:"store"`
	ACLFile string     `yaml:"acl_file"`
	TLS     TLSConfig  `yaml:"tls"`
	HTTP    HTTPConfig `yaml:"http"`

	Registration RegistrationConfig `yaml:"registration"`
	Web          WebConfig          `yaml:"web"`
	Limits       LimitsConfig       `yaml:"limits"`
	Sessions     SessionsConfig     `yaml:"sessions"`
	Backups      BackupsConfig      `yaml:"backups"`
	Cluster      ClusterConfig      `yaml:"cluster"`
	LogLevel     string             `yaml:"log_level"` // debug, info, warn, error
}

// TLSConfig enables TLS on the MQTT listeners and the HTTP API, from
// certificate files or from an ACME CA.
type TLSConfig struct {
	CertFile string     `yaml:"cert_file"`
	KeyFile  string     `yaml:"key_file"`
	ACME     ACMEConfig `yaml:"acme"`
}

// Registration modes (RegistrationConfig.Mode).
const (
	RegistrationOpen   = "open"   // anyone who reaches the API may register
	RegistrationInvite = "invite" // only with an invite code (tachikoma-broker invite create)
	RegistrationClosed = "closed" // admins add accounts (tachikoma-broker user add)
)

// RegistrationConfig controls POST /api/v1/register.
type RegistrationConfig struct {
	Mode            string   `yaml:"mode"`              // open, invite or closed
	Approval        bool     `yaml:"approval"`          // new accounts wait for tachikoma-broker account approve
	PendingExpiry   Duration `yaml:"pending_expiry"`    // a pending account not approved by then is rejected; 0: never
	PerMinute       int      `yaml:"per_minute"`        // per client address
	GlobalPerMinute int      `yaml:"global_per_minute"` // from all addresses together
	// Enabled is the key before mode existed: false still means closed.
	Enabled *bool `yaml:"enabled,omitempty"`
}

// PublicConfig is where clients reach the broker from outside, behind NAT
// or a reverse proxy; empty keys fall back to the listeners.
type PublicConfig struct {
	MQTT string `yaml:"mqtt"` // e.g. mqtts://chat.example.com:8883
	WS   string `yaml:"ws"`   // e.g. wss://chat.example.com/mqtt
}

// WebConfig controls the browser client served at / on the HTTP listener.
type WebConfig struct {
	Enabled bool `yaml:"enabled"`
}

// LimitsConfig bounds what one user may do.
type LimitsConfig struct {
	MessagesPerSecond float64  `yaml:"messages_per_second"` // sustained publishes per user
	MessageBurst      int      `yaml:"message_burst"`
	LoginFailures     int      `yaml:"login_failures"`  // wrong passwords per user (and per user and address) before attempts are spaced out
	LoginMaxDelay     Duration `yaml:"login_max_delay"` // longest spacing between attempts past the free failures

	LoginFailuresPerAddress int `yaml:"login_failures_per_address"` // failed logins from one address, any users

	MaxSessionsPerUser         int `yaml:"max_sessions_per_user"`         // connected or kept sessions (client ids) per user
	MaxSubscriptionsPerSession int `yaml:"max_subscriptions_per_session"` // topic filters per session
	MaxSubscriptionsPerUser    int `yaml:"max_subscriptions_per_user"`    // topic filters over all of a user's sessions
	MaxTopicLevels             int `yaml:"max_topic_levels"`              // levels in a topic filter
	MaxTopicBytes              int `yaml:"max_topic_bytes"`               // bytes in a topic filter
	MaxPacketBytes             int `yaml:"max_packet_bytes"`              // largest MQTT packet accepted, CONNECT included
	MaxQueued                  int `yaml:"max_queued"`                    // QoS 1/2 messages held per client (offline queue included)
	MaxBacklogBytes            int `yaml:"max_backlog_bytes"`             // bytes waiting for a connected client that does not read

	ConnectTimeout        Duration `yaml:"connect_timeout"`         // a connection must have sent its whole CONNECT by then
	MaxPendingConnections int      `yaml:"max_pending_connections"` // connections not logged in yet, from all addresses
	MaxPendingPerAddress  int      `yaml:"max_pending_per_address"` // connections not logged in yet, from one address
	SenderBacklogBytes    int      `yaml:"sender_backlog_bytes"`    // unread bytes a sender over its rate may have waiting
	SenderBacklogWait     Duration `yaml:"sender_backlog_wait"`     // how long a sender over its rate may have messages waiting

	HTTPReadTimeout  Duration `yaml:"http_read_timeout"`   // a whole HTTP request, headers and body
	HTTPWriteTimeout Duration `yaml:"http_write_timeout"`  // a whole HTTP response
	HTTPIdleTimeout  Duration `yaml:"http_idle_timeout"`   // a kept-alive HTTP connection between requests
	HTTPMaxBodyBytes int      `yaml:"http_max_body_bytes"` // largest HTTP request body
}

// ClusterConfig joins the broker to a cluster of brokers over NATS
// (docs/CLUSTER.md); without a name the broker runs alone.
type ClusterConfig struct {
	Name       string `yaml:"name"`        // the cluster's name, the same on every node
	NodeID     string `yaml:"node_id"`     // this node's name, unique in the cluster
	NATSListen string `yaml:"nats_listen"` // the embedded NATS server's route listener, host:port
	NATSRoutes string `yaml:"nats_routes"` // the nodes' route listeners, nats://host:port,... (this node's may be among them)
	NATSURL    string `yaml:"nats_url"`    // an external NATS cluster instead of the embedded server
}

// validate checks a cluster block; an empty one is a single broker.
func (c ClusterConfig) validate() error {
	if c.Name == "" {
		if c.NodeID != "" || c.NATSListen != "" || c.NATSRoutes != "" || c.NATSURL != "" {
			return errors.New("cluster: node_id, nats_listen, nats_routes and nats_url need cluster.name")
		}
		return nil
	}
	if !validClusterName(c.Name) || !validClusterName(c.NodeID) {
		return errors.New("cluster: name and node_id must be 1-32 of a-z, 0-9, _ and -")
	}
	if (c.NATSURL == "") == (c.NATSListen == "") {
		return errors.New("cluster: set nats_listen (the embedded NATS server) or nats_url (an external one), not both")
	}
	if c.NATSURL != "" && c.NATSRoutes != "" {
		return errors.New("cluster: nats_routes are for the embedded NATS server, not with nats_url")
	}
	return nil
}

// validClusterName is a name that is one token of a NATS subject and a
// directory name.
func validClusterName(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// SessionsConfig sets how long the broker keeps what offline clients missed.
type SessionsConfig struct {
	SessionExpiry Duration `yaml:"session_expiry"` // persistent sessions of disconnected clients
	MessageExpiry Duration `yaml:"message_expiry"` // queued and retained messages
}

// Duration is a time.Duration written as "30s", "720h" in YAML.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 30s, 15m, 720h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// DefaultConfig is what the broker runs with when nothing is configured.
func DefaultConfig() Config {
	return Config{
		MQTTAddr:     "127.0.0.1:1883",
		WSAddr:       "127.0.0.1:8083",
		HTTPAddr:     "127.0.0.1:8080",
		MetricsAllow: "127.0.0.0/8 ::1",
		DataDir:      "data",
		Store:        "sqlite",
		ServerName:   "Tachikoma",
		Registration: RegistrationConfig{Mode: RegistrationOpen, PerMinute: 5, GlobalPerMinute: 60, PendingExpiry: Duration(14 * 24 * time.Hour)},
		Web:          WebConfig{Enabled: true},
		Limits: LimitsConfig{MessagesPerSecond: 25, MessageBurst: 50, LoginFailures: 5,
			LoginMaxDelay: Duration(8 * time.Second), MaxPacketBytes: 128 * 1024, MaxQueued: 1000, MaxBacklogBytes: 1 << 20,
			HTTPReadTimeout: Duration(10 * time.Second), HTTPWriteTimeout: Duration(10 * time.Second),
			HTTPIdleTimeout: Duration(60 * time.Second), HTTPMaxBodyBytes: 4096, LoginFailuresPerAddress: 20,
			MaxSessionsPerUser: 10, MaxSubscriptionsPerSession: 100, MaxSubscriptionsPerUser: 300,
			MaxTopicLevels: 16, MaxTopicBytes: 256,
			ConnectTimeout: Duration(10 * time.Second), MaxPendingConnections: 1024, MaxPendingPerAddress: 64,
			SenderBacklogBytes: 64 << 10, SenderBacklogWait: Duration(time.Second)},
		Sessions: SessionsConfig{SessionExpiry: Duration(30 * 24 * time.Hour), MessageExpiry: Duration(30 * 24 * time.Hour)},
		Backups:  BackupsConfig{Keep: 7},
		TLS:      TLSConfig{ACME: ACMEConfig{ChallengeAddr: ":80"}},
		HTTP:     HTTPConfig{TrustedProxies: []string{}},
		LogLevel: "info",
	}
}

// LoadConfig reads a YAML file over the defaults. Unknown keys are errors:
// a typo must not silently leave a default in place.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	cfg.Registration.Mode = "" // set below: an explicit mode: open must not pass for the default
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) /* empty file: all defaults */ {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	if e := cfg.Registration.Enabled; e != nil && !*e {
		if m := cfg.Registration.Mode; m != "" && m != RegistrationClosed {
			return cfg, fmt.Errorf("config %s: registration: enabled: false contradicts mode: %s (drop enabled, it is replaced by mode)", path, m)
		}
		cfg.Registration.Mode = RegistrationClosed
	}
	if cfg.Registration.Mode == "" {
		cfg.Registration.Mode = DefaultConfig().Registration.Mode
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks values a YAML type check cannot.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data_dir is required")
	}
	scheme, err := store.Scheme(c.Store)
	if err != nil {
		return err
	}
	if scheme != "" && c.Backups.Every > 0 {
		return fmt.Errorf("backups: scheduled backups cover the SQLite store only; back %s up with its own tools (pg_dump)", scheme)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("tls: set both cert_file and key_file, or neither")
	}
	if err := c.TLS.ACME.validate(c.TLS); err != nil {
		return err
	}
	if err := c.HTTP.validate(c.HTTPAddr); err != nil {
		return err
	}
	if c.Limits.MessagesPerSecond <= 0 || c.Limits.MessageBurst < 1 {
		return errors.New("limits: messages_per_second must be > 0 and message_burst >= 1")
	}
	if c.Limits.MaxPacketBytes < 20*1024 || c.Limits.MaxPacketBytes > 256<<20 {
		return errors.New("limits.max_packet_bytes must be between 20480 (a full chat message) and 268435456")
	}
	if c.Limits.MaxQueued < 10 || c.Limits.MaxQueued > 65535 {
		return errors.New("limits.max_queued must be between 10 and 65535")
	}
	if c.Limits.MaxBacklogBytes < 2*c.Limits.MaxPacketBytes {
		return errors.New("limits.max_backlog_bytes must be at least twice max_packet_bytes")
	}
	if c.Limits.HTTPReadTimeout <= 0 || c.Limits.HTTPWriteTimeout <= 0 || c.Limits.HTTPIdleTimeout <= 0 {
		return errors.New("limits: http_read_timeout, http_write_timeout and http_idle_timeout must be > 0")
	}
	if c.Limits.HTTPMaxBodyBytes < 1024 {
		return errors.New("limits.http_max_body_bytes must be at least 1024 (a registration)")
	}
	if c.Limits.LoginFailures < 1 || c.Limits.LoginFailuresPerAddress < c.Limits.LoginFailures || c.Limits.LoginMaxDelay < Duration(time.Second) {
		return errors.New("limits: login_failures must be >= 1, login_failures_per_address >= login_failures, login_max_delay >= 1s")
	}
	if l := c.Limits; l.MaxSessionsPerUser < 1 || l.MaxSubscriptionsPerSession < 1 || l.MaxSubscriptionsPerUser < l.MaxSubscriptionsPerSession {
		return errors.New("limits: max_sessions_per_user and max_subscriptions_per_session must be >= 1, max_subscriptions_per_user >= max_subscriptions_per_session")
	}
	if l := c.Limits; l.MaxTopicLevels < 8 || l.MaxTopicBytes < 128 || l.MaxTopicBytes > 65535 {
		return errors.New("limits: max_topic_levels must be >= 8 and max_topic_bytes 128-65535 (Tachikoma's own topics need that)")
	}
	if l := c.Limits; l.ConnectTimeout < Duration(time.Second) || l.MaxPendingConnections < 1 || l.MaxPendingPerAddress < 1 || l.MaxPendingPerAddress > l.MaxPendingConnections {
		return errors.New("limits: connect_timeout must be >= 1s, max_pending_connections >= 1 and max_pending_per_address 1-max_pending_connections")
	}
	if l := c.Limits; l.SenderBacklogBytes < 1024 || l.SenderBacklogWait < Duration(100*time.Millisecond) {
		return errors.New("limits: sender_backlog_bytes must be >= 1024 and sender_backlog_wait >= 100ms")
	}
	if _, err := parseAllow(c.MetricsAllow); err != nil {
		return err
	}
	if err := c.Backups.validate(); err != nil {
		return err
	}
	if err := c.Registration.validate(); err != nil {
		return err
	}
	if err := c.Public.validate(); err != nil {
		return err
	}
	if len(c.ServerName) > 64 || strings.ContainsAny(c.ServerName, "\n\r") {
		return errors.New("server_name must be one line of at most 64 bytes")
	}
	if err := c.Cluster.validate(); err != nil {
		return err
	}
	if c.Cluster.Name != "" && scheme == "" {
		return errors.New("cluster: the nodes need one shared store: store: postgres://… (docs/CLUSTER.md)")
	}
	if c.Sessions.SessionExpiry < Duration(time.Minute) || c.Sessions.MessageExpiry < Duration(time.Minute) {
		return errors.New("sessions: session_expiry and message_expiry must be at least 1m")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func (r RegistrationConfig) validate() error {
	switch r.Mode {
	case RegistrationOpen, RegistrationInvite, RegistrationClosed:
	default:
		return fmt.Errorf("registration.mode %q: want open, invite or closed", r.Mode)
	}
	if r.Enabled != nil && *r.Enabled && r.Mode == RegistrationClosed {
		return errors.New("registration: enabled: true contradicts mode: closed (drop enabled, it is replaced by mode)")
	}
	if r.PendingExpiry < 0 {
		return errors.New("registration.pending_expiry must not be negative (0: never)")
	}
	if r.PerMinute < 1 || r.GlobalPerMinute < r.PerMinute {
		return errors.New("registration: per_minute must be >= 1 and global_per_minute >= per_minute")
	}
	return nil
}

func (p PublicConfig) validate() error {
	for _, a := range []struct{ key, val, schemes string }{{"public.mqtt", p.MQTT, "mqtt mqtts"}, {"public.ws", p.WS, "ws wss"}} {
		if a.val == "" {
			continue
		}
		u, err := url.Parse(a.val)
		if err != nil || u.Host == "" || !strings.Contains(" "+a.schemes+" ", " "+u.Scheme+" ") {
			return fmt.Errorf("%s %q: want an address like %s://host:port", a.key, a.val, strings.Fields(a.schemes)[1])
		}
	}
	return nil
}
