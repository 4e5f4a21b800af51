package spriteimport

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
	"github.com/tachikoma-pet/tachikoma/petclient/pack"
)

// Source is one SOURCE argument: a file or folder, optionally for one state
// ("walk=cat.gif"). State "" takes the state from the file name; a lone
// picture whose name is no state becomes the whole pet.
type Source struct {
	State string
	Path  string
}

// StateAll as a Source's state makes it the picture for every state
// nothing else provides.
const StateAll = "all"

var stateAliases = map[string]string{
	"idle": engine.AnimStand, "default": engine.AnimStand, "站": engine.AnimStand, "站立": engine.AnimStand,
	"walking": engine.AnimWalk, "走": engine.AnimWalk, "走路": engine.AnimWalk,
	"running": engine.AnimRun, "跑": engine.AnimRun, "sitting": engine.AnimSit, "坐": engine.AnimSit,
	"sleeping": engine.AnimSleep, "睡": engine.AnimSleep, "睡觉": engine.AnimSleep,
	"jumping": engine.AnimJump, "falling": engine.AnimFall, "landing": engine.AnimLand,
	"climbing": engine.AnimClimb, "hanging": engine.AnimHang, "dragged": engine.AnimDrag,
	"happy": engine.AnimJoy, "surprised": engine.AnimSurprise, "click": engine.AnimPoke,
	// Chinese names, as people name their own pictures.
	"张望": engine.AnimLook, "看": engine.AnimLook, "行走": engine.AnimWalk, "跑步": engine.AnimRun, "奔跑": engine.AnimRun,
	"坐下": engine.AnimSit, "睡眠": engine.AnimSleep, "跳": engine.AnimJump, "跳跃": engine.AnimJump,
	"下落": engine.AnimFall, "掉落": engine.AnimFall, "落下": engine.AnimFall, "落地": engine.AnimLand, "着地": engine.AnimLand,
	"爬": engine.AnimClimb, "爬墙": engine.AnimClimb, "攀爬": engine.AnimClimb, "悬挂": engine.AnimHang, "挂": engine.AnimHang,
	"倒挂": engine.AnimCeiling, "天花板": engine.AnimCeiling, "拖": engine.AnimDrag, "拖动": engine.AnimDrag, "拖拽": engine.AnimDrag,
	"戳": engine.AnimPoke, "点击": engine.AnimPoke, "开心": engine.AnimJoy, "高兴": engine.AnimJoy,
	"惊讶": engine.AnimSurprise, "吃惊": engine.AnimSurprise,
}

// StateName maps a name (or alias) to a pet state; ok is false for others.
func StateName(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(engine.RequiredAnimations, s) || s == StateAll {
		return s, true
	}
	a, ok := stateAliases[s]
	return a, ok
}

// ParseSource splits "STATE=PATH"; a prefix that is no state stays part of the path.
func ParseSource(arg string) Source {
	if i := strings.IndexByte(arg, '='); i > 0 {
		if st, ok := StateName(arg[:i]); ok {
			return Source{State: st, Path: arg[i+1:]}
		}
	}
	return Source{Path: arg}
}

// raw is one state's frames before background removal and cropping.
type raw struct {
	source    string
	frames    []*image.NRGBA
	delays    []time.Duration
	anchors   []*image.Point // explicit anchors in frame pixels (Shimeji); nil: by state
	loopCount int
}

var frameNameRE = regexp.MustCompile(`^(.*?)[ _\-.]?(\d{1,4})$`)

// stemState reads "walk", "walk_3", "Walk-03" as (walk, 3); ok false if no state.
func stemState(file string) (state string, index int, ok bool) {
	stem := strings.TrimSuffix(path.Base(file), path.Ext(file))
	index = -1
	if m := frameNameRE.FindStringSubmatch(stem); m != nil && m[1] != "" {
		stem = m[1]
		index, _ = strconv.Atoi(m[2])
	}
	state, ok = StateName(stem)
	return state, index, ok
}

type loader struct {
	opts       Options
	shared     map[string]*Clip // a whole pack being installed
	sharedMeta pack.Meta
	sharedID   string // the shared pack's folder name
	budget     Budget
	meter      meter
	states     map[string]*raw
	warnings   []string
}

