// Package settings is the pet client's toolkit-free settings model: defaults,
// validation, and YAML persistence in $XDG_CONFIG_HOME/tachikoma/settings.yaml.
// A broken file never stops the pet: it is kept as a ".bad" copy, logged,
// and the defaults are used instead.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
)

// Allowed values, shared with the GTK dialog and the command-line flags.
var (
	Scales    = []float64{1, 1.5, 2, 3}
	Languages = []string{LangAuto, LangEnglish, LangChinese}
)

// Language setting values.
const (
	LangAuto    = "auto" // follow LC_ALL / LC_MESSAGES / LANG
	LangEnglish = "en"
	LangChinese = "zh"
)

// Limits on the number of pets; the upper bound keeps a typo from opening
// hundreds of windows.
const (
	MinPets     = 1
	MaxPetsCap  = 20
	minSleep    = 30 * time.Second
	maxSleep    = 24 * time.Hour
	maxPackName = 128
)

// Settings is everything the user can change. Field order is the order in
// the saved file.
type Settings struct {
	// Scale of the sprite: one of Scales.
	Scale float64 `yaml:"scale"`
	// Pack is the sprite pack name; "" means the embedded default pack.
	Pack string `yaml:"pack"`
	// Language is "auto", "en" or "zh".
	Language string `yaml:"language"`
	// Pets is how many Tachikomas appear at start.
	Pets int `yaml:"pets"`
	// MaxPets caps "Summon another Tachikoma".
	MaxPets int `yaml:"max_pets"`
	// SleepAfter is how long a pet left alone stays awake; 0 = never sleeps
	// on its own.
	SleepAfter time.Duration `yaml:"sleep_after"`
	// AvoidFullscreen hides the pets while the active window is fullscreen.
	AvoidFullscreen bool `yaml:"avoid_fullscreen"`
	// FullscreenStyle is how they avoid it: "hide", or "fade" (translucent
	// and click-through; hidden without a compositor).
	FullscreenStyle string `yaml:"fullscreen_style"`
	// StartOnLogin mirrors the XDG autostart entry.
	StartOnLogin bool `yaml:"start_on_login"`

	// Chat is where and as whom the pet chats, and how loudly.
	Chat ChatSettings `yaml:"chat"`

	// Translate configures the translation tool.
	Translate TranslateSettings `yaml:"translate"`

	// Screenshot configures the screenshot tool.
	Screenshot ScreenshotSettings `yaml:"screenshot"`
}

// ScreenshotSettings configure the screenshot tool.
type ScreenshotSettings struct {
	// Dir is where shots are saved: an absolute folder or one under ~/;
	// empty: Screenshots in the Pictures folder.
	Dir string `yaml:"dir"`
}

// Folder is Dir with ~ expanded against home; "" for the default.
func (s ScreenshotSettings) Folder(home string) string {
	if rest, ok := strings.CutPrefix(s.Dir, "~/"); ok {
		return filepath.Join(home, rest)
	}
	return s.Dir
}

// TranslateSettings configure the translation tool.
type TranslateSettings struct {
	// Hotkey translates the selection from any window, e.g. "Ctrl+Alt+T";
	// empty: no global key (the default).
	Hotkey string `yaml:"hotkey"`
}

// ChatSettings configure the chat. An empty Server means "host a chat
// server on this computer and log in to its local account".
type ChatSettings struct {
	// Server is mqtt://, mqtts://, ws:// or wss:// host[:port][/path].
	Server string `yaml:"server"`
	// User is the account name on Server.
	User string `yaml:"user"`
	// Remember keeps the login (keyring or a 0600 file) for the next start.
	Remember bool `yaml:"remember"`
	// DoNotDisturb: no speech bubbles (messages still count as unread).
	DoNotDisturb bool `yaml:"do_not_disturb"`
	// QuietHours: "HH:MM-HH:MM", local time, daily (may span midnight):
	// do-not-disturb on by itself meanwhile. Empty: none.
	QuietHours string `yaml:"quiet_hours"`
	// Muted conversations (room:NAME, dm:USER) never make bubbles.
	Muted []string `yaml:"muted"`
	// Notifications: desktop notifications for DMs while the chat window
	// is hidden.
	Notifications bool `yaml:"notifications"`
	// HostOnLAN lets other computers reach the chat server this pet hosts
	// (only when Server is empty).
	HostOnLAN bool `yaml:"host_on_lan"`
}

