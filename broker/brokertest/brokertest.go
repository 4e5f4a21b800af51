// Package brokertest runs a real broker on loopback for other packages'
// tests (the broker's own, the pet's chat client, hosting, the GUI tests).
package brokertest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/password"
)

// FastHash makes password hashing cheap in tests; never use it elsewhere.
var FastHash = password.Params{Memory: 64, Time: 1, Threads: 1}

// Config is the default configuration with every listener on a free
// loopback port and data in dir.
func Config(dir string) broker.Config {
	cfg := broker.DefaultConfig()
	cfg.DataDir = dir
	cfg.MQTTAddr, cfg.WSAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.LogLevel = "warn"
	return cfg
}

// Logger writes records at level and above to the test's output until the
// test ends; testing panics on a write after that, which a listener's
// goroutine logging its last accept error would otherwise cause.
func Logger(t testing.TB, level slog.Level) *slog.Logger {
	w := &testOutput{w: t.Output()}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testOutput struct {
	mu    sync.Mutex
	w     io.Writer
	ended bool
}

func (o *testOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ended {
		return len(p), nil
	}
	return o.w.Write(p)
}

func (o *testOutput) close() {
	o.mu.Lock()
	o.ended = true
	o.mu.Unlock()
}

// Start runs a broker until the test ends (or it is closed earlier).
func Start(t testing.TB, cfg broker.Config, log *slog.Logger) *broker.Broker {
	t.Helper()
	return StartWith(t, cfg, broker.Options{Logger: log})
}

// StartWith is Start with options; the password cost is FastHash unless
// opt sets one.
func StartWith(t testing.TB, cfg broker.Config, opt broker.Options) *broker.Broker {
	t.Helper()
	if opt.PasswordCost == nil {
		opt.PasswordCost = &FastHash
	}
	b, err := broker.New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		b.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Register creates accounts whose password is the name + "-password".
func Register(t testing.TB, b *broker.Broker, users ...string) {
	t.Helper()
	for _, u := range users {
		if err := b.Register(context.Background(), u, u+"-password", ""); err != nil {
			t.Fatalf("register %s: %v", u, err)
		}
	}
}

// SelfSigned writes a certificate for 127.0.0.1 and its key into a
// temporary directory, and returns their paths and a pool that trusts it.
func SelfSigned(t testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	return SelfSignedFor(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// SelfSignedFor is SelfSigned with a certificate valid from notBefore to notAfter.
func SelfSignedFor(t testing.TB, notBefore, notAfter time.Time) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tachikoma-test"},
		NotBefore: notBefore, NotAfter: notAfter,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
