// Command tachikoma-broker runs Tachikoma's chat broker and administers its
// accounts and rooms.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tachikoma-pet/tachikoma/broker"
	"github.com/tachikoma-pet/tachikoma/broker/cluster"
	"github.com/tachikoma-pet/tachikoma/broker/password"
	"github.com/tachikoma-pet/tachikoma/broker/store"
	_ "github.com/tachikoma-pet/tachikoma/broker/store/postgres" // store: postgres://…
	"github.com/tachikoma-pet/tachikoma/topics"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tachikoma-broker:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "tachikoma-broker",
		Short:         "Tachikoma's MQTT chat broker",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), userCmd(), roomCmd(), inviteCmd(), accountCmd(), backupCmd(), restoreCmd(), versionCmd(), healthCmd())
	return root
}

// settings are the flags shared by every command: --config, then flags override.
type settings struct {
	config, dataDir, store string
}

func (s *settings) bind(c *cobra.Command) {
	c.Flags().StringVar(&s.config, "config", "", "YAML configuration file (see configs/broker.yaml)")
	c.Flags().StringVar(&s.dataDir, "data-dir", "", "data directory (default from config, else ./data)")
	c.Flags().StringVar(&s.store, "store", "", "sqlite (in the data dir), or postgres://user@host:5432/db for a cluster, password from PGPASSWORD or ~/.pgpass (default from config, else sqlite)")
}

func (s *settings) load(c *cobra.Command) (broker.Config, error) {
	cfg := broker.DefaultConfig()
	if s.config != "" {
		var err error
		if cfg, err = broker.LoadConfig(s.config); err != nil {
			return cfg, err
		}
	}
	if c.Flags().Changed("data-dir") {
		cfg.DataDir = s.dataDir
	}
	if c.Flags().Changed("store") {
		if u, err := url.Parse(s.store); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				slog.Warn("--store carries a password, which every user of this machine sees in ps and which unit files keep; " +
					"leave it out of the URL and give it in PGPASSWORD or ~/.pgpass (see configs/broker.yaml)")
			}
		}
		cfg.Store = s.store
		if err := cfg.Validate(); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func serveCmd() *cobra.Command {
	var s settings
	var mqttAddr, wsAddr, httpAddr, aclFile, logLevel, logFormat, pprofAddr string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the broker (MQTT over TCP and WebSocket, HTTP API)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := s.load(c)
			if err != nil {
				return err
			}
			f := c.Flags()
			for name, dst := range map[string]*string{"mqtt-addr": &cfg.MQTTAddr, "ws-addr": &cfg.WSAddr,
				"http-addr": &cfg.HTTPAddr, "acl-file": &cfg.ACLFile, "log-level": &cfg.LogLevel,
				"cluster": &cfg.Cluster.Name, "node-id": &cfg.Cluster.NodeID, "nats-listen": &cfg.Cluster.NATSListen,
				"nats-routes": &cfg.Cluster.NATSRoutes, "nats-url": &cfg.Cluster.NATSURL} {
				if f.Changed(name) {
					*dst, _ = f.GetString(name)
				}
			}
			return serve(cfg, logFormat, pprofAddr)
		},
	}
	s.bind(c)
	def := broker.DefaultConfig()
	c.Flags().StringVar(&mqttAddr, "mqtt-addr", def.MQTTAddr, "MQTT over TCP address (empty disables)")
	c.Flags().StringVar(&wsAddr, "ws-addr", def.WSAddr, "MQTT over WebSocket address, path /mqtt (empty disables)")
	c.Flags().StringVar(&httpAddr, "http-addr", def.HTTPAddr, "HTTP API address (empty disables)")
	c.Flags().StringVar(&aclFile, "acl-file", "", "mosquitto-style ACL file granting extra topics")
	c.Flags().StringVar(&logLevel, "log-level", def.LogLevel, "debug, info, warn or error")
	c.Flags().StringVar(&logFormat, "log-format", "text", "text, or json (one object a line, for journald or a log shipper)")
	c.Flags().String("cluster", "", "join the cluster of this name (docs/CLUSTER.md); empty: a single broker")
	c.Flags().String("node-id", "", "this node's name in the cluster, unique")
	c.Flags().String("nats-listen", "", "the embedded NATS server's route listener for the other nodes, HOST:PORT")
	c.Flags().String("nats-routes", "", "every node's route listener, nats://HOST:PORT,...")
	c.Flags().String("nats-url", "", "an external NATS cluster instead of the embedded server, nats://HOST:PORT")
	c.Flags().StringVar(&pprofAddr, "pprof-addr", "", "serve Go's net/http/pprof profiles on this address, e.g. 127.0.0.1:6060 (empty: off; never expose it)")
	return c
}

