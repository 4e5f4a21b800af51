package broker_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/broker/store"
)

// regAnswer is a registration's HTTP answer.
type regAnswer struct {
	code       int
	retryAfter string
	Error      string `json:"error"`
	Reason     string `json:"reason"`
	Status     string `json:"status"`
	Message    string `json:"message"`
}

// postFrom registers from a chosen loopback address (127.0.0.x), so that
// per-address limits can be told from the server's.
func postFrom(t *testing.T, from, url, body string) regAnswer {
	t.Helper()
	d := &net.Dialer{Timeout: waitFor}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	hc := &http.Client{Timeout: 3 * waitFor, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	resp, err := hc.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := regAnswer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	return a
}

func regBody(name, invite string) string {
	return fmt.Sprintf(`{"username":%q,"password":"%s-password","invite":%q}`, name, name, invite)
}

// openStore opens the running broker's database beside it, as the admin CLI does.
func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// startInviteBroker runs a broker in invite mode, with rate limits out of
// the way, and returns its register URL and its database.
func startInviteBroker(t *testing.T) (*broker.Broker, string, store.Store) {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.Registration.Mode = broker.RegistrationInvite
	cfg.Registration.PerMinute, cfg.Registration.GlobalPerMinute = 100, 100
	b := startBroker(t, cfg)
	return b, "http://" + b.HTTPAddr() + "/api/v1/register", openStore(t, cfg.DataDir)
}

func TestRegisterWithInvite(t *testing.T) {
	b, url, st := startInviteBroker(t)
	ctx := context.Background()
	one, _ := st.CreateInvite(ctx, 1, time.Time{})
	old, _ := st.CreateInvite(ctx, 1, time.Now().Add(-time.Second))

	for _, c := range []struct {
		name, invite string
		code         int
		reason       string
	}{
		{"ann", "", 403, "invite_needed"},
		// Only separators: no code at all, not a registration without one.
		{"ann", "-", 403, "invite_needed"},
		{"ann", " -- \u3000", 403, "invite_needed"},
		{"ann", "WRONG-CODE", 403, "invite_unknown"},
		{"ann", old.Code, 403, "invite_expired"},
		{"ann", strings.ToLower(store.FormatInvite(one.Code)), 201, ""},
		{"bob", one.Code, 403, "invite_used_up"},
		// Without a good code, a taken name is not told apart from a free
		// one: an invite-only server does not show outsiders who is on it.
		{"ann", "WRONG-CODE", 403, "invite_unknown"},
		{"ann", one.Code, 403, "invite_used_up"},
	} {
		a := postFrom(t, "", url, regBody(c.name, c.invite))
		if a.code != c.code || a.Reason != c.reason || (c.code == 403 && a.Error == "") {
			t.Errorf("%s with %q: %d %q %q, want %d %q", c.name, c.invite, a.code, a.Reason, a.Error, c.code, c.reason)
		}
	}
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "ann", "ann-password", "ann"); err != nil {
		t.Fatalf("invited ann cannot log in: %v", err)
	}
}

