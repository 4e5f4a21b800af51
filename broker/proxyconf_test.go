package broker_test

import (
	"context"
	"crypto/tls"
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

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
	"github.com/tachikoma-pet/tachikoma/topics"
)

// The snippets' essential lines: without them WebSocket upgrades or the
// client's address are lost.
func TestReverseProxySnippetsLint(t *testing.T) {
	for file, want := range map[string][]string{
		"../configs/nginx-tachikoma.conf": {"location = /mqtt", "proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
			"proxy_set_header Connection $tachikoma_connection;", "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
			"proxy_read_timeout 1h;", "server 127.0.0.1:8080;", "trusted_proxies: [\"127.0.0.1/32\", \"::1/128\"]"},
		"../configs/Caddyfile": {"reverse_proxy 127.0.0.1:8080", "trusted_proxies: [\"127.0.0.1/32\", \"::1/128\"]"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
}

// proxyRun is a reverse proxy started from one of the snippets in configs/.
type proxyRun struct {
	base string // http(s)://host:port
	ws   string // ws(s)://host:port/mqtt
	tls  *tls.Config
}

func startNginx(t *testing.T, upstream string) proxyRun {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed (scripts/deps.sh test installs it)")
	}
	dir := t.TempDir()
	certFile, keyFile, pool := brokertest.SelfSigned(t)
	site, err := os.ReadFile("../configs/nginx-tachikoma.conf")
	if err != nil {
		t.Fatal(err)
	}
	https, plain := brokertest.FreePort(t), brokertest.FreePort(t)
	conf := string(site)
	for old, new := range map[string]string{
		"listen 443 ssl;": fmt.Sprintf("listen 127.0.0.1:%d ssl;", https), "listen [::]:443 ssl;": "",
		"listen 80;": fmt.Sprintf("listen 127.0.0.1:%d;", plain), "listen [::]:80;": "",
		"/etc/letsencrypt/live/chat.example.com/fullchain.pem": certFile,
		"/etc/letsencrypt/live/chat.example.com/privkey.pem":   keyFile,
		"server 127.0.0.1:8080;":                               "server " + upstream + ";",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("configs/nginx-tachikoma.conf has no %q", old)
		}
		conf = strings.ReplaceAll(conf, old, new)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	main := fmt.Sprintf(`%s
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include %[2]s/site.conf;
}
`, user, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	startProxy(t, dir, exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf")), https)
	return proxyRun{base: fmt.Sprintf("https://127.0.0.1:%d", https), ws: fmt.Sprintf("wss://127.0.0.1:%d/mqtt", https),
		tls: &tls.Config{RootCAs: pool}}
}

func startCaddy(t *testing.T, upstream string) proxyRun {
	bin, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy is not installed")
	}
	dir := t.TempDir()
	site, err := os.ReadFile("../configs/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	port := brokertest.FreePort(t)
	conf := string(site)
	for old, new := range map[string]string{
		"chat.example.com {": fmt.Sprintf("http://127.0.0.1:%d {", port), "reverse_proxy 127.0.0.1:8080": "reverse_proxy " + upstream,
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("configs/Caddyfile has no %q", old)
		}
		conf = strings.ReplaceAll(conf, old, new)
	}
	conf = "{\n\tadmin off\n\tauto_https off\n}\n" + conf
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--adapter", "caddyfile", "--config", file)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	startProxy(t, dir, cmd, port)
	return proxyRun{base: fmt.Sprintf("http://127.0.0.1:%d", port), ws: fmt.Sprintf("ws://127.0.0.1:%d/mqtt", port)}
}

// startProxy runs cmd until the test ends, once it listens on port.
func startProxy(t *testing.T, dir string, cmd *exec.Cmd, port int) {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, "proxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log.Close()
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			errs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("proxy output:\n%s%s", out, errs)
		}
	})
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy does not listen on %d after a minute", port)
		}
	}
}

// TestReverseProxies runs nginx and Caddy with the snippets in configs/ in
// front of the broker: the web client, registration and MQTT over
// WebSocket work through them, and the client (on 127.0.0.2, untrusted)
// cannot pick its address for the limits with a forged X-Forwarded-For.
func TestReverseProxies(t *testing.T) {
	for name, start := range map[string]func(*testing.T, string) proxyRun{"nginx": startNginx, "caddy": startCaddy} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			cfg.WSAddr = ""
			cfg.HTTP.TrustedProxies = []string{"127.0.0.1/32"}
			cfg.Registration.PerMinute = 1
			b := startBroker(t, cfg)
			p := start(t, b.HTTPAddr())

			from := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: waitFor}
			hc := &http.Client{Timeout: waitFor, Transport: &http.Transport{TLSClientConfig: p.tls,
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					return from.DialContext(ctx, network, addr)
				}}}
			do := func(method, path, xff, body string) (int, string) {
				r, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
				if xff != "" {
					r.Header.Set("X-Forwarded-For", xff)
				}
				resp, err := hc.Do(r)
				if err != nil {
					t.Fatalf("%s %s through %s: %v", method, path, name, err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, body := do("GET", "/", "", ""); code != 200 || !strings.Contains(body, "<html") {
				t.Errorf("web client through %s: %d %.200s", name, code, body)
			}
			reg := func(user, xff string) int {
				code, _ := do("POST", "/api/v1/register", xff, `{"username":"`+user+`","password":"correct horse battery"}`)
				return code
			}
			if code := reg("alice", "198.51.100.1"); code != http.StatusCreated {
				t.Fatalf("registration through %s: %d", name, code)
			}
			if code := reg("bob", "198.51.100.2"); code != http.StatusTooManyRequests {
				t.Errorf("a forged X-Forwarded-For through %s got around the per-address limit: %d", name, code)
			}

			c, err := dial(t, p.ws, "alice", "correct horse battery", "proxy-"+name,
				func(o *paho.ClientOptions) { o.SetTLSConfig(p.tls) })
			if err != nil {
				t.Fatalf("MQTT over WebSocket through %s: %v", name, err)
			}
			c.sub(topics.Room(topics.Lobby))
			c.pub(topics.Room(topics.Lobby), 1, "穿过代理")
			if m := c.expectChat(topics.Room(topics.Lobby)); m.Text != "穿过代理" {
				t.Fatalf("through %s: got %q", name, m.Text)
			}
		})
	}
}
