package translate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tachikoma-pet/tachikoma/petclient/dict"
)

// Answer is what the pet says about a piece of text.
type Answer struct {
	Text        string        // the text, cleaned and clipped
	Entries     []dict.Result // dictionary entries: the word, or the words of a sentence
	Sentence    bool          // Text is more than a word or phrase
	Translation string        // the provider's translation of a sentence
	Provider    string
	Err         error // why there is no translation (the entries still stand)
}

// Found reports whether the answer has anything to show.
func (a *Answer) Found() bool { return len(a.Entries) > 0 || a.Translation != "" }

// Service answers with the offline dictionary for words and phrases and an
// online Translator (may be nil) for sentences.
type Service struct {
	Dict       *dict.Dict
	Reverse    *dict.Dict // Chinese → English; default Dict
	Translator Translator
}

// maxPhraseWords: longer text is a sentence even if the dictionary knows it.
const maxPhraseWords = 5

// Translate answers text. It never fails: problems are in Answer.Err.
func (s *Service) Translate(ctx context.Context, text string) Answer {
	text = strings.Join(strings.Fields(Clip(text, MaxText)), " ")
	a := Answer{Text: text}
	if text == "" {
		return a
	}
	words := strings.Fields(text)
	a.Sentence = len(words) > maxPhraseWords || len(dict.Normalize(text)) > dict.MaxQuery
	if !a.Sentence && s.Dict != nil {
		d := s.Dict
		if s.Reverse != nil && dict.HasHan(text) {
			d = s.Reverse
		}
		rs, err := d.Lookup(text)
		if err != nil {
			a.Err = err
			return a
		}
		if len(rs) > 0 {
			a.Entries = rs
			return a
		}
		a.Sentence = len(words) > 1
		if !a.Sentence {
			return s.unknownWord(ctx, a)
		}
	}
	if s.Dict != nil && !dict.HasHan(text) {
		rs, err := s.Dict.Words(text, 8)
		if err != nil {
			a.Err = err
			return a
		}
		a.Entries = rs
	}
	if s.Translator == nil {
		a.Err = &Error{Provider: "online translation", Kind: ErrNoKey, Detail: "sentences need an online translator"}
		return a
	}
	from, to := "en", "zh"
	if dict.HasHan(text) {
		from, to = "zh", "en"
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	a.Translation, a.Err = s.Translator.Translate(ctx, text, from, to)
	a.Provider = s.Translator.Name() // a lazy provider knows its name once opened
	return a
}

// unknownWord asks the online translator, when one is set up, for a word
// the dictionary lacks (smartphone, 区块链, or Chinese written without
// spaces: 我今天很开心); no key or an answer that only repeats the word
// leaves it not found.
func (s *Service) unknownWord(ctx context.Context, a Answer) Answer {
	if s.Translator == nil {
		return a
	}
	from, to := "en", "zh"
	if dict.HasHan(a.Text) {
		from, to = "zh", "en"
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	tr, err := s.Translator.Translate(ctx, a.Text, from, to)
	switch {
	case errors.Is(err, ErrNoKey):
	case err != nil:
		a.Err = err
	case !strings.EqualFold(strings.TrimSpace(tr), a.Text):
		a.Translation, a.Provider = tr, s.Translator.Name()
	}
	return a
}

// Kind names an inflection in Chinese.
func Kind(k byte) string {
	switch k {
	case dict.KindPast:
		return "过去式"
	case dict.KindParticiple:
		return "过去分词"
	case dict.KindPresent:
		return "现在分词"
	case dict.KindThird:
		return "第三人称单数"
	case dict.KindPlural:
		return "复数"
	case dict.KindComparativ:
		return "比较级"
	case dict.KindSuperlativ:
		return "最高级"
	}
	return "变形"
}

// Inflections lists an entry's forms: "过去式 went · 过去分词 gone".
func Inflections(e *dict.Entry) string {
	ex := dict.Exchange(e.Exchange)
	var parts []string
	for _, k := range []byte{dict.KindPlural, dict.KindThird, dict.KindPast, dict.KindParticiple, dict.KindPresent, dict.KindComparativ, dict.KindSuperlativ} {
		if f, ok := ex[k]; ok {
			parts = append(parts, Kind(k)+" "+f)
		}
	}
	return strings.Join(parts, " · ")
}

// Heading is an entry's first line: word, phonetic, and how the query led
// to it ("went → go, 过去式").
func Heading(r *dict.Result) string {
	var b strings.Builder
	b.WriteString(r.Word)
	if r.Phonetic != "" {
		fmt.Fprintf(&b, " /%s/", r.Phonetic)
	}
	switch r.Match {
	case dict.MatchLemma:
		fmt.Fprintf(&b, "  ← %s (%s)", r.Query, Kind(r.Kind))
	case dict.MatchFuzzy:
		fmt.Fprintf(&b, "  ← %s?", r.Query)
	}
	return b.String()
}

// Senses returns the first n lines of an entry's Chinese translation.
func Senses(e *dict.Entry, n int) []string {
	var out []string
	for _, l := range strings.Split(e.Translation, "\n") {
		if l = strings.TrimSpace(l); l != "" && len(out) < n {
			out = append(out, l)
		}
	}
	return out
}

// Problem says in words why a translation failed.
func Problem(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNetwork):
		return "needs network · 需要联网"
	case errors.Is(err, ErrKey):
		return "key rejected · 密钥被拒绝"
	case errors.Is(err, ErrQuota):
		return "quota exceeded · 额度已用完"
	case errors.Is(err, ErrNoKey):
		return "no online translator set up · 未设置在线翻译"
	case errors.Is(err, dict.ErrCorrupt):
		return "dictionary damaged · 词典文件损坏"
	}
	return "translation failed · 翻译失败"
}

// Format renders an answer as plain text (the command line, Copy).
func Format(a *Answer) string {
	var b strings.Builder
	if a.Translation != "" {
		fmt.Fprintf(&b, "%s\n    — %s\n", a.Translation, a.Provider)
	} else if a.Err != nil {
		fmt.Fprintf(&b, "[%s] %v\n", Problem(a.Err), a.Err)
	}
	for i := range a.Entries {
		r := &a.Entries[i]
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(Heading(r) + "\n")
		n := 6
		if a.Sentence {
			n = 2
		}
		for _, s := range Senses(&r.Entry, n) {
			b.WriteString("  " + s + "\n")
		}
		if !a.Sentence {
			if t := r.Tags.Names(); len(t) > 0 {
				b.WriteString("  " + strings.Join(t, " · ") + "\n")
			}
			if inf := Inflections(&r.Entry); inf != "" {
				b.WriteString("  " + inf + "\n")
			}
		}
	}
	return b.String()
}

// FormatFull is Format with every sense and, from the full dictionary, the
// English definitions (the bubble's More window).
func FormatFull(a *Answer) string {
	var b strings.Builder
	b.WriteString(Format(a))
	for i := range a.Entries {
		e := &a.Entries[i].Entry
		if lines := Senses(e, 100); len(lines) > 6 || e.Definition != "" {
			fmt.Fprintf(&b, "\n%s\n", e.Word)
			for _, l := range lines {
				b.WriteString("  " + l + "\n")
			}
			for _, l := range strings.Split(e.Definition, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					b.WriteString("  " + l + "\n")
				}
			}
		}
	}
	return b.String()
}
