package broker_test

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker/brokertest"
)

// servedCert returns the DER of the certificate the broker's TLS listener at
// addr presents to a new connection.
func servedCert(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("tls dial %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

func certDER(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	return blk.Bytes
}

func copyPair(t *testing.T, certFrom, keyFrom, certTo, keyTo string) {
	t.Helper()
	for from, to := range map[string]string{certFrom: certTo, keyFrom: keyTo} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		// Written beside and renamed, as certbot and ACME clients do.
		if err := os.WriteFile(to+".new", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(to+".new", to); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTLSCertificateReload renews the certificate files under a running
// broker: new connections get the new certificate without a restart, a
// broken pair keeps the old one in service, and ReloadTLS reports it.
func TestTLSCertificateReload(t *testing.T) {
	certA, keyA, _ := brokertest.SelfSigned(t)
	certB, keyB, _ := brokertest.SelfSigned(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	copyPair(t, certA, keyA, cert, key)
	cfg := testConfig(t.TempDir())
	cfg.TLS.CertFile, cfg.TLS.KeyFile = cert, key
	b := startBroker(t, cfg)
	if !bytes.Equal(servedCert(t, b.MQTTAddr()), certDER(t, certA)) {
		t.Fatal("the broker does not serve the configured certificate")
	}

	copyPair(t, certB, keyB, cert, key)
	for deadline := time.Now().Add(30 * time.Second); !bytes.Equal(servedCert(t, b.MQTTAddr()), certDER(t, certB)); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("renewed certificate files not served after 30 s")
		}
	}
	if !bytes.Equal(servedCert(t, b.WSAddr()), certDER(t, certB)) {
		t.Error("the WebSocket listener serves an old certificate")
	}

	// A key that does not match: the broker keeps serving B.
	copyPair(t, certA, keyB, cert, key)
	if err := b.ReloadTLS(); err == nil {
		t.Error("ReloadTLS accepted a certificate with another key")
	}
	if !bytes.Equal(servedCert(t, b.MQTTAddr()), certDER(t, certB)) {
		t.Error("a broken renewal replaced the working certificate")
	}
	copyPair(t, certA, keyA, cert, key)
	if err := b.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(servedCert(t, b.MQTTAddr()), certDER(t, certA)) {
		t.Error("ReloadTLS did not load the new files")
	}
}

// TestHTTPSWithTLS: with a certificate configured the HTTP API is served
// over https (as the pet expects), plain http is refused, and the API's
// certificate follows renewals too.
func TestHTTPSWithTLS(t *testing.T) {
	cert, key, pool := brokertest.SelfSigned(t)
	cfg := testConfig(t.TempDir())
	cfg.TLS.CertFile, cfg.TLS.KeyFile = cert, key
	b := startBroker(t, cfg)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := hc.Post("https://"+b.HTTPAddr()+"/api/v1/register", "application/json",
		strings.NewReader(`{"username":"alice","password":"correct-horse","nickname":"爱丽丝"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("https register: %d", resp.StatusCode)
	}
	if code, body := getBody(t, "http://"+b.HTTPAddr()+"/healthz"); code != http.StatusBadRequest || !strings.Contains(body, "HTTPS") {
		t.Errorf("plain http to the TLS API: %d %q", code, body)
	}
	if !bytes.Equal(servedCert(t, b.HTTPAddr()), certDER(t, cert)) {
		t.Error("the HTTP API serves another certificate")
	}
}
