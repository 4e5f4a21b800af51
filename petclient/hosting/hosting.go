// Package hosting runs the Tachikoma broker inside the pet ("host chat on
// this computer"): data under $XDG_DATA_HOME/tachikoma/broker, listening on
// loopback until the user shares it on the LAN, with a local account made on
// first run so that a newcomer's pet chats at once.
//
// Start, ShareOnLAN and Close block (binding ports, hashing a password,
// restarting listeners): call them from a goroutine, not the GTK main loop.
package hosting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/chat/credentials"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// Options configure Start. Zero values are the defaults.
type Options struct {
	// DataDir is the broker's data; default $XDG_DATA_HOME/tachikoma/broker.
	DataDir string
	// Preferred ports; defaults 1883, 8083 and 8080; negative: any free
	// port. A taken port is replaced by a free one (PortsChanged tells, Ports
	// reports which). The ports that worked last time are preferred over
	// these.
	MQTTPort, WSPort, HTTPPort int
	// ShareOnLAN listens on every interface from the start.
	ShareOnLAN bool
	// Credentials keep the local account's password; default
	// credentials.Open with its defaults.
	Credentials *credentials.Store
	// Username of the local account on first run; default $USER, sanitised.
	Username string
	Logger   *slog.Logger
	// PasswordCost lowers argon2id's cost (tests only).
	PasswordCost *password.Params
	// Interfaces are read for LANAddresses; default SystemInterfaces.
	Interfaces func() []Interface
}

// Account is the local user's login on the hosted broker.
type Account struct {
	User     string
	Password string
}

// Host is the running in-process broker.
type Host struct {
	opt     Options
	log     *slog.Logger
	creds   *credentials.Store
	account Account

	mu       sync.Mutex
	b        *broker.Broker
	sharing  bool
	ports    [3]int // mqtt, ws, http
	changed  bool
	closed   bool // Close was called: a broker still starting is stopped at once
	saved    savedState
	stateLoc string
}

// DataDir is $XDG_DATA_HOME/tachikoma/broker, or ~/.local/share/tachikoma/broker.
func DataDir() (string, error) {
	d, err := xdgdir.Data.Path("broker")
	if err != nil {
		return "", fmt.Errorf("hosting: cannot find the chat server's data folder: %w", err)
	}
	return d, nil
}

// Start opens (or creates) the local broker and its account.
func Start(ctx context.Context, opt Options) (*Host, error) {
	if opt.DataDir == "" {
		d, err := DataDir()
		if err != nil {
			return nil, err
		}
		opt.DataDir = d
	}
	if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("hosting: %w", err)
	}
	if opt.Interfaces == nil {
		opt.Interfaces = SystemInterfaces
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	h := &Host{opt: opt, log: opt.Logger.With("component", "hosting"), creds: opt.Credentials,
		stateLoc: filepath.Join(opt.DataDir, stateFile)}
	if h.creds == nil {
		s, err := credentials.Open(credentials.Options{Logger: opt.Logger})
		if err != nil {
			return nil, err
		}
		h.creds = s
	}
	if err := h.loadState(); err != nil {
		h.log.Warn("hosting state unreadable; starting afresh", "error", err)
	}
	prefer := [3]int{orDefault(opt.MQTTPort, chat.DefaultMQTTPort), orDefault(opt.WSPort, chat.DefaultWSPort),
		orDefault(opt.HTTPPort, chat.DefaultHTTPPort)}
	for i, p := range []int{h.saved.MQTTPort, h.saved.WSPort, h.saved.HTTPPort} {
		if p > 0 {
			prefer[i] = p
		}
	}
	if err := h.start(prefer, opt.ShareOnLAN, 0); err != nil {
		return nil, err
	}
	acct, err := h.ensureAccount(ctx)
	if err != nil {
		h.Close()
		return nil, err
	}
	h.account = acct
	return h, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func bindHost(lan bool) string {
	if lan {
		return "" // every interface, IPv4 and IPv6
	}
	return "127.0.0.1"
}

// pickPort returns want when it can be bound on host, else a neighbour,
// else any free port. Closing the probe before the broker binds leaves a
// tiny window; a loss there surfaces as Start's error.
func pickPort(host string, want int, taken map[int]bool, patience time.Duration) (int, error) {
	try := func(p int) (int, bool) {
		if taken[p] {
			return 0, false
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			return 0, false
		}
		got := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return got, !taken[got]
	}
	if want > 0 {
		// Our own listener on this port may take a moment to let go after a
		// restart: keep the port friends know when we can.
		for deadline := time.Now().Add(patience); ; time.Sleep(50 * time.Millisecond) {
			if got, ok := try(want); ok {
				return got, nil
			}
			if time.Now().After(deadline) {
				break
			}
		}
		for p := want + 1; p < want+10 && p <= 65535; p++ {
			if got, ok := try(p); ok {
				return got, nil
			}
		}
	}
	for range 5 {
		if got, ok := try(0); ok {
			return got, nil
		}
	}
	return 0, errors.New("no free port")
}

// start binds the broker to ports (as close to prefer as possible),
// waiting up to patience for a preferred port to be released.
func (h *Host) start(prefer [3]int, lan bool, patience time.Duration) error {
	host := bindHost(lan)
	var ports [3]int
	taken := map[int]bool{}
	for i, want := range prefer {
		p, err := pickPort(host, want, taken, patience)
		if err != nil {
			return fmt.Errorf("hosting: %w", err)
		}
		ports[i], taken[p] = p, true
	}
	cfg := broker.DefaultConfig()
	cfg.DataDir = h.opt.DataDir
	cfg.MQTTAddr = net.JoinHostPort(host, strconv.Itoa(ports[0]))
	cfg.WSAddr = net.JoinHostPort(host, strconv.Itoa(ports[1]))
	cfg.HTTPAddr = net.JoinHostPort(host, strconv.Itoa(ports[2]))
	b, err := broker.New(cfg, broker.Options{Logger: h.opt.Logger, PasswordCost: h.opt.PasswordCost})
	if err != nil {
		return fmt.Errorf("hosting: %w", err)
	}
	if err := b.Start(); err != nil {
		b.Close()
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("hosting: a port was taken while starting, try again: %w", err)
		}
		return fmt.Errorf("hosting: %w", err)
	}
	h.mu.Lock()
	if h.closed { // Close ran while this broker was starting (ShareOnLAN)
		h.mu.Unlock()
		b.Close()
		return errors.New("hosting: closed")
	}
	h.b, h.sharing, h.ports = b, lan, ports
	h.changed = false
	for i := range ports {
		if prefer[i] > 0 && ports[i] != prefer[i] {
			h.changed = true
		}
	}
	h.saved.MQTTPort, h.saved.WSPort, h.saved.HTTPPort = ports[0], ports[1], ports[2]
	h.mu.Unlock()
	if h.changed {
		h.log.Warn("preferred ports were taken; using others", "mqtt", ports[0], "ws", ports[1], "http", ports[2])
	}
	h.log.Info("hosting chat", "mqtt", cfg.MQTTAddr, "lan", lan, "data", cfg.DataDir)
	return h.saveState()
}

