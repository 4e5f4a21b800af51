package xdgdir

import (
	"errors"
	"os"
	"testing"
)

func TestHome(t *testing.T) {
	for _, tc := range []struct {
		base     Base
		env, def string
	}{
		{Data, "XDG_DATA_HOME", "/home/mei/.local/share"},
		{Config, "XDG_CONFIG_HOME", "/home/mei/.config"},
		{State, "XDG_STATE_HOME", "/home/mei/.local/state"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("HOME", "/home/mei")
			for _, c := range []struct{ name, value, want string }{
				{"set", "/srv/数据/", "/srv/数据"},
				{"relative ignored", "data", tc.def},
				{"tilde is relative", "~/data", tc.def},
				{"empty", "", tc.def},
			} {
				t.Setenv(tc.env, c.value)
				if got, err := tc.base.Home(); got != c.want || err != nil {
					t.Errorf("%s: Home() = %q, %v; want %q", c.name, got, err, c.want)
				}
			}
			os.Unsetenv(tc.env) // t.Setenv restores it
			if got, err := tc.base.Home(); got != tc.def || err != nil {
				t.Errorf("unset: Home() = %q, %v; want %q", got, err, tc.def)
			}
		})
	}
}

func TestHomeWithoutHome(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "")
	os.Unsetenv("XDG_DATA_HOME")
	for _, home := range []string{"", "relative/home"} {
		t.Setenv("HOME", home)
		if home == "" {
			os.Unsetenv("HOME")
		}
		got, err := Data.Home()
		if !errors.Is(err, ErrNoHome) || got != "" {
			t.Errorf("HOME=%q: Home() = %q, %v; want ErrNoHome", home, got, err)
		}
		if err != nil && err.Error() != "neither $XDG_DATA_HOME nor $HOME is set to an absolute path: no home directory" {
			t.Errorf("HOME=%q: message %q", home, err)
		}
		if p, err := Data.Path("packs"); !errors.Is(err, ErrNoHome) || p != "" {
			t.Errorf("HOME=%q: Path() = %q, %v; want ErrNoHome", home, p, err)
		}
	}
	// An absolute variable needs no home.
	t.Setenv("XDG_DATA_HOME", "/data")
	if got, err := Data.Path("broker"); got != "/data/tachikoma/broker" || err != nil {
		t.Errorf("Path = %q, %v", got, err)
	}
}

func TestPath(t *testing.T) {
	t.Setenv("HOME", "/home/mei")
	t.Setenv("XDG_STATE_HOME", "")
	if got, err := State.Path("chat"); got != "/home/mei/.local/state/tachikoma/chat" || err != nil {
		t.Errorf("State.Path = %q, %v", got, err)
	}
	if got, err := Config.Path(); got != "/home/mei/.config/tachikoma" || err != nil {
		t.Errorf("Config.Path() = %q, %v", got, err)
	}
}

func TestHomeIn(t *testing.T) {
	env := map[string]string{"HOME": "/home/mei", "XDG_CONFIG_HOME": "cfg"}
	if got, err := Config.HomeIn(func(k string) string { return env[k] }); got != "/home/mei/.config" || err != nil {
		t.Errorf("HomeIn = %q, %v", got, err)
	}
}