func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func serve(cfg broker.Config, logFormat, pprofAddr string) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, logFormat)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	if pprofAddr != "" {
		ln, err := net.Listen("tcp", pprofAddr)
		if err != nil {
			return fmt.Errorf("pprof listener: %w", err)
		}
		// Lock contention in the ACL and directory shows up in these two.
		runtime.SetMutexProfileFraction(10)
		runtime.SetBlockProfileRate(10_000)
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		go func() { _ = http.Serve(ln, mux) }()
		log.Info("pprof listening", "addr", ln.Addr().String())
	}
	// Caught from before the listeners open: a SIGTERM that arrives while
	// the broker starts (a supervisor stopping it at once) still shuts it
	// down cleanly instead of killing it.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	// SIGHUP reloads the TLS certificate (after a renewal) and the ACL file instead of ending the broker.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	opt := broker.Options{Logger: log, TuneRuntime: true, Version: version}
	var node *cluster.Node
	if cfg.Cluster.Name != "" {
		if node, err = cluster.Start(cfg.Cluster, cluster.Options{DataDir: cfg.DataDir, Logger: log, SessionExpiry: time.Duration(cfg.Sessions.SessionExpiry),
			MessageExpiry: time.Duration(cfg.Sessions.MessageExpiry), MaxQueued: cfg.Limits.MaxQueued}); err != nil {
			return err
		}
		defer node.Close() // after the broker's Close
		opt.Backplane = node
	}
	b, err := broker.New(cfg, opt)
	if err != nil {
		return err
	}
	if node != nil {
		if err := node.Attach(b); err != nil {
			b.Close()
			return err
		}
	}
	if err := b.Start(); err != nil {
		b.Close()
		return err
	}
	for {
		select {
		case <-hup:
			if cfg.TLS.CertFile == "" && cfg.ACLFile == "" {
				log.Info("SIGHUP: no TLS certificate or ACL file configured, nothing to reload")
			}
			if cfg.TLS.CertFile != "" {
				if err := b.ReloadTLS(); err != nil {
					log.Error("SIGHUP: certificate not reloaded; still serving the previous one", "error", err)
				}
			}
			if err := b.ReloadACL(); err != nil {
				log.Error("SIGHUP: acl file not reloaded; the previous rules stay in force", "error", err)
			}
		case got := <-sig:
			log.Info("shutting down", "signal", got.String())
			return b.Close()
		}
	}
}

// setsUp are the commands that may create the data dir.
var setsUp = map[string]bool{"user add": true, "user import": true, "room create": true}

