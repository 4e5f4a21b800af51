package aclfile

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		f, t string
		want bool
	}{
		{"a/b", "a/b", true}, {"a/+", "a/b", true}, {"a/+", "a/b/c", false}, {"a/#", "a/b/c", true},
		{"a/#", "a", true}, {"#", "a/b", true}, {"#", "$SYS/x", false}, {"+/x", "$SYS/x", false},
		{"a/+/c", "a/b/c", true}, {"a/+/c", "a/b/d", false}, {"a/b", "a/b/c", false},
		{"a/+", "a/#", false}, {"a/#", "a/+", true}, {"a/b", "a/+", false},
	}
	for _, c := range cases {
		if got := Match(c.f, c.t); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.f, c.t, got)
		}
	}
}

const sample = `
# everyone may read the weather
topic read weather/#
user alice
topic readwrite home/alice/#
topic deny home/alice/secret
user bob
topic write home/bob/cmd   
pattern readwrite devices/%u/%c/#
pattern read public/%u
`

func TestAllowed(t *testing.T) {
	acl, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, cid, topic string
		write, want      bool
	}{
		{"alice", "c", "weather/today", false, true},
		{"alice", "c", "weather/today", true, false},
		{"bob", "c", "weather/today", false, true},
		{"alice", "c", "home/alice/light", true, true},
		{"alice", "c", "home/alice/secret", false, false},
		{"alice", "c", "home/alice/#", false, true}, // the subscription is granted; the deny is applied per delivery
		{"bob", "c", "home/alice/light", false, false},
		{"bob", "c", "home/bob/cmd", true, true},
		{"bob", "c", "home/bob/cmd", false, false},
		{"bob", "pet1", "devices/bob/pet1/x", true, true},
		{"bob", "pet1", "devices/alice/pet1/x", true, false},
		{"carol", "c", "public/carol", false, true},
		{"carol", "c", "anything", false, false},
		{"a+", "c", "public/a+", false, false},
	}
	for _, c := range cases {
		if got := acl.Allowed(c.user, c.cid, c.topic, c.write); got != c.want {
			t.Errorf("Allowed(%s, %s, %s, write=%v) = %v", c.user, c.cid, c.topic, c.write, got)
		}
	}
	var none *File
	if none.Allowed("a", "b", "c", false) {
		t.Error("nil file grants")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"topic", "topic sideways a/b", "user", "user a b", "frobnicate x", "topic read a/#/b", "topic read a+/b",
		"topic read a/b # a trailing comment", "topic sideways a/b"} {
		_, err := Parse(strings.NewReader("# ok\n" + in + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("Parse(%q) err = %v, want a line-2 error", in, err)
		}
	}
}

// TestWildcardGrants: "#" in a rule is a wildcard, never a comment, whatever
// surrounds it (trailing blanks, CRLF line ends, a BOM, tabs).
func TestWildcardGrants(t *testing.T) {
	cases := []struct {
		rule, topic string
		want        bool
	}{
		{"topic readwrite #", "a/b", true},
		{"topic readwrite #", "a", true},
		{"topic readwrite #", "$SYS/broker", false}, // a leading wildcard never matches $ topics
		{"topic #", "x", true},
		{"topic readwrite +/#", "a/b/c", true},
		{"topic readwrite +/#", "$SYS/x", false},
		{"topic readwrite a/#", "a", true},
		{"topic readwrite a/#", "a/b/c", true},
		{"topic readwrite a/#", "b/a", false},
		{"topic readwrite $SYS/#", "$SYS/broker/uptime", true},
		{"topic readwrite $SYS/#", "a/b", false},
		{"topic readwrite #   ", "a/b", true},
		{"topic\treadwrite\t#", "a/b", true},
		{"topic readwrite my room/#", "my room/x", true},
	}
	for _, c := range cases {
		for _, form := range []string{"%s\n", "%s\r\n", "\uFEFF%s\r\n", "# c\r\nuser u\r\n%s\r\n"} {
			in := strings.Replace(form, "%s", c.rule, 1)
			acl, err := Parse(strings.NewReader(in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			if got := acl.Allowed("u", "c", c.topic, true); got != c.want {
				t.Errorf("Parse(%q).Allowed(write %q) = %v, want %v", in, c.topic, got, c.want)
			}
			if got := acl.Allowed("u", "c", c.topic, false); got != c.want {
				t.Errorf("Parse(%q).Allowed(read %q) = %v, want %v", in, c.topic, got, c.want)
			}
		}
	}
}
