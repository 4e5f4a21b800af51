// Command artgen draws the default Tachikoma sprite pack from vector shapes
// (petclient/art) and writes it as a pack directory: one PNG set per scale
// plus pack.yaml. Re-run it after changing poses or colours:
//
//	go run ./scripts/artgen -out assets/packs/tachikoma -sheet docs/images/sheet.png
//
// Colours can be changed for a recoloured pack, e.g.
//
//	go run ./scripts/artgen -out /tmp/red -body '#d5473a' -pod '#e0584a' -name Red
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/petclient/art"
)

type options struct {
	out, sheet  string
	scales      []float64
	sheetScale  float64
	scheme      art.Scheme
	name        string
	author      string
	licence     string
	version     string
	description string
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "artgen:", err)
		os.Exit(2)
	}
	if err := generate(o); err != nil {
		fmt.Fprintln(os.Stderr, "artgen:", err)
		os.Exit(1)
	}
}

func hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func parseFlags(args []string) (options, error) {
	fl := flag.NewFlagSet("artgen", flag.ContinueOnError)
	var o options
	d := art.DefaultScheme()
	colours := []struct {
		flag string
		dst  *color.NRGBA
		def  color.NRGBA
		help string
		val  *string
	}{
		{flag: "body", dst: &o.scheme.Body, def: d.Body, help: "shell colour"},
		{flag: "pod", dst: &o.scheme.Pod, def: d.Pod, help: "abdomen pod colour"},
		{flag: "outline", dst: &o.scheme.Outline, def: d.Outline, help: "ink line colour"},
		{flag: "eye", dst: &o.scheme.Eye, def: d.Eye, help: "lens glow colour"},
		{flag: "wheel", dst: &o.scheme.Wheel, def: d.Wheel, help: "tyre colour"},
		{flag: "accent", dst: &o.scheme.Accent, def: d.Accent, help: "joints, lens rims and hubs"},
	}
	for i := range colours {
		c := &colours[i]
		c.val = fl.String(c.flag, hex(c.def), c.help+" (#rrggbb)")
	}
	fl.StringVar(&o.out, "out", "assets/packs/tachikoma", "pack directory to write")
	fl.StringVar(&o.sheet, "sheet", "", "also write a contact sheet PNG of every frame to this file")
	fl.Float64Var(&o.sheetScale, "sheet-scale", 2, "scale of the frames on the contact sheet")
	scales := fl.String("scales", "1,2,3", "comma-separated scales to render (1 = 80x64 frames)")
	fl.StringVar(&o.name, "name", "Tachikoma", "pack name")
	fl.StringVar(&o.author, "author", "The Tachikoma desktop pet authors", "pack author")
	fl.StringVar(&o.licence, "licence", "CC0-1.0", "licence of the generated art")
	fl.StringVar(&o.version, "version", "1.0.0", "pack version")
	fl.StringVar(&o.description, "description",
		"A small blue spider-tank robot with a big round pod, drawn by scripts/artgen.", "pack description")
	if err := fl.Parse(args); err != nil {
		return o, err
	}
	if fl.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	for _, c := range colours {
		v, err := art.ParseHex(*c.val)
		if err != nil {
			return o, fmt.Errorf("-%s: %w", c.flag, err)
		}
		*c.dst = v
	}
	for _, s := range strings.Split(*scales, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v <= 0 || v > 8 {
			return o, fmt.Errorf("-scales: bad scale %q (want numbers in (0, 8])", s)
		}
		o.scales = append(o.scales, v)
	}
	sort.Float64s(o.scales)
	if o.sheetScale <= 0 || o.sheetScale > 8 {
		return o, fmt.Errorf("-sheet-scale: %v out of range", o.sheetScale)
	}
	return o, nil
}

// scaleDir names a scale's directory: 1x, 2x, 1.5x.
func scaleDir(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) + "x" }

func frameFile(anim string, i int) string { return fmt.Sprintf("%s_%d.png", anim, i) }

func generate(o options) error {
	anims := art.Animations()
	for _, s := range o.scales {
		dir := filepath.Join(o.out, scaleDir(s))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		// Remove frames of a previous run so renamed or dropped frames don't linger.
		old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
		for _, a := range anims {
			for i, f := range a.Frames {
				img := art.Render(f.Pose, o.scheme, s)
				if err := writePNG(filepath.Join(dir, frameFile(a.Name, i)), img); err != nil {
					return err
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(o.out, "pack.yaml"), manifest(o, anims), 0o644); err != nil {
		return err
	}
	if o.sheet != "" {
		if err := os.MkdirAll(filepath.Dir(o.sheet), 0o755); err != nil {
			return err
		}
		if err := writePNG(o.sheet, art.ContactSheet(anims, o.scheme, o.sheetScale)); err != nil {
			return err
		}
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression} // committed to git: keep it small
	if err := enc.Encode(&buf, img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// manifest writes pack.yaml by hand rather than with yaml.Marshal so frames
// stay one per line and the file reads well in review.
func manifest(o options, anims []art.AnimSpec) []byte {
	q := func(s string) string { // a YAML-safe scalar
		b, _ := yaml.Marshal(s)
		return strings.TrimSpace(string(b))
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	var b strings.Builder
	b.WriteString("# Generated by scripts/artgen (go run ./scripts/artgen); edit the generator, not this file.\n")
	b.WriteString("# Format: docs/PACKS.md\n")
	fmt.Fprintf(&b, "name: %s\nauthor: %s\nlicence: %s\nversion: %s\ndescription: %s\n",
		q(o.name), q(o.author), q(o.licence), q(o.version), q(o.description))
	fmt.Fprintf(&b, "# colours: body %s, pod %s, outline %s, eye %s, wheel %s, accent %s\n",
		hex(o.scheme.Body), hex(o.scheme.Pod), hex(o.scheme.Outline), hex(o.scheme.Eye), hex(o.scheme.Wheel), hex(o.scheme.Accent))
	b.WriteString("scales:\n")
	for _, s := range o.scales {
		fmt.Fprintf(&b, "  %s: %s\n", num(s), scaleDir(s))
	}
	b.WriteString("animations:\n")
	for _, a := range anims {
		fmt.Fprintf(&b, "  %s:\n    loop: %v\n    frames:\n", a.Name, a.Loop)
		for i, f := range a.Frames {
			ax, ay := art.Anchor(f.Pose.Orient)
			fmt.Fprintf(&b, "      - {image: %s, duration_ms: %d, anchor: [%s, %s]}\n",
				frameFile(a.Name, i), f.DurationMS, num(ax), num(ay))
		}
	}
	b.WriteString("behaviours:\n")
	for _, k := range []string{"stand", "look", "walk", "run", "sit", "sleep", "jump", "climb", "ceiling"} {
		fmt.Fprintf(&b, "  %s: %s\n", k, num(defaultWeights[k]))
	}
	return []byte(b.String())
}

// defaultWeights: a calm pet that mostly strolls and idles.
var defaultWeights = map[string]float64{
	"stand": 3, "look": 2, "walk": 5, "run": 1, "sit": 1.5, "sleep": 0.7, "jump": 1, "climb": 1, "ceiling": 0.5,
}
