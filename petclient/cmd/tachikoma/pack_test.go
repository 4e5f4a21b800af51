package main

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport/spritetest"
)

func packRun(userDir string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := packCmd(args, &out, &errb, userDir)
	return code, out.String(), errb.String()
}

// catGIF is a two-frame GIF: a dark square walking on a white background.
func catGIF(t *testing.T) []byte {
	b, err := spritetest.Walk{Width: 48, Height: 48, Figure: image.Rect(10, 10, 30, 44), Step: 4,
		Frames: 2, Delay: 8, Colour: color.RGBA{40, 40, 40, 255}}.GIF()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The pack tools work without a display: import, check, list, export, and
// bad input gets a reason naming the file.
func TestPackCommand(t *testing.T) {
	userDir := filepath.Join(t.TempDir(), "packs")
	src := filepath.Join(t.TempDir(), "walk.gif")
	if err := os.WriteFile(src, catGIF(t), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := packRun(userDir, "import", src, "--name", "小猫 Kitty", "--tolerance", "30")
	if code != 0 || !strings.Contains(out, "walk") || !strings.Contains(out, "80,80 ms") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	dir := filepath.Join(userDir, "kitty")
	if code, out, _ := packRun(userDir, "check", "kitty"); code != 0 || !strings.Contains(out, "ok (小猫 Kitty") {
		t.Fatalf("check: %d %s", code, out)
	}
	if code, out, _ := packRun(userDir, "list"); code != 0 || !strings.Contains(out, "kitty") || !strings.Contains(out, "小猫") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, errs := packRun(userDir, "import", src, "--name", "Kitty"); code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("second import over the first: %d %s", code, errs)
	}

	zipFile := filepath.Join(t.TempDir(), "kitty.zip")
	if code, _, errs := packRun(userDir, "export", "kitty", zipFile); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if !strings.Contains(strings.Join(names, " "), "kitty/pack.yaml") || !strings.Contains(strings.Join(names, " "), "kitty/walk_1.png") {
		t.Fatalf("zip holds %v", names)
	}

	// The zip installs as it is, under its own name.
	other := filepath.Join(t.TempDir(), "other")
	if code, out, errs := packRun(userDir, "import", zipFile, "--out", other); code != 0 || !strings.Contains(out, "小猫 Kitty") {
		t.Fatalf("import of the exported zip: %d %s %s", code, out, errs)
	}
	if code, out, _ := packRun(userDir, "check", other); code != 0 || !strings.Contains(out, "ok (小猫 Kitty") {
		t.Fatalf("check of the installed zip: %d %s", code, out)
	}

	// A broken pack: every problem on its own line.
	man := filepath.Join(dir, "pack.yaml")
	data, _ := os.ReadFile(man)
	data = bytes.Replace(data, []byte("duration_ms: 80"), []byte("duration_ms: 0"), -1)
	os.WriteFile(man, data, 0o644)
	os.Remove(filepath.Join(dir, "stand_0.png"))
	code, out, _ = packRun(userDir, "check", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) < 2 || !strings.Contains(out, "duration_ms") {
		t.Fatalf("check of a broken pack: %d\n%s", code, out)
	}
	if code, _, errs := packRun(userDir, "export", "kitty", zipFile); code != 1 || !strings.Contains(errs, "does not load") {
		t.Fatalf("export of a broken pack: %d %s", code, errs)
	}

	bad := filepath.Join(t.TempDir(), "fall.gif")
	os.WriteFile(bad, []byte("GIF89a\x10"), 0o644)
	if code, _, errs := packRun(userDir, "import", "--name", "x", bad); code != 1 || !strings.Contains(errs, bad) {
		t.Fatalf("bad gif: %d %s", code, errs)
	}
	if code, _, errs := packRun(userDir, "import", src); code != 1 || !strings.Contains(errs, "--name") {
		t.Fatalf("import of pictures without --name: %d %s", code, errs)
	}
	if code, _, _ := packRun(userDir, "import", src, "--name", "x", "--grid", "3by2"); code != 2 {
		t.Fatalf("bad --grid: %d, want 2", code)
	}
}

// A sprite sheet is cut by --grid COLSxROWS or by --frame WxH alike, and
// --id names the pack's directory.
func TestPackImportSheet(t *testing.T) {
	sheet := image.NewNRGBA(image.Rect(0, 0, 144, 96)) // 3x2 cells of 48x48
	for i := range 6 {
		x0, y0 := 48*(i%3), 48*(i/3)
		for y := y0; y < y0+48; y++ {
			for x := x0; x < x0+48; x++ {
				c := color.NRGBA{255, 255, 255, 255}
				if x >= x0+10+i && x < x0+30+i && y >= y0+10 && y < y0+44 {
					c = color.NRGBA{40, 40, 40, 255}
				}
				sheet.SetNRGBA(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, sheet); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "sheet.png")
	if err := os.WriteFile(src, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	userDir := filepath.Join(t.TempDir(), "packs")
	for id, flags := range map[string][]string{"by-grid": {"--grid", "3x2"}, "by-frame": {"--frame", "48x48"}} {
		args := append([]string{"import", "fall=" + src, "--name", "表 Sheet", "--id", id}, flags...)
		code, out, errs := packRun(userDir, args...)
		if code != 0 || !regexp.MustCompile(`(?m)^  fall +6 frame\(s\)`).MatchString(out) {
			t.Fatalf("%v: %d\n%s%s", flags, code, out, errs)
		}
		if code, out, _ := packRun(userDir, "check", filepath.Join(userDir, id)); code != 0 || !strings.Contains(out, "ok (表 Sheet") {
			t.Fatalf("check %s: %d %s", id, code, out)
		}
	}
	if code, _, errs := packRun(userDir, "import", "fall="+src, "--name", "x", "--id", "odd", "--frame", "50x48"); code != 1 || !strings.Contains(errs, src) {
		t.Fatalf("a frame size that does not divide the sheet: %d %s", code, errs)
	}
}

// Export never replaces a file unless asked (--force), as import --out.
func TestPackExportRefusesToOverwrite(t *testing.T) {
	userDir := filepath.Join(t.TempDir(), "packs")
	zipFile := filepath.Join(t.TempDir(), "我的.zip")
	if err := os.WriteFile(zipFile, []byte("my homework"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := packRun(userDir, "export", "tachikoma", zipFile)
	if code != 1 || !strings.Contains(errs, "already exists") || !strings.Contains(errs, "--force") {
		t.Fatalf("export over a file: exit %d %q", code, errs)
	}
	if data, _ := os.ReadFile(zipFile); string(data) != "my homework" {
		t.Fatalf("the file was replaced: %.20q", data)
	}
	for _, args := range [][]string{{"export", "tachikoma", zipFile, "--force"}, {"export", "--force", "tachikoma", zipFile}} {
		if code, _, errs := packRun(userDir, args...); code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		if zr, err := zip.OpenReader(zipFile); err != nil {
			t.Fatalf("%v: not a zip: %v", args, err)
		} else {
			zr.Close()
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(zipFile), ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// Without a user pack directory (no HOME) the tools that need it say so
// and write nothing; the built-in pack is still listed.
func TestPackWithoutUserDir(t *testing.T) {
	t.Chdir(t.TempDir())
	src := filepath.Join(t.TempDir(), "walk.gif")
	if err := os.WriteFile(src, catGIF(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := packRun("", "import", src, "--name", "猫", "--id", "cat"); code != 1 || !strings.Contains(errs, "no user pack directory; use --out") {
		t.Errorf("import: %d %q", code, errs)
	}
	if code, _, errs := packRun("", "export", "cat", "cat.zip"); code != 1 || !strings.Contains(errs, "pack cat: no user pack directory") {
		t.Errorf("export: %d %q", code, errs)
	}
	if code, out, _ := packRun("", "list"); code != 0 || !strings.HasPrefix(out, "tachikoma") {
		t.Errorf("list: %d %q", code, out)
	}
	if _, _, errs := packRun("", "help"); !strings.Contains(errs, "User packs live in (none: no home directory).") {
		t.Errorf("help: %q", errs)
	}
	if left, _ := os.ReadDir("."); len(left) != 0 {
		t.Errorf("wrote %v into the working directory", left)
	}
}
