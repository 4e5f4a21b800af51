package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/broker"
)

// guideBlock is one fenced block of a guide: its info string and lines.
type guideBlock struct {
	lang  string
	lines []string
}

func guideBlocks(t *testing.T, path string) []guideBlock {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []guideBlock
	var cur *guideBlock
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &guideBlock{lang: strings.TrimPrefix(line, "```")}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		}
	}
	if cur != nil {
		t.Fatalf("%s: a fenced block is not closed", path)
	}
	return blocks
}

// commands are a guide's command lines: "$ " on your computer, "# " on the server.
func commands(blocks []guideBlock) []string {
	var out []string
	for _, b := range blocks {
		for _, l := range b.lines {
			if strings.HasPrefix(l, "$ ") || strings.HasPrefix(l, "# ") {
				out = append(out, l)
			}
		}
	}
	return out
}

// TestDeployGuides keeps docs/DEPLOY.md and its Chinese translation honest:
// the same commands in both, every tachikoma-broker subcommand and flag
// they use exists, every YAML snippet loads as a broker config, and the
// one-line config edit still applies to the example config with the
// result the guide shows.
func TestDeployGuides(t *testing.T) {
	en, zh := guideBlocks(t, "../docs/DEPLOY.md"), guideBlocks(t, "../docs/DEPLOY.zh.md")
	enCmds, zhCmds := commands(en), commands(zh)
	if len(enCmds) < 20 {
		t.Fatalf("only %d commands found in DEPLOY.md", len(enCmds))
	}
	if !slices.Equal(enCmds, zhCmds) {
		for i := range max(len(enCmds), len(zhCmds)) {
			var a, b string
			if i < len(enCmds) {
				a = enCmds[i]
			}
			if i < len(zhCmds) {
				b = zhCmds[i]
			}
			if a != b {
				t.Fatalf("command %d differs:\nDEPLOY.md:    %s\nDEPLOY.zh.md: %s", i+1, a, b)
			}
		}
	}

	bin := filepath.Join(t.TempDir(), "tachikoma-broker")
	if out, err := exec.Command(goTool(), "build", "-o", bin, "../broker/cmd/tachikoma-broker").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	flagRE := regexp.MustCompile(`(?:^|\s)(--[a-z][a-z-]*)`)
	for _, c := range enCmds {
		_, rest, ok := strings.Cut(c, "tachikoma-broker ")
		if !ok || strings.Contains(c, "tachikoma-broker.service") || strings.Contains(c, "tachikoma-broker_") {
			continue
		}
		rest, _, _ = strings.Cut(rest, "|")
		var sub []string
		for _, w := range strings.Fields(rest) {
			if strings.HasPrefix(w, "-") {
				break
			}
			sub = append(sub, w)
		}
		help, err := exec.Command(bin, append(sub, "--help")...).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", c, err, help)
			continue
		}
		if len(sub) > 0 && !strings.Contains(string(help), "tachikoma-broker "+sub[0]) {
			t.Errorf("%s: %q is not a subcommand:\n%s", c, sub[0], help)
		}
		for _, m := range flagRE.FindAllStringSubmatch(rest, -1) {
			if !strings.Contains(string(help), m[1]+" ") {
				t.Errorf("%s: no flag %s in its help", c, m[1])
			}
		}
	}
	usage, err := os.ReadFile("install-broker.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range enCmds {
		if _, rest, ok := strings.Cut(c, "./install-broker.sh"); ok {
			for _, m := range flagRE.FindAllStringSubmatch(rest, -1) {
				if !strings.Contains(string(usage), m[1]+")") {
					t.Errorf("%s: install-broker.sh has no %s", c, m[1])
				}
			}
		}
	}

	for _, b := range en {
		if b.lang != "yaml" {
			continue
		}
		path := filepath.Join(t.TempDir(), "snippet.yaml")
		os.WriteFile(path, []byte(strings.Join(b.lines, "\n")+"\n"), 0o644)
		if _, err := broker.LoadConfig(path); err != nil {
			t.Errorf("YAML snippet does not load: %v\n%s", err, strings.Join(b.lines, "\n"))
		}
	}

	// The sed edit, run on the example config, gives the settings and the grep lines the guide shows.
	i := slices.IndexFunc(enCmds, func(c string) bool { return strings.HasPrefix(c, "# sed -i ") })
	if i < 0 {
		t.Fatal("no '# sed -i' config edit in the guide")
	}
	conf := filepath.Join(t.TempDir(), "broker.yaml")
	copyFile(t, "../configs/broker.yaml", conf, 0o644)
	edit := strings.ReplaceAll(strings.TrimPrefix(enCmds[i], "# "), "/etc/tachikoma/broker.yaml", conf)
	if out, err := exec.Command("sh", "-c", edit).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", edit, err, out)
	}
	cfg, err := broker.LoadConfig(conf)
	if err != nil {
		t.Fatalf("the edited example config does not load: %v", err)
	}
	if cfg.MQTTAddr != "0.0.0.0:8883" || cfg.WSAddr != "0.0.0.0:8084" || cfg.HTTPAddr != "0.0.0.0:8080" ||
		cfg.TLS.CertFile != "/etc/tachikoma/tls/fullchain.pem" || cfg.TLS.KeyFile != "/etc/tachikoma/tls/privkey.pem" ||
		cfg.Registration.Mode != "invite" || cfg.ServerName != "我们的宿舍" {
		t.Errorf("the guide's sed edit of configs/broker.yaml gives %+v", cfg)
	}
	edited, _ := os.ReadFile(conf)
	var shown []string
	for _, b := range en {
		for j, l := range b.lines {
			if strings.HasPrefix(l, "# grep -n") {
				shown = b.lines[j+1:]
			}
		}
	}
	if len(shown) == 0 {
		t.Fatal("the guide shows no grep of the edited config")
	}
	for _, l := range shown {
		_, text, _ := strings.Cut(l, ":")
		if !strings.Contains(string(edited), "\n"+text+"\n") {
			t.Errorf("the guide shows %q, which the edited example config lacks", l)
		}
	}
}