func openStore(s *settings, c *cobra.Command) (store.Store, error) {
	cfg, err := s.load(c)
	if err != nil {
		return nil, err
	}
	if cfg.Store != "" && cfg.Store != "sqlite" {
		return store.OpenSetting(c.Context(), cfg.Store, cfg.DataDir)
	}
	// Only the commands that set up a new server make its data dir; the
	// others, invite create among them, would write where no broker reads.
	if _, err := os.Stat(cfg.DataDir); err != nil && !setsUp[c.Parent().Name()+" "+c.Name()] {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	return store.Open(cfg.DataDir)
}

// readPassword prompts on a terminal (twice) or reads one line from stdin.
func readPassword(in io.Reader, prompt string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(os.Stderr, prompt+": ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(os.Stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userCmd() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage accounts (works while the broker runs)"}
	ctx := context.Background()

	var addS settings
	var nick string
	add := &cobra.Command{
		Use: "add NAME", Short: "Create an account; password from stdin or a prompt", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			name := args[0]
			if err := topics.CheckUsername(name); err != nil {
				return err
			}
			if nick != "" {
				if err := topics.CheckNickname(nick); err != nil {
					return err
				}
			} else {
				nick = name
			}
			pw, err := readPassword(c.InOrStdin(), "password for "+name)
			if err != nil {
				return err
			}
			if err := broker.ValidateNewAccount(name, pw, nick); err != nil {
				return err
			}
			hash, err := password.Hash(pw, password.Default)
			if err != nil {
				return err
			}
			st, err := openStore(&addS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CreateUser(ctx, store.User{Name: name, Nickname: nick, PWHash: hash}); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "user %s added\n", name)
			return nil
		},
	}
	addS.bind(add)
	add.Flags().StringVar(&nick, "nickname", "", "display name (default: the username)")

	var pwS settings
	passwd := &cobra.Command{
		Use: "passwd NAME", Short: "Set a new password; the user's connections are closed", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			st, err := openStore(&pwS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := st.GetUser(ctx, args[0]); err != nil {
				return err
			}
			pw, err := readPassword(c.InOrStdin(), "new password for "+args[0])
			if err != nil {
				return err
			}
			if err := password.Check(pw); err != nil {
				return err
			}
			hash, err := password.Hash(pw, password.Default)
			if err != nil {
				return err
			}
			if err := st.SetPassword(ctx, args[0], hash); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "password of %s changed\n", args[0])
			return nil
		},
	}
	pwS.bind(passwd)

	var delS settings
	del := &cobra.Command{
		Use: "del NAME", Short: "Delete an account (its messages stay in history)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			st, err := openStore(&delS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.DeleteUser(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "user %s deleted\n", args[0])
			return nil
		},
	}
	delS.bind(del)

	var listS settings
	list := &cobra.Command{
		Use: "list", Short: "List accounts", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, err := openStore(&listS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := st.Users(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "USER\tNICKNAME\tCREATED\tLAST SEEN")
			for _, u := range users {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Name, u.Nickname, stamp(u.Created), stamp(u.LastSeen))
			}
			return w.Flush()
		},
	}
	listS.bind(list)

	var impS settings
	var jobs int
	imp := &cobra.Command{
		Use:   "import [FILE]",
		Short: "Create many accounts from lines \"name password [nickname]\" (FILE or stdin), hashing on all cores",
		Long: "Each line is a username, a password without spaces and an optional nickname (the rest of\n" +
			"the line), separated by spaces or tabs; blank lines and lines starting with # are skipped.\n" +
			"Every line is checked before anything is written, and the accounts are added in one\n" +
			"transaction: all or none.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			in := c.InOrStdin()
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			type line struct {
				n            int
				name, pw, nk string
			}
			var lines []line
			seen := map[string]int{}
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 64*1024), 64*1024)
			for n := 1; sc.Scan(); n++ {
				text := strings.TrimSpace(sc.Text()) // also a CRLF file's \r
				if n == 1 {
					text = strings.TrimPrefix(text, "\uFEFF") // Notepad's and Excel's UTF-8 mark
				}
				if text == "" || strings.HasPrefix(text, "#") {
					continue
				}
				f := strings.Fields(text)
				if len(f) < 2 {
					return fmt.Errorf("line %d: want \"name password [nickname]\"", n)
				}
				l := line{n: n, name: f[0], pw: f[1], nk: f[0]}
				if len(f) > 2 {
					l.nk = strings.Join(f[2:], " ")
				}
				if err := broker.ValidateNewAccount(l.name, l.pw, l.nk); err != nil {
					return fmt.Errorf("line %d: %w", n, err)
				}
				if first, dup := seen[l.name]; dup {
					return fmt.Errorf("line %d: %s already on line %d", n, l.name, first)
				}
				seen[l.name] = n
				lines = append(lines, l)
			}
			if err := sc.Err(); err != nil {
				return err
			}
			start := time.Now()
			users := make([]store.User, len(lines))
			errs := make([]error, len(lines))
			next := make(chan int)
			var wg sync.WaitGroup
			for w := 0; w < max(1, jobs); w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						l := lines[i]
						hash, err := password.Hash(l.pw, password.Default)
						users[i], errs[i] = store.User{Name: l.name, Nickname: l.nk, PWHash: hash}, err
					}
				}()
			}
			for i := range lines {
				next <- i
			}
			close(next)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					return fmt.Errorf("line %d: %w", lines[i].n, err)
				}
			}
			st, err := openStore(&impS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CreateUsers(ctx, users); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "%d users imported in %.1fs\n", len(users), time.Since(start).Seconds())
			return nil
		},
	}
	impS.bind(imp)
	imp.Flags().IntVar(&jobs, "jobs", runtime.NumCPU(), "passwords hashed in parallel (argon2id, 19 MiB each)")
	c.AddCommand(add, passwd, del, list, imp)
	return c
}

func stamp(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04")
}

func roomCmd() *cobra.Command {
	c := &cobra.Command{Use: "room", Short: "Manage rooms (works while the broker runs)"}
	ctx := context.Background()

	var createS settings
	var title string
	var private bool
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a room", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := topics.CheckRoom(args[0]); err != nil {
				return err
			}
			if title == "" {
				title = args[0]
			}
			if err := topics.CheckNickname(title); err != nil {
				return fmt.Errorf("title: %w", err)
			}
			st, err := openStore(&createS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CreateRoom(ctx, store.Room{Name: args[0], Title: title, Public: !private}); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "room %s created\n", args[0])
			return nil
		},
	}
	createS.bind(create)
	create.Flags().StringVar(&title, "title", "", "display title (default: the name)")
	create.Flags().BoolVar(&private, "private", false, "joinable by invitation only")

	var listS settings
	list := &cobra.Command{
		Use: "list", Short: "List rooms", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			st, err := openStore(&listS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			rooms, err := st.Rooms(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ROOM\tTITLE\tPUBLIC\tOWNER")
			for _, r := range rooms {
				fmt.Fprintf(w, "%s\t%s\t%v\t%s\n", r.Name, r.Title, r.Public, r.Owner)
			}
			return w.Flush()
		},
	}
	listS.bind(list)

	var delS settings
	del := &cobra.Command{
		Use: "del NAME", Short: "Delete a room (its history stays)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] == topics.Lobby {
				return errors.New("the lobby cannot be deleted")
			}
			st, err := openStore(&delS, c)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.DeleteRoom(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "room %s deleted\n", args[0])
			return nil
		},
	}
	delS.bind(del)
	c.AddCommand(create, list, del)
	return c
}