// restartPatience is how long a restart waits for its old ports.
const restartPatience = 3 * time.Second

// ShareOnLAN restarts the listeners on every interface (on) or on loopback
// only (off), keeping the ports when it can. Connected pets (the local one
// included) are dropped and reconnect by themselves.
func (h *Host) ShareOnLAN(on bool) error {
	h.mu.Lock()
	if h.b == nil {
		h.mu.Unlock()
		return errors.New("hosting: closed")
	}
	if h.sharing == on {
		h.mu.Unlock()
		return nil
	}
	old, ports := h.b, h.ports
	h.b = nil
	h.mu.Unlock()
	if err := old.Close(); err != nil {
		h.log.Warn("stopping broker", "error", err)
	}
	if err := h.start(ports, on, restartPatience); err != nil {
		// Serve again as before rather than not at all.
		if rerr := h.start(ports, !on, restartPatience); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

// Sharing reports whether the broker listens on the LAN.
func (h *Host) Sharing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sharing
}

// Ports are the bound MQTT, WebSocket and HTTP ports.
func (h *Host) Ports() (mqtt, ws, http int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ports[0], h.ports[1], h.ports[2]
}

// PortsChanged reports whether a preferred port was taken at the last
// (re)start, so the UI can tell friends the new address.
func (h *Host) PortsChanged() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// LANAddresses are the addresses friends on the LAN connect to
// (mqtt://IP:port, IPv4 first); empty when the host has no LAN interface.
// They work only while Sharing.
func (h *Host) LANAddresses() []string {
	mqtt, _, _ := h.Ports()
	return lanAddresses(h.opt.Interfaces(), mqtt)
}

// Broker is the running broker (nil while restarting or after Close).
func (h *Host) Broker() *broker.Broker {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.b
}

// Account is the local user's login.
func (h *Host) Account() Account { return h.account }

// ClientConfig is a chat.Config for the local pet (loopback, so it
// survives ShareOnLAN restarts); add StateDir as for any server.
func (h *Host) ClientConfig(clientID string) chat.Config {
	mqtt, _, http := h.Ports()
	return chat.Config{
		Server:      "mqtt://127.0.0.1:" + strconv.Itoa(mqtt),
		RegisterURL: "http://127.0.0.1:" + strconv.Itoa(http),
		User:        h.account.User, Password: h.account.Password, ClientID: clientID,
	}
}

// Close stops the broker.
func (h *Host) Close() error {
	h.mu.Lock()
	b := h.b
	h.b = nil
	h.closed = true
	h.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Close()
}
