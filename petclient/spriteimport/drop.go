package spriteimport

import (
	"net/url"
	"strings"
)

// DroppedPaths turns a drag-and-drop text/uri-list (RFC 2483: one URI a
// line, "#" comments) into local paths. URIs that are no local file (web
// addresses, other hosts) come back in refused for the caller to name in
// the user's language; one bad entry loses nothing else.
func DroppedPaths(uriList string) (paths, refused []string) {
	for _, line := range strings.Split(uriList, "\n") {
		line = strings.TrimSpace(line) // the list's lines end in CRLF
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, ok := localPath(line)
		if !ok {
			refused = append(refused, line)
			continue
		}
		paths = append(paths, p)
	}
	return paths, refused
}

// localPath is the file path of a file:// URI on this machine.
func localPath(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Scheme, "file") || u.Opaque != "" {
		return "", false
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", false
	}
	if !strings.HasPrefix(u.Path, "/") || strings.ContainsRune(u.Path, 0) {
		return "", false
	}
	return u.Path, true
}
