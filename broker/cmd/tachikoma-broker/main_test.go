package main

// These tests drive the real binary as a user would: the admin CLI, the
// server under kill -9, and the real mosquitto_pub/mosquitto_sub clients.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/topics"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tachikoma-broker-test")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "tachikoma-broker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pg.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := run(t, stdin, args...)
	if err != nil {
		t.Fatalf("tachikoma-broker %v: %v\n%s", args, err, out)
	}
	return out
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running tachikoma-broker process.
type server struct {
	cmd  *exec.Cmd
	addr string
	log  *bytes.Buffer
}

func startServer(t *testing.T, dataDir, addr string) *server {
	t.Helper()
	s := &server{addr: addr, log: &bytes.Buffer{}}
	// A high rate limit: these tests publish as fast as they can.
	cfg := writeFile(t, "limits:\n  messages_per_second: 100000\n  message_burst: 100000\n")
	s.cmd = exec.Command(bin, "serve", "--config", cfg, "--data-dir", dataDir, "--mqtt-addr", addr, "--ws-addr", "", "--http-addr", "")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("broker did not listen on %s:\n%s", addr, s.log)
	return nil
}

func TestAdminCLI(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "secretpw1\n", "user", "add", "alice", "--data-dir", dir, "--nickname", "爱丽丝")
	for _, c := range []struct {
		stdin, want string
		args        []string
	}{
		{"secretpw1\n", "exists", []string{"user", "add", "alice", "--data-dir", dir}},
		{"short\n", "at least 8", []string{"user", "add", "bob", "--data-dir", dir}},
		{"secretpw1\n", "may only contain", []string{"user", "add", "Bob", "--data-dir", dir}},
		{"", "not found", []string{"user", "del", "ghost", "--data-dir", dir}},
		{"", "cannot be deleted", []string{"room", "del", "lobby", "--data-dir", dir}},
		{"", "may only contain", []string{"room", "create", "Bad Room", "--data-dir", dir}},
		{"", "no such file", []string{"user", "list", "--data-dir", filepath.Join(dir, "missing")}},
		{"", "line", []string{"serve", "--config", writeFile(t, "mqtt_addr: [oops"), "--data-dir", dir}},
		{"", "not found in type", []string{"serve", "--config", writeFile(t, "mqt_addr: x"), "--data-dir", dir}},
	} {
		out, err := run(t, c.stdin, c.args...)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: err=%v out=%q, want an error containing %q", c.args, err, out, c.want)
		}
	}
	mustRun(t, "", "room", "create", "club", "--title", "The Club", "--private", "--data-dir", dir)
	if out := mustRun(t, "", "room", "list", "--data-dir", dir); !strings.Contains(out, "club") || !strings.Contains(out, "The Club") || !strings.Contains(out, "lobby") {
		t.Fatalf("room list:\n%s", out)
	}
	if out := mustRun(t, "", "user", "list", "--data-dir", dir); !strings.Contains(out, "alice") || !strings.Contains(out, "爱丽丝") {
		t.Fatalf("user list:\n%s", out)
	}

	// Password change while the server runs: the old password stops working.
	addr := freePort(t)
	startServer(t, dir, addr)
	if err := pahoConnect(addr, "alice", "secretpw1"); err != nil {
		t.Fatalf("login: %v", err)
	}
	mustRun(t, "newsecret2\n", "user", "passwd", "alice", "--data-dir", dir)
	deadline := time.Now().Add(5 * time.Second)
	for pahoConnect(addr, "alice", "secretpw1") == nil {
		if time.Now().After(deadline) {
			t.Fatal("old password still accepted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := pahoConnect(addr, "alice", "newsecret2"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	mustRun(t, "", "room", "del", "club", "--data-dir", dir)
	mustRun(t, "", "user", "del", "alice", "--data-dir", dir)
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "broker.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pahoConnect(addr, user, pw string) error {
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetUsername(user).SetPassword(pw).
		SetClientID(fmt.Sprintf("probe-%d", time.Now().UnixNano())).SetConnectTimeout(3 * time.Second))
	tok := c.Connect()
	tok.WaitTimeout(5 * time.Second)
	if tok.Error() == nil {
		c.Disconnect(0)
	}
	return tok.Error()
}

// TestKill9LosesNoAcknowledgedMessage publishes QoS 1 messages as fast as the
// broker acknowledges them, kills the broker with SIGKILL mid-stream, and
// checks after a restart that every acknowledged message is in history.
func TestKill9LosesNoAcknowledgedMessage(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "alicepass1\n", "user", "add", "alice", "--data-dir", dir)
	addr := freePort(t)
	srv := startServer(t, dir, addr)

	load := startChatLoad(t, addr, 4, "n", 5*time.Second, 2*time.Second)
	load.waitFor(t, 400)
	if err := srv.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	srv.cmd.Wait()
	load.end() // each writer stops at its first unacknowledged message
	sent := load.ackedSoFar()

	startServer(t, dir, addr)
	stored := historyCIDs(t, addr, "alice", "alicepass1")
	if missing := missingFrom(stored, sent); missing > 0 {
		t.Fatalf("%d of %d acknowledged messages lost after kill -9", missing, len(sent))
	}
	t.Logf("%d acknowledged messages, all in history after kill -9 (%d stored)", len(sent), len(stored))
}

