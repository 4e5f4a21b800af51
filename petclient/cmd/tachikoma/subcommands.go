package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// subcommand is one tool of the pet's command line (`tachikoma NAME ...`);
// tools register themselves from their own file so that adding one never
// touches run.
type subcommand struct {
	summary string
	run     func(args []string) int // exit status: 0 ok, 1 failed or nothing found, 2 bad usage
}

var subcommands = map[string]subcommand{}

// register adds a subcommand; called from init functions of this package.
func register(name, summary string, run func(args []string) int) {
	if _, dup := subcommands[name]; dup {
		panic("tachikoma: subcommand registered twice: " + name)
	}
	subcommands[name] = subcommand{summary: summary, run: run}
}

// dispatch runs a subcommand when args start with one's name.
func dispatch(args []string) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	sc, found := subcommands[args[0]]
	if !found {
		return 0, false
	}
	return sc.run(args[1:]), true
}

// printSubcommands lists the subcommands under the flags' usage text.
func printSubcommands() {
	if len(subcommands) == 0 {
		return
	}
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	fmt.Fprintln(os.Stderr, "\nTools (tachikoma TOOL -h for each):")
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %s%s  %s\n", n, strings.Repeat(" ", width-len(n)), subcommands[n].summary)
	}
}
