// Package pack loads sprite packs: a directory with a pack.yaml manifest and
// PNG frames, optionally at several scales. It validates everything up front
// with errors that name the file and field, never panics on bad input, and
// serves decoded frames scaled for the display. It is toolkit-free; the
// display layer turns frames into cairo surfaces (see CairoARGB32).
package pack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// ManifestFile is the manifest's name inside a pack directory.
const ManifestFile = "pack.yaml"

// Limits that keep a hostile or broken pack from eating memory or time.
const (
	MaxManifestBytes  = 1 << 20  // pack.yaml
	MaxImageBytes     = 16 << 20 // one PNG file
	MaxPackBytes      = 96 << 20 // all PNG files together
	MaxImagePixels    = 4 << 20  // width*height of one decoded image
	MaxImageSide      = 4096     // width or height of one image
	MaxFrames         = 256      // frames in one animation
	MaxScale          = 8.0      // largest scale a set or a request may have
	MinDurationMS     = 10       // shorter frames would be invisible
	MaxDurationMS     = 60_000   // a minute on one frame is a mistake
	MaxWeight         = 1e6
	maxReportedErrors = 20
)

// Behaviour keys the engine understands; missing ones take DefaultWeights.
var BehaviourKeys = []string{"stand", "look", "walk", "run", "sit", "sleep", "jump", "climb", "ceiling"}

// DefaultWeights apply to behaviour keys a pack leaves out.
var DefaultWeights = map[string]float64{
	"stand": 3, "look": 2, "walk": 5, "run": 1, "sit": 1.5, "sleep": 0.7, "jump": 1, "climb": 1, "ceiling": 0.5,
}

// MinFrames are per-animation minimums stronger than "at least one".
var MinFrames = map[string]int{engine.AnimDrag: 3} // centre, swung left, swung right

// Manifest is the parsed pack.yaml.
type Manifest struct {
	Name        string                   `yaml:"name"`
	Author      string                   `yaml:"author"`
	Licence     string                   `yaml:"licence"`
	Version     string                   `yaml:"version"`
	Description string                   `yaml:"description"`
	Scales      map[float64]string       `yaml:"scales,omitempty"`
	Animations  map[string]AnimationSpec `yaml:"animations"`
	Behaviours  map[string]float64       `yaml:"behaviours,omitempty"`
}

// AnimationSpec is one animation in the manifest.
type AnimationSpec struct {
	Loop   bool        `yaml:"loop"`
	Frames []FrameSpec `yaml:"frames"`
}

// FrameSpec is one frame: an image file (relative to each scale directory),
// how long it shows and its anchor in 1x pixels.
type FrameSpec struct {
	Image      string    `yaml:"image"`
	DurationMS int       `yaml:"duration_ms"`
	Anchor     []float64 `yaml:"anchor,omitempty,flow"`
}