func historyCIDs(t *testing.T, addr, user, pw string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, m := range lobbyHistory(t, addr, user, pw) {
		out[m.CID] = true
	}
	return out
}

// lobbyHistory is the lobby's whole history as user reads it, newest first.
func lobbyHistory(t *testing.T, addr, user, pw string) []topics.Message {
	t.Helper()
	replies := make(chan []byte, 10)
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetUsername(user).SetPassword(pw).SetClientID("reader"))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	c.Subscribe(topics.Replies(user), 1, func(_ paho.Client, m paho.Message) { replies <- m.Payload() }).WaitTimeout(5 * time.Second)
	var out []topics.Message
	before := int64(0)
	for page := 0; ; page++ {
		p, _ := json.Marshal(topics.Params{Room: topics.Lobby, Before: before, Limit: 100})
		req, _ := json.Marshal(topics.Request{ID: fmt.Sprint(page), Method: topics.MethodHistory, Params: p})
		c.Publish(topics.Requests(user), 1, false, req).WaitTimeout(5 * time.Second)
		var r struct {
			Result topics.History `json:"result"`
			Error  *topics.Error  `json:"error"`
		}
		select {
		case b := <-replies:
			if err := json.Unmarshal(b, &r); err != nil || r.Error != nil {
				t.Fatalf("history: %v %v", err, r.Error)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no history reply")
		}
		out = append(out, r.Result.Messages...)
		if len(r.Result.Messages) < 100 {
			return out
		}
		before = r.Result.Messages[len(r.Result.Messages)-1].ID
	}
}

