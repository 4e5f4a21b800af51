package dict

import (
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Match says how a result was found.
type Match int

// How results are found, best first.
const (
	MatchExact   Match = iota // the word as typed
	MatchCase                 // differs only in case
	MatchLemma                // the query is an inflection of the entry (Kind says which)
	MatchFuzzy                // a likely typo of the query
	MatchReverse              // the entry translates the Chinese query
)

// Result is one entry found for a query.
type Result struct {
	Entry
	Match Match
	Kind  byte   // MatchLemma: the query's inflection kind (KindPast, …)
	Query string // the normalised query
}

// MaxQuery bounds a word or phrase query in bytes; longer text is a sentence.
const MaxQuery = 80

// typography makes apostrophes and hyphens plain and drops soft hyphens,
// as text copied from web pages and PDFs has them.
var typography = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u2010", "-", "\u2011", "-", "\u00ad", "")

// Normalize trims a selection down to a query: valid UTF-8, outer
// punctuation and spaces removed, inner spaces collapsed, typographic
// apostrophes and hyphens made plain.
func Normalize(s string) string {
	if len(s) > 4*MaxQuery {
		s = s[:4*MaxQuery]
	}
	s = strings.ToValidUTF8(s, " ")
	s = typography.Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimFunc(s, func(r rune) bool {
		return r != '\'' && (unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) || unicode.IsControl(r))
	})
}

// HasHan reports whether s contains Chinese characters.
func HasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Lookup finds a word or phrase: the exact entry, case variants, the lemma
// of an inflected form (went → go), then likely typos. A Chinese query is
// looked up in reverse. No result and no error means not found.
func (d *Dict) Lookup(query string) ([]Result, error) {
	q := Normalize(query)
	if q == "" || len(q) > MaxQuery {
		return nil, nil
	}
	if HasHan(q) {
		return d.Reverse(q, 8)
	}
	// Abbreviations keep the full stop Normalize took: "e.g.", "cf.".
	if strings.Contains(strings.Join(strings.Fields(query[:min(len(query), 4*MaxQuery)]), " "), q+".") {
		if res, err := d.lookup(q+".", false); err != nil || len(res) > 0 {
			return res, err
		}
	}
	res, err := d.lookupSpellings(q)
	if err != nil || len(res) > 0 {
		return res, err
	}
	return d.Fuzzy(q, 3)
}

// Has reports whether word is an entry itself (case-folded): no lemma,
// typo or respelling counts. A read error counts as no.
func (d *Dict) Has(word string) bool {
	if word == "" || len(word) > MaxQuery {
		return false
	}
	lo, hi, err := d.findFold(Fold(word))
	return err == nil && lo < hi
}

// lookupSpellings is lookup, then the query without accents ("café") and
// without hyphens ("e-mail"), which the dictionary spells plainly.
func (d *Dict) lookupSpellings(q string) ([]Result, error) {
	res, err := d.lookup(q, true)
	if err != nil || len(res) > 0 {
		return res, err
	}
	plain := withoutAccents(q)
	var alts []string
	if plain != q {
		alts = append(alts, plain)
	}
	if strings.Contains(plain, "-") {
		alts = append(alts, strings.ReplaceAll(plain, "-", ""))
	}
	for _, a := range alts {
		res, err := d.lookup(a, true)
		if err != nil || len(res) > 0 {
			for i := range res {
				if res[i].Match == MatchExact {
					res[i].Match = MatchCase
				}
				res[i].Query = q
			}
			return res, err
		}
	}
	return nil, nil
}

var accents = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// withoutAccents removes combining marks: naïve → naive.
func withoutAccents(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			if out, _, err := transform.String(accents, s); err == nil {
				return out
			}
			return s
		}
	}
	return s
}

