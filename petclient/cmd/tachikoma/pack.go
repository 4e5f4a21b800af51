package main

import (
	"archive/zip"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tachikoma-pet/tachikoma/assets"
	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimport"
)

func init() {
	register("pack", "sprite packs: import your own GIF/PNG/JPEG/WebP pictures or Shimeji sets, check, export", runPack)
}

func runPack(args []string) int {
	userDir, err := pack.UserDir()
	if err != nil {
		// Importing with --out, checking a DIR and the built-in pack still work.
		fmt.Fprintf(os.Stderr, "tachikoma pack: %v\n", err)
	}
	return packCmd(args, os.Stdout, os.Stderr, userDir)
}

const packUsage = `Usage:
  tachikoma pack import SOURCE... --name NAME [--id ID] [--tolerance N] [--out DIR]
                         make a pack from your own pictures (see -h of import)
  tachikoma pack check DIR|ID    check a pack with the pet's own loader
  tachikoma pack export ID FILE.zip [--force]
                         zip a pack to share it; pack import FILE.zip installs it
                         (--force replaces an existing FILE.zip)
  tachikoma pack list            the packs the pet finds

SOURCE: walk.gif, fall_1.png..., stand.jpg, sit.webp, a folder of those, a sprite sheet
(--grid 4x2), a Shimeji-ee folder or .zip (img/NAME/shime1.png...), a
DyberPet folder (pet_conf.json + act_conf.json), or
STATE=FILE to say which animation a picture is (states: %s).
User packs live in %s.
`

func printPackUsage(w io.Writer, userDir string) {
	fmt.Fprintf(w, packUsage, strings.Join(engine.RequiredAnimations, " "), cmp.Or(userDir, "(none: no home directory)"))
}

// packCmd runs the pack tools; none of them needs a display.
func packCmd(args []string, stdout, stderr io.Writer, userDir string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printPackUsage(stderr, userDir)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "import":
		return packImport(args[1:], stdout, stderr, userDir)
	case "check":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "Usage: tachikoma pack check DIR|ID")
			return 2
		}
		return packCheck(args[1], stdout, stderr, userDir)
	case "export":
		pos := slices.DeleteFunc(slices.Clone(args[1:]), func(a string) bool { return a == "--force" || a == "-force" })
		force := len(pos) < len(args)-1
		if len(pos) != 2 {
			fmt.Fprintln(stderr, "Usage: tachikoma pack export ID FILE.zip [--force]")
			return 2
		}
		if err := packExport(pos[0], pos[1], userDir, force); err != nil {
			fmt.Fprintf(stderr, "tachikoma pack export: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s\n", pos[1])
		return 0
	case "list", "ls":
		for _, in := range pack.DiscoverIn(userDir) {
			if in.Err != nil {
				fmt.Fprintf(stdout, "%-20s BROKEN: %s\n", in.ID, firstLine(in.Err))
			} else {
				fmt.Fprintf(stdout, "%-20s %s\n", in.ID, in.Meta.Name)
			}
		}
		return 0
	}
	fmt.Fprintf(stderr, "tachikoma pack: unknown command %q\n", args[0])
	printPackUsage(stderr, userDir)
	return 2
}