// Error is one problem with a pack, naming the file and the field.
type Error struct {
	Pack  string // pack directory or name; may be empty
	File  string // file inside the pack, e.g. "pack.yaml" or "2x/walk_0.png"
	Field string // manifest field path, e.g. "animations.walk.frames[2].duration_ms"
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pack != "" {
		b.WriteString("pack " + e.Pack + ": ")
	}
	b.WriteString(e.File)
	if e.Field != "" {
		if e.File != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// errList collects errors so an author sees all of them at once.
type errList []error

func (l *errList) add(file, field, format string, a ...any) {
	if len(*l) < maxReportedErrors {
		*l = append(*l, &Error{File: file, Field: field, Msg: fmt.Sprintf(format, a...)})
	}
}

func (l errList) err() error { return errors.Join(l...) }

// yaml.v3 names Go types in its messages; pack authors don't need those.
var goTypeRE = regexp.MustCompile(` in type [\w.]+`)

// ParseManifest decodes and validates pack.yaml without touching any image.
// It never panics, whatever the input.
func ParseManifest(data []byte) (m *Manifest, err error) {
	defer func() {
		// yaml.v3 has panicked on crafted input in the past; a pet must not die
		// because of a pack file.
		if r := recover(); r != nil {
			m, err = nil, &Error{File: ManifestFile, Msg: fmt.Sprintf("cannot be parsed: %v", r)}
		}
	}()
	if len(data) > MaxManifestBytes {
		return nil, &Error{File: ManifestFile, Msg: fmt.Sprintf("too large (%d bytes, limit %d)", len(data), MaxManifestBytes)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: ManifestFile, Msg: "is empty"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // typos such as "duration:" must not pass silently
	m = new(Manifest)
	if err := dec.Decode(m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: ManifestFile, Msg: "is empty"}
		}
		msg := goTypeRE.ReplaceAllString(err.Error(), "")
		return nil, &Error{File: ManifestFile, Msg: strings.ReplaceAll(msg, "\n ", "")}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Check checks a pack's words as Validate does (lengths, no control
// characters; not whether they are given), so an importer can refuse them
// before any work.
func (m Meta) Check() error {
	var errs errList
	m.check(&errs, "")
	return errs.err()
}

func (m Meta) check(errs *errList, file string) {
	for _, t := range []struct {
		field, v string
		limit    int
	}{{"name", m.Name, 64}, {"author", m.Author, 200}, {"licence", m.Licence, 200}, {"version", m.Version, 64}, {"description", m.Description, 2000}} {
		switch {
		case len(t.v) > t.limit:
			errs.add(file, t.field, "is too long (%d bytes, limit %d)", len(t.v), t.limit)
		case strings.ContainsFunc(t.v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }):
			errs.add(file, t.field, "contains control characters")
		}
	}
}

// Validate checks everything that can be checked without the images.
func (m *Manifest) Validate() error {
	var errs errList
	const f = ManifestFile
	if strings.TrimSpace(m.Name) == "" {
		errs.add(f, "name", "is required")
	}
	if strings.TrimSpace(m.Licence) == "" {
		errs.add(f, "licence", "is required")
	}
	Meta{Name: m.Name, Author: m.Author, Licence: m.Licence, Version: m.Version, Description: m.Description}.check(&errs, f)

	dirs := map[string]float64{}
	for _, s := range sortedScales(m.Scales) {
		field := fmt.Sprintf("scales.%v", s)
		dir := m.Scales[s]
		if math.IsNaN(s) || s <= 0 || s > MaxScale {
			errs.add(f, field, "scale must be > 0 and <= %v", MaxScale)
		}
		if err := checkRelPath(dir); err != nil {
			errs.add(f, field, "directory %q: %v", dir, err)
		}
		if prev, dup := dirs[path.Clean(dir)]; dup {
			errs.add(f, field, "directory %q is already used by scale %v", dir, prev)
		}
		dirs[path.Clean(dir)] = s
	}

	for _, name := range engine.RequiredAnimations {
		if _, ok := m.Animations[name]; !ok {
			errs.add(f, "animations", "missing required animation %q", name)
		}
	}
	names := make([]string, 0, len(m.Animations))
	for name := range m.Animations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := m.Animations[name]
		field := "animations." + name
		if !slices.Contains(engine.RequiredAnimations, name) {
			errs.add(f, field, "unknown animation %q (known: %s)", name, strings.Join(engine.RequiredAnimations, ", "))
			continue
		}
		minN := max(1, MinFrames[name])
		if len(a.Frames) < minN {
			errs.add(f, field+".frames", "needs at least %d frame(s), has %d", minN, len(a.Frames))
		}
		if len(a.Frames) > MaxFrames {
			errs.add(f, field+".frames", "has %d frames, limit %d", len(a.Frames), MaxFrames)
			continue
		}
		for i, fr := range a.Frames {
			ff := fmt.Sprintf("%s.frames[%d]", field, i)
			if err := checkRelPath(fr.Image); err != nil {
				errs.add(f, ff+".image", "%q: %v", fr.Image, err)
			} else if !strings.EqualFold(path.Ext(fr.Image), ".png") {
				errs.add(f, ff+".image", "%q: frames must be .png files", fr.Image)
			}
			if fr.DurationMS < MinDurationMS || fr.DurationMS > MaxDurationMS {
				errs.add(f, ff+".duration_ms", "must be between %d and %d (got %d)", MinDurationMS, MaxDurationMS, fr.DurationMS)
			}
			if fr.Anchor != nil {
				if len(fr.Anchor) != 2 {
					errs.add(f, ff+".anchor", "must be [x, y] (got %d numbers)", len(fr.Anchor))
				} else if !finite(fr.Anchor[0]) || !finite(fr.Anchor[1]) || fr.Anchor[0] < 0 || fr.Anchor[1] < 0 {
					errs.add(f, ff+".anchor", "%v is outside the image", fr.Anchor)
				}
			}
		}
	}

	total := 0.0
	for _, k := range sortedKeys(m.Behaviours) {
		w := m.Behaviours[k]
		field := "behaviours." + k
		switch {
		case !slices.Contains(BehaviourKeys, k):
			errs.add(f, field, "unknown behaviour %q (known: %s)", k, strings.Join(BehaviourKeys, ", "))
		case !finite(w) || w < 0:
			errs.add(f, field, "weight must be a number >= 0 (got %v)", w)
		case w > MaxWeight:
			errs.add(f, field, "weight %v is absurd (limit %v)", w, MaxWeight)
		}
	}
	for _, k := range BehaviourKeys {
		w, ok := m.Behaviours[k]
		if !ok {
			w = DefaultWeights[k]
		}
		if finite(w) && w > 0 {
			total += w
		}
	}
	if total <= 0 {
		errs.add(f, "behaviours", "all weights are 0: the pet would never do anything")
	}
	return errs.err()
}

// checkRelPath refuses anything that could leave the pack directory.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("is empty")
	case strings.ContainsRune(p, '\\'):
		return errors.New("must use / as separator")
	case strings.HasPrefix(p, "/"):
		return errors.New("must be relative to the pack directory")
	case !fs.ValidPath(p):
		return errors.New("must stay inside the pack directory (no .., no empty or . elements)")
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func sortedScales(m map[float64]string) []float64 {
	out := make([]float64, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Float64s(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// weights returns every behaviour key, defaults filled in.
func (m *Manifest) weights() map[string]float64 {
	out := make(map[string]float64, len(BehaviourKeys))
	for _, k := range BehaviourKeys {
		if w, ok := m.Behaviours[k]; ok {
			out[k] = w
		} else {
			out[k] = DefaultWeights[k]
		}
	}
	return out
}