func (l *loader) warn(format string, a ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf(format, a...))
}

func (l *loader) add(state string, r *raw) error {
	if l.shared != nil {
		return errf(r.source, "cannot be added to a whole pack being installed; import that pack on its own")
	}
	if old := l.states[state]; old != nil {
		return fmt.Errorf("%s and %s both give the %q animation", old.source, r.source, state)
	}
	if len(r.frames) == 0 {
		return errf(r.source, "has no frames")
	}
	l.states[state] = r
	return nil
}

func (l *loader) source(src Source, lone bool) error {
	st, err := os.Stat(src.Path)
	if err != nil {
		return errf(src.Path, "cannot be read: %v", unwrapPath(err))
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		// Opening a FIFO would wait for a writer forever.
		return errf(src.Path, "is not a regular file or a folder (%s)", fileKind(st.Mode()))
	}
	switch ext := strings.ToLower(filepath.Ext(src.Path)); {
	case st.IsDir():
		t, err := openDir(src.Path, &l.meter)
		if err != nil {
			return err
		}
		defer t.root.Close()
		return l.tree(t, src.State)
	case ext == ".zip":
		t, err := openZip(src.Path, &l.meter)
		if err != nil {
			return err
		}
		defer t.closer.Close()
		return l.tree(t, src.State)
	case isPicture(ext):
		state := src.State
		if state == "" {
			s, _, ok := stemState(src.Path)
			switch {
			case ok:
				state = s
			case lone:
				state = StateAll
			default:
				return errf(src.Path, "which animation is this? name it after one (walk.gif) or write STATE=%s (states: %s)",
					src.Path, strings.Join(engine.RequiredAnimations, ", "))
			}
		}
		data, err := l.readFile(src.Path)
		if err != nil {
			return err
		}
		r, err := l.picture(src.Path, data, true)
		if err != nil {
			return err
		}
		return l.add(state, r)
	default:
		return errf(src.Path, "is not a GIF, PNG, JPEG, WebP, zip or folder")
	}
}

// isPicture says whether a file extension (lower case, with the dot) is a
// picture the import reads.
func isPicture(ext string) bool {
	switch ext {
	case ".gif", ".png", ".jpg", ".jpeg", ".webp":
		return true
	}
	return false
}

// picture decodes one GIF, PNG, JPEG or WebP file; a PNG named on the command line is
// cut up as a sprite sheet when a grid or frame size is set.
func (l *loader) picture(label string, data []byte, sheet bool) (*raw, error) {
	if strings.HasPrefix(string(data), "GIF8") {
		a, err := DecodeGIF(label, data, &l.budget)
		if err != nil {
			return nil, err
		}
		return &raw{source: label, frames: a.Frames, delays: a.Delays, loopCount: a.LoopCount, anchors: make([]*image.Point, len(a.Frames))}, nil
	}
	m, err := DecodeStill(label, data, &l.budget)
	if err != nil {
		return nil, err
	}
	frames := []*image.NRGBA{m}
	if sheet && (l.opts.Grid != (image.Point{}) || l.opts.Cell != (image.Point{})) {
		if frames, err = SplitSheet(label, m, l.opts.Grid, l.opts.Cell); err != nil {
			return nil, err
		}
	}
	r := &raw{source: label, frames: frames, loopCount: 0, anchors: make([]*image.Point, len(frames))}
	for range frames {
		r.delays = append(r.delays, l.opts.frameDelay())
	}
	return r, nil
}

// fileKind names what a non-regular file is, for errors.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}

func (l *loader) readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, errf(name, "cannot be opened: %v", unwrapPath(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, errf(name, "is not a regular file")
	}
	return l.meter.readAll(name, f, MaxFileBytes)
}

