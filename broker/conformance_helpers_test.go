package broker_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
)

// The conformance tests drive the broker with mosquitto's own clients
// (mosquitto_pub and mosquitto_sub, Debian's mosquitto-clients), so that
// what they prove is what a user of a third-party client sees.

// mosqWait bounds every wait on a mosquitto client; the machine may be busy.
const mosqWait = 10 * time.Second

// openBroker starts a broker whose ACL file grants every user everything
// outside tachikoma/ (plus extra rules), and registers users.
func openBroker(t *testing.T, extraACL string, users ...string) *broker.Broker {
	t.Helper()
	if _, err := exec.LookPath("mosquitto_sub"); err != nil {
		t.Skip("mosquitto_sub not installed (scripts/deps.sh test)")
	}
	cfg := testConfig(t.TempDir())
	cfg.ACLFile = filepath.Join(t.TempDir(), "acl")
	if err := os.WriteFile(cfg.ACLFile, []byte("topic readwrite #\n"+extraACL), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, cfg)
	register(t, b, users...)
	return b
}

// mosq is a running mosquitto_sub or mosquitto_pub with debug output on.
type mosq struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	more  chan struct{} // a line arrived or the process ended
	done  chan struct{}
	err   error
}

// runMosq starts prog ("mosquitto_sub", "mosquitto_pub" or "mosquitto_rr")
// as user against b.
func runMosq(t *testing.T, b *broker.Broker, prog, user string, args ...string) *mosq {
	t.Helper()
	return runMosqInput(t, b, "", prog, user, args...)
}

// runMosqInput is runMosq with stdin (for mosquitto_pub -l).
func runMosqInput(t *testing.T, b *broker.Broker, stdin, prog, user string, args ...string) *mosq {
	t.Helper()
	host, port, _ := net.SplitHostPort(b.MQTTAddr())
	// stdbuf: the clients' debug lines would wait in stdio's buffer on a pipe.
	all := append([]string{"-oL", prog, "-h", host, "-p", port, "-u", user, "-P", user + "-password", "-d"}, args...)
	return startProcess(t, prog+" "+strings.Join(args, " "), strings.NewReader(stdin), "stdbuf", all...)
}

// startProcess runs a client program, collecting its output lines.
func startProcess(t *testing.T, name string, stdin io.Reader, prog string, args ...string) *mosq {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	m := &mosq{t: t, name: name, cmd: exec.CommandContext(ctx, prog, args...),
		more: make(chan struct{}, 1), done: make(chan struct{})}
	pr, pw := io.Pipe()
	m.cmd.Stdout, m.cmd.Stderr = pw, pw
	m.cmd.Stdin = stdin
	m.cmd.WaitDelay = 5 * time.Second // a stdin or output copy never blocks Wait for good
	if err := m.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("%s: %v", prog, err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			m.mu.Lock()
			m.lines = append(m.lines, sc.Text())
			m.mu.Unlock()
			m.signal()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		err := m.cmd.Wait()
		pw.Close()
		<-read // every line is in before done
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		close(m.done)
		m.signal()
	}()
	t.Cleanup(func() {
		cancel()
		<-m.done
		if t.Failed() {
			t.Logf("%s output:\n%s", m.name, strings.Join(m.output(), "\n"))
		}
	})
	return m
}

func (m *mosq) signal() {
	select {
	case m.more <- struct{}{}:
	default:
	}
}

func (m *mosq) output() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.lines...)
}

// waitLine waits for an output line containing s.
func (m *mosq) waitLine(s string) string {
	m.t.Helper()
	deadline := time.After(mosqWait)
	for {
		for _, l := range m.output() {
			if strings.Contains(l, s) {
				return l
			}
		}
		select {
		case <-m.more:
		case <-deadline:
			m.t.Fatalf("%s: no line with %q within %v", m.name, s, mosqWait)
		}
	}
}

