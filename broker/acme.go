package broker

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACMEConfig gets certificates automatically from an ACME CA (Let's Encrypt)
// for one domain; tls.acme in configs/broker.yaml documents each key.
type ACMEConfig struct {
	Domain          string `yaml:"domain"`
	Email           string `yaml:"email"`
	CacheDir        string `yaml:"cache_dir"`         // "": acme/ in the data dir
	DirectoryURL    string `yaml:"directory_url"`     // "": Let's Encrypt production
	DirectoryCAFile string `yaml:"directory_ca_file"` // the ACME server's CA, for a private or test CA
	ChallengeAddr   string `yaml:"challenge_addr"`    // HTTP-01 listener; "": TLS-ALPN-01 only
}

// validate checks the ACME keys; cert_file and acme exclude each other.
func (a ACMEConfig) validate(t TLSConfig) error {
	if a.Domain == "" {
		if a.Email != "" || a.CacheDir != "" || a.DirectoryURL != "" || a.DirectoryCAFile != "" {
			return errors.New("tls.acme: set domain (the name clients connect to, e.g. chat.example.com) or remove the other acme keys")
		}
		return nil
	}
	if t.CertFile != "" {
		return errors.New("tls: set either cert_file/key_file or acme.domain, not both")
	}
	d := a.Domain
	if strings.ContainsAny(d, ":/ @") || net.ParseIP(d) != nil || !strings.Contains(strings.Trim(d, "."), ".") || strings.HasSuffix(d, ".") {
		return fmt.Errorf("tls.acme.domain %q: want a host name with a dot and nothing else, e.g. chat.example.com (no scheme, port, path or IP address)", d)
	}
	if a.Email != "" && (!strings.Contains(a.Email, "@") || strings.ContainsAny(a.Email, " :/")) {
		return fmt.Errorf("tls.acme.email %q is not an email address", a.Email)
	}
	if a.DirectoryURL != "" {
		u, err := url.Parse(a.DirectoryURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("tls.acme.directory_url %q: want the https:// URL of an ACME directory", a.DirectoryURL)
		}
	}
	if a.ChallengeAddr != "" {
		if _, _, err := net.SplitHostPort(a.ChallengeAddr); err != nil {
			return fmt.Errorf("tls.acme.challenge_addr %q: want HOST:PORT, e.g. :80 (%v)", a.ChallengeAddr, err)
		}
	}
	return nil
}

// acmeCerts serves certificates that autocert obtains, renews and keeps in
// its cache directory, so a restart reuses them instead of asking again.
type acmeCerts struct {
	m         *autocert.Manager
	domain    string
	directory string
	challenge *http.Server // HTTP-01 answers; nil when challenge_addr is ""
	challLn   net.Listener
	warm      sync.WaitGroup
	mu        sync.Mutex
	have      bool   // a certificate was obtained or found in the cache
	lastErr   string // why not, so far
}

// status is the certificate's readiness check: "ok", or why clients
// cannot connect over TLS yet.
func (a *acmeCerts) status() (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.have:
		return "ok", true
	case a.lastErr != "":
		return "no ACME certificate yet: " + a.lastErr, false
	default:
		return "asking the ACME CA for a certificate", false
	}
}

func newACMECerts(cfg ACMEConfig, dataDir string) (*acmeCerts, error) {
	cache := cmp.Or(cfg.CacheDir, filepath.Join(dataDir, "acme"))
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, fmt.Errorf("tls.acme.cache_dir: %w", err)
	}
	client := &acme.Client{DirectoryURL: cmp.Or(cfg.DirectoryURL, autocert.DefaultACMEDirectory), UserAgent: "tachikoma-broker"}
	if cfg.DirectoryCAFile != "" {
		pem, err := os.ReadFile(cfg.DirectoryCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.acme.directory_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.acme.directory_ca_file %s: no PEM certificate in it", cfg.DirectoryCAFile)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client.HTTPClient = &http.Client{Transport: tr, Timeout: time.Minute}
	}
	a := &acmeCerts{domain: strings.ToLower(cfg.Domain), directory: client.DirectoryURL}
	a.m = &autocert.Manager{
		Prompt:     autocert.AcceptTOS, // configuring tls.acme is the operator's acceptance
		Cache:      autocert.DirCache(cache),
		HostPolicy: a.onlyDomain,
		Email:      cfg.Email,
		Client:     client,
	}
	return a, nil
}

