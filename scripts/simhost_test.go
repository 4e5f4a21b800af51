package scripts_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// simHost is a simulated cloud host: a network namespace with its own
// address, reached from this one over a veth pair, and a private mount
// namespace in which /etc, /usr/local and /var/lib are overlays, so that
// installing there (files, a system user) leaves this machine untouched.
type simHost struct {
	t      *testing.T
	Addr   string // the host's address, as a friend's computer dials it
	ns     string
	holder *exec.Cmd // keeps the mount namespace alive
}

// hostPATH is a Debian root shell's PATH, so the guide's bare command names work.
const hostPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// newSimHost makes the host; everything is undone when the test ends, also on failure.
func newSimHost(t *testing.T) *simHost {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: the simulated cloud host needs root (network namespace, overlay mounts, a system user)")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("skipped: ip netns is unavailable here (Debian: iproute2): %v %s", err, out)
	}
	for _, tool := range []string{"nsenter", "unshare", "setpriv", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (Debian: util-linux)", tool)
		}
	}
	// 198.18.0.0/15 is reserved for network tests (RFC 2544); take a /30
	// no interface of this machine uses.
	taken, _ := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	var sub string
	for range 100 {
		sub = fmt.Sprintf("198.%d.%d.", 18+mrand.IntN(2), mrand.IntN(256))
		if !bytes.Contains(taken, []byte(" "+sub)) {
			break
		}
	}
	tag := fmt.Sprintf("%06x", mrand.IntN(1<<24))
	h := &simHost{t: t, Addr: sub + "2", ns: "tkhost-" + tag}
	outer, inner := "tkh"+tag+"a", "tkh"+tag+"b"
	h.sh("ip", "netns", "add", h.ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", h.ns).Run() }) // removes the veth pair with it
	h.sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
	t.Cleanup(func() { exec.Command("ip", "link", "del", outer).Run() })
	h.sh("ip", "link", "set", inner, "netns", h.ns)
	h.sh("ip", "addr", "add", sub+"1/30", "dev", outer)
	h.sh("ip", "link", "set", outer, "up")
	h.sh("ip", "-n", h.ns, "addr", "add", sub+"2/30", "dev", inner)
	h.sh("ip", "-n", h.ns, "link", "set", inner, "up")
	h.sh("ip", "-n", h.ns, "link", "set", "lo", "up")

	overlays := `set -e
mount -t tmpfs tachikoma-simhost /mnt
for d in etc usr/local var/lib; do
  n=$(echo "$d" | tr / _); mkdir -p "/mnt/$n/up" "/mnt/$n/work"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=/mnt/$n/up,workdir=/mnt/$n/work" "/$d"
done
echo ready
exec sleep 86400`
	h.holder = exec.Command("ip", "netns", "exec", h.ns, "unshare", "--mount", "--propagation", "private", "sh", "-c", overlays)
	stdout, _ := h.holder.StdoutPipe()
	var stderr bytes.Buffer
	h.holder.Stderr = &stderr
	if err := h.holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.holder.Process.Kill(); h.holder.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		h.holder.Wait()
		t.Fatalf("the simulated host's mounts failed: %q %s", line, stderr.String())
	}
	return h
}

// sh runs a command in this (the default) namespace.
func (h *simHost) sh(name string, args ...string) {
	h.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		h.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// Command is a command run as root on the host (its network and files).
func (h *simHost) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"-t", fmt.Sprint(h.holder.Process.Pid), "-m", "-n", "--", name}, args...)...)
	cmd.Env = []string{"PATH=" + hostPATH, "HOME=/root", "LANG=C.UTF-8"}
	return cmd
}

