package spriteimport

import (
	"reflect"
	"testing"
)

func TestDroppedPaths(t *testing.T) {
	cases := []struct {
		name    string
		list    string
		paths   []string
		refused []string
	}{
		{"one file", "file:///home/me/walk.gif\r\n", []string{"/home/me/walk.gif"}, nil},
		{"chinese and spaces, percent-encoded",
			"file:///home/me/%E5%9B%BE%E7%89%87/%E6%A9%98%E7%8C%AB%20walk.gif\r\n",
			[]string{"/home/me/图片/橘猫 walk.gif"}, nil},
		{"several, a folder and a zip, comments and a last line without CRLF",
			"# dropped from Files\r\nfile:///a/stand.png\r\nfile://localhost/b/frames\r\n\r\nfile:///c/set.zip",
			[]string{"/a/stand.png", "/b/frames", "/c/set.zip"}, nil},
		{"a web address is refused, the files are kept",
			"https://example.com/cat.gif\r\nfile:///a/walk.gif\r\n",
			[]string{"/a/walk.gif"}, []string{"https://example.com/cat.gif"}},
		{"another host, a relative and a broken URI",
			"file://nas/share/walk.gif\r\nfile:walk.gif\r\nfile:///a/%zz.gif\r\nfile:///a/%00.gif\r\n",
			nil, []string{"file://nas/share/walk.gif", "file:walk.gif", "file:///a/%zz.gif", "file:///a/%00.gif"}},
		{"plain text", "walk.gif", nil, []string{"walk.gif"}},
		{"nothing", "", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			paths, refused := DroppedPaths(c.list)
			if !reflect.DeepEqual(paths, c.paths) {
				t.Errorf("paths %q, want %q", paths, c.paths)
			}
			if !reflect.DeepEqual(refused, c.refused) {
				t.Errorf("refused %q, want %q", refused, c.refused)
			}
		})
	}
}

func TestSuggestName(t *testing.T) {
	for _, c := range []struct {
		sources []Source
		want    string
	}{
		{[]Source{{Path: "/home/me/橘猫/walk.gif"}, {Path: "/x/stand.png"}}, "橘猫"},
		{[]Source{{Path: "/home/me/橘猫/walk_03.png"}}, "橘猫"},
		{[]Source{{State: "walk", Path: "/home/me/cats/tabby.gif"}}, "cats"},
		{[]Source{{Path: "/home/me/Mandarin.gif"}}, "Mandarin"},
		{[]Source{{Path: "/home/me/shimeji-miku.zip"}}, "shimeji-miku"},
		{[]Source{{Path: "/home/me/Frames/"}}, "Frames"},
		{[]Source{{Path: "/walk.gif"}}, ""},
		{nil, ""},
	} {
		if got := SuggestName(c.sources...); got != c.want {
			t.Errorf("SuggestName(%v) = %q, want %q", c.sources, got, c.want)
		}
	}
}