// tlsConfig serves the domain's certificate to every client, also to one
// that connects by IP address or another name (it then fails to verify it,
// as it should), and answers TLS-ALPN-01 challenges.
func (a *acmeCerts) tlsConfig() *tls.Config {
	base := &tls.Config{GetCertificate: a.get, MinVersion: tls.VersionTLS12}
	alpn := base.Clone()
	alpn.NextProtos = []string{acme.ALPNProto}
	// Only a CA's challenge gets the ACME protocol: announcing it to every
	// client would refuse browsers and MQTT clients that offer others.
	base.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if isACMEChallenge(h) {
			return alpn, nil
		}
		return nil, nil
	}
	return base
}

// onlyDomain is autocert's host policy; the HTTP-01 handler hands it the
// Host header, which carries a port when challenge_addr is not port 80.
func (a *acmeCerts) onlyDomain(_ context.Context, host string) error {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !strings.EqualFold(strings.TrimSuffix(host, "."), a.domain) {
		return fmt.Errorf("acme: %q is not tls.acme.domain %q", host, a.domain)
	}
	return nil
}

func isACMEChallenge(h *tls.ClientHelloInfo) bool {
	return len(h.SupportedProtos) == 1 && h.SupportedProtos[0] == acme.ALPNProto
}

func (a *acmeCerts) get(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if !isACMEChallenge(h) && !strings.EqualFold(strings.TrimSuffix(h.ServerName, "."), a.domain) {
		named := *h
		named.ServerName = a.domain
		h = &named
	}
	return a.m.GetCertificate(h)
}

// listenChallenge binds the HTTP-01 listener (before the others, so a taken
// port 80 is an error at start).
func (a *acmeCerts) listenChallenge(addr string, lim LimitsConfig) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tls.acme.challenge_addr: %w", err)
	}
	a.challLn = ln
	// Anything but a challenge is redirected to https.
	a.challenge = &http.Server{Handler: a.m.HTTPHandler(nil), ReadHeaderTimeout: time.Duration(lim.HTTPReadTimeout),
		ReadTimeout: time.Duration(lim.HTTPReadTimeout), WriteTimeout: time.Duration(lim.HTTPWriteTimeout),
		IdleTimeout: time.Duration(lim.HTTPIdleTimeout), MaxHeaderBytes: 16 << 10}
	return nil
}

// ChallengeAddr is the bound HTTP-01 listener's address ("" when off).
func (b *Broker) ChallengeAddr() string {
	if b.acme == nil || b.acme.challLn == nil {
		return ""
	}
	return b.acme.challLn.Addr().String()
}

// startACME serves challenges and asks for the certificate now, so that the
// first client does not wait for it; a failure is retried with backoff until
// it works (the CA limits how often one may fail, so not faster).
func (b *Broker) startACME() {
	a := b.acme
	if a.challenge != nil {
		go func() {
			if err := a.challenge.Serve(a.challLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				b.log.Error("acme challenge listener", "error", err)
			}
		}()
	}
	hello := &tls.ClientHelloInfo{ServerName: a.domain, SupportedCurves: []tls.CurveID{tls.CurveP256},
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		CipherSuites:     []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
	a.warm.Add(1)
	go func() {
		defer a.warm.Done()
		for wait := time.Minute; ; wait = min(2*wait, time.Hour) {
			cert, err := a.m.GetCertificate(hello)
			a.mu.Lock()
			if a.have = err == nil; err != nil {
				a.lastErr = err.Error()
			}
			a.mu.Unlock()
			if err == nil {
				if cert.Leaf != nil {
					b.log.Info("acme certificate ready", "domain", a.domain, "expires", cert.Leaf.NotAfter.Format(time.RFC3339))
				}
				return
			}
			b.log.Error("acme: no certificate yet; clients cannot connect over TLS until there is one. Check that the domain's DNS points here and that challenge_addr (port 80) or port 443 is reachable from the internet",
				"domain", a.domain, "directory", a.directory, "error", err, "retry_in", wait)
			select {
			case <-b.stop:
				return
			case <-time.After(wait):
			}
		}
	}()
}

// closeACME stops the challenge listener; an issuance under way is given a
// few seconds to finish writing its cache.
func (a *acmeCerts) close() {
	if a.challenge != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = a.challenge.Shutdown(ctx)
		cancel()
		_ = a.challLn.Close() // when Start failed before serving it
	}
	done := make(chan struct{})
	go func() { a.warm.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}