// Parallel registrations with a 1-use code: exactly one account is made.
func TestRegisterInviteRace(t *testing.T) {
	_, url, st := startInviteBroker(t)
	inv, err := st.CreateInvite(context.Background(), 1, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	answers := make([]regAnswer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = postFrom(t, "", url, regBody(fmt.Sprintf("racer%d", i), inv.Code))
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for _, a := range answers {
		switch {
		case a.code == 201:
			created++
		case a.code != 403 || a.Reason != "invite_used_up":
			t.Errorf("a losing registration: %d %q", a.code, a.Reason)
		}
	}
	if created != 1 {
		t.Fatalf("%d of %d parallel registrations with a 1-use code succeeded", created, n)
	}
}

func TestRegisterRateLimits(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Registration.PerMinute, cfg.Registration.GlobalPerMinute = 2, 3
	b := startBroker(t, cfg)
	url := "http://" + b.HTTPAddr() + "/api/v1/register"
	bad := `{"username":"x!","password":"p"}` // refused after the limits, without hashing
	for i := range 2 {
		if a := postFrom(t, "127.0.0.2", url, bad); a.code != 400 {
			t.Fatalf("attempt %d from one address: %d %q", i, a.code, a.Error)
		}
	}
	a := postFrom(t, "127.0.0.2", url, bad)
	if a.code != 429 || a.Reason != "rate_address" {
		t.Fatalf("third from one address: %d %q", a.code, a.Reason)
	}
	if s, err := strconv.Atoi(a.retryAfter); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", a.retryAfter)
	}
	// The server's budget: one left after 127.0.0.2's two.
	if a := postFrom(t, "127.0.0.3", url, bad); a.code != 400 {
		t.Fatalf("another address: %d %q", a.code, a.Error)
	}
	// Refusals by the server's budget leave the address's own untouched.
	for i := range 3 {
		a = postFrom(t, "127.0.0.4", url, bad)
		if a.code != 429 || a.Reason != "rate_server" || a.retryAfter == "" {
			t.Fatalf("attempt %d past the server's limit: %d %q Retry-After %q", i, a.code, a.Reason, a.retryAfter)
		}
	}
}

func TestRegisterClosed(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Registration.Mode = broker.RegistrationClosed
	b := startBroker(t, cfg)
	a := postFrom(t, "", "http://"+b.HTTPAddr()+"/api/v1/register", regBody("dave", ""))
	if a.code != 403 || a.Reason != "closed" || !strings.Contains(a.Error, "closed") {
		t.Fatalf("closed registration: %d %q %q", a.code, a.Reason, a.Error)
	}
}

// connectCode is the CONNACK return code of a 3.1.1 login (0: accepted).
func connectCode(t *testing.T, b *broker.Broker, user, pw string) byte {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.MQTTAddr()).SetUsername(user).SetPassword(pw).
		SetClientID(user + "-probe").SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(waitFor))
	tok := c.Connect()
	if !tok.WaitTimeout(2 * waitFor) {
		t.Fatal("connect timed out")
	}
	defer c.Disconnect(0)
	if tok.Error() == nil {
		return 0
	}
	return tok.(*paho.ConnectToken).ReturnCode()
}

func TestRegisterWaitsForApproval(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Registration.Approval = true
	b := startBroker(t, cfg)
	a := postFrom(t, "", "http://"+b.HTTPAddr()+"/api/v1/register", regBody("dan", ""))
	if a.code != http.StatusAccepted || a.Status != "pending" || !strings.Contains(a.Message, "approval") {
		t.Fatalf("register with approval: %d %+v", a.code, a)
	}
	// 3.1.1 has no reason strings: 0x04 says "pending", apart from a wrong password's 0x05.
	if rc := connectCode(t, b, "dan", "dan-password"); rc != packets.ErrRefusedBadUsernameOrPassword {
		t.Fatalf("pending account's login: return code %d, want 4", rc)
	}
	if rc := connectCode(t, b, "dan", "wrong-password"); rc != packets.ErrRefusedNotAuthorised {
		t.Fatalf("pending account, wrong password: return code %d", rc)
	}
	// MQTT 5 clients read why.
	if _, ack := rawConnect(t, b, "dan", "dan-v5"); ack.ReasonCode != 0x87 || !strings.Contains(ack.Properties.ReasonString, "approval") {
		t.Fatalf("MQTT 5 login of a pending account: %#x %q", ack.ReasonCode, ack.Properties.ReasonString)
	}
	if a := postFrom(t, "", "http://"+b.HTTPAddr()+"/api/v1/register", regBody("dan", "")); a.code != http.StatusConflict {
		t.Fatalf("a pending name registered again: %d", a.code)
	}
	if err := openStore(t, cfg.DataDir).ApproveUser(context.Background(), "dan"); err != nil {
		t.Fatal(err)
	}
	// The running broker takes the approval from the database at once:
	// the first login after it is let in, not refused as a wrong password
	// until the next reload (which would stop the pet's retries).
	if rc := connectCode(t, b, "dan", "dan-password"); rc != 0 {
		t.Fatalf("approved account's first login: return code %d", rc)
	}
}