// TestMosquittoClients drives the broker only with Debian's mosquitto_pub
// and mosquitto_sub, over MQTT 3.1.1 and 5.
func TestMosquittoClients(t *testing.T) {
	for _, tool := range []string{"mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install Debian's mosquitto-clients (make test does)", tool)
		}
	}
	dir := t.TempDir()
	mustRun(t, "alicepass1\n", "user", "add", "alice", "--data-dir", dir, "--nickname", "Alice")
	mustRun(t, "bobpass123\n", "user", "add", "bob", "--data-dir", dir)
	mustRun(t, "carolpass1\n", "user", "add", "carol", "--data-dir", dir)
	addr := freePort(t)
	startServer(t, dir, addr)
	host, port, _ := net.SplitHostPort(addr)
	common := func(user, pw string) []string { return []string{"-h", host, "-p", port, "-u", user, "-P", pw} }
	sub := func(user, pw, topic string, count int, v string) (*exec.Cmd, *syncBuffer) {
		out := &syncBuffer{}
		// -d: mosquitto_sub reports its SUBACK, so we publish only once the
		// subscription is in place (debug lines start with "Client ");
		// stdbuf -oL: stdio would hold those lines back until exit.
		args := append([]string{"-oL", "mosquitto_sub"}, common(user, pw)...)
		cmd := exec.Command("stdbuf", append(args, "-t", topic, "-C", fmt.Sprint(count), "-W", "10", "-V", v, "-q", "1", "-d")...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "received SUBACK") {
			if time.Now().After(deadline) {
				t.Fatalf("mosquitto_sub never subscribed: %s", out)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return cmd, out
	}
	pub := func(user, pw, topic, msg, v string) string {
		out, err := exec.Command("mosquitto_pub", append(common(user, pw), "-t", topic, "-m", msg, "-q", "1", "-V", v)...).CombinedOutput()
		if err != nil {
			t.Fatalf("mosquitto_pub %s: %v %s", topic, err, out)
		}
		return string(out)
	}

	// Room chat, plain text in, stamped JSON out.
	cmd, out := sub("bob", "bobpass123", topics.Room(topics.Lobby), 1, "mqttv311")
	pub("alice", "alicepass1", topics.Room(topics.Lobby), "hello from mosquitto", "mqttv311")
	waitCmd(t, cmd)
	var m topics.Message
	if err := json.Unmarshal([]byte(out.Payload()), &m); err != nil || m.From != "alice" || m.Nick != "Alice" || m.Text != "hello from mosquitto" {
		t.Fatalf("mosquitto_sub got %q (%v)", out, err)
	}

	// A DM to a stranger over MQTT 5: PUBACK says "not authorized".
	if o := pub("alice", "alicepass1", topics.DM("bob", "alice"), "hi", "mqttv5"); !strings.Contains(strings.ToLower(o), "not authorized") {
		t.Fatalf("v5 stranger DM: %q", o)
	}

	// Friend request and accept as raw JSON requests; replies read with mosquitto_sub.
	cmd, out = sub("alice", "alicepass1", topics.Replies("alice"), 1, "mqttv5")
	pub("alice", "alicepass1", topics.Requests("alice"), `{"id":"f1","method":"friend.request","params":{"user":"bob"}}`, "mqttv5")
	waitCmd(t, cmd)
	if !strings.Contains(out.String(), `"id":"f1"`) || !strings.Contains(out.String(), "requested") {
		t.Fatalf("friend.request reply %q", out)
	}
	cmd, out = sub("bob", "bobpass123", topics.Replies("bob"), 1, "mqttv311")
	pub("bob", "bobpass123", topics.Requests("bob"), `{"id":"a1","method":"friend.accept","params":{"user":"alice"}}`, "mqttv311")
	waitCmd(t, cmd)
	if !strings.Contains(out.String(), "friends") {
		t.Fatalf("friend.accept reply %q", out)
	}

	// Now the DM goes through, and a wildcard snooper sees nothing of it:
	// carol on "#" until a lobby message alice sends after the DM.
	snoop, snooped := sub("carol", "carolpass1", "#", 100, "mqttv5")
	cmd, out = sub("bob", "bobpass123", topics.DMInbox("bob"), 1, "mqttv5")
	pub("alice", "alicepass1", topics.DM("bob", "alice"), "私信 ✉", "mqttv5")
	waitCmd(t, cmd)
	if err := json.Unmarshal([]byte(out.Payload()), &m); err != nil || m.Text != "私信 ✉" || m.To != "bob" {
		t.Fatalf("DM via mosquitto: %q", out)
	}
	pub("alice", "alicepass1", topics.Room(topics.Lobby), "snooper's marker", "mqttv5")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(snooped.Payload(), "snooper's marker"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the snooper never got the lobby marker: %s", snooped)
		}
	}
	snoop.Process.Kill()
	waitCmd(t, snoop)
	if strings.Contains(snooped.Payload(), "私信") {
		t.Fatalf("a wildcard snooper saw the DM: %s", snooped)
	}

	// Wrong password: mosquitto_sub is refused.
	if o, err := exec.Command("mosquitto_sub", append(common("alice", "nope"), "-t", "#", "-C", "1", "-W", "3")...).CombinedOutput(); err == nil {
		t.Fatalf("wrong password accepted: %s", o)
	}
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir, freePort(t))
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.log)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}
	if !strings.Contains(srv.log.String(), "shutting down") {
		t.Fatalf("log:\n%s", srv.log)
	}
}

