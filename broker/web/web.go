// Package web serves the browser client (the web pet) from the broker's
// HTTP listener: one page, its script and style, MQTT.js and the frames of
// the built-in sprite pack, all embedded in the binary.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/assets"
)

//go:embed static
var static embed.FS

// petPack is the sprite pack the page shows, at 2x so it stays sharp on
// phones and high-density screens.
const (
	petPack  = "tachikoma"
	petScale = "2x"
)

// petAnimations are the ones the page's pet plays.
var petAnimations = []string{"stand", "walk", "sit", "sleep", "jump", "drag"}

// Handler serves the page at "/" and its assets under "/static/VERSION/",
// where VERSION is a hash of everything embedded, so that assets can be
// cached for good and a new broker invalidates them.
type Handler struct {
	load func() (*content, error)
}

// content is what the handler serves, read from the embedded files.
type content struct {
	version string
	index   []byte
	files   map[string][]byte // asset path below /static/VERSION/ -> content
	gzipped map[string][]byte // the text assets compressed, for browsers that take gzip
}

// New returns the handler; the files are read on its first use, as a pet
// hosting the broker would otherwise copy and hash them at every start for
// a page that is rarely opened.
func New() (*Handler, error) {
	return &Handler{load: sync.OnceValues(readContent)}, nil
}

// readContent reads the embedded files; an error means they are broken.
func readContent() (*content, error) {
	h := &content{files: map[string][]byte{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "static/index.html" {
			return err
		}
		b, err := static.ReadFile(p)
		h.files[strings.TrimPrefix(p, "static/")] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := h.addPet(assets.Packs()); err != nil {
		return nil, err
	}
	sum := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(h.files)) {
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(h.files[name]))
		sum.Write(h.files[name])
	}
	h.version = hex.EncodeToString(sum.Sum(nil))[:12]
	if h.gzipped, err = compress(h.files); err != nil {
		return nil, err
	}
	// A plain replacement, not html/template: its reflection makes the linker
	// keep every method of every type, which bloats the pet that links this.
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		return nil, err
	}
	h.index = bytes.ReplaceAll(page, []byte("{{.Static}}"), []byte("/static/"+h.version))
	return h, nil
}

// compress gzips the text files, once, at the best level.
func compress(files map[string][]byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, b := range files {
		if !strings.HasPrefix(contentType(name), "text/") && path.Ext(name) != ".json" {
			continue
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(b); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if buf.Len() < len(b) {
			out[name] = buf.Bytes()
		}
	}
	return out, nil
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// (RFC 9110 section 12.5.3: named, or "*", with a weight above 0).
func acceptsGzip(r *http.Request) bool {
	star := false
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}

func contentType(name string) string {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" || strings.HasSuffix(name, ".md") {
		ctype = "text/plain; charset=utf-8"
	}
	return ctype
}

type packManifest struct {
	Animations map[string]struct {
		Loop   bool `yaml:"loop" json:"loop"`
		Frames []struct {
			Image      string `yaml:"image" json:"image"`
			DurationMS int    `yaml:"duration_ms" json:"ms"`
		} `yaml:"frames" json:"frames"`
	} `yaml:"animations"`
}

// addPet adds the pet's frames and pet.json, the animations the page plays.
func (h *content) addPet(packs fs.FS) error {
	raw, err := fs.ReadFile(packs, path.Join(petPack, "pack.yaml"))
	if err != nil {
		return err
	}
	var man packManifest
	if err := yaml.Unmarshal(raw, &man); err != nil {
		return fmt.Errorf("pack %s: %w", petPack, err)
	}
	out := map[string]any{}
	for _, name := range petAnimations {
		a, ok := man.Animations[name]
		if !ok || len(a.Frames) == 0 {
			return fmt.Errorf("pack %s: no %s animation", petPack, name)
		}
		for _, f := range a.Frames {
			b, err := fs.ReadFile(packs, path.Join(petPack, petScale, f.Image))
			if err != nil {
				return err
			}
			h.files["pet/"+f.Image] = b
		}
		out[name] = a
	}
	js, err := json.Marshal(out)
	h.files["pet/pet.json"] = js
	return err
}

// zeroTime sends no Last-Modified: the version in the path does that job.
var zeroTime time.Time

// Version is the hash in asset paths ("" when the embedded files are broken).
func (h *Handler) Version() string {
	c, err := h.load()
	if err != nil {
		return ""
	}
	return c.version
}

// content returns the files, answering 500 when they cannot be read.
func (h *Handler) content(w http.ResponseWriter) (*content, bool) {
	c, err := h.load()
	if err != nil {
		slog.Error("web client: embedded files unusable", "err", err)
		http.Error(w, "web client unavailable", http.StatusInternalServerError)
		return nil, false
	}
	return c, true
}

// ServeIndex serves the page; it is never cached, so a new broker's assets
// are picked up at once.
func (h *Handler) ServeIndex(w http.ResponseWriter, r *http.Request) {
	secure(w, r)
	c, ok := h.content(w)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "index.html", zeroTime, bytes.NewReader(c.index))
}

// ServeStatic serves /static/VERSION/NAME, cached for a year; an old or
// unknown version or name is a 404.
func (h *Handler) ServeStatic(w http.ResponseWriter, r *http.Request) {
	secure(w, r)
	c, ok := h.content(w)
	if !ok {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/static/"+c.version+"/")
	body, found := c.files[rest]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType(rest))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Vary", "Accept-Encoding")
	if gz, ok := c.gzipped[rest]; ok && acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		body = gz
	}
	http.ServeContent(w, r, rest, zeroTime, bytes.NewReader(body))
}

// Register mounts the page and its assets on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.ServeIndex)
	mux.HandleFunc("GET /static/", h.ServeStatic)
}

// hostRE is what a Host header may be to appear in the policy: a name or
// address and a port, nothing that could end the directive.
var hostRE = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// secure sets the headers every web response carries: no inline script or
// style, connections only to this origin (the MQTT WebSocket is /mqtt here).
func secure(w http.ResponseWriter, r *http.Request) {
	connect := "'self'"
	if hostRE.MatchString(r.Host) {
		// Older browsers do not count ws:// of the same host as 'self'.
		connect += " ws://" + r.Host + " wss://" + r.Host
	}
	h := w.Header()
	// MQTT.js times its keepalive pings in a worker made from a blob (timers
	// in hidden tabs are throttled); blocked, it never pings and is dropped.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; worker-src 'self' blob:; style-src 'self'; img-src 'self'; "+
		"connect-src "+connect+"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