// Silent reports whether bubbles are silenced at now: do-not-disturb, or
// within the quiet hours. Messages still arrive and count as unread.
func (c ChatSettings) Silent(now time.Time) bool {
	if c.DoNotDisturb {
		return true
	}
	from, to, err := ParseQuietHours(c.QuietHours)
	if err != nil || from == to {
		return false
	}
	t := time.Duration(now.Hour())*time.Hour + time.Duration(now.Minute())*time.Minute
	if from < to {
		return t >= from && t < to
	}
	return t >= from || t < to // across midnight
}

// ParseQuietHours reads "HH:MM-HH:MM" as times of day; "" is no quiet hours.
func ParseQuietHours(s string) (from, to time.Duration, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "-")
	if ok {
		if from, err = clockTime(a); err == nil {
			to, err = clockTime(b)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%q is not HH:MM-HH:MM (e.g. 22:30-07:00)", s)
	}
	return from, to, nil
}

func clockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// FullscreenStyle values.
const (
	FullscreenHide = "hide"
	FullscreenFade = "fade"
)

// IsMuted reports whether conv is muted.
func (c ChatSettings) IsMuted(conv string) bool {
	for _, m := range c.Muted {
		if m == conv {
			return true
		}
	}
	return false
}

// Equal compares settings (Chat.Muted makes Settings incomparable with ==;
// nil and empty lists are the same).
func (s Settings) Equal(o Settings) bool {
	if !slices.Equal(s.Chat.Muted, o.Chat.Muted) {
		return false
	}
	s.Chat.Muted, o.Chat.Muted = nil, nil
	return reflect.DeepEqual(s, o)
}

// Defaults returns the settings used when there is no file.
func Defaults() Settings {
	return Settings{
		Scale:           1,
		Pack:            "",
		Language:        LangAuto,
		Pets:            1,
		MaxPets:         5,
		SleepAfter:      5 * time.Minute,
		AvoidFullscreen: true,
		FullscreenStyle: FullscreenHide,
		StartOnLogin:    false,
		Chat:            ChatSettings{Remember: true, Notifications: true},
	}
}

// FieldError names the offending key so the message points into the file.
type FieldError struct {
	Key string
	Msg string
}

func (e FieldError) Error() string { return e.Key + ": " + e.Msg }

// ValidationError collects every problem at once, so one edit fixes them all.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

// ValidScale reports whether s is one of Scales.
func ValidScale(s float64) bool {
	for _, v := range Scales {
		if math.Abs(v-s) < 1e-9 {
			return true
		}
	}
	return false
}

