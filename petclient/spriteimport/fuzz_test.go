package spriteimport

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// FuzzDecodeGIF: any bytes give frames of the logical screen size or an
// error naming the file, never a panic.
func FuzzDecodeGIF(f *testing.F) {
	f.Add(disposalGIF(f))
	f.Add(append(append(gifHeader(4, 4), gifFrame(3, 3, 2, 2)...), 0x3b))
	f.Add(append(gifHeader(2, 2), gifFrame(0, 0, 1, 1)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeGIF("f.gif", data, &Budget{})
		if err != nil {
			if !bytes.HasPrefix([]byte(err.Error()), []byte("f.gif: ")) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(a.Frames) == 0 || len(a.Frames) != len(a.Delays) {
			t.Fatalf("%d frames, %d delays", len(a.Frames), len(a.Delays))
		}
		for _, m := range a.Frames {
			if m.Rect != a.Frames[0].Rect || checkSize(m.Rect.Dx(), m.Rect.Dy()) != nil {
				t.Fatalf("frame %v", m.Rect)
			}
		}
	})
}

// FuzzZip: a zip that opens has only safe, bounded entries.
func FuzzZip(f *testing.F) {
	f.Add(zipBytes(f, map[string][]byte{"img/a/shime1.png": []byte("x"), "conf/actions.xml": []byte("<a/>")}, "img/a/shime1.png", "conf/actions.xml"))
	f.Add(zipBytes(f, map[string][]byte{"../x": []byte("x")}, "../x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := newZipTree("f.zip", bytes.NewReader(data), int64(len(data)), &meter{})
		if err != nil {
			return
		}
		for _, n := range z.list() {
			if checkEntryName(n) != nil {
				t.Fatalf("unsafe entry %q accepted", n)
			}
			if b, err := z.read(n, MaxFileBytes); err == nil && len(b) > MaxFileBytes {
				t.Fatalf("%q read %d bytes", n, len(b))
			}
		}
	})
}

// FuzzActions: actions.xml parsing never panics and keeps its bounds.
func FuzzActions(f *testing.F) {
	f.Add([]byte(actionsXML))
	f.Add([]byte(`<!DOCTYPE m [<!ENTITY a "x">]><m>&a;</m>`))
	f.Add([]byte(`<Action Name="Sit"><Animation><Pose Image="..png" Duration="4"/></Animation></Action>`))
	f.Add([]byte(`<動作 名前="歩く"><アニメーション><ポーズ 画像="/shime2.png" 基準座標="64,128" 長さ="3"/></アニメーション></動作>`))
	f.Add(encodeXML(f, japanese.ShiftJIS, `<?xml version="1.0" encoding="Shift_JIS"?>`+jpActions))
	f.Add(encodeXML(f, japanese.ShiftJIS, jpActions))
	f.Fuzz(func(t *testing.T, data []byte) {
		acts, err := ParseActions("a.xml", data)
		if err != nil {
			return
		}
		for name, poses := range acts {
			if len(poses) > MaxGIFFrames {
				t.Fatalf("%s: %d poses", name, len(poses))
			}
			for _, p := range poses {
				if p.Duration <= 0 || p.Image == "" || p.Image[0] == '/' || slices.Contains(strings.Split(p.Image, "/"), "..") {
					t.Fatalf("%s: pose %+v", name, p)
				}
			}
		}
	})
}