// tree imports a folder or zip: a Shimeji-ee set if it has shime1.png, a
// DyberPet pet if it has pet_conf.json, a Tachikoma pack if it has
// pack.yaml, otherwise pictures named after states (walk_1.png, fall.gif).
func (l *loader) tree(t tree, forced string) error {
	files := t.list()
	var sets []string
	for _, f := range files {
		if strings.EqualFold(path.Base(f), "shime1.png") {
			sets = append(sets, path.Dir(f))
		}
	}
	if len(sets) > 0 {
		return l.shimeji(t, sets)
	}
	for _, f := range files {
		if path.Base(f) == pack.ManifestFile && strings.Count(f, "/") <= 1 {
			return l.sharedPack(t, path.Dir(f))
		}
	}
	for _, f := range files {
		if path.Base(f) == "pet_conf.json" && slices.Contains(files, path.Join(path.Dir(f), "act_conf.json")) {
			return l.dyberpet(t, path.Dir(f))
		}
	}
	type frame struct {
		file  string
		index int
	}
	groups := map[string][]frame{}
	for _, f := range files {
		ext := strings.ToLower(path.Ext(f))
		if !isPicture(ext) {
			continue
		}
		state, idx, ok := stemState(f)
		if !ok && path.Dir(f) != "." { // walk/1.png
			state, ok = StateName(path.Base(path.Dir(f)))
			_, idx, _ = stemState("x" + strings.TrimSuffix(path.Base(f), path.Ext(f)))
		}
		if forced != "" {
			state, ok = forced, true
		}
		if !ok {
			l.warn("%s: not named after a state; skipped", t.label(f))
			continue
		}
		groups[state] = append(groups[state], frame{f, idx})
	}
	if len(groups) == 0 {
		return errf(t.label("."), "has no pictures named after a state (walk_1.png, fall.gif, …) and no Shimeji shime1.png")
	}
	for _, state := range sortedStates(groups) {
		fs := groups[state]
		sort.SliceStable(fs, func(i, j int) bool {
			if fs[i].index != fs[j].index {
				return fs[i].index < fs[j].index
			}
			return fs[i].file < fs[j].file
		})
		merged := &raw{source: t.label(fs[0].file)}
		for _, f := range fs {
			data, err := t.read(f.file, MaxFileBytes)
			if err != nil {
				return err
			}
			r, err := l.picture(t.label(f.file), data, false)
			if err != nil {
				return err
			}
			merged.frames = append(merged.frames, r.frames...)
			merged.delays = append(merged.delays, r.delays...)
			merged.anchors = append(merged.anchors, r.anchors...)
			merged.loopCount = r.loopCount
			if len(merged.frames) > MaxGIFFrames {
				return errf(t.label(f.file), "brings the %q animation over %d frames", state, MaxGIFFrames)
			}
		}
		if err := l.add(state, merged); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) shimeji(t tree, sets []string) error {
	set := sets[0]
	if l.opts.Character != "" {
		set = ""
		for _, s := range sets {
			if strings.EqualFold(path.Base(s), l.opts.Character) {
				set = s
			}
		}
		if set == "" {
			return errf(t.label("."), "has no Shimeji character %q (has: %s)", l.opts.Character, strings.Join(baseNames(sets), ", "))
		}
	} else if len(sets) > 1 {
		l.warn("%s holds %d Shimeji characters (%s); importing %s (choose with --character)",
			t.label("."), len(sets), strings.Join(baseNames(sets), ", "), path.Base(set))
	}
	inSet := map[string]string{} // lower-case base name -> path
	for _, f := range t.list() {
		if path.Dir(f) == set {
			inSet[strings.ToLower(path.Base(f))] = f
		}
	}
	have := func(img string) bool { _, ok := inSet[strings.ToLower(img)]; return ok }
	files := map[string]string{} // lower-case path -> path
	for _, f := range t.list() {
		files[strings.ToLower(f)] = f
	}
	var actions map[string][]Pose
	for _, want := range shimejiConfs(set) {
		c, ok := files[want]
		if !ok {
			continue
		}
		data, err := t.read(c, MaxXMLBytes)
		if err != nil {
			return err
		}
		if actions, err = ParseActions(t.label(c), data); err != nil {
			// The pictures are still good: a damaged or foreign-encoded
			// actions.xml costs only its timing, not the character.
			l.warn("%v; using Shimeji's usual frames instead", err)
			actions = nil
		}
		break
	}
	poses := shimejiPoses(actions, have)
	if len(poses[engine.AnimDrag]) < 3 { // Shimeji picks drag poses by pointer offset; the stock three fit ours
		if d := defaultPoses(engine.AnimDrag, have); len(d) == 3 {
			poses[engine.AnimDrag] = d
		}
	}
	decoded := map[string]*image.NRGBA{}
	for _, state := range sortedStates(poses) {
		r := &raw{source: t.label(set)}
		for _, p := range poses[state] {
			file := inSet[strings.ToLower(p.Image)]
			m := decoded[file]
			if m == nil {
				data, err := t.read(file, MaxFileBytes)
				if err != nil {
					return err
				}
				if m, err = DecodePNG(t.label(file), data, &l.budget); err != nil {
					return err
				}
				decoded[file] = m
			}
			r.frames = append(r.frames, m)
			r.delays = append(r.delays, p.Duration)
			var a *image.Point
			if p.Anchor != nil {
				a = &image.Point{p.Anchor[0], p.Anchor[1]}
			} else {
				a = &image.Point{m.Rect.Dx() / 2, m.Rect.Dy()} // Shimeji's anchor: bottom centre
			}
			r.anchors = append(r.anchors, a)
		}
		if err := l.add(state, r); err != nil {
			return err
		}
	}
	return nil
}

func baseNames(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = path.Base(d)
	}
	return out
}

