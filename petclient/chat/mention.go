package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsMention reports whether text addresses @user or @nick. Case is ignored;
// the name must stand alone ("@bob," counts, "@bobby" and "me@bob" do not),
// except that "@阿丽你好" counts.
func IsMention(text, user, nick string) bool {
	lower := strings.ToLower(text)
	for _, name := range []string{user, nick} {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		needle := "@" + name
		for from := 0; ; {
			i := strings.Index(lower[from:], needle)
			if i < 0 {
				break
			}
			i += from
			end := i + len(needle)
			before, _ := utf8.DecodeLastRuneInString(lower[:i])
			after, _ := utf8.DecodeRuneInString(lower[end:])
			// CJK text has no spaces between words: a name ending in a
			// non-ASCII letter may run into the next word.
			last, _ := utf8.DecodeLastRuneInString(name)
			free := last >= utf8.RuneSelf
			if (i == 0 || !isNameRune(before)) && (end == len(lower) || free || !isNameRune(after)) {
				return true
			}
			from = i + 1
		}
	}
	return false
}

func isNameRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}
