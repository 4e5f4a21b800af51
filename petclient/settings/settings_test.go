package settings

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "settings.yaml")
	want := Settings{Scale: 1.5, Pack: "retro", Language: LangChinese, Pets: 3, MaxPets: 7,
		SleepAfter: 90 * time.Second, AvoidFullscreen: false, StartOnLogin: true}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, warn, err := Load(path)
	if err != nil || len(warn) != 0 {
		t.Fatalf("load: %v %v", err, warn)
	}
	if !got.Equal(want) {
		t.Fatalf("got %+v want %+v", got, want)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "sleep_after: 1m30s") {
		t.Fatalf("duration not human readable:\n%s", data)
	}
}

func TestMissingFileGivesDefaults(t *testing.T) {
	s, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err != nil || !s.Equal(Defaults()) {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestPartialFileKeepsDefaults(t *testing.T) {
	s, _, err := Decode([]byte("scale: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Scale = 2
	if !s.Equal(want) {
		t.Fatalf("got %+v", s)
	}
}

func TestValidationNamesEveryBadKey(t *testing.T) {
	_, _, err := Decode([]byte("scale: 2.5\nlanguage: fr\nmax_pets: 0\npets: 30\nsleep_after: 1s\n"))
	var ve ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	msg := err.Error()
	for _, key := range []string{"scale:", "language:", "max_pets:", "pets:", "sleep_after:"} {
		if !strings.Contains(msg, key) {
			t.Errorf("error %q does not mention %s", msg, key)
		}
	}
}

func TestPetsAboveMax(t *testing.T) {
	s := Defaults()
	s.Pets, s.MaxPets = 4, 3
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "max_pets") {
		t.Fatalf("got %v", err)
	}
}

func TestSyntaxErrorAndWrongTypes(t *testing.T) {
	for _, in := range []string{"scale: [1\n", "scale: big\n", "sleep_after: 300\n", "- a list\n"} {
		if _, _, err := Decode([]byte(in)); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func TestUnknownKeyWarnsOnly(t *testing.T) {
	s, warn, err := Decode([]byte("scale: 3\nfuture:\n  server: x\n"))
	if err != nil || s.Scale != 3 {
		t.Fatalf("got %+v %v", s, err)
	}
	if len(warn) != 1 || !strings.Contains(warn[0], "future") {
		t.Fatalf("warnings %v", warn)
	}
}

func TestBrokenFileKeptAsBadCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.yaml")
	broken := []byte("scale: 7\n")
	if err := os.WriteFile(path, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, wasBroken := LoadOrDefaults(path, slog.New(slog.NewTextHandler(&logs, nil)))
	if !wasBroken || !s.Equal(Defaults()) {
		t.Fatalf("got %+v broken=%v", s, wasBroken)
	}
	bad, err := os.ReadFile(path + ".bad")
	if err != nil || !bytes.Equal(bad, broken) {
		t.Fatalf(".bad copy: %q %v", bad, err)
	}
	orig, _ := os.ReadFile(path)
	if !bytes.Equal(orig, broken) {
		t.Fatal("broken file was rewritten on load")
	}
	if !strings.Contains(logs.String(), "scale") || !strings.Contains(logs.String(), ".bad") {
		t.Fatalf("log lacks reason or copy path: %s", logs.String())
	}
}

func TestSaveRejectsInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	s := Defaults()
	s.Scale = 5
	if err := Save(path, s); err == nil {
		t.Fatal("saved invalid settings")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("file written despite error")
	}
}

func TestDefaultPathHonoursXDG(t *testing.T) {
	xdgdirtest.Check(t, xdgdir.Config, DefaultPath, "tachikoma/settings.yaml", "settings: ")
	xdgdirtest.Check(t, xdgdir.Config, AutostartPath, "autostart/tachikoma.desktop", "start on login: ")
}

func TestAutostart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "autostart", "tachikoma.desktop")
	if err := SetAutostart(path, true, "/opt/my apps/tachikoma"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `Exec="/opt/my apps/tachikoma"`) || !AutostartEnabled(path) {
		t.Fatalf("entry:\n%s", data)
	}
	if err := SetAutostart(path, false, ""); err != nil || AutostartEnabled(path) {
		t.Fatalf("remove: %v", err)
	}
	if err := SetAutostart(path, false, ""); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestQuoteExec(t *testing.T) {
	cases := map[string]string{
		"/usr/bin/tachikoma": "/usr/bin/tachikoma",
		`/a b/$x`:            `"/a b/\\$x"`,
		`/a"b`:               `"/a\\"b"`,
	}
	for in, want := range cases {
		if got := quoteExec(in); got != want {
			t.Errorf("quoteExec(%q) = %s, want %s", in, got, want)
		}
	}
}

// The shipped example must parse, validate, mention every key, and equal
// the defaults (it documents them).
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "configs", "pet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, warn, err := Decode(data)
	if err != nil || len(warn) != 0 {
		t.Fatalf("configs/pet.yaml: %v %v", err, warn)
	}
	if !s.Equal(Defaults()) {
		t.Fatalf("configs/pet.yaml differs from the defaults:\n%+v\n%+v", s, Defaults())
	}
	for key := range knownKeys() {
		if !strings.Contains(string(data), "\n"+key+":") {
			t.Errorf("configs/pet.yaml does not show %s", key)
		}
	}
}

// The packaged menu entry and the autostart entry agree on the basics.
func TestDesktopEntries(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "assets", "packaging", "tachikoma.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{string(data), AutostartEntry("/usr/bin/tachikoma")} {
		for _, want := range []string{"[Desktop Entry]\n", "Type=Application\n", "Name=Tachikoma\n", "Icon=tachikoma\n", "Terminal=false\n"} {
			if !strings.Contains(entry, want) {
				t.Errorf("desktop entry lacks %q:\n%s", want, entry)
			}
		}
	}
}

func TestChatValidation(t *testing.T) {
	s := Defaults()
	s.Chat = ChatSettings{Server: "mqtt://127.0.0.1:1883", User: "alice", Muted: []string{"room:lobby", "dm:bob"}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []ChatSettings{
		{Server: "http://x"}, {Server: "mqtt://a b"}, {Server: "ftp://x"}, {User: "Al"}, {Muted: []string{"lobby"}},
	} {
		s.Chat = bad
		if err := s.Validate(); err == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	s.Chat = ChatSettings{Server: "wss://chat.example.org/mqtt", Muted: []string{"room:x"}}
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Decode(data)
	if err != nil || !back.Equal(s) || !back.Chat.IsMuted("room:x") || back.Chat.IsMuted("room:y") {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestQuietHours(t *testing.T) {
	at := func(hm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-06 "+hm, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		quiet, at string
		want      bool
	}{
		{"22:30-07:00", "23:59", true}, {"22:30-07:00", "00:00", true}, {"22:30-07:00", "06:59", true},
		{"22:30-07:00", "07:00", false}, {"22:30-07:00", "22:29", false}, {"22:30-07:00", "12:00", false},
		{"13:00-14:00", "13:30", true}, {"13:00-14:00", "14:00", false}, {"13:00-14:00", "12:59", false},
		{"", "03:00", false}, {"08:00-08:00", "08:00", false},
	} {
		s := Defaults()
		s.Chat.QuietHours = c.quiet
		if err := s.Validate(); err != nil {
			t.Fatalf("%q: %v", c.quiet, err)
		}
		if got := s.Chat.Silent(at(c.at)); got != c.want {
			t.Errorf("quiet hours %q at %s: silent %v, want %v", c.quiet, c.at, got, c.want)
		}
	}
	s := Defaults()
	s.Chat.DoNotDisturb = true
	if !s.Chat.Silent(at("12:00")) {
		t.Error("do-not-disturb is not silent")
	}
	for _, bad := range []string{"22:30", "25:00-07:00", "22:30-7", "late-early", "22:30-07:00-08:00"} {
		s := Defaults()
		s.Chat.QuietHours = bad
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "chat.quiet_hours") {
			t.Errorf("quiet_hours %q accepted (err %v)", bad, err)
		}
	}
}

// The screenshot folder: absolute or under ~, read from the file.
func TestScreenshotFolder(t *testing.T) {
	s, unknown, err := Decode([]byte("screenshot:\n  dir: ~/图片/截图\n"))
	if err != nil || len(unknown) != 0 {
		t.Fatalf("Decode: %v, unknown %v", err, unknown)
	}
	if got := s.Screenshot.Folder("/home/mei"); got != "/home/mei/图片/截图" {
		t.Errorf("~ folder = %q", got)
	}
	if got := Defaults().Screenshot.Folder("/home/mei"); got != "" {
		t.Errorf("default folder = %q, want \"\" (Pictures/Screenshots)", got)
	}
	for _, bad := range []string{"shots", "~mei/shots", "/tmp/a\x01b"} {
		s := Defaults()
		s.Screenshot.Dir = bad
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "screenshot.dir") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
