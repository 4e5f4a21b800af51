package spriteimport

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

// shimejiSet writes a synthetic Shimeji-ee set: 46 transparent 128x128
// images, shime N's figure N pixels wide so frames can be told apart.
func shimejiSet(t *testing.T, root string, actions string) {
	for n := 1; n <= 46; n++ {
		m := image.NewNRGBA(image.Rect(0, 0, 128, 128))
		fill(m, image.Rect(64-n/2-4, 60, 64+n/2+4, 128), navy)
		writeFile(t, filepath.Join(root, "img", "Test", fmt.Sprintf("shime%d.png", n)), pngBytes(t, m))
	}
	if actions != "" {
		writeFile(t, filepath.Join(root, "conf", "actions.xml"), []byte(actions))
	}
}

const actionsXML = `<?xml version="1.0" encoding="UTF-8"?>
<Mascot xmlns="http://www.group-finity.com/Mascot">
  <ActionList>
    <Action Name="Walk" Type="Move" BorderType="Floor">
      <Animation>
        <Pose Image="/shime2.png" ImageAnchor="64,128" Velocity="-2,0" Duration="5" />
        <Pose Image="/shime3.png" ImageAnchor="64,128" Velocity="-2,0" Duration="5" />
      </Animation>
    </Action>
    <Action Name="Stand" Type="Stay" BorderType="Floor">
      <Animation><Pose Image="/shime1.png" ImageAnchor="64,128" Velocity="0,0" Duration="250" /></Animation>
    </Action>
    <Action Name="Pinched" Type="Embedded" Class="com.group_finity.mascot.action.Dragged">
      <Animation Condition="#{footX &lt; mascot.environment.cursor.x-50}"><Pose Image="/shime9.png" ImageAnchor="64,128" Duration="250" /></Animation>
      <Animation><Pose Image="/shime5.png" ImageAnchor="64,128" Duration="250" /></Animation>
    </Action>
    <Action Name="SitDown" Type="Stay" BorderType="Floor">
      <Animation Condition="#{mascot.anchor.x &lt; 10}"><Pose Image="/shime30.png" ImageAnchor="64,128" Duration="10" /></Animation>
      <Animation><Pose Image="/shime31.png" ImageAnchor="64,128" Duration="10" /></Animation>
    </Action>
  </ActionList>
</Mascot>`

