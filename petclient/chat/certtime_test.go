package chat

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certFor writes a self-signed certificate for 127.0.0.1 valid from
// notBefore to notAfter, and its key.
func certFor(t *testing.T, notBefore, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "tachikoma-test"},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestExpiredCertificateMessage: a server whose certificate expired, or is
// not valid yet, gets a message that says which and what to do.
func TestExpiredCertificateMessage(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		from, until time.Time
		want        string
	}{
		{now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), "expired on " + now.Add(-24*time.Hour).Format("2006-01-02")},
		{now.Add(24 * time.Hour), now.Add(48 * time.Hour), "only valid from " + now.Add(24*time.Hour).Format("2006-01-02") + ": check this computer's date"},
	} {
		cfg := brokerConfig(t.TempDir())
		cfg.TLS.CertFile, cfg.TLS.KeyFile = certFor(t, c.from, c.until)
		b := startBroker(t, cfg)
		register(t, b, "alice")
		cl := clientConfig(b, "alice", "")
		cl.Server, cl.TLS.CAFile = "mqtts://"+b.MQTTAddr(), cfg.TLS.CertFile
		err := connectErr(t, cl)
		if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("certificate valid %s to %s: %v, want %q", c.from.Format(time.DateOnly), c.until.Format(time.DateOnly), err, c.want)
		}
		b.Close()
	}
}
