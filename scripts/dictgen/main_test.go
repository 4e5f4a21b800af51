package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tachikoma-pet/tachikoma/petclient/dict"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir"
	"github.com/tachikoma-pet/tachikoma/petclient/xdgdir/xdgdirtest"
)

const sampleCSV = `word,phonetic,definition,translation,pos,collins,oxford,tag,bnc,frq,exchange,detail,audio
go,gou,v. move,"vi. 去, 走\nn. 尝试",,5,1,zk gk,35,44,i:going/p:went/d:gone/3:goes,,
went,went,v change location,go的过去式,,,,,0,0,0:go/1:p,,
aardwolf,,n. a hyena,n. 土狼,,,,,0,0,,,
broken line
`

func TestBuildFromCSV(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "ecdict.csv")
	os.WriteFile(src, []byte(sampleCSV), 0o644)
	for _, core := range []bool{true, false} {
		out := filepath.Join(dir, "out.tkd")
		if err := run(src, out, core, 30000); err != nil {
			t.Fatal(err)
		}
		d, err := dict.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		// went and aardwolf have no tag, star or rank: only the full dictionary keeps them.
		if want := map[bool]int{true: 1, false: 3}[core]; d.Len() != want {
			t.Errorf("core=%v: %d entries, want %d", core, d.Len(), want)
		}
		rs, _ := d.Lookup("gone")
		if len(rs) != 1 || rs[0].Word != "go" || !strings.Contains(rs[0].Translation, "去") || rs[0].Tags&dict.TagGK == 0 {
			t.Errorf("core=%v: gone → %+v", core, rs)
		}
		if rs[0].Definition != "" && core {
			t.Errorf("the core dictionary keeps no English definitions")
		}
		d.Close()
	}
	if err := run(filepath.Join(dir, "missing.tgz"), filepath.Join(dir, "x"), true, 1); err == nil {
		t.Error("a missing source must fail")
	}
}

// Without -out the full dictionary goes where the pet looks for it.
func TestOutPath(t *testing.T) {
	if p, err := outPath("x.tkd"); p != "x.tkd" || err != nil {
		t.Errorf("outPath(x.tkd) = %q, %v", p, err)
	}
	xdgdirtest.Check(t, xdgdir.Data, func() (string, error) { return outPath("") }, "tachikoma/dict/"+dict.FullFile, "dictionary: ")
}
