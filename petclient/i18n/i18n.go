// Package i18n holds the pet client's user-visible strings in English and
// Simplified Chinese, and picks one from the locale environment. It is
// toolkit-free so menus in GTK, the tray and tests share one catalogue.
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a catalogue language.
type Lang string

// Supported languages.
const (
	English Lang = "en"
	Chinese Lang = "zh"
)

// Key names one message.
type Key string

// Detect picks the language from the POSIX locale variables in their
// precedence order (LC_ALL, then LC_MESSAGES, then LANG). Anything that is
// not Chinese falls back to English.
func Detect(getenv func(string) string) Lang {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		val := getenv(v)
		if val == "" {
			continue
		}
		// The first set variable decides, even if it is "C": that is what
		// the user asked the whole session for.
		if strings.HasPrefix(strings.ToLower(val), "zh") {
			return Chinese
		}
		return English
	}
	return English
}

// Resolve maps the settings value ("auto", "en", "zh") to a language.
func Resolve(setting string, getenv func(string) string) Lang {
	switch setting {
	case string(English):
		return English
	case string(Chinese):
		return Chinese
	default:
		return Detect(getenv)
	}
}

// T returns the message for k; a missing key shows the key itself, which a
// test guarantees never happens for shipped keys.
func (l Lang) T(k Key) string {
	if m, ok := catalogues[l][k]; ok {
		return m
	}
	if m, ok := catalogues[English][k]; ok {
		return m
	}
	return string(k)
}

// F formats the message for k with args.
func (l Lang) F(k Key, args ...any) string { return fmt.Sprintf(l.T(k), args...) }

// Keys lists every key of the English catalogue (for tests and tools).
func Keys() []Key {
	keys := make([]Key, 0, len(catalogues[English]))
	for k := range catalogues[English] {
		keys = append(keys, k)
	}
	return keys
}

// Catalogue returns a copy of one language's messages.
func Catalogue(l Lang) map[Key]string {
	out := make(map[Key]string, len(catalogues[l]))
	for k, v := range catalogues[l] {
		out[k] = v
	}
	return out
}