// lookup is Lookup without the typo fallback.
func (d *Dict) lookup(q string, rules bool) ([]Result, error) {
	var res []Result
	have := map[string]bool{}
	add := func(i int, m Match, kind byte) error {
		e, err := d.Entry(i)
		if err != nil {
			return err
		}
		if have[e.Word] {
			return nil
		}
		have[e.Word] = true
		res = append(res, Result{Entry: e, Match: m, Kind: kind, Query: q})
		return nil
	}
	key := Fold(q)
	lo, hi, err := d.findFold(key)
	if err != nil {
		return nil, err
	}
	// The spelling as typed first, then other cases ("polish", "Polish").
	for pass := 0; pass < 2; pass++ {
		for i := lo; i < hi && i < lo+8; i++ {
			w, err := d.word(i)
			if err != nil {
				return nil, err
			}
			if (w == q) == (pass == 0) {
				m := MatchExact
				if pass == 1 {
					m = MatchCase
				}
				if err := add(i, m, 0); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, r := range slices.Clone(res) {
		fs, err := d.namedLemmas(r.Word, r.Exchange)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if err := add(f.entry, MatchLemma, f.kind); err != nil {
				return nil, err
			}
		}
	}
	fs, err := d.forms(key)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if err := add(f.entry, MatchLemma, f.kind); err != nil {
			return nil, err
		}
	}
	if len(res) > 0 || !rules {
		return res, nil
	}
	// A phrase with an inflected word: "looked forward to" → "look forward to".
	if words := strings.Split(key, " "); len(words) > 1 && len(words) <= 6 {
		for i, w := range words {
			fs, err := d.lemmas(w)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
				lemma, err := d.word(f.entry)
				if err != nil {
					return nil, err
				}
				try := slices.Clone(words)
				try[i] = Fold(lemma)
				r, err := d.lookup(strings.Join(try, " "), false)
				if err != nil {
					return nil, err
				}
				for _, x := range r {
					x.Match, x.Kind, x.Query = MatchLemma, f.kind, q
					if !have[x.Word] {
						have[x.Word] = true
						res = append(res, x)
					}
				}
			}
		}
		return res, nil
	}
	// Regular inflections the exchange column does not list.
	for _, c := range suffixCandidates(key) {
		r, err := d.lookup(c.stem, false)
		if err != nil {
			return nil, err
		}
		for _, x := range r {
			if x.Match == MatchExact || x.Match == MatchCase {
				x.Match, x.Kind, x.Query = MatchLemma, c.kind, q
				if !have[x.Word] {
					have[x.Word] = true
					res = append(res, x)
				}
			}
		}
		if len(res) > 0 {
			break
		}
	}
	return res, nil
}

// lemmas returns the lemmas of an inflected form: from the inflection table
// and from entries of the form that name their lemma ("looking": 0:look).
func (d *Dict) lemmas(key string) ([]form, error) {
	fs, err := d.forms(key)
	if err != nil {
		return nil, err
	}
	lo, hi, err := d.findFold(key)
	if err != nil {
		return nil, err
	}
	for i := lo; i < hi && i < lo+4; i++ {
		e, err := d.view(d.recordOff(i), i)
		if err != nil {
			return nil, err
		}
		w, err := d.word(i)
		if err != nil {
			return nil, err
		}
		named, err := d.namedLemmas(w, e.Exchange)
		if err != nil {
			return nil, err
		}
		fs = append(fs, named...)
	}
	return fs, nil
}

// namedLemmas finds the lemma an entry's exchange column names ("went":
// 0:go/1:p), with the inflection kind.
func (d *Dict) namedLemmas(word, exchange string) ([]form, error) {
	ex := Exchange(exchange)
	lemma, ok := ex['0']
	if !ok || lemma == word {
		return nil, nil
	}
	a, b, err := d.findFold(Fold(lemma))
	if err != nil {
		return nil, err
	}
	kind := byte(KindLemma)
	if k := ex['1']; len(k) == 1 {
		kind = k[0]
	}
	var out []form
	for i := a; i < b && i < a+4; i++ {
		if w, err := d.word(i); err == nil && w == lemma {
			out = append(out, form{entry: i, kind: kind})
		}
	}
	return out, nil
}

type stemCandidate struct {
	stem string
	kind byte
}