func loadClip(t *testing.T, p *pack.Pack, name string) []pack.Frame {
	t.Helper()
	fr, err := p.Frames(name, 1)
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

func TestImportShimejiWithActions(t *testing.T) {
	src := t.TempDir()
	shimejiSet(t, src, actionsXML)
	plan, err := Import(Options{Name: "Test 试验"}, Source{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	p := writeAndLoad(t, plan)
	walk := loadClip(t, p, engine.AnimWalk)
	if len(walk) != 2 || walk[0].Duration != 200*time.Millisecond {
		t.Fatalf("walk: %d frames of %v, want 2 of 200ms (5 ticks)", len(walk), walk[0].Duration)
	}
	// Frames are told apart by width: shime2 is narrower than shime3, shared box or not.
	if w := visibleWidth(walk[0].Image); w != 2/2*2+8 {
		t.Errorf("walk frame 0 is %d px wide, want shime2's %d", w, 2/2*2+8)
	}
	// The anchor is Shimeji's bottom centre: on the figure's feet, at its middle.
	if a := walk[0].Anchor; a.Y != walk[0].Image.Rect.Dy()-1 || absInt(a.X-walk[0].Image.Rect.Dx()/2) > 1 {
		t.Errorf("walk anchor %v in a %v image", a, walk[0].Image.Rect.Size())
	}
	// SitDown's first animation is conditional but still the first: shime30.
	if w := visibleWidth(loadClip(t, p, engine.AnimSit)[0].Image); w != 30/2*2+8 {
		t.Errorf("sit frame is %d px wide, want shime30's", w)
	}
	// Without an action in the file: Shimeji's stock meaning (fall is shime4, drag 5,7,8).
	if w := visibleWidth(loadClip(t, p, engine.AnimFall)[0].Image); w != 4/2*2+8 {
		t.Errorf("fall frame is %d px wide, want shime4's", w)
	}
	drag := loadClip(t, p, engine.AnimDrag)
	for i, n := range []int{5, 7, 8} {
		if w := visibleWidth(drag[i].Image); w != n/2*2+8 {
			t.Errorf("drag frame %d is %d px wide, want shime%d's", i, w, n)
		}
	}
}

// An actions.xml the parser refuses (here an encoding it cannot read) costs a warning naming it; the set imports with Shimeji's usual
// frame meaning.
func TestImportShimejiBadActionsFallsBack(t *testing.T) {
	src := t.TempDir()
	shimejiSet(t, src, `<?xml version="1.0" encoding="ISO-2022-KR"?><Mascot/>`)
	plan, err := Import(Options{Name: "Old set"}, Source{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(plan.Warnings, "\n"); !strings.Contains(w, filepath.Join(src, "conf", "actions.xml")) || !strings.Contains(w, `"ISO-2022-KR"`) {
		t.Errorf("warnings %q do not name the refused actions.xml", w)
	}
	if n := len(plan.Clips[engine.AnimWalk].Frames); n != 4 {
		t.Errorf("walk has %d frames, want Shimeji's usual 1,2,1,3", n)
	}
}

func TestImportShimejiZipAndZipSlip(t *testing.T) {
	src := t.TempDir()
	shimejiSet(t, src, "")
	entries := map[string][]byte{}
	var order []string
	for n := 1; n <= 46; n++ {
		name := fmt.Sprintf("img/Test/shime%d.png", n)
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		entries[name] = data
		order = append(order, name)
	}
	good := filepath.Join(t.TempDir(), "test.zip")
	writeFile(t, good, zipBytes(t, entries, order...))
	plan, err := Import(Options{Name: "Zipped"}, Source{Path: good})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Write(filepath.Join(t.TempDir(), "zipped"), false); err != nil {
		t.Fatal(err)
	}

	for _, evil := range []string{"../evil.png", "img/../../evil.png", "/etc/evil.png", `img\..\evil.png`} {
		entries[evil] = entries["img/Test/shime1.png"]
		bad := filepath.Join(t.TempDir(), "slip.zip")
		writeFile(t, bad, zipBytes(t, entries, append(order, evil)...))
		delete(entries, evil)
		_, err := Import(Options{Name: "Slip"}, Source{Path: bad})
		if err == nil || !strings.Contains(err.Error(), "slip.zip!"+evil) {
			t.Errorf("%s: got %v, want the entry refused by name", evil, err)
		}
	}
}

func TestImportRefusesZipBomb(t *testing.T) {
	bomb := filepath.Join(t.TempDir(), "bomb.zip")
	zeros := make([]byte, 8<<20)
	writeFile(t, bomb, zipBytes(t, map[string][]byte{"walk.png": zeros}, "walk.png"))
	_, err := Import(Options{Name: "Bomb"}, Source{Path: bomb})
	if err == nil || !strings.Contains(err.Error(), "zip bomb") || !strings.Contains(err.Error(), "bomb.zip!walk.png") {
		t.Fatalf("got %v", err)
	}
}

func TestImportFramesFolderAndSheet(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "walk_1.png"), pngBytes(t, figure(40, 40, 0)))
	writeFile(t, filepath.Join(dir, "walk_2.png"), pngBytes(t, figure(40, 40, 4)))
	writeFile(t, filepath.Join(dir, "walk_10.png"), pngBytes(t, figure(40, 40, 8)))
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("ignored"))
	sheet := image.NewNRGBA(image.Rect(0, 0, 120, 40))
	for i := range 3 {
		f := figure(40, 40, 0)
		for y := range 40 {
			copy(sheet.Pix[sheet.PixOffset(40*i, y):][:160], f.Pix[f.PixOffset(0, y):][:160])
		}
	}
	sheetFile := filepath.Join(t.TempDir(), "sheet.png")
	writeFile(t, sheetFile, pngBytes(t, sheet))
	plan, err := Import(Options{Name: "Robot", Grid: image.Pt(3, 1)}, Source{Path: dir}, Source{State: engine.AnimFall, Path: sheetFile})
	if err != nil {
		t.Fatal(err)
	}
	p := writeAndLoad(t, plan)
	walk := loadClip(t, p, engine.AnimWalk)
	if len(walk) != 3 || len(loadClip(t, p, engine.AnimFall)) != 3 {
		t.Fatalf("walk %d frames, fall %d; want 3 and 3", len(walk), len(loadClip(t, p, engine.AnimFall)))
	}
	// One shared box: walk_10 (shifted 8 px) is the rightmost, so the box is
	// 8 px wider than the figure and frame 0's figure sits at its left.
	m := walk[0].Image
	if a := alphaAt(m, 0, m.Rect.Dy()/2); a != 0 {
		t.Errorf("margin alpha %d, want 0", a)
	}
	if a := alphaAt(m, 1, m.Rect.Dy()/2); a == 0 || a == 255 {
		t.Errorf("rim alpha %d, want partial", a)
	}
	if a := alphaAt(m, 5, 6); a != 255 {
		t.Errorf("white eye inside the figure: alpha %d, want 255", a)
	}
	if a := alphaAt(m, m.Rect.Dx()-3, m.Rect.Dy()/2); a != 0 {
		t.Errorf("right of frame 0's figure: alpha %d, want 0 (it belongs to the later frames' room)", a)
	}
	if a := alphaAt(walk[2].Image, m.Rect.Dx()-3, m.Rect.Dy()/2); a != 255 {
		t.Errorf("walk_10 at the right: alpha %d, want 255 (frames sorted numerically)", a)
	}
	// Every state is there, the climb is the walk turned onto the wall.
	climb := loadClip(t, p, engine.AnimClimb)
	if climb[0].Anchor.X != 1 {
		t.Errorf("climb anchor %v; want it on the wall", climb[0].Anchor)
	}
	for y := range m.Rect.Dy() { // turned clockwise: the feet against the wall on the left
		for x := range m.Rect.Dx() {
			if got, want := climb[0].Image.NRGBAAt(m.Rect.Dy()-1-y, x), m.NRGBAAt(x, y); got != want {
				t.Fatalf("climb pixel for walk (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestWriteLeavesNothingHalfDone(t *testing.T) {
	gifFile := filepath.Join(t.TempDir(), "dance.gif")
	writeFile(t, gifFile, disposalGIF(t))
	plan, err := Import(Options{Name: "Dance", Matte: Matte{MinIsland: 0}}, Source{Path: gifFile})
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "dance")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := plan.Write(out, false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote an existing pack: %v", err)
	}
	if err := plan.Write(out, true); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 || entries[0].Name() != "dance" {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := pack.Load(out); err != nil {
		t.Fatal(err)
	}
}

// Replacing is for packs: --out pointing at a folder of the user's own
// files (or at a file) with --force must not delete them.
func TestWriteReplacesOnlyPacks(t *testing.T) {
	plan, err := Import(Options{Name: "Dance", Matte: Matte{MinIsland: 0}}, Source{Path: writeGIF(t)})
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(t.TempDir(), "文档")
	writeFile(t, filepath.Join(folder, "论文.docx"), []byte("precious"))
	file := filepath.Join(t.TempDir(), "notes.txt")
	writeFile(t, file, []byte("precious"))
	for _, dir := range []string{folder, file} {
		if err := plan.Write(dir, true); err == nil || !strings.Contains(err.Error(), "not a sprite pack") {
			t.Errorf("Write(%s, replace) = %v, want a refusal", dir, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(folder, "论文.docx")); err != nil || string(b) != "precious" {
		t.Errorf("the folder's file is gone: %q, %v", b, err)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "precious" {
		t.Errorf("the file is gone: %q, %v", b, err)
	}
	// A pack is replaced.
	pk := filepath.Join(t.TempDir(), "dance")
	if err := plan.Write(pk, false); err != nil {
		t.Fatal(err)
	}
	if err := plan.Write(pk, true); err != nil {
		t.Errorf("replacing a pack: %v", err)
	}
}

func writeGIF(t *testing.T) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "dance.gif")
	writeFile(t, name, disposalGIF(t))
	return name
}

func TestImportBadFilesNameThemselves(t *testing.T) {
	dir := t.TempDir()
	trunc := pngBytes(t, figure(40, 40, 0))
	huge := pngBytes(t, image.NewNRGBA(image.Rect(0, 0, 1, 1)))
	// Patch the IHDR to claim 30000x30000; the pixel data stays 1x1.
	copy(huge[16:], []byte{0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30})
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for _, c := range []struct {
		file string
		data []byte
		want string
	}{
		{"walk.png", trunc[:len(trunc)-30], "damaged PNG"},
		{"stand.png", []byte("GIF89a"), "GIF"},
		{"fall.png", huge, "too large (30000x30000"},
		{"sit.gif", []byte("not a picture"), "not a GIF, PNG, JPEG or WebP"},
		{"run.jpg", jpegBytes(t, figure(40, 40, 0))[:200], "JPEG"},
		{"jump.webp", []byte("RIFF\x20\x00\x00\x00WEBPVP8L\x14"), "not a valid WebP"},
		{"ghost.png", pngBytes(t, figure(40, 40, 0)), "which animation"},
	} {
		name := filepath.Join(dir, c.file)
		writeFile(t, name, c.data)
		_, err := Import(Options{Name: "Bad"}, Source{Path: name}, Source{Path: name + "x"})
		if c.file != "ghost.png" {
			_, err = Import(Options{Name: "Bad"}, Source{Path: name})
		}
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming it, containing %q", c.file, err, c.want)
		}
	}
	// The 30000x30000 header is refused by its size, before any decoding.
	if _, err := DecodePNG("huge.png", huge, &Budget{}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("huge header: %v", err)
	}
}

func visibleWidth(m *image.NRGBA) int {
	r := VisibleBounds(m)
	// Ignore the soft rim: count columns with an opaque pixel.
	n := 0
	for x := r.Min.X; x < r.Max.X; x++ {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if m.NRGBAAt(x, y).A == 255 {
				n++
				break
			}
		}
	}
	return n
}

func absInt(v int) int { return max(v, -v) }

var _ = png.Encode

// --height scales the character; a very tall one is shrunk by default.
func TestImportHeight(t *testing.T) {
	small := filepath.Join(t.TempDir(), "stand.png")
	writeFile(t, small, pngBytes(t, figure(40, 40, 0)))
	plan, err := Import(Options{Name: "Small", Height: 64}, Source{Path: small})
	if err != nil {
		t.Fatal(err)
	}
	if h := plan.Clips[engine.AnimStand].Frames[0].Rect.Dy(); h != 64 {
		t.Errorf("--height 64 gave %d px", h)
	}
	if a := plan.Clips[engine.AnimStand].Anchor; a.Y != 62 { // 31 of 32 px before: under the feet, above the margin
		t.Errorf("anchor %v not scaled with the picture", a)
	}
	tall := filepath.Join(t.TempDir(), "stand.png")
	writeFile(t, tall, pngBytes(t, figure(40, 400, 0)))
	plan, err = Import(Options{Name: "Tall"}, Source{Path: tall})
	if err != nil {
		t.Fatal(err)
	}
	if h := plan.Clips[engine.AnimStand].Frames[0].Rect.Dy(); h != autoHeight {
		t.Errorf("a 400 px character became %d px, want %d", h, autoHeight)
	}
	// A height whose frames the pet would refuse is refused up front, by
	// name, before any frame that size is made.
	start := time.Now()
	_, err = Import(Options{Name: "Huge", Height: 100000}, Source{Path: small})
	if err == nil || !strings.Contains(err.Error(), "height 100000") {
		t.Errorf("height 100000: %v, want a refusal naming the height", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing height 100000 took %v", d)
	}
	// Each side within the limit, the pixels over it.
	if _, err = Import(Options{Name: "Big", Height: 3000}, Source{Path: small}); err == nil || !strings.Contains(err.Error(), "height 3000") {
		t.Errorf("height 3000: %v, want a refusal", err)
	}
}

// One picture for everything: all=FILE (or a lone picture not named after
// a state) stands in for every state no other source gives.
func TestImportOnePictureForEverything(t *testing.T) {
	dir := t.TempDir()
	blob, walk, lone := filepath.Join(dir, "blob.png"), filepath.Join(dir, "walk.png"), filepath.Join(dir, "橘猫.png")
	writeFile(t, blob, pngBytes(t, figure(40, 40, 0)))
	writeFile(t, walk, pngBytes(t, figure(40, 40, 4)))
	writeFile(t, lone, pngBytes(t, figure(40, 40, 2)))
	plan, err := Import(Options{Name: "All"}, Source{State: StateAll, Path: blob}, Source{Path: walk})
	if err != nil {
		t.Fatal(err)
	}
	for state, from := range map[string]string{engine.AnimStand: blob, engine.AnimWalk: walk, engine.AnimSleep: "same as stand"} {
		if got := plan.Clips[state].From; got != from {
			t.Errorf("%s from %q, want %q", state, got, from)
		}
	}
	plan, err = Import(Options{Name: "Lone"}, Source{Path: lone})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Clips[engine.AnimStand].From; got != lone || len(plan.Clips) != len(engine.RequiredAnimations) {
		t.Errorf("a lone picture: stand from %q, %d states", got, len(plan.Clips))
	}
}

// Zips made by Windows' own compressor and most Chinese and Japanese tools
// store names in the system code page without the UTF-8 flag: a Shimeji
// set under img/ミク or a folder 桌宠/img/小猫 must still import.
func TestImportShimejiZipLegacyNames(t *testing.T) {
	src := t.TempDir()
	shimejiSet(t, src, "")
	for _, tc := range []struct {
		enc    encoding.Encoding
		prefix string
	}{
		{japanese.ShiftJIS, "img/ミク表示/"}, // 表 ends in 0x5C, a backslash byte
		{simplifiedchinese.GBK, "桌宠/img/小猫/"},
	} {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for n := 1; n <= 46; n++ {
			data, err := os.ReadFile(filepath.Join(src, "img", "Test", fmt.Sprintf("shime%d.png", n)))
			if err != nil {
				t.Fatal(err)
			}
			name, err := tc.enc.NewEncoder().String(fmt.Sprintf("%sshime%d.png", tc.prefix, n))
			if err != nil {
				t.Fatal(err)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, NonUTF8: true})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		zipped := filepath.Join(t.TempDir(), "set.zip")
		writeFile(t, zipped, b.Bytes())
		plan, err := Import(Options{Name: "Legacy"}, Source{Path: zipped})
		if err != nil {
			t.Errorf("%s: %v", tc.prefix, err)
			continue
		}
		if from := plan.Clips[engine.AnimWalk].From; !strings.Contains(from, strings.TrimSuffix(tc.prefix, "/")) {
			t.Errorf("walk comes from %q, want %q named readably", from, tc.prefix)
		}
	}
}

// Shimeji-ee takes a character's own conf/NAME/actions.xml over the shared
// conf/actions.xml, and the original Japanese 動作.xml where there is no
// actions.xml.
func TestImportShimejiConfLookup(t *testing.T) {
	walk := func(a, b int) string {
		return fmt.Sprintf(`<Mascot xmlns="http://www.group-finity.com/Mascot"><ActionList><Action Name="Walk" Type="Move">
<Animation><Pose Image="/shime%d.png" ImageAnchor="64,128" Velocity="-2,0" Duration="5"/>
<Pose Image="/shime%d.png" ImageAnchor="64,128" Velocity="-2,0" Duration="5"/></Animation></Action></ActionList></Mascot>`, a, b)
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		first int // the walk's first shime
	}{
		{"own conf folder", map[string]string{"conf/actions.xml": walk(2, 3), "conf/Test/actions.xml": walk(20, 21)}, 20},
		{"Japanese name", map[string]string{"conf/動作.xml": `<?xml version="1.0" encoding="UTF-8"?>` + jpActions}, 2},
		{"own Japanese over shared", map[string]string{"conf/actions.xml": walk(2, 3), "conf/Test/動作.xml": strings.ReplaceAll(jpActions, "shime2", "shime30")}, 30},
		{"capitalised", map[string]string{"conf/Actions.xml": walk(40, 41)}, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := t.TempDir()
			shimejiSet(t, src, "")
			for name, text := range c.files {
				writeFile(t, filepath.Join(src, filepath.FromSlash(name)), []byte(text))
			}
			plan, err := Import(Options{Name: "Conf"}, Source{Path: src})
			if err != nil {
				t.Fatal(err)
			}
			if w := visibleWidth(plan.Clips[engine.AnimWalk].Frames[0]); w != c.first/2*2+8 {
				t.Errorf("walk starts with a frame %d px wide, want shime%d's %d", w, c.first, c.first/2*2+8)
			}
		})
	}
}

// A shared pack (an exported zip, or a pack folder) installs under its own
// id, not one made up from its name (小猫 has no letters to make one from).
func TestImportSharedPackKeepsID(t *testing.T) {
	plan, err := Import(Options{Name: "小猫", Matte: Matte{MinIsland: 0}}, Source{Path: writeGIF(t)})
	if err != nil {
		t.Fatal(err)
	}
	packs := t.TempDir()
	dir := filepath.Join(packs, "xiao-mao")
	if err := plan.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	entries := map[string][]byte{}
	var order []string
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		entries["xiao-mao/"+f.Name()] = data
		order = append(order, "xiao-mao/"+f.Name())
	}
	zipped := filepath.Join(t.TempDir(), "xiao-mao (1).zip")
	writeFile(t, zipped, zipBytes(t, entries, order...))
	for _, src := range []string{zipped, dir} {
		got, err := Import(Options{}, Source{Path: src})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "xiao-mao" || got.Name != "小猫" {
			t.Errorf("%s installs as %q (%s), want xiao-mao (小猫)", src, got.ID, got.Name)
		}
	}
	// A new name makes a copy of its own.
	if got, err := Import(Options{Name: "Kitty"}, Source{Path: zipped}); err != nil || got.ID != "kitty" {
		t.Errorf("renamed: %v, %v", got, err)
	}
}

// Pictures named in Chinese find their state like English ones do.
func TestStateNamesInChinese(t *testing.T) {
	for name, want := range map[string]string{
		"站立": engine.AnimStand, "张望": engine.AnimLook, "走路": engine.AnimWalk, "跑步": engine.AnimRun,
		"坐下": engine.AnimSit, "睡觉": engine.AnimSleep, "跳": engine.AnimJump, "跳跃": engine.AnimJump,
		"下落": engine.AnimFall, "落地": engine.AnimLand, "爬墙": engine.AnimClimb, "悬挂": engine.AnimHang,
		"倒挂": engine.AnimCeiling, "拖动": engine.AnimDrag, "戳": engine.AnimPoke, "开心": engine.AnimJoy,
		"惊讶": engine.AnimSurprise,
	} {
		if got, ok := StateName(name); !ok || got != want {
			t.Errorf("StateName(%s) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

// A name (or author) the pet's loader would refuse is refused before any
// picture is read, in words about the name, not a temporary folder.
func TestImportRefusesBadWordsFirst(t *testing.T) {
	for _, o := range []Options{
		{Name: strings.Repeat("可爱的橘猫", 5)}, // 25 characters, 75 bytes
		{Name: "a\x07b"},
		{Name: "ok", Author: strings.Repeat("x", 300)},
	} {
		_, err := Import(o, Source{Path: filepath.Join(t.TempDir(), "missing.gif")})
		if err == nil || strings.Contains(err.Error(), "missing.gif") || strings.Contains(err.Error(), ".import-") {
			t.Errorf("%+q: %v, want the words refused before the pictures are read", o.Name, err)
		}
	}
}

// A FIFO (or a device) as a source would block the import forever on
// open; it is refused at once, by name, whatever its extension.
func TestImportRefusesFIFOAndDevices(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"管道.gif", "pipe.zip", "pipe"} {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	paths = append(paths, "/dev/null")
	for _, p := range paths {
		done := make(chan error, 1)
		go func() {
			_, err := Import(Options{Name: "Pipe"}, Source{State: engine.AnimWalk, Path: p})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v, want a refusal naming it", p, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the import hangs", p)
		}
	}
}
