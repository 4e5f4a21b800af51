package broker_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/broker"
)

// A body trickled in slower than http_read_timeout allows is cut off, however
// steadily it keeps coming.
func TestSlowHTTPBodyIsCutOff(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Limits.HTTPReadTimeout = broker.Duration(300 * time.Millisecond)
	b := startBroker(t, cfg)
	c, err := net.Dial("tcp", b.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("POST /api/v1/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a byte every 50 ms, as a slow-body attack sends them
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	// Generous: the point is that it ends at all (it never did).
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("slow body answered %d", resp.StatusCode)
		}
		return
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a body trickling in was still being read after 15 s")
	}
}

func TestHTTPBodyLimit(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	body := `{"username":"dave","password":"` + strings.Repeat("x", 5000) + `"}`
	if code, msg := post(t, "http://"+b.HTTPAddr()+"/api/v1/register", body); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 KB body answered %d %s", code, msg)
	}
}

// A body that is not UTF-8 (a password typed in a GBK terminal) is refused:
// decoded, its bytes would become U+FFFD, and the account would be created
// with a password its owner can never send again.
func TestRegisterRefusesInvalidUTF8(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	gbk := "\xc3\xdc\xc2\xeb\xc3\xdc\xc2\xeb\xc3\xdc\xc2\xeb" // 密码密码密码 in GBK
	for _, body := range []string{
		`{"username":"dave","password":"` + gbk + `"}`,
		`{"username":"dave","password":"longpassword","nickname":"` + gbk + `"}`,
	} {
		code, msg := post(t, "http://"+b.HTTPAddr()+"/api/v1/register", body)
		if code != http.StatusBadRequest || !strings.Contains(msg, "UTF-8") {
			t.Fatalf("body %q answered %d %s, want 400 naming UTF-8", body, code, msg)
		}
	}
	if _, err := dial(t, "tcp://"+b.MQTTAddr(), "dave", strings.Repeat("\ufffd", 12), "x"); err == nil {
		t.Fatal("an account was made whose password is the body's bytes replaced by U+FFFD")
	}
}
