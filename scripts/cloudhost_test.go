package scripts_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// The ports docs/DEPLOY.md opens; TLS on all three.
const (
	mqttsPort = "8883"
	wssPort   = "8084"
	httpsPort = "8080"
)

// TestCloudHost installs the broker on a simulated cloud host as
// docs/DEPLOY.md does (make dist's archive, install-broker.sh, the unit's
// ExecStart as its user, TLS from a CA), and from here: registers over
// HTTPS, chats with the pet's client over mqtts:// and wss:// and with
// mosquitto's, survives kill -9 of the broker with nothing acknowledged lost
// while the pets reconnect by themselves, and checks the pet's words for
// expired and wrong certificates.
func TestCloudHost(t *testing.T) {
	h := newSimHost(t)
	for _, tool := range []string{"mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (Debian: mosquitto-clients; scripts/deps.sh test)", tool)
		}
	}
	pkg := buildDist(t, "0.0.0-simhost")

	out := h.Run("", filepath.Join(pkg, "install-broker.sh"))
	for _, want := range []string{"create system user tachikoma", "install /usr/local/bin/tachikoma-broker",
		"install /etc/tachikoma/broker.yaml", "systemd is not running here"} {
		if !strings.Contains(out, want) {
			t.Errorf("install-broker.sh: no %q in\n%s", want, out)
		}
	}
	unitText, err := os.ReadFile(h.Path("/etc/systemd/system/tachikoma-broker.service"))
	if err != nil {
		t.Fatal(err)
	}
	u := parseUnit(t, string(unitText))
	dataDir := flagValue(t, u.ExecStart, "--data-dir")
	confPath := flagValue(t, u.ExecStart, "--config")

	// The certificate where the guide puts it, readable by the service's group.
	ca := newTestCA(t, "Tachikoma test CA")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, caFile, ca.PEM, 0o644)
	installCert := func(chain, key []byte) {
		writeFile(t, h.Path("/etc/tachikoma/tls/fullchain.pem"), chain, 0o640)
		writeFile(t, h.Path("/etc/tachikoma/tls/privkey.pem"), key, 0o640)
	}
	if err := os.MkdirAll(h.Path("/etc/tachikoma/tls"), 0o750); err != nil {
		t.Fatal(err)
	}
	installCert(ca.leaf(t, h.Addr, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)))
	h.Run("", "chgrp", "-R", u.Group, "/etc/tachikoma/tls")

	conf, err := os.ReadFile(h.Path(confPath))
	if err != nil {
		t.Fatal(err)
	}
	text := string(conf)
	for _, kv := range [][2]string{{"mqtt_addr", "0.0.0.0:" + mqttsPort}, {"ws_addr", "0.0.0.0:" + wssPort},
		{"http_addr", "0.0.0.0:" + httpsPort}, {"cert_file", "/etc/tachikoma/tls/fullchain.pem"},
		{"key_file", "/etc/tachikoma/tls/privkey.pem"}, {"mode", "invite"}} {
		text = setYAML(t, text, kv[0], kv[1])
	}
	writeFile(t, h.Path(confPath), []byte(text), 0o640)

	svc := &service{h: h, u: u, log: newOutFile(t)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the broker's log:\n%s", svc.log.String())
		}
	})
	svc.Start()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	api := "https://" + h.Addr + ":" + httpsPort
	ready := func() bool {
		resp, err := hc.Get(api + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	waitUntil(t, time.Minute, "the broker answers /readyz over HTTPS from the other namespace", ready)
	if !strings.Contains(svc.log.String(), `"msg":"broker ready"`) {
		t.Errorf("no JSON log line saying the broker is ready:\n%s", svc.log.String())
	}

	// The first account, made by the admin on the host; bob registers himself.
	out = h.Run("alice-secret-1\n", "runuser", "-u", u.User, "--", "tachikoma-broker", "user", "add", "alice",
		"--nickname", "Alice", "--data-dir", dataDir)
	if !strings.Contains(out, "user alice added") {
		t.Errorf("user add: %s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out = h.Run("", "runuser", "-u", u.User, "--", "tachikoma-broker", "invite", "create", "--uses", "1", "--expires", "1d",
		"--data-dir", dataDir)
	invite := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	// As the pet's register dialog does: ask the server, then register with the code.
	bobCfg := petConfig(t, "mqtts://"+h.Addr+":"+mqttsPort, "bob", "bob-secret-1", caFile)
	info, err := chat.FetchServerInfo(ctx, bobCfg)
	if err != nil {
		t.Fatalf("GET /api/v1/server over HTTPS: %v", err)
	}
	if !info.InviteRequired || info.MQTT != bobCfg.Server || info.WS != "wss://"+h.Addr+":"+wssPort+"/mqtt" {
		t.Errorf("GET /api/v1/server: %+v", info)
	}
	if _, err := chat.RegisterWith(ctx, bobCfg, chat.Signup{Nickname: "小鲍", Invite: "WRNG-CODE"}); !errors.Is(err, chat.ErrInviteInvalid) {
		t.Errorf("a wrong invite: %v, want ErrInviteInvalid", err)
	}
	if _, err := chat.RegisterWith(ctx, bobCfg, chat.Signup{Nickname: "小鲍", Invite: invite}); err != nil {
		t.Fatalf("bob registers over HTTPS with invite %q: %v", invite, err)
	}

	aliceCfg := petConfig(t, "mqtts://"+h.Addr+":"+mqttsPort, "alice", "alice-secret-1", caFile)
	// The serving broker notices accounts added by the CLI within a second.
	waitUntil(t, time.Minute, "alice can log in", func() bool { return connectErr(ctx, aliceCfg) == nil })
	alice := startPet(t, ctx, aliceCfg)
	bob := startPet(t, ctx, petConfig(t, "wss://"+h.Addr+":"+wssPort+"/mqtt", "bob", "bob-secret-1", caFile))
	lobby := chat.RoomConv(topics.Lobby)

	// mosquitto's clients, over TLS with the same CA.
	mq := func(cmd []string, args ...string) *exec.Cmd {
		conn := []string{"-h", h.Addr, "-p", mqttsPort, "--cafile", caFile, "-u", "bob", "-P", "bob-secret-1"}
		return exec.Command(cmd[0], slices.Concat(cmd[1:], conn, args)...)
	}
	// Line-buffered, so that its SUBACK shows before it exits.
	sub := mq([]string{"stdbuf", "-oL", "mosquitto_sub"}, "-d", "-v", "-t", topics.Room(topics.Lobby), "-C", "1", "-W", "120", "-i", "mq-sub")
	subOut := newOutFile(t)
	sub.Stdout, sub.Stderr = subOut.f, subOut.f
	if err := sub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sub.Process.Kill()
		sub.Wait()
		if t.Failed() {
			t.Logf("mosquitto_sub:\n%s", subOut.String())
		}
	})
	waitUntil(t, time.Minute, "mosquitto_sub subscribed", func() bool { return strings.Contains(subOut.String(), "SUBACK") })
	first, err := alice.Send(lobby, "大家好 from the pet")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Minute, "mosquitto_sub got the pet's message", func() bool {
		return strings.Contains(subOut.String(), `"from":"alice"`) && strings.Contains(subOut.String(), "大家好 from the pet")
	})
	mqPub := func(cid string) {
		t.Helper()
		payload := fmt.Sprintf(`{"text":"你好 from mosquitto %s","cid":%q}`, cid, cid)
		if out, err := mq([]string{"mosquitto_pub"}, "-q", "1", "-i", "mq-"+cid, "-t", topics.Room(topics.Lobby), "-m", payload).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_pub %s: %v\n%s", cid, err, out)
		}
	}
	mqPub("mq-1")
	waitUntil(t, time.Minute, "the pet got mosquitto's message", func() bool { return alice.got("mq-1") })

	// Messages acknowledged before and while the broker is killed are kept.
	var cids []string
	send := func(n int, what string) {
		for i := range n {
			cid, err := alice.Send(lobby, fmt.Sprintf("%s %d", what, i))
			if err != nil {
				t.Fatal(err)
			}
			cids = append(cids, cid)
		}
	}
	send(10, "before")
	waitUntil(t, time.Minute, "ten messages acknowledged", func() bool { return alice.acked(cids...) })
	mqPub("mq-2")
	send(10, "during")
	svc.Kill9()
	ackedBeforeKill := alice.ackedOf(cids)
	t.Logf("kill -9 with %d of %d pet messages acknowledged", len(ackedBeforeKill), len(cids))
	waitUntil(t, time.Minute, "the pets notice the broker is gone", func() bool {
		return alice.status() != chat.StatusOnline && bob.status() != chat.StatusOnline
	})
	send(5, "offline")
	// Restart only once both pets have failed to reconnect, so that they
	// have to retry by themselves.
	waitUntil(t, time.Minute, "both pets fail to reach the stopped broker", func() bool {
		return alice.failedDials() > 0 && bob.failedDials() > 0
	})

	svc.Start()
	waitUntil(t, time.Minute, "the restarted broker is ready", ready)
	waitUntil(t, 2*time.Minute, "both pets reconnect by themselves", func() bool {
		return alice.status() == chat.StatusOnline && bob.status() == chat.StatusOnline
	})
	waitUntil(t, 2*time.Minute, "the pet's queue is sent", func() bool { return len(alice.Outbox()) == 0 && alice.acked(cids...) })

	inHistory := map[string]int{}
	before := int64(0)
	for range 20 {
		page, err := alice.History(ctx, lobby, before, 50)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		for _, m := range page {
			inHistory[m.CID]++
			if before == 0 || m.ID < before {
				before = m.ID
			}
		}
		if len(page) < 50 {
			break
		}
	}
	for _, cid := range append([]string{first, "mq-1", "mq-2"}, cids...) {
		if n := inHistory[cid]; n != 1 {
			t.Errorf("message %s is %d times in the lobby's history, want once (acknowledged before kill -9: %v)",
				cid, n, slices.Contains(ackedBeforeKill, cid))
		}
	}
	all := append([]string{first, "mq-2"}, cids...)
	t.Cleanup(func() {
		if t.Failed() {
			var missing []string
			for i, cid := range all {
				if !bob.got(cid) {
					missing = append(missing, fmt.Sprintf("%d:%s", i, cid))
				}
			}
			t.Logf("bob's pet lacks %v of %v", missing, all)
		}
	})
	waitUntil(t, time.Minute, "bob's pet (wss) has every message", func() bool { return bob.got(all...) })

	// Bad certificates: the pet says what is wrong.
	other := newTestCA(t, "Someone else's CA")
	for _, c := range []struct {
		name       string
		chain, key []byte
		want       string
	}{
		{"expired", nil, nil, "the server's certificate expired on " + time.Now().Add(-24*time.Hour).Format("2006-01-02")},
		{"another name", nil, nil, "the server's certificate is for another name than " + h.Addr},
		{"another CA", nil, nil, "not signed by a trusted authority"},
	} {
		switch c.name {
		case "expired":
			c.chain, c.key = ca.leaf(t, h.Addr, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
		case "another name":
			c.chain, c.key = ca.leaf(t, "198.51.100.7", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		case "another CA":
			c.chain, c.key = other.leaf(t, h.Addr, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		}
		installCert(c.chain, c.key)
		h.sh("kill", "-HUP", fmt.Sprint(svc.cmd.Process.Pid))
		var last error
		waitUntil(t, time.Minute, c.name+" certificate: "+c.want, func() bool {
			last = connectErr(ctx, petConfig(t, "mqtts://"+h.Addr+":"+mqttsPort, "alice", "alice-secret-1", caFile))
			return errors.Is(last, chat.ErrTLS) && strings.Contains(last.Error(), c.want)
		})
		t.Logf("%s: %v", c.name, last)
	}
}

func flagValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("ExecStart %v has no %s", args, flag)
	}
	return args[i+1]
}