// Run runs a command on the host with stdin and returns its output.
func (h *simHost) Run(stdin string, name string, args ...string) string {
	h.t.Helper()
	cmd := h.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("on the host: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Path is where the host's file p is seen from here.
func (h *simHost) Path(p string) string {
	return filepath.Join(fmt.Sprintf("/proc/%d/root", h.holder.Process.Pid), p)
}

// unit is what the test takes from the systemd unit to run the broker as systemd would.
type unit struct {
	User, Group, UMask string
	ExecStart          []string
}

func parseUnit(t *testing.T, text string) unit {
	t.Helper()
	var u unit
	for _, line := range strings.Split(text, "\n") {
		key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		switch key {
		case "User":
			u.User = val
		case "Group":
			u.Group = val
		case "UMask":
			u.UMask = val
		case "ExecStart":
			// The unit's line has no quoting; a quote would need systemd's rules.
			if strings.ContainsAny(val, `"'\$%`) {
				t.Fatalf("ExecStart %q needs systemd's quoting rules, which this test does not apply", val)
			}
			u.ExecStart = strings.Fields(val)
		}
	}
	if u.User == "" || u.Group == "" || len(u.ExecStart) == 0 {
		t.Fatalf("unit lacks User, Group or ExecStart:\n%s", text)
	}
	return u
}

// service is the broker running on the host as the unit starts it.
type service struct {
	h   *simHost
	u   unit
	cmd *exec.Cmd
	log outFile
}

// Start runs ExecStart as the unit's user and group, with its umask, no
// new privileges and no capabilities (the unit's CapabilityBoundingSet=).
func (s *service) Start() {
	s.h.t.Helper()
	args := []string{"--reuid=" + s.u.User, "--regid=" + s.u.Group, "--init-groups", "--no-new-privs",
		"--inh-caps=-all", "--bounding-set=-all", "--", "sh", "-c", `umask "$0" && exec "$@"`, s.u.UMask}
	s.cmd = s.h.Command("setpriv", append(args, s.u.ExecStart...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log.f, s.log.f
	if err := s.cmd.Start(); err != nil {
		s.h.t.Fatal(err)
	}
	cmd := s.cmd
	s.h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

// Kill9 is kill -9 of the broker's process (nsenter and setpriv exec it).
func (s *service) Kill9() {
	s.h.t.Helper()
	s.h.sh("kill", "-9", fmt.Sprint(s.cmd.Process.Pid))
	s.cmd.Wait()
}

// outFile is a command's output as a file: the command writes it directly,
// the test reads it whenever it likes.
type outFile struct{ f *os.File }

func newOutFile(t *testing.T) outFile {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return outFile{f}
}

func (o outFile) String() string {
	b, _ := os.ReadFile(o.f.Name())
	return string(b)
}

// setYAML replaces the value of the first line setting key in an example config.
func setYAML(t *testing.T, conf, key, value string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(\s*` + regexp.QuoteMeta(key) + `:).*$`)
	loc := re.FindStringSubmatchIndex(conf)
	if loc == nil {
		t.Fatalf("the example config has no %s:", key)
	}
	return conf[:loc[3]] + " " + value + conf[loc[1]:]
}

// testCA is a certificate authority of the test's own.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(mrand.Int64()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf issues a server certificate for ip, valid from notBefore to notAfter,
// as fullchain and private key PEM.
func (ca *testCA) leaf(t *testing.T, ip string, notBefore, notAfter time.Time) (chain, key []byte) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(mrand.Int64()), Subject: pkix.Name{CommonName: ip},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP(ip)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &k.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	chain = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.PEM...)
	return chain, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// goTool is the go command that runs this test, for dist.sh.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(g); err == nil {
			return g
		}
	}
	return "go"
}

// buildDist runs make dist's script for this machine's architecture and
// unpacks the archive, as the guide does; it returns the unpacked folder.
func buildDist(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("./dist.sh", version, runtime.GOARCH)
	cmd.Env = append(os.Environ(), "DIST_DIR="+dir, "GO="+goTool())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, out)
	}
	name := "tachikoma-broker_" + version + "_linux_" + runtime.GOARCH
	if out, err := exec.Command("tar", "-C", dir, "-xzf", filepath.Join(dir, name+".tar.gz")).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return filepath.Join(dir, name)
}

// waitUntil polls cond every interval until it holds or within passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
