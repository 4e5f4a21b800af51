package hosting

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/chat/credentials"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

var fastHash = brokertest.FastHash

const waitFor = 10 * time.Second

func testLogger(t *testing.T) *slog.Logger { return brokertest.Logger(t, slog.LevelWarn) }

type env struct {
	data  string
	creds *credentials.Store
}

func newEnv(t *testing.T) env {
	creds, err := credentials.Open(credentials.Options{Dir: t.TempDir(), NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	return env{data: filepath.Join(t.TempDir(), "broker"), creds: creds}
}

func (e env) options(t *testing.T) Options {
	return Options{DataDir: e.data, Credentials: e.creds, MQTTPort: -1, WSPort: -1, HTTPPort: -1,
		Logger: testLogger(t), PasswordCost: &fastHash}
}

func start(t *testing.T, opt Options) *Host {
	t.Helper()
	h, err := Start(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// chatWith connects a chat client to the host as its local account.
func chatWith(t *testing.T, h *Host) (*chat.Client, *statusLog) {
	t.Helper()
	cfg := h.ClientConfig("test-install")
	cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	c, err := chat.New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sl := &statusLog{}
	t.Cleanup(c.OnEvent(sl.add))
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("local pet cannot log in: %v", err)
	}
	return c, sl
}

type statusLog struct {
	mu  sync.Mutex
	evs []chat.Event
}

func (s *statusLog) add(ev chat.Event) {
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.mu.Unlock()
}

// waitOnlineAfter polls until a status online event follows index from.
func (s *statusLog) waitOnlineAfter(t *testing.T, from int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		sawOffline := false
		for _, ev := range s.evs[from:] {
			if ev.Type == chat.EventStatus && ev.Status == chat.StatusOffline {
				sawOffline = true
			}
			if sawOffline && ev.Type == chat.EventStatus && ev.Status == chat.StatusOnline {
				s.mu.Unlock()
				return
			}
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the local pet did not reconnect")
}

func (s *statusLog) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.evs)
}

func TestFirstRunAccount(t *testing.T) {
	t.Setenv("USER", "Zoë Smith-Jones")
	e := newEnv(t)
	h := start(t, e.options(t))
	acct := h.Account()
	if acct.User != "zo_smith_jones" || len(acct.Password) < 20 {
		t.Fatalf("account %+v", acct)
	}
	if stored, err := e.creds.Load(h.credentialsAccount(acct.User)); err != nil || stored != acct.Password {
		t.Fatalf("password not kept in the credentials store: %q %v", stored, err)
	}
	c, _ := chatWith(t, h)
	if me := c.Me(); me.User != "zo_smith_jones" || me.Nickname != "Zoë Smith-Jones" {
		t.Fatalf("profile %+v", me)
	}
	if _, ok := c.Conversation(chat.RoomConv(topics.Lobby)); !ok {
		t.Fatal("no lobby for the newcomer")
	}
	// Loopback only by default.
	if addr := h.Broker().MQTTAddr(); !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %s by default", addr)
	}
	mqtt, _, _ := h.Ports()
	c.Close()
	h.Close()

	// Second run: same account, same password, same port.
	h2 := start(t, e.options(t))
	if h2.Account() != acct {
		t.Fatalf("second run account %+v, first %+v", h2.Account(), acct)
	}
	if m2, _, _ := h2.Ports(); m2 != mqtt {
		t.Fatalf("port moved from %d to %d", mqtt, m2)
	}
	h2.Close()

	// A lost password (keyring wiped) is replaced, and the pet logs in.
	if err := e.creds.Delete(h.credentialsAccount(acct.User)); err != nil {
		t.Fatal(err)
	}
	h3 := start(t, e.options(t))
	if h3.Account().User != acct.User || h3.Account().Password == acct.Password {
		t.Fatalf("after losing the password: %+v", h3.Account())
	}
	chatWith(t, h3)
}

func TestFirstRunNameTaken(t *testing.T) {
	e := newEnv(t)
	// A friend registered "bob" on this computer's broker before.
	cfg := broker.DefaultConfig()
	cfg.DataDir, cfg.MQTTAddr, cfg.WSAddr, cfg.HTTPAddr = e.data, "", "", ""
	b, err := broker.New(cfg, broker.Options{PasswordCost: &fastHash, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Register(context.Background(), "bob", "friend-password", ""); err != nil {
		t.Fatal(err)
	}
	b.Close()
	opt := e.options(t)
	opt.Username = "bob"
	h := start(t, opt)
	if h.Account().User != "bob_2" {
		t.Fatalf("took the friend's account: %+v", h.Account())
	}
	chatWith(t, h)
}

func TestTakenPortIsReplaced(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().(*net.TCPAddr).Port
	e := newEnv(t)
	opt := e.options(t)
	opt.MQTTPort = taken
	h := start(t, opt)
	mqtt, ws, http := h.Ports()
	if mqtt == taken || mqtt == 0 || !h.PortsChanged() {
		t.Fatalf("ports %d/%d/%d with %d taken, changed=%v", mqtt, ws, http, taken, h.PortsChanged())
	}
	if len(map[int]bool{mqtt: true, ws: true, http: true}) != 3 {
		t.Fatalf("ports collide: %d %d %d", mqtt, ws, http)
	}
	chatWith(t, h)
}

// lowPort finds a port below Linux's ephemeral range that is free on every
// interface: an ephemeral port may be held by some other program's
// outgoing connection in TIME_WAIT, which blocks a wildcard listener.
func lowPort(t *testing.T, not ...int) int {
	t.Helper()
	for range 200 {
		p := 20000 + rand.IntN(10000)
		if slices.Contains(not, p) {
			continue
		}
		ln, err := net.Listen("tcp", ":"+itoa(p))
		if err != nil {
			continue
		}
		ln.Close()
		return p
	}
	t.Fatal("no free port")
	return 0
}

func TestShareOnLAN(t *testing.T) {
	e := newEnv(t)
	opt := e.options(t)
	opt.MQTTPort = lowPort(t)
	opt.WSPort = lowPort(t, opt.MQTTPort)
	opt.HTTPPort = lowPort(t, opt.MQTTPort, opt.WSPort)
	// A LAN interface whatever the machine has: the addresses shown to the
	// user are checked against it.
	opt.Interfaces = func() []Interface {
		return []Interface{
			{Flags: net.FlagUp | net.FlagLoopback, Addrs: []net.Addr{&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)}}},
			{Flags: net.FlagUp, Addrs: []net.Addr{&net.IPNet{IP: net.ParseIP("192.0.2.77"), Mask: net.CIDRMask(24, 32)}}},
		}
	}
	h := start(t, opt)
	c, sl := chatWith(t, h)
	mqtt, _, _ := h.Ports()

	from := sl.len()
	if err := h.ShareOnLAN(true); err != nil {
		t.Fatal(err)
	}
	if !h.Sharing() {
		t.Fatal("not sharing")
	}
	host, port, _ := net.SplitHostPort(h.Broker().MQTTAddr())
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		t.Fatalf("sharing but listening on %s", h.Broker().MQTTAddr())
	}
	if m2, _, _ := h.Ports(); m2 != mqtt || port != itoa(mqtt) {
		t.Fatalf("port changed %d → %s", mqtt, port)
	}
	if got, want := h.LANAddresses(), []string{"mqtt://192.0.2.77:" + itoa(mqtt)}; !slices.Equal(got, want) {
		t.Fatalf("LAN addresses %v, want %v", got, want)
	}
	// The machine's own LAN addresses reach the broker while it shares.
	lan := LANAddresses(mqtt)
	for _, a := range lan {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(a, "mqtt://"), waitFor)
		if err != nil {
			t.Fatalf("sharing, but %s is unreachable: %v", a, err)
		}
		conn.Close()
	}
	// The local pet comes back by itself and chats.
	sl.waitOnlineAfter(t, from)
	if _, err := c.Profile(context.Background(), ""); err != nil {
		t.Fatal(err)
	}

	from = sl.len()
	if err := h.ShareOnLAN(false); err != nil {
		t.Fatal(err)
	}
	if h.Sharing() || !strings.HasPrefix(h.Broker().MQTTAddr(), "127.0.0.1:") {
		t.Fatalf("still sharing: %s", h.Broker().MQTTAddr())
	}
	sl.waitOnlineAfter(t, from)
	for _, a := range lan {
		if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(a, "mqtt://"), waitFor); err == nil {
			conn.Close()
			t.Fatalf("no longer sharing, but %s still answers", a)
		}
	}
	if len(lan) == 0 {
		t.Skip("reachability not checked: this machine has no LAN address (the rest passed)")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSanitizeUsername(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                            "alice",
		"Alice":                            "alice",
		"Zoë Smith-Jones":                  "zo_smith_jones",
		"j":                                "j_pet",
		"":                                 "pet_owner",
		"王小明":                              "pet_owner",
		"__x__":                            "x_pet",
		"a.very.long.user.name.indeed.yes": "a_very_long_user_name_indeed_yes",
		strings.Repeat("ab", 20):           strings.Repeat("ab", 16),
	} {
		got := SanitizeUsername(in)
		if got != want || !topics.ValidUsername(got) {
			t.Errorf("SanitizeUsername(%q) = %q, want %q (valid: %v)", in, got, want, topics.ValidUsername(got))
		}
	}
}