func TestServerInfo(t *testing.T) {
	getInfo := func(b *broker.Broker) broker.ServerInfo {
		t.Helper()
		resp, err := http.Get("http://" + b.HTTPAddr() + "/api/v1/server")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var info broker.ServerInfo
		if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /api/v1/server: %d %v", resp.StatusCode, err)
		}
		return info
	}
	b := startBroker(t, testConfig(t.TempDir()))
	info := getInfo(b)
	_, mqttPort, _ := net.SplitHostPort(b.MQTTAddr())
	_, wsPort, _ := net.SplitHostPort(b.WSAddr())
	want := broker.ServerInfo{Name: "Tachikoma", Version: "dev", Registration: "open",
		MQTT: "mqtt://127.0.0.1:" + mqttPort, WS: "ws://127.0.0.1:" + wsPort + "/mqtt"}
	if info != want {
		t.Fatalf("defaults:\n%+v, want\n%+v", info, want)
	}
	// A client on port 80 or 443 sends the host without a port; an IPv6
	// literal keeps its brackets then.
	for host, want := range map[string]string{"[2001:db8::7]": "[2001:db8::7]", "chat.example.com": "chat.example.com", "[2001:db8::7]:8080": "[2001:db8::7]"} {
		req, _ := http.NewRequest("GET", "http://"+b.HTTPAddr()+"/api/v1/server", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var info broker.ServerInfo
		err = json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		if err != nil || info.MQTT != "mqtt://"+want+":"+mqttPort || info.WS != "ws://"+want+":"+wsPort+"/mqtt" {
			t.Errorf("Host %s: %+v %v", host, info, err)
		}
	}

	cfg := testConfig(t.TempDir())
	cfg.ServerName = "宿舍聊天"
	cfg.Registration.Mode, cfg.Registration.Approval = broker.RegistrationInvite, true
	cfg.Public = broker.PublicConfig{MQTT: "mqtts://chat.example.com:8883", WS: "wss://chat.example.com/mqtt"}
	info = getInfo(startBroker(t, cfg))
	want = broker.ServerInfo{Name: "宿舍聊天", Version: "dev", Registration: "invite", InviteRequired: true, Approval: true,
		MQTT: cfg.Public.MQTT, WS: cfg.Public.WS}
	if info != want {
		t.Fatalf("invite server behind a proxy:\n%+v, want\n%+v", info, want)
	}
}

// Over TLS, clients are told the encrypted addresses.
func TestServerInfoTLS(t *testing.T) {
	cert, key, pool := brokertest.SelfSigned(t)
	cfg := testConfig(t.TempDir())
	cfg.TLS.CertFile, cfg.TLS.KeyFile = cert, key
	b := startBroker(t, cfg)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := hc.Get("https://" + b.HTTPAddr() + "/api/v1/server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info broker.ServerInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.MQTT, "mqtts://127.0.0.1:") || !strings.HasPrefix(info.WS, "wss://127.0.0.1:") {
		t.Fatalf("server info over TLS: %+v", info)
	}
}

// A pending account past registration.pending_expiry is rejected and its
// name is free again.
func TestPendingAccountsExpire(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Registration.Approval = true
	cfg.Registration.PendingExpiry = broker.Duration(time.Millisecond)
	cfg.Registration.PerMinute, cfg.Registration.GlobalPerMinute = 1000, 1000 // the loop below retries
	b := startBroker(t, cfg)
	url := "http://" + b.HTTPAddr() + "/api/v1/register"
	if a := postFrom(t, "", url, regBody("dan", "")); a.code != http.StatusAccepted {
		t.Fatalf("register with approval: %d %+v", a.code, a)
	}
	deadline := time.Now().Add(waitFor)
	for a := postFrom(t, "", url, regBody("dan", "")); a.code != http.StatusAccepted; a = postFrom(t, "", url, regBody("dan", "")) {
		if a.code != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("dan's name after expiry: %d %+v", a.code, a)
		}
		time.Sleep(10 * time.Millisecond)
		b.ExpirePending()
	}
}