func sortedStates[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sharedPack takes a Tachikoma pack as it is (an exported zip): loaded by
// the pet's own loader from memory, its frames and anchors kept.
func (l *loader) sharedPack(t tree, dir string) error {
	// An uncompressed zip in memory is the standard library's fs.FS over
	// bytes already read within the limits.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range t.list() {
		rel := strings.TrimPrefix(f, dir+"/")
		if dir == "." {
			rel = f
		} else if rel == f {
			continue
		}
		data, err := t.read(f, MaxFileBytes)
		if err != nil {
			return err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: rel, Method: zip.Store})
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t.label(f), err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("%s: %w", t.label(dir), err)
	}
	mem, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return fmt.Errorf("%s: %w", t.label(dir), err)
	}
	p, err := pack.LoadFS(mem)
	if err != nil {
		return fmt.Errorf("%s: %w", t.label(dir), err)
	}
	if l.shared != nil || len(l.states) > 0 {
		return errf(t.label(dir), "is a whole pack; import it on its own")
	}
	l.shared, l.sharedMeta, l.sharedID = map[string]*Clip{}, p.Meta(), path.Base(dir)
	if dt, ok := t.(*dirTree); ok && dir == "." {
		l.sharedID = filepath.Base(dt.dir)
	}
	for _, state := range engine.RequiredAnimations {
		frames, err := p.Frames(state, 1)
		if err != nil {
			return fmt.Errorf("%s: %w", t.label(dir), err)
		}
		c := &Clip{State: state, From: t.label(dir), Loop: p.Manifest().Animations[state].Loop, Anchor: frames[0].Anchor}
		for _, f := range frames {
			c.Frames = append(c.Frames, clone(f.Image))
			c.Delays = append(c.Delays, f.Duration)
		}
		c.Before = c.Frames[0]
		l.shared[state] = c
	}
	return nil
}

// SuggestName is a pack name to offer for sources: the first one's folder,
// zip or file name, or the folder holding it when the file is named after
// a state ("橘猫/walk.gif" gives "橘猫").
func SuggestName(sources ...Source) string {
	if len(sources) == 0 {
		return ""
	}
	p := filepath.Clean(sources[0].Path)
	name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	if _, _, ok := stemState(filepath.Base(p)); ok || sources[0].State != "" {
		name = filepath.Base(filepath.Dir(p))
	}
	if name == "." || name == string(filepath.Separator) {
		return ""
	}
	return name
}

// shimejiConfs are where Shimeji-ee looks for a character's actions, first
// choice first (lower-case): the character's img/NAME/conf, then
// conf/NAME, then the shared conf; 動作.xml is the original Japanese name.
func shimejiConfs(set string) []string {
	root, name := path.Dir(path.Dir(set)), path.Base(set)
	var out []string
	for _, dir := range []string{path.Join(set, "conf"), path.Join(root, "conf", name), path.Join(root, "conf"), "conf"} {
		for _, f := range []string{"actions.xml", "動作.xml"} {
			out = append(out, strings.ToLower(path.Join(dir, f)))
		}
	}
	return out
}
