package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/tachikoma-pet/tachikoma/petclient/chat/credentials"
	"github.com/tachikoma-pet/tachikoma/petclient/dict"
	"github.com/tachikoma-pet/tachikoma/petclient/translate"
)

func init() {
	register("translate", "English ↔ Chinese: offline dictionary for words, an online provider for sentences", runTranslate)
}

func runTranslate(args []string) int {
	return translateMain(args, os.Stdin, os.Stdout, os.Stderr, nil)
}

// translateMain is runTranslate with its streams and key store injectable
// (tests); ks nil opens the keyring or the private file when needed.
func translateMain(args []string, stdin io.Reader, stdout, stderr io.Writer, ks translate.KeyStore) int {
	fs := flag.NewFlagSet("tachikoma translate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: tachikoma translate [--provider NAME] WORD|PHRASE|SENTENCE...   (- or nothing: read stdin)")
		fmt.Fprintln(stderr, "       tachikoma translate --set-key NAME [--id ID] [--url URL] [--region R] < secret")
		fmt.Fprintf(stderr, "Providers: %s. Exit status 1 when nothing is found.\n\nFlags:\n", strings.Join(translate.Providers, ", "))
		fs.PrintDefaults()
	}
	provider := fs.String("provider", "", "online `provider` for sentences (default: the first one with a key)")
	setKey := fs.String("set-key", "", "store credentials of `provider`: the secret is read from stdin")
	id := fs.String("id", "", "with --set-key: Baidu appid, Youdao appKey or Tencent SecretId")
	url := fs.String("url", "", "with --set-key: LibreTranslate server URL (or another endpoint)")
	region := fs.String("region", "", "with --set-key: Tencent Cloud region (default ap-guangzhou)")
	offline := fs.Bool("offline", false, "dictionary only, never the network")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	openStore := func() (translate.KeyStore, error) {
		if ks != nil {
			return ks, nil
		}
		quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		return credentials.Open(credentials.Options{Logger: quiet})
	}

	if *setKey != "" {
		secret, _ := bufio.NewReader(stdin).ReadString('\n')
		c := translate.Credentials{ID: *id, URL: *url, Region: *region, Secret: strings.TrimSpace(secret)}
		store, err := openStore()
		if err == nil {
			// What is not given is kept: --url alone changes only the URL.
			if old, lerr := translate.Load(store, *setKey); lerr == nil {
				c = c.Over(old)
				c.ID, c.URL = cmp.Or(c.ID, old.ID), cmp.Or(c.URL, old.URL)
			}
			if err = translate.Check(*setKey, c); err != nil {
				fmt.Fprintf(stderr, "tachikoma translate: %v; nothing saved (the secret goes on standard input, the id in --id, a server in --url)\n", err)
				return 2
			}
			err = translate.Save(store, *setKey, c)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tachikoma translate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "credentials of %s saved\n", *setKey)
		return 0
	}

	text := strings.Join(fs.Args(), " ")
	if text == "" || text == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, translate.MaxText+1))
		if err != nil {
			fmt.Fprintf(stderr, "tachikoma translate: %v\n", err)
			return 1
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		fs.Usage()
		return 2
	}
	d, err := dict.OpenDefault(nil)
	if err != nil {
		fmt.Fprintf(stderr, "tachikoma translate: %v\n", err)
		return 1
	}
	defer d.Close()
	core := d
	if c, err := dict.Core(); err == nil {
		core = c
	}
	svc := translate.Service{Dict: d, Reverse: core}
	if !*offline {
		svc.Translator = translate.Lazy(*provider, openStore)
	}
	if *provider != "" {
		if _, err := translate.New(*provider, translate.Credentials{}); err != nil {
			fmt.Fprintf(stderr, "tachikoma translate: %v\n", err)
			return 2
		}
	}
	a := svc.Translate(context.Background(), text)
	if *offline && errors.Is(a.Err, translate.ErrNoKey) {
		a.Err = nil // asked for the dictionary only: no translator is no news
	}
	fmt.Fprint(stdout, translate.Format(&a))
	if a.Err != nil && a.Sentence {
		fmt.Fprintf(stderr, "tachikoma translate: %v\n", a.Err)
	}
	if !a.Found() {
		if a.Err == nil {
			fmt.Fprintf(stderr, "tachikoma translate: %q not found\n", a.Text)
		}
		return 1
	}
	return 0
}