// count is how many output lines so far contain s.
func (m *mosq) count(s string) int {
	n := 0
	for _, l := range m.output() {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// payloads is the payload of every message received so far, in order.
func (m *mosq) payloads() []string {
	var out []string
	for _, r := range m.messages() {
		out = append(out, r.Payload)
	}
	return out
}

// has reports whether some output line so far contains s.
func (m *mosq) has(s string) bool {
	for _, l := range m.output() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// exit waits for the process to end and returns its error (nil for status 0).
func (m *mosq) exit() error {
	m.t.Helper()
	select {
	case <-m.done:
	case <-time.After(mosqWait):
		m.t.Fatalf("%s still running after %v", m.name, mosqWait)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// kill ends the client without a DISCONNECT, as a crash would.
func (m *mosq) kill() {
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
}

// received is a message as mosquitto_sub -F %j prints it.
type received struct {
	Topic      string          `json:"topic"`
	QoS        int             `json:"qos"`
	Retain     int             `json:"retain"`
	Payload    string          `json:"payload"`
	Properties json.RawMessage `json:"properties"`
}

// props is the MQTT 5 properties of a received message.
type props struct {
	PayloadFormat   *int              `json:"payload-format-indicator"`
	Expiry          *int              `json:"message-expiry-interval"`
	ContentType     string            `json:"content-type"`
	ResponseTopic   string            `json:"response-topic"`
	CorrelationData string            `json:"correlation-data"`
	User            map[string]string `json:"user-properties"`
	SubID           json.RawMessage   `json:"subscription-identifier"`
}

func (r received) props(t *testing.T) props {
	t.Helper()
	var p props
	if len(r.Properties) > 0 {
		if err := json.Unmarshal(r.Properties, &p); err != nil {
			t.Fatalf("properties %s: %v", r.Properties, err)
		}
	}
	return p
}

// messages is what a subscriber started with -F %j has printed so far.
func (m *mosq) messages() []received {
	var out []received
	for _, l := range m.output() {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var r received
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			m.t.Fatalf("%s printed %q: %v", m.name, l, err)
		}
		out = append(out, r)
	}
	return out
}

// waitMessage waits for a message whose payload contains payload.
func (m *mosq) waitMessage(payload string) received {
	m.t.Helper()
	deadline := time.After(mosqWait)
	for {
		for _, r := range m.messages() {
			if strings.Contains(r.Payload, payload) {
				return r
			}
		}
		select {
		case <-m.more:
		case <-deadline:
			m.t.Fatalf("%s: no message %q within %v", m.name, payload, mosqWait)
		}
	}
}

// sub starts mosquitto_sub printing JSON and waits for its SUBACK.
func sub(t *testing.T, b *broker.Broker, user string, args ...string) *mosq {
	t.Helper()
	m := runMosq(t, b, "mosquitto_sub", user, append([]string{"-F", "%j"}, args...)...)
	m.waitLine("received SUBACK")
	return m
}

// pub runs mosquitto_pub to completion and fails the test if it fails.
func pub(t *testing.T, b *broker.Broker, user string, args ...string) *mosq {
	t.Helper()
	return pubInput(t, b, "", user, args...)
}

// pubInput is pub with stdin.
func pubInput(t *testing.T, b *broker.Broker, stdin, user string, args ...string) *mosq {
	t.Helper()
	m := runMosqInput(t, b, stdin, "mosquitto_pub", user, args...)
	if err := m.exit(); err != nil {
		t.Fatalf("%s: %v\n%s", m.name, err, strings.Join(m.output(), "\n"))
	}
	return m
}

// pahoPy drives Eclipse paho-mqtt for Python (Debian's python3-paho-mqtt),
// an MQTT 5 client with the subscription options mosquitto_sub lacks. It
// reads commands, one JSON array a line: ["sub", filter, qos, noLocal,
// retainHandling] and ["pub", topic, payload, retain], and prints
// "SUBACK <codes>", "PUBACK", "MSG <topic> <retain> <payload> [alias=N]"
// and the CONNACK's "SERVER KEEPALIVE <seconds>".
const pahoPy = `
import json, sys, threading
import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
host, port, user, keepalive, aliases = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
out = threading.Lock()
def say(*a):
    with out:
        print(*a, flush=True)
c = mqtt.Client(client_id="", protocol=mqtt.MQTTv5)
c.username_pw_set(user, user + "-password")
def connected(c, u, f, rc, p=None):
    if p is not None and hasattr(p, "ServerKeepAlive"):
        say("SERVER KEEPALIVE", p.ServerKeepAlive)
    say("CONNACK", rc)
c.on_connect = connected
c.on_subscribe = lambda c, u, mid, codes, p=None: say("SUBACK", " ".join(str(x) for x in codes))
c.on_publish = lambda c, u, mid: say("PUBACK")
def message(c, u, m):
    alias = getattr(m.properties, "TopicAlias", None)
    say("MSG", m.topic, int(m.retain), m.payload.decode(), *(["alias=%d" % alias] if alias else []))
c.on_message = message
props = Properties(PacketTypes.CONNECT)
if aliases:
    props.TopicAliasMaximum = aliases  # paho 1.6 passes aliases through unresolved
c.connect(host, port, keepalive=keepalive, properties=props)
c.loop_start()
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd[0] == "sub":
        c.subscribe(cmd[1], options=SubscribeOptions(qos=cmd[2], noLocal=cmd[3], retainHandling=cmd[4]))
    elif cmd[0] == "pub":
        c.publish(cmd[1], cmd[2], qos=1, retain=cmd[3])
c.loop_stop()
`

// pyClient is a running pahoPy.
type pyClient struct {
	*mosq
	in *io.PipeWriter
}

func runPahoPy(t *testing.T, b *broker.Broker, user string) *pyClient {
	t.Helper()
	return runPahoPyWith(t, b, user, 60, 0)
}

// runPahoPyWith is runPahoPy asking for a keepalive in seconds and
// accepting up to aliases topic aliases.
func runPahoPyWith(t *testing.T, b *broker.Broker, user string, keepalive, aliases int) *pyClient {
	t.Helper()
	const python = "/usr/bin/python3" // Debian's, where python3-paho-mqtt is
	if err := exec.Command(python, "-c", "import paho.mqtt").Run(); err != nil {
		t.Skip("python3-paho-mqtt not installed (scripts/deps.sh test)")
	}
	host, port, _ := net.SplitHostPort(b.MQTTAddr())
	pr, pw := io.Pipe()
	c := &pyClient{mosq: startProcess(t, "paho-mqtt "+user, pr, python, "-c", pahoPy, host, port, user, strconv.Itoa(keepalive), strconv.Itoa(aliases)), in: pw}
	t.Cleanup(func() { pw.Close() })
	c.waitLine("CONNACK Success")
	return c
}

// do sends one command and waits for the output line it leads to.
func (c *pyClient) do(want string, cmd ...any) {
	c.t.Helper()
	n := c.count(want)
	line, _ := json.Marshal(cmd)
	if _, err := c.in.Write(append(line, '\n')); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.After(mosqWait)
	for c.count(want) == n {
		select {
		case <-c.more:
		case <-deadline:
			c.t.Fatalf("%s: no %q after %s", c.name, want, line)
		}
	}
}