func TestLANAddressFilter(t *testing.T) {
	cidr := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	ifs := []Interface{
		{Flags: net.FlagUp | net.FlagLoopback, Addrs: []net.Addr{cidr("127.0.0.1/8"), cidr("::1/128")}},
		{Flags: net.FlagUp, Addrs: []net.Addr{cidr("192.168.1.20/24"), cidr("fe80::1/64"), cidr("2001:db8::20/64"), cidr("169.254.3.4/16")}},
		{Flags: 0, Addrs: []net.Addr{cidr("10.9.9.9/8")}}, // down
		{Flags: net.FlagUp, Addrs: []net.Addr{cidr("10.0.0.5/8"), cidr("fd12::5/64")}},
	}
	got := lanAddresses(ifs, 1883)
	want := []string{"mqtt://10.0.0.5:1883", "mqtt://192.168.1.20:1883", "mqtt://[2001:db8::20]:1883", "mqtt://[fd12::5]:1883"}
	if !slices.Equal(got, want) {
		t.Fatalf("LAN addresses %v, want %v", got, want)
	}
	// On this machine: never loopback (a container may list nothing at all;
	// the filter itself is checked above).
	for _, a := range LANAddresses(1883) {
		if strings.Contains(a, "127.0.0.1") || strings.Contains(a, "[::1]") {
			t.Fatalf("loopback listed: %s", a)
		}
	}
}

func TestDataDir(t *testing.T) {
	xdgdirtest.Check(t, xdgdir.Data, DataDir, "tachikoma/broker", "hosting: ")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	_, err := Start(context.Background(), Options{Logger: testLogger(t)})
	if !errors.Is(err, xdgdir.ErrNoHome) || !strings.Contains(err.Error(), "chat server's data folder") {
		t.Errorf("Start without a home: %v", err)
	}
}