func packImport(args []string, stdout, stderr io.Writer, userDir string) int {
	fs := flag.NewFlagSet("tachikoma pack import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: tachikoma pack import SOURCE... --name NAME [flags]")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	var o spriteimport.Options
	fs.StringVar(&o.Name, "name", "", "the pack's `name` in the menu (required)")
	fs.StringVar(&o.ID, "id", "", "directory name of the pack (default: from the name)")
	fs.StringVar(&o.Author, "author", "", "author of the art")
	fs.StringVar(&o.Licence, "licence", "", "licence of the art (default: unknown)")
	fs.IntVar(&o.Matte.Tolerance, "tolerance", spriteimport.DefaultMatte.Tolerance, "colour distance 0-255 still taken as background")
	fs.IntVar(&o.Matte.MinIsland, "min-island", spriteimport.DefaultMatte.MinIsland, "drop specks smaller than this many pixels")
	fs.IntVar(&o.Height, "height", 0, "character height in `px` at 1x (default: as drawn; over 200 px shrinks to 128)")
	grid := fs.String("grid", "", "cut sprite sheets (PNG, JPEG, WebP) into `COLSxROWS` frames")
	cell := fs.String("frame", "", "cut sprite sheets into frames of `WxH` pixels")
	fs.IntVar(&o.FrameMS, "frame-ms", 0, "duration of each still frame (PNG, JPEG, WebP) in ms (default 100)")
	fs.StringVar(&o.Character, "character", "", "Shimeji: which img/`NAME` when there are several")
	out := fs.String("out", "", "write the pack to `DIR` (default: the pet's pack directory/ID)")
	force := fs.Bool("force", false, "replace an existing pack of the same id")
	var sources []spriteimport.Source
	for rest := args; ; { // flags may come after the sources
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		sources = append(sources, spriteimport.ParseSource(fs.Arg(0)))
		rest = fs.Args()[1:]
	}
	var err error
	if o.Grid, err = parseSize(*grid, "--grid"); err == nil {
		o.Cell, err = parseSize(*cell, "--frame")
	}
	if err != nil {
		fmt.Fprintf(stderr, "tachikoma pack import: %v\n", err)
		return 2
	}
	if len(sources) == 0 {
		fs.Usage()
		return 2
	}
	plan, err := spriteimport.Import(o, sources...)
	if err != nil {
		fmt.Fprintf(stderr, "tachikoma pack import: %v\n", err)
		return 1
	}
	for _, w := range plan.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	dir := *out
	if dir == "" {
		if userDir == "" {
			fmt.Fprintln(stderr, "tachikoma pack import: no user pack directory; use --out")
			return 1
		}
		dir = filepath.Join(userDir, plan.ID)
	}
	if err := plan.Write(dir, *force); err != nil {
		fmt.Fprintf(stderr, "tachikoma pack import: %v\n", err)
		return 1
	}
	for _, state := range engine.RequiredAnimations {
		c := plan.Clips[state]
		var ms []string
		for i, d := range c.Delays {
			if i == 4 {
				ms = append(ms, "…")
				break
			}
			ms = append(ms, strconv.FormatInt(d.Milliseconds(), 10))
		}
		sz := c.Frames[0].Rect.Size()
		fmt.Fprintf(stdout, "  %-8s %2d frame(s) %3dx%-3d %-18s %s\n", state, len(c.Frames), sz.X, sz.Y, strings.Join(ms, ",")+" ms", c.From)
	}
	fmt.Fprintf(stdout, "pack %q written to %s\nChoose it in the pet's menu (Sprite pack), or check it: tachikoma pack check %s\n", plan.Name, dir, dir)
	return 0
}

func parseSize(s, flag string) (image.Point, error) {
	if s == "" {
		return image.Point{}, nil
	}
	var p image.Point
	if n, err := fmt.Sscanf(strings.ToLower(s), "%dx%d", &p.X, &p.Y); err != nil || n != 2 || p.X <= 0 || p.Y <= 0 || p.X > 4096 || p.Y > 4096 {
		return image.Point{}, fmt.Errorf("%s %q: want COLSxROWS or WxH, e.g. 4x2", flag, s)
	}
	return p, nil
}

// packCheck loads a pack exactly as the pet does and prints every problem.
func packCheck(arg string, stdout, stderr io.Writer, userDir string) int {
	dir := arg
	if _, err := os.Stat(arg); err != nil && !strings.ContainsAny(arg, `/\`) && userDir != "" {
		dir = filepath.Join(userDir, arg)
	}
	p, err := pack.Load(dir)
	if err != nil {
		for _, e := range flatten(err) {
			fmt.Fprintln(stdout, e)
		}
		return 1
	}
	m := p.Meta()
	fmt.Fprintf(stdout, "%s: ok (%s, licence %s)\n", dir, m.Name, m.Licence)
	return 0
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// packExport zips a pack that loads cleanly; the built-in one comes from
// the binary. The zip is written beside FILE and renamed when complete; an
// existing FILE is replaced only with force.
func packExport(id, file, userDir string, force bool) error {
	exists := fmt.Errorf("%s already exists; choose another name or replace it with --force", file)
	var fsys fs.FS
	if id == pack.DefaultID {
		sub, err := fs.Sub(assets.Packs(), pack.DefaultID)
		if err != nil {
			return err
		}
		fsys = sub
	} else {
		if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
			return fmt.Errorf("%q is not a pack id (see tachikoma pack list)", id)
		}
		if userDir == "" {
			return fmt.Errorf("pack %s: no user pack directory", id)
		}
		dir := filepath.Join(userDir, id)
		if _, err := pack.Load(dir); err != nil {
			return fmt.Errorf("pack %s does not load, so it is not exported:\n%w", id, err)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return err
		}
		defer root.Close()
		fsys = root.FS()
	}
	if _, err := os.Lstat(file); err == nil && !force {
		return exists
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(id + "/" + p)
		if err == nil {
			_, err = w.Write(data)
		}
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err != nil {
		return errors.Join(fmt.Errorf("writing %s", file), err)
	}
	if force {
		return os.Rename(tmp.Name(), file)
	}
	// A link fails on an existing name, so a file that appeared meanwhile
	// is not replaced either.
	if err := os.Link(tmp.Name(), file); errors.Is(err, fs.ErrExist) {
		return exists
	} else if err != nil {
		return os.Rename(tmp.Name(), file) // no hard links here (FAT, some FUSE): checked above
	}
	return nil
}