// suffixCandidates guesses stems of a regularly inflected English word.
func suffixCandidates(w string) []stemCandidate {
	var out []stemCandidate
	add := func(stem string, kind byte) {
		if len(stem) >= 2 {
			out = append(out, stemCandidate{stem, kind})
		}
	}
	for _, s := range []struct {
		suffix, repl string
		kind         byte
	}{
		{"'s", "", KindPlural}, {"s'", "s", KindPlural},
		{"ies", "y", KindThird}, {"es", "", KindThird}, {"s", "", KindPlural},
		{"ied", "y", KindPast}, {"ed", "e", KindPast}, {"ed", "", KindPast},
		{"ing", "e", KindPresent}, {"ing", "", KindPresent},
		{"ier", "y", KindComparativ}, {"er", "", KindComparativ}, {"est", "", KindSuperlativ},
		{"ly", "", KindLemma},
	} {
		if stem, ok := strings.CutSuffix(w, s.suffix); ok {
			add(stem+s.repl, s.kind)
			// stopped → stop, running → run
			if n := len(stem); s.repl == "" && n >= 3 && stem[n-1] == stem[n-2] && (s.suffix == "ed" || s.suffix == "ing" || s.suffix == "er" || s.suffix == "est") {
				add(stem[:n-1], s.kind)
			}
		}
	}
	return out
}

// Fuzzy returns up to limit frequent words within edit distance 1 (short
// words) or 2 of query, closest and most common first.
func (d *Dict) Fuzzy(query string, limit int) ([]Result, error) {
	q := Fold(Normalize(query))
	if len(q) < 3 || len(q) > 32 || !fuzzyWord(q) {
		return nil, nil
	}
	maxd := 1
	if len(q) > 4 {
		maxd = 2
	}
	// The table is sorted by length, which the mask's top bits hold.
	qmask := letterMask(q)
	mask := func(i int) uint32 { return d.u32(d.fuzzyOff + 8*i + 4) }
	a, b := 0, d.nFuzzy
	for a < b {
		m := int(uint(a+b) >> 1)
		if int(mask(m)>>26) < len(q)-maxd {
			a = m + 1
		} else {
			b = m
		}
	}
	type cand struct{ entry, dist, order int }
	var best []cand
	for i := a; i < d.nFuzzy; i++ {
		m := mask(i)
		if int(m>>26) > len(q)+maxd {
			break
		}
		if bits.OnesCount32((m^qmask)&(1<<26-1)) > 2*maxd {
			continue
		}
		e := int(d.u32(d.fuzzyOff + 8*i))
		if e >= d.n {
			return nil, d.corrupt("typo table names entry %d of %d", e, d.n)
		}
		w, err := d.word(e)
		if err != nil {
			return nil, err
		}
		if dist := editDistance(q, w, maxd); dist <= maxd && dist > 0 {
			best = append(best, cand{e, dist, i})
		}
	}
	// Within a length the table is most common first, so order breaks ties.
	slices.SortStableFunc(best, func(x, y cand) int { return x.dist - y.dist })
	var res []Result
	for _, c := range best[:min(limit, len(best))] {
		e, err := d.Entry(c.entry)
		if err != nil {
			return nil, err
		}
		res = append(res, Result{Entry: e, Match: MatchFuzzy, Query: q})
	}
	slices.SortStableFunc(res, func(x, y Result) int {
		return editDistance(q, x.Word, maxd) - editDistance(q, y.Word, maxd)
	})
	return res, nil
}