func writeFile(t *testing.T, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
}

func petConfig(t *testing.T, server, user, password, caFile string) chat.Config {
	return chat.Config{
		Server: server, User: user, Password: password, ClientID: "simhost-" + user,
		StateDir: t.TempDir(), TLS: chat.TLSOptions{CAFile: caFile},
		ConnectTimeout: 10 * time.Second, BackoffMin: 200 * time.Millisecond, BackoffMax: 2 * time.Second,
	}
}

// connectErr is the error of a first connection with cfg (nil when it works).
func connectErr(ctx context.Context, cfg chat.Config) error {
	c, err := chat.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Connect(ctx)
}

func petLog(t *testing.T) *slog.Logger { return brokertest.Logger(t, slog.LevelInfo) }

// pet is the pet's chat client and what it has seen.
type pet struct {
	*chat.Client
	mu     sync.Mutex
	seen   map[string]bool // cids of messages shown
	sent   map[string]bool // own cids the server stored
	failed int             // connection attempts that found no server
}

func startPet(t *testing.T, ctx context.Context, cfg chat.Config) *pet {
	t.Helper()
	c, err := chat.New(cfg, petLog(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &pet{Client: c, seen: map[string]bool{}, sent: map[string]bool{}}
	c.OnEvent(func(ev chat.Event) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case ev.Type == chat.EventMessage && ev.Message != nil:
			p.seen[ev.Message.CID] = true
		case ev.Type == chat.EventSendState && ev.SendState == chat.SendSent:
			p.sent[ev.CID] = true
		case ev.Type == chat.EventStatus && errors.Is(ev.Err, chat.ErrUnreachable):
			p.failed++
		}
	})
	t.Cleanup(func() { c.Close() })
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("%s connects to %s: %v", cfg.User, cfg.Server, err)
	}
	return p
}

func (p *pet) status() chat.Status { s, _ := p.Status(); return s }

func (p *pet) failedDials() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

func (p *pet) got(cids ...string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cid := range cids {
		if !p.seen[cid] {
			return false
		}
	}
	return true
}

func (p *pet) acked(cids ...string) bool { return len(p.ackedOf(cids)) == len(cids) }

func (p *pet) ackedOf(cids []string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, cid := range cids {
		if p.sent[cid] {
			out = append(out, cid)
		}
	}
	return out
}
