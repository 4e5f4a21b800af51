// Package aclfile reads ACL files in mosquitto's acl_file syntax, so admins
// can grant extra topics (home automation, bridges) to chosen users:
//
//	# before any "user" line: every user
//	topic read sensors/#
//	user alice
//	topic readwrite home/alice/#
//	topic deny home/alice/secret
//	# every user; %u = username, %c = client id
//	pattern write devices/%u/%c/#
//
// Access is "read", "write", "readwrite" (the default) or "deny"; a matching
// deny wins over any grant. Anything not granted is denied. As in mosquitto,
// only whole lines starting with "#" are comments: "#" in a rule is a topic
// wildcard, and the topic is the rest of the line (it may contain spaces).
package aclfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Access bits.
type Access uint8

const (
	Read Access = 1 << iota
	Write
	Deny
)

type rule struct {
	filter  string
	access  Access
	pattern bool // %u/%c substitution
}

// File is a parsed ACL file.
type File struct {
	all   []rule            // topic lines before any user line, and patterns
	users map[string][]rule // per-user topic lines
}

// Load parses the file at path.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("acl file: %w", err)
	}
	defer f.Close()
	acl, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("acl file %s: %w", path, err)
	}
	return acl, nil
}

// Parse reads ACL rules; errors name the line.
func Parse(r io.Reader) (*File, error) {
	acl := &File{users: map[string][]rule{}}
	sc := bufio.NewScanner(r)
	user, haveUser := "", false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text()) // also drops a CRLF file's \r
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // a BOM from Windows editors
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keyword, rest := splitWord(line)
		switch keyword {
		case "user":
			if rest == "" || strings.ContainsAny(rest, " \t") {
				return nil, fmt.Errorf("line %d: want \"user NAME\"", n)
			}
			user, haveUser = rest, true
		case "topic", "pattern":
			ru, err := parseRule(keyword, rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			switch {
			case keyword == "pattern":
				ru.pattern = true
				acl.all = append(acl.all, ru)
			case haveUser:
				acl.users[user] = append(acl.users[user], ru)
			default:
				acl.all = append(acl.all, ru)
			}
		default:
			return nil, fmt.Errorf("line %d: unknown keyword %q (want user, topic or pattern)", n, keyword)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return acl, nil
}

// parseRule reads "[ACCESS] TOPIC", the part of a topic or pattern line after
// its keyword. As in mosquitto, a lone word is a topic with readwrite access,
// and after an access the topic is the rest of the line.
func parseRule(keyword, rest string) (rule, error) {
	ru := rule{access: Read | Write, filter: rest}
	word, topic := splitWord(rest)
	if topic != "" {
		access := map[string]Access{"read": Read, "write": Write, "readwrite": Read | Write, "deny": Deny}
		a, ok := access[word]
		if !ok {
			return ru, fmt.Errorf("unknown access %q (want read, write, readwrite or deny)", word)
		}
		ru.access, ru.filter = a, topic
	}
	if ru.filter == "" {
		return ru, fmt.Errorf("want %q [ACCESS] TOPIC", keyword)
	}
	if !validFilter(ru.filter) {
		if strings.Contains(ru.filter, " #") {
			return ru, fmt.Errorf("invalid topic filter %q (comments must be on a line of their own)", ru.filter)
		}
		return ru, fmt.Errorf("invalid topic filter %q", ru.filter)
	}
	return ru, nil
}

// splitWord splits s at its first run of blanks.
func splitWord(s string) (word, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

func validFilter(f string) bool {
	if f == "" {
		return false
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return false
		}
		if strings.Contains(l, "+") && l != "+" {
			return false
		}
	}
	return true
}

// Allowed reports whether user (with client id) may read or write topic.
// topic may itself be a subscription filter: then a rule must cover it.
func (a *File) Allowed(user, clientID, topic string, write bool) bool {
	if a == nil {
		return false
	}
	want := Read
	if write {
		want = Write
	}
	granted := false
	check := func(filter string, acc Access) bool { // returns false on deny
		if !Match(filter, topic) {
			return true
		}
		if acc&Deny != 0 {
			return false
		}
		if acc&want != 0 {
			granted = true
		}
		return true
	}
	for _, ru := range a.users[user] {
		if !check(ru.filter, ru.access) {
			return false
		}
	}
	for _, ru := range a.all {
		f := ru.filter
		if ru.pattern {
			// A name with wildcard characters must not widen a pattern.
			if strings.ContainsAny(user+clientID, "+#/") {
				continue
			}
			f = strings.NewReplacer("%u", user, "%c", clientID).Replace(f)
		}
		if !check(f, ru.access) {
			return false
		}
	}
	return granted
}

// Match reports whether filter matches topic. When topic is itself a filter,
// it matches only if every topic it can match is matched by filter.
func Match(filter, topic string) bool {
	fl := strings.Split(filter, "/")
	tl := strings.Split(topic, "/")
	// Topics starting with $ are not matched by a leading wildcard.
	if strings.HasPrefix(topic, "$") && (fl[0] == "+" || fl[0] == "#") {
		return false
	}
	for i, f := range fl {
		if f == "#" { // also matches the parent level: "a/#" matches "a"
			return true
		}
		if i >= len(tl) {
			return false
		}
		switch {
		case f == "+":
			if tl[i] == "#" {
				return false
			}
		case f != tl[i]:
			return false
		}
	}
	return len(fl) == len(tl)
}
