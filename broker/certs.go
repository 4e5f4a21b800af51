package broker

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// certReloader serves the TLS certificate from its files and loads them again
// when they change (a renewal by certbot or an ACME client) or on ReloadTLS,
// so a renewed certificate needs no restart. New handshakes get the new one.
type certReloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
	mu                sync.Mutex
	stamp             string // the files' sizes and times when last loaded
	lastErr           string // the last failure logged, not to log it each second
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if _, err := r.reload(true); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.cert.Load(), nil }

// fileStamp identifies the files' current contents cheaply.
func (r *certReloader) fileStamp() string {
	s := ""
	for _, f := range []string{r.certFile, r.keyFile} {
		if fi, err := os.Stat(f); err == nil {
			s += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
		} else {
			s += "missing;"
		}
	}
	return s
}

// reload loads the files when they changed since the last load (or always,
// with force). A pair that does not load (a renewal half written, a wrong
// key) leaves the current certificate in use and is an error.
func (r *certReloader) reload(force bool) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stamp := r.fileStamp()
	if !force && stamp == r.stamp {
		return false, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return false, fmt.Errorf("tls: %w", err)
	}
	r.cert.Store(&cert)
	r.stamp, r.lastErr = stamp, ""
	return true, nil
}

// ReloadTLS loads the certificate files again now (serve calls it on
// SIGHUP); the current certificate stays if they do not load.
func (b *Broker) ReloadTLS() error {
	if b.certs == nil {
		return nil
	}
	if _, err := b.certs.reload(true); err != nil {
		return err
	}
	b.log.Info("tls certificate reloaded", "cert", b.cfg.TLS.CertFile)
	return nil
}

// watchCerts is run every second: it reloads changed certificate files.
func (b *Broker) watchCerts() {
	changed, err := b.certs.reload(false)
	switch {
	case changed:
		b.log.Info("tls certificate reloaded: the files changed", "cert", b.cfg.TLS.CertFile)
	case err != nil:
		b.certs.mu.Lock()
		fresh := err.Error() != b.certs.lastErr
		b.certs.lastErr = err.Error()
		b.certs.mu.Unlock()
		if fresh {
			b.log.Error("tls certificate files changed but do not load; still serving the previous certificate", "error", err)
		}
	}
}
