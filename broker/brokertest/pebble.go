package brokertest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Pebble is a running pebble, Let's Encrypt's test ACME server.
type Pebble struct {
	DirectoryURL string         // give to tls.acme.directory_url
	CAFile       string         // the directory's TLS CA, for tls.acme.directory_ca_file
	Roots        *x509.CertPool // the CA pebble issues under; clients trust it
	cmd          *exec.Cmd
	log          string // pebble's output
}

// PebbleOptions say where pebble validates challenges: every name resolves
// to Addr, HTTP-01 is fetched from its HTTPPort, TLS-ALPN-01 from TLSPort.
type PebbleOptions struct {
	Addr             string
	HTTPPort         int
	TLSPort          int
	ManagementListen string // "": 127.0.0.1 on a free port
}

// FreePort returns a loopback TCP port free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// goTool runs the go command of the module's toolchain.
func goTool(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.TrimSpace(string(out))
}

// StartPebble builds pebble (the module's tool, pinned in go.mod) and runs it
// on loopback with a DNS server of its own, until the test ends.
func StartPebble(t testing.TB, o PebbleOptions) *Pebble {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "pebble")
	goTool(t, "build", "-o", bin, "github.com/letsencrypt/pebble/v2/cmd/pebble")
	mod := goTool(t, "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2")

	dnsAddr := startDNS(t, o.Addr)
	listen := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	mgmt := o.ManagementListen
	if mgmt == "" {
		mgmt = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	}
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": filepath.Join(mod, "test/certs/localhost/cert.pem"),
		"privateKey":  filepath.Join(mod, "test/certs/localhost/key.pem"),
		"httpPort":    o.HTTPPort, "tlsPort": o.TLSPort, "ocspResponderURL": "",
		"externalAccountBindingRequired": false, "keyAlgorithm": "ecdsa",
	}}
	b, _ := json.Marshal(conf)
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Pebble{DirectoryURL: "https://" + listen + "/dir", CAFile: filepath.Join(mod, "test/certs/pebble.minica.pem"),
		log: filepath.Join(dir, "pebble.log")}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // pebble has its own descriptor
	p.cmd = exec.Command(bin, "-config", confFile, "-dnsserver", dnsAddr)
	// No waiting before validation, no nonces refused at random, no
	// authorizations reused: each run validates its challenge for real.
	p.cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("pebble's log:\n%s", p.Log())
		}
	})

	pem, err := os.ReadFile(p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// The root is made at start; the management port serves it once up.
	var root []byte
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := hc.Get("https://" + mgmt + "/roots/0"); err == nil {
			root, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble not serving after a minute:\n%s", p.Log())
		}
	}
	p.Roots = x509.NewCertPool()
	if !p.Roots.AppendCertsFromPEM(root) {
		t.Fatalf("pebble's root is not PEM: %q", root)
	}
	return p
}

// Stop ends pebble (the test's end does too).
func (p *Pebble) Stop() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// Log is what pebble printed so far.
func (p *Pebble) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// startDNS answers every A query with addr and every other one with no
// records, on a TCP and UDP port of its own.
func startDNS(t testing.TB, addr string) string {
	t.Helper()
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() == nil {
		t.Fatalf("dns: %q is not an IPv4 address", addr)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, qq := range q.Question {
			if qq.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: ip})
			}
		}
		_ = w.WriteMsg(m)
	})
	// pebble asks over TCP; UDP on the same port for anything else.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", ln.Addr().String())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	for _, srv := range []*dns.Server{{Listener: ln, Handler: handler}, {PacketConn: pc, Handler: handler}} {
		go func() { _ = srv.ActivateAndServe() }()
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return ln.Addr().String()
}