// editDistance is the optimal-string-alignment distance of a and b (a swap
// of neighbours counts once), or max+1 once it must exceed max.
func editDistance(a, b string, maxd int) int {
	if abs(len(a)-len(b)) > maxd {
		return maxd + 1
	}
	var rows [3][34]int
	if len(b) > 32 || len(a) > 32 {
		return maxd + 1
	}
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > maxd {
			return maxd + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Reverse finds English entries whose Chinese translation holds query:
// entries with query as a whole sense first, then the most common.
func (d *Dict) Reverse(query string, limit int) ([]Result, error) {
	q := Normalize(query)
	if q == "" || len(q) > MaxQuery || !HasHan(q) {
		return nil, nil
	}
	type cand struct{ i, score, rank int }
	var cands []cand
	for pos := 0; pos < len(d.blob); {
		k := strings.Index(d.blob[pos:], q)
		if k < 0 {
			break
		}
		hit := pos + k
		// Records are stored in index order: the last record starting at or
		// before the hit holds it.
		a, b := 0, d.n
		for a < b {
			m := int(uint(a+b) >> 1)
			if d.recordOff(m) <= hit {
				a = m + 1
			} else {
				b = m
			}
		}
		i := a - 1
		next := hit + len(q)
		if i >= 0 {
			if a < d.n {
				if n := d.recordOff(a); n > hit {
					next = n
				}
			}
			e, err := d.view(d.recordOff(i), i)
			if err != nil {
				return nil, err
			}
			if w, err := d.word(i); err == nil && strings.Contains(e.Translation, q) && !strings.Contains(w, " ") {
				cands = append(cands, cand{i, senseScore(e.Translation, q), e.rank()})
			}
		}
		pos = next
	}
	slices.SortStableFunc(cands, func(x, y cand) int {
		if x.score != y.score {
			return x.score - y.score
		}
		return x.rank - y.rank
	})
	var res []Result
	for _, c := range cands[:min(limit, len(cands))] {
		e, err := d.Entry(c.i)
		if err != nil {
			return nil, err
		}
		res = append(res, Result{Entry: e, Match: MatchReverse, Query: q})
	}
	return res, nil
}

// senseScore: 0 when q is a whole sense of the translation, 1 when a sense
// starts with it, 2 otherwise; web senses ("[网络]") count one worse.
func senseScore(translation, q string) int {
	best := 4
	for _, line := range strings.Split(translation, "\n") {
		web := 0
		if strings.HasPrefix(line, "[") {
			web = 1
		}
		for _, s := range Senses(line) {
			switch {
			case s == q:
				best = min(best, web)
			case strings.HasPrefix(s, q):
				best = min(best, 1+web)
			case strings.Contains(s, q):
				best = min(best, 2+web)
			}
		}
	}
	return best
}

// Senses splits one translation line ("vt. 擦亮, 擦去；使完美") into senses
// without the part-of-speech label or bracketed notes.
func Senses(line string) []string {
	line = strings.TrimSpace(line)
	if p, rest, ok := strings.Cut(line, " "); ok && (strings.HasSuffix(p, ".") || strings.HasPrefix(p, "[")) {
		line = rest
	}
	var out []string
	for _, s := range strings.FieldsFunc(line, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || r == '、'
	}) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Words looks up the words and phrases of an English sentence (longest
// phrase first, inflections to their lemmas, function words skipped), for
// the glossary shown beside or instead of a sentence translation.
func (d *Dict) Words(text string, limit int) ([]Result, error) {
	toks := tokens(withoutAccents(typography.Replace(strings.ToValidUTF8(text, " "))))
	var res []Result
	have := map[string]bool{}
	for i := 0; i < len(toks) && len(res) < limit; {
		n := 1
		var found []Result
		for l := min(5, len(toks)-i); l >= 1; l-- {
			phrase := strings.Join(toks[i:i+l], " ")
			if l == 1 && stopWords[Fold(phrase)] {
				break
			}
			r, err := d.lookupSpellings(phrase)
			if err != nil {
				return nil, err
			}
			if len(r) > 0 {
				found, n = r[:1], l
				break
			}
		}
		for _, r := range found {
			if !have[r.Word] {
				have[r.Word] = true
				res = append(res, r)
			}
		}
		i += n
	}
	return res, nil
}

// tokens splits text into English words (letters, inner apostrophes and
// hyphens), at most 200 of them.
func tokens(text string) []string {
	text = strings.ToValidUTF8(text, " ")
	var out []string
	start := -1
	for i, r := range text + " " {
		word := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (start >= 0 && (r == '\'' || r == '-')))
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			out = append(out, strings.Trim(text[start:i], "'-"))
			start = -1
			if len(out) == 200 {
				return out
			}
		}
	}
	return out
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for from with as is am are was were be been
		being it its it's this that these those i you he she we they me him her us them my your his our their
		not no do does did so than then there here what which who whom whose will would shall should can could may
		might must have has had i'm you're we're they're don't doesn't didn't isn't aren't`) {
		stopWords[w] = true
	}
}
