package broker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker/password"
)

// Registrations hash passwords in the same bounded slots as logins, and
// are answered 503 rather than queued when all are taken.
func TestRegistrationWaitsForAHashingSlot(t *testing.T) {
	b := newListenerlessBroker(t)
	for range cap(b.hashSlot) {
		b.hashSlot <- struct{}{}
	}
	req := httptest.NewRequest("POST", "/api/v1/register", strings.NewReader(`{"username":"dave","password":"davepass1"}`))
	req.RemoteAddr = "192.0.2.1:5000"
	rec := httptest.NewRecorder()
	b.httpHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("register with every hashing slot taken: %d %s", rec.Code, rec.Body)
	}
	if _, ok := b.dir.User("dave"); ok {
		t.Fatal("account created anyway")
	}
}

// newListenerlessBroker is a broker with cheap password hashing and no
// listeners, for tests that call into it directly; it closes with the test.
func newListenerlessBroker(t *testing.T) *Broker {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir, cfg.MQTTAddr, cfg.WSAddr, cfg.HTTPAddr = t.TempDir(), "", "", ""
	b, err := New(cfg, Options{PasswordCost: &password.Params{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// The per-address registration limit covers an IPv6 /64, which one
// household or rented server gets whole: fresh addresses in it share it.
func TestRegistrationLimitCoversIPv6Slash64(t *testing.T) {
	b := newListenerlessBroker(t)
	post := func(remote string) int {
		req := httptest.NewRequest("POST", "/api/v1/register", strings.NewReader(`not json`))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		b.httpHandler().ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range b.cfg.Registration.PerMinute {
		if code := post(fmt.Sprintf("[2001:db8:0:1::%x]:5000", i+1)); code != http.StatusBadRequest {
			t.Fatalf("attempt %d: %d, want 400", i+1, code)
		}
	}
	if code := post("[2001:db8:0:1:ffff::1]:5000"); code != http.StatusTooManyRequests {
		t.Fatalf("another address of the same /64: %d, want 429", code)
	}
	if code := post("[2001:db8:0:2::1]:5000"); code != http.StatusBadRequest {
		t.Fatalf("an address of another /64: %d, want 400", code)
	}
}