// Validate checks every field and returns a ValidationError or nil.
func (s Settings) Validate() error {
	var errs ValidationError
	add := func(key, format string, args ...any) {
		errs = append(errs, FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if !ValidScale(s.Scale) {
		add("scale", "%v is not one of 1, 1.5, 2, 3", s.Scale)
	}
	if len(s.Pack) > maxPackName {
		add("pack", "name longer than %d characters", maxPackName)
	}
	if strings.IndexFunc(s.Pack, unicode.IsControl) >= 0 {
		add("pack", "name contains control characters")
	}
	switch s.Language {
	case LangAuto, LangEnglish, LangChinese:
	default:
		add("language", "%q is not one of auto, en, zh", s.Language)
	}
	if s.MaxPets < MinPets || s.MaxPets > MaxPetsCap {
		add("max_pets", "%d is outside %d..%d", s.MaxPets, MinPets, MaxPetsCap)
	}
	if s.Pets < MinPets || s.Pets > MaxPetsCap {
		add("pets", "%d is outside %d..%d", s.Pets, MinPets, MaxPetsCap)
	} else if s.MaxPets >= MinPets && s.Pets > s.MaxPets {
		add("pets", "%d is more than max_pets (%d)", s.Pets, s.MaxPets)
	}
	if s.SleepAfter != 0 && (s.SleepAfter < minSleep || s.SleepAfter > maxSleep) {
		add("sleep_after", "%v is outside %v..%v (0 = never)", s.SleepAfter, minSleep, maxSleep)
	}
	switch s.FullscreenStyle {
	case "", FullscreenHide, FullscreenFade: // "" is hide
	default:
		add("fullscreen_style", "%q is not one of hide, fade", s.FullscreenStyle)
	}
	if d := s.Screenshot.Dir; d != "" && (!(filepath.IsAbs(d) || strings.HasPrefix(d, "~/")) || strings.IndexFunc(d, unicode.IsControl) >= 0) {
		add("screenshot.dir", "%q is not an absolute folder or one under ~/", d)
	}
	s.Chat.validate(add)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

var (
	userRE   = regexp.MustCompile(`^[a-z0-9_]{3,32}$`)
	schemeRE = regexp.MustCompile(`^((mqtts?|wss?)://)?[^\s/:]+(:\d+)?(/\S*)?$`)
	convRE   = regexp.MustCompile(`^(room:[a-z0-9_-]{1,32}|dm:[a-z0-9_]{3,32})$`)
)

func (c ChatSettings) validate(add func(key, format string, args ...any)) {
	if c.Server != "" && (len(c.Server) > 512 || !schemeRE.MatchString(c.Server)) {
		add("chat.server", "%q is not [mqtt|mqtts|ws|wss://]host[:port][/path]", c.Server)
	}
	if c.User != "" && !userRE.MatchString(c.User) {
		add("chat.user", "%q is not a user name (3-32 of a-z, 0-9, _)", c.User)
	}
	for _, m := range c.Muted {
		if !convRE.MatchString(m) {
			add("chat.muted", "%q is not room:NAME or dm:USER", m)
		}
	}
	if _, _, err := ParseQuietHours(c.QuietHours); err != nil {
		add("chat.quiet_hours", "%v", err)
	}
}

// DefaultPath is $XDG_CONFIG_HOME/tachikoma/settings.yaml, or
// ~/.config/tachikoma/settings.yaml.
func DefaultPath() (string, error) {
	p, err := xdgdir.Config.Path("settings.yaml")
	if err != nil {
		return "", fmt.Errorf("settings: cannot find the config folder: %w", err)
	}
	return p, nil
}

// Decode parses YAML over the defaults, so missing keys keep their default.
// Unknown keys are returned as warnings, not errors: a file written by a
// newer build must not reset an older one to defaults.
func Decode(data []byte) (Settings, []string, error) {
	s := Defaults()
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Defaults(), nil, fmt.Errorf("parse: %w", err)
	}
	var warnings []string
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(data, &raw); err == nil {
		known := knownKeys()
		for k := range raw {
			if !known[k] {
				warnings = append(warnings, fmt.Sprintf("unknown key %q ignored", k))
			}
		}
	}
	if err := s.Validate(); err != nil {
		return Defaults(), warnings, err
	}
	return s, warnings, nil
}

func knownKeys() map[string]bool {
	return map[string]bool{
		"scale": true, "pack": true, "language": true, "pets": true, "max_pets": true,
		"sleep_after": true, "avoid_fullscreen": true, "fullscreen_style": true, "start_on_login": true, "chat": true, "translate": true,
		"screenshot": true,
	}
}

// Encode renders s as the YAML that Save writes.
func Encode(s Settings) ([]byte, error) {
	body, err := yaml.Marshal(s)
	if err != nil {
		return nil, err
	}
	header := "# Tachikoma settings. Written by the Settings dialog; every key is\n" +
		"# described in configs/pet.yaml of the source tree.\n"
	return append([]byte(header), body...), nil
}

// Load reads path. A missing file is not an error: it yields the defaults.
func Load(path string) (Settings, []string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Defaults(), nil, nil
	}
	if err != nil {
		return Defaults(), nil, err
	}
	return Decode(data)
}

// LoadOrDefaults is Load for the application: a broken file is copied to
// path+".bad" (so saving later cannot silently lose the user's edits),
// logged with the reason, and replaced in memory by the defaults. The
// boolean reports whether the file was broken.
func LoadOrDefaults(path string, log *slog.Logger) (Settings, bool) {
	if log == nil {
		log = slog.Default()
	}
	s, warnings, err := Load(path)
	for _, w := range warnings {
		log.Warn("settings file", "path", path, "warning", w)
	}
	if err == nil {
		return s, false
	}
	bad := path + ".bad"
	if data, rerr := os.ReadFile(path); rerr == nil {
		if werr := os.WriteFile(bad, data, 0o600); werr != nil {
			log.Error("could not keep a copy of the broken settings file", "path", bad, "err", werr)
			bad = ""
		}
	} else {
		bad = ""
	}
	log.Error("settings file is broken; using defaults until settings are saved again",
		"path", path, "err", err, "copy", bad)
	return Defaults(), true
}

// Save validates s and writes it atomically (temp file + rename), so a crash
// mid-write never leaves a half file behind.
func Save(path string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	data, err := Encode(s)
	if err != nil {
		return err
	}
	return writeAtomic(path, data, 0o644)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}
