package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T) (*Handler, *httptest.Server) {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return h, srv
}

func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, b := do(t, http.DefaultClient, req)
	return resp, string(b)
}

// do sends req and reads the whole answer.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestIndexHeaders(t *testing.T) {
	h, srv := serve(t)
	resp, body := fetch(t, srv.URL+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "worker-src 'self' blob:;", "style-src 'self';",
		"connect-src 'self' ws://" + host + " wss://" + host + ";", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q, want no-cache", got)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, `src="/static/`+h.Version()+`/app.js"`) {
		t.Errorf("index does not load the versioned app.js:\n%s", body)
	}
	// The policy forbids inline code, so the page must have none.
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(m, "src=") {
			t.Errorf("inline script %s", m)
		}
	}
	if regexp.MustCompile(`<style|\sstyle=|\son[a-z]+=`).MatchString(body) {
		t.Error("index has inline style or event handlers")
	}
}

func TestHostOutsidePolicy(t *testing.T) {
	_, srv := serve(t)
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Host = "evil.example; script-src *"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "evil") || !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("a strange Host reached the policy: %q", csp)
	}
}

func TestStaticCaching(t *testing.T) {
	h, srv := serve(t)
	base := srv.URL + "/static/" + h.Version()
	for _, c := range []struct{ path, ctype string }{
		{"/app.js", "text/javascript"}, {"/app.css", "text/css"}, {"/vendor/mqtt.min.js", "text/javascript"},
		{"/vendor/mqtt.LICENSE.md", "text/plain"}, {"/pet/walk_0.png", "image/png"}, {"/pet/pet.json", "application/json"},
	} {
		resp, body := fetch(t, base+c.path)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s = %d, %d bytes", c.path, resp.StatusCode, len(body))
			continue
		}
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, c.ctype) {
			t.Errorf("%s Content-Type = %q, want %s", c.path, got, c.ctype)
		}
		if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
			t.Errorf("%s Cache-Control = %q", c.path, got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s lacks the security headers", c.path)
		}
	}
}

func TestNotFound(t *testing.T) {
	h, srv := serve(t)
	for _, p := range []string{
		"/index.html", "/nope", "/static/", "/static/" + h.Version() + "/nope.js",
		"/static/000000000000/app.js", // an older broker's assets
		"/static/" + h.Version() + "/index.html", "/static/" + h.Version() + "/../app.js",
	} {
		if resp, _ := fetch(t, srv.URL+p); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestPetAnimations(t *testing.T) {
	h, srv := serve(t)
	_, body := fetch(t, srv.URL+"/static/"+h.Version()+"/pet/pet.json")
	var anims map[string]struct {
		Loop   bool
		Frames []struct {
			Image string
			MS    int
		}
	}
	if err := json.Unmarshal([]byte(body), &anims); err != nil {
		t.Fatal(err)
	}
	for _, name := range petAnimations {
		a := anims[name]
		if len(a.Frames) == 0 {
			t.Fatalf("%s has no frames in %s", name, body)
		}
		for _, f := range a.Frames {
			if f.MS <= 0 {
				t.Errorf("%s frame %s lasts %d ms", name, f.Image, f.MS)
			}
			if resp, _ := fetch(t, srv.URL+"/static/"+h.Version()+"/pet/"+f.Image); resp.StatusCode != 200 {
				t.Errorf("frame %s = %d", f.Image, resp.StatusCode)
			}
		}
	}
}

// A phone's first visit fetches MQTT.js (342 KB): text assets go gzipped to
// browsers that take it, as they are to the identity; images never are.
func TestStaticGzip(t *testing.T) {
	h, srv := serve(t)
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/static/"+h.Version()+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		return do(t, raw, req)
	}
	for _, path := range []string{"/vendor/mqtt.min.js", "/app.js", "/app.css", "/pet/pet.json"} {
		plain, want := get(path, "")
		if plain.Header.Get("Content-Encoding") != "" || !strings.Contains(plain.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s without Accept-Encoding: encoding %q, Vary %q", path, plain.Header.Get("Content-Encoding"), plain.Header.Get("Vary"))
		}
		for _, accept := range []string{"gzip", "gzip, deflate, br, zstd", "identity, *;q=0.5"} {
			resp, body := get(path, accept)
			if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s with %q: encoding %q, Vary %q", path, accept, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
				continue
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(got, want) || len(body) >= len(want) {
				t.Errorf("%s: gzip of %d bytes gives %d bytes (%v), want the %d plain ones", path, len(body), len(got), err, len(want))
			}
		}
		for _, accept := range []string{"gzip;q=0, identity", "*, gzip; q=0.0", "br"} {
			if resp, _ := get(path, accept); resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("%s: gzip sent for Accept-Encoding %q", path, accept)
			}
		}
	}
	if resp, _ := get("/pet/walk_0.png", "gzip"); resp.Header.Get("Content-Encoding") != "" {
		t.Error("a PNG was gzipped")
	}
}
