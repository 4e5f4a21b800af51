package i18n

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDetectPrecedence(t *testing.T) {
	cases := []struct {
		vars map[string]string
		want Lang
	}{
		{map[string]string{}, English},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, Chinese},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, Chinese},
		{map[string]string{"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, English},
		{map[string]string{"LC_ALL": "zh_SG.UTF-8", "LANG": "de_DE"}, Chinese},
		{map[string]string{"LANG": "fr_FR.UTF-8"}, English},
	}
	for _, c := range cases {
		if got := Detect(env(c.vars)); got != c.want {
			t.Errorf("%v: got %s want %s", c.vars, got, c.want)
		}
	}
}

func TestResolveSettingOverridesLocale(t *testing.T) {
	zh := env(map[string]string{"LANG": "zh_CN.UTF-8"})
	if Resolve("en", zh) != English || Resolve("zh", env(nil)) != Chinese || Resolve("auto", zh) != Chinese {
		t.Fatal("resolve wrong")
	}
}

func TestCataloguesComplete(t *testing.T) {
	for _, l := range []Lang{English, Chinese} {
		cat := catalogues[l]
		if len(cat) != len(catalogues[English]) {
			t.Errorf("%s has %d keys, English %d", l, len(cat), len(catalogues[English]))
		}
		for _, k := range Keys() {
			msg, ok := cat[k]
			if !ok || strings.TrimSpace(msg) == "" {
				t.Errorf("%s: missing %s", l, k)
				continue
			}
			if strings.Count(msg, "%") != strings.Count(catalogues[English][k], "%") {
				t.Errorf("%s: %s has different format verbs than English", l, k)
			}
		}
	}
}

func TestChineseDiffers(t *testing.T) {
	if Chinese.T(MenuQuit) == English.T(MenuQuit) {
		t.Fatal("Chinese catalogue not used")
	}
	if got := Chinese.F(MenuSummonLimit, 5); !strings.Contains(got, "5") {
		t.Fatal(got)
	}
	if Lang("xx").T(MenuQuit) != "Quit" || English.T(Key("nope")) != "nope" {
		t.Fatal("fallbacks wrong")
	}
}