func TestUserImport(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "# bench users\nann annpass123 Ann Lee\nben benpass123\n\n", "user", "import", "--data-dir", dir)
	if !strings.Contains(out, "2 users imported") {
		t.Fatalf("import: %s", out)
	}
	list := mustRun(t, "", "user", "list", "--data-dir", dir)
	if !strings.Contains(list, "Ann Lee") || !strings.Contains(list, "ben") {
		t.Fatalf("list after import:\n%s", list)
	}
	// All or nothing: one bad line, nothing written.
	for _, c := range []struct{ in, want string }{
		{"cat catpass123\ndog short\n", "line 2"},
		{"cat catpass123\ncat catpass123\n", "already on line 1"},
		{"cat catpass123\nann annpass123\n", "exists"},
		{"lonely\n", "line 1"},
	} {
		if out, err := run(t, c.in, "user", "import", "--data-dir", dir); err == nil || !strings.Contains(out, c.want) {
			t.Errorf("import %q: %v %s, want %q", c.in, err, out, c.want)
		}
	}
	if list := mustRun(t, "", "user", "list", "--data-dir", dir); strings.Contains(list, "cat") {
		t.Fatalf("a failed import wrote accounts:\n%s", list)
	}
	addr := freePort(t)
	startServer(t, dir, addr)
	if err := pahoConnect(addr, "ann", "annpass123"); err != nil {
		t.Fatalf("imported user cannot log in: %v", err)
	}
}

// A class list saved by Windows Notepad or Excel: a UTF-8 byte order mark
// before the first name, CRLF line ends.
func TestUserImportWindowsFile(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "\uFEFFstu01 password01 学生一\r\nstu02 password02\r\n", "user", "import", "--data-dir", dir)
	if !strings.Contains(out, "2 users imported") {
		t.Fatalf("import: %s", out)
	}
	if list := mustRun(t, "", "user", "list", "--data-dir", dir); !strings.Contains(list, "stu01  学生一") || !strings.Contains(list, "stu02") {
		t.Fatalf("list after import:\n%s", list)
	}
}

// waitCmd waits for a client process that should end by itself soon (its
// -W timeout bounds it), killing it if it does not.
func waitCmd(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s still running after 30 s", cmd.Path)
	}
}

// syncBuffer collects a subprocess's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Payload is the output without mosquitto_sub -d debug lines.
func (s *syncBuffer) Payload() string {
	var keep []string
	for _, l := range strings.Split(s.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "Client ") && !strings.HasPrefix(l, "Subscribed (mid") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// A password in --store is visible to everyone through ps: warned about,
// never echoed.
func TestStorePasswordOnCommandLineWarns(t *testing.T) {
	out, _ := run(t, "", "user", "list", "--data-dir", t.TempDir(), "--store", "postgres://tachikoma:s3cret@127.0.0.1:1/t?connect_timeout=1")
	if !strings.Contains(out, "PGPASSWORD") || strings.Contains(out, "s3cret") {
		t.Fatalf("a password on the command line:\n%s", out)
	}
	out, _ = run(t, "", "user", "list", "--data-dir", t.TempDir(), "--store", "postgres://tachikoma@127.0.0.1:1/t?connect_timeout=1")
	if strings.Contains(out, "PGPASSWORD") {
		t.Fatalf("warned without a password:\n%s", out)
	}
}
