package spriteimport

import (
	"bytes"
	"encoding/json"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/engine"
)

// dyberConf is DyberPet's pet_conf.json, the fields that say which action
// is which; dyberAct is one entry of act_conf.json.
type dyberConf struct {
	Default       string           `json:"default"`
	Left          string           `json:"left"`
	Drag          string           `json:"drag"`
	Fall          string           `json:"fall"`
	OnFloor       string           `json:"on_floor"`
	Patpat        string           `json:"patpat"`
	RandomAct     []dyberRandomAct `json:"random_act"`
	RandomActName []string         `json:"random_act_name"`
}

// dyberRandomAct is one group of random_act: a list of action names
// (before DyberPet 0.3, named by random_act_name) or an object with its
// own name and act_list.
type dyberRandomAct struct {
	Name string   `json:"name"`
	Acts []string `json:"act_list"`
}

func (a *dyberRandomAct) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, &a.Acts)
	}
	type plain dyberRandomAct
	return json.Unmarshal(b, (*plain)(a))
}

type dyberAct struct {
	Images       string  `json:"images"`
	ActNum       int     `json:"act_num"`
	FrameRefresh float64 `json:"frame_refresh"` // seconds per frame
}

// dyberpet imports a DyberPet pet folder: pet_conf.json names the default,
// walking, drag and fall actions, act_conf.json gives each action's frames
// (action/<images>_<i>.png), frame time and repetitions.
func (l *loader) dyberpet(t tree, dir string) error {
	readJSON := func(name string, v any) error {
		file := path.Join(dir, name)
		data, err := t.read(file, MaxXMLBytes)
		if err != nil {
			return err
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if err := json.Unmarshal(data, v); err != nil {
			return errf(t.label(file), "is not valid: %v", err)
		}
		return nil
	}
	var conf dyberConf
	acts := map[string]dyberAct{}
	if err := readJSON("pet_conf.json", &conf); err != nil {
		return err
	}
	if err := readJSON("act_conf.json", &acts); err != nil {
		return err
	}
	if len(acts) > 1000 {
		return errf(t.label(path.Join(dir, "act_conf.json")), "defines %d actions, limit 1000", len(acts))
	}
	want := map[string][]string{ // state -> action names played in turn
		engine.AnimStand: {conf.Default}, engine.AnimWalk: {conf.Left},
		engine.AnimDrag: {conf.Drag}, engine.AnimFall: {conf.Fall},
	}
	for state, act := range map[string]string{engine.AnimLand: conf.OnFloor, engine.AnimPoke: conf.Patpat} {
		if act != "" {
			want[state] = []string{act}
		}
	}
	for i, ra := range conf.RandomAct {
		name, group := ra.Name, ra.Acts
		if name == "" && i < len(conf.RandomActName) {
			name = conf.RandomActName[i]
		}
		for _, n := range append([]string{name}, group...) {
			st, ok := StateName(n)
			if ok && st != StateAll && want[st] == nil {
				want[st] = group
				break
			}
		}
	}
	inDir := map[string]string{} // action/<base>_<i>.png -> path
	for _, f := range t.list() {
		inDir[strings.TrimPrefix(f, dir+"/")] = f
	}
	for _, state := range sortedStates(want) {
		r := &raw{source: t.label(dir)}
		for _, name := range want[state] {
			if name == "" {
				continue
			}
			a, ok := acts[name]
			if !ok {
				return errf(t.label(path.Join(dir, "pet_conf.json")), "names action %q, which act_conf.json does not define", name)
			}
			var frames []string
			for k := range inDir {
				if rest, ok := strings.CutPrefix(k, "action/"+a.Images+"_"); ok && strings.HasSuffix(rest, ".png") {
					if _, err := strconv.Atoi(strings.TrimSuffix(rest, ".png")); err == nil {
						frames = append(frames, k)
					}
				}
			}
			if len(frames) == 0 {
				return errf(t.label(path.Join(dir, "action")), "has no %s_N.png frames for action %q", a.Images, name)
			}
			sort.Slice(frames, func(i, j int) bool {
				return frameNumber(frames[i]) < frameNumber(frames[j])
			})
			delay := time.Duration(a.FrameRefresh * float64(time.Second))
			if a.FrameRefresh <= 0 || a.FrameRefresh > 60 {
				delay = 500 * time.Millisecond // DyberPet's default
			}
			start := len(r.frames)
			for _, k := range frames {
				data, err := t.read(inDir[k], MaxFileBytes)
				if err != nil {
					return err
				}
				m, err := DecodePNG(t.label(inDir[k]), data, &l.budget)
				if err != nil {
					return err
				}
				r.frames, r.delays, r.anchors = append(r.frames, m), append(r.delays, delay), append(r.anchors, nil)
			}
			for rep := 1; rep < min(a.ActNum, 16) && len(r.frames) < MaxGIFFrames; rep++ {
				r.frames = append(r.frames, r.frames[start:start+len(frames)]...)
				r.delays = append(r.delays, r.delays[start:start+len(frames)]...)
				r.anchors = append(r.anchors, r.anchors[start:start+len(frames)]...)
			}
			if len(r.frames) > MaxGIFFrames {
				return errf(t.label(dir), "action %q brings the %q animation over %d frames", name, state, MaxGIFFrames)
			}
		}
		if len(r.frames) > 0 {
			if err := l.add(state, r); err != nil {
				return err
			}
		}
	}
	if len(l.states) == 0 {
		return errf(t.label(dir), "pet_conf.json names no action with frames")
	}
	return nil
}

func frameNumber(name string) int {
	base := strings.TrimSuffix(path.Base(name), ".png")
	n, _ := strconv.Atoi(base[strings.LastIndexByte(base, '_')+1:])
	return n
}
