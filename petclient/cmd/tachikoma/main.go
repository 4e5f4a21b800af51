// Command tachikoma is the desktop pet: a small blue spider-tank robot that
// walks on your desktop. This file only parses flags and settings; the GTK
// layer is petclient/desktop.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/tachikoma-pet/tachikoma/petclient/chat"
	"github.com/tachikoma-pet/tachikoma/petclient/chatui"
	"github.com/tachikoma-pet/tachikoma/petclient/desktop"
	"github.com/tachikoma-pet/tachikoma/petclient/instance"
	"github.com/tachikoma-pet/tachikoma/petclient/petbus"
	"github.com/tachikoma-pet/tachikoma/petclient/remindui"
	"github.com/tachikoma-pet/tachikoma/petclient/settings"
	"github.com/tachikoma-pet/tachikoma/petclient/shotui"
	"github.com/tachikoma-pet/tachikoma/petclient/spriteimportui"
	"github.com/tachikoma-pet/tachikoma/petclient/translateui"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func init() {
	// GTK must be driven from the thread that initialised it: keep the main
	// goroutine on the main OS thread.
	runtime.LockOSThread()
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if code, ok := dispatch(args); ok {
		return code
	}
	fs := flag.NewFlagSet("tachikoma", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: tachikoma [flags]\n       tachikoma TOOL [args]\n\nFlags:")
		fs.PrintDefaults()
		printSubcommands()
	}
	defaultConfig, noConfig := settings.DefaultPath()
	configPath := fs.String("config", defaultConfig, "settings `file` (YAML)")
	scale := fs.Float64("scale", 0, "size of the robot: 1, 1.5, 2 or 3 (default from settings)")
	packName := fs.String("pack", "", "sprite `pack` id (default from settings)")
	pets := fs.Int("pets", 0, "how many Tachikomas to start with (default from settings)")
	lang := fs.String("lang", "", "interface language: auto, en or zh (default from settings)")
	stateFile := fs.String("state-file", os.Getenv("TACHIKOMA_STATE_FILE"),
		"test hook: write a JSON snapshot of the pets to `path` whenever it changes")
	seed := fs.Uint64("seed", envUint("TACHIKOMA_SEED"), "non-zero: reproducible pet behaviour (tests, benchmarks)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	showVersion := fs.Bool("version", false, "print the version and exit")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile to `file` (tuning)")
	memProfile := fs.String("memprofile", "", "write a Go heap profile to `file` at exit (tuning)")
	server := fs.String("server", "", "chat server `URL`: mqtt://HOST:PORT, mqtts://, ws://HOST:PORT/mqtt or wss:// (default from settings; none: host one here)")
	user := fs.String("user", "", "chat account `name` (password: $TACHIKOMA_PASSWORD, the remembered login, or the login dialog)")
	caFile := fs.String("ca-file", "", "PEM `file` of certificates to trust for mqtts:// and wss://")
	insecureTLS := fs.Bool("insecure-tls", false, "accept any server certificate (self-signed servers; no protection against eavesdroppers)")
	noChat := fs.Bool("no-chat", false, "run the pet without chat")
	newInstance := fs.Bool("new-instance", false, "start a separate pet process even when one is running (without: the running pet shows itself and adds --pets pets, default 1)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Println("tachikoma", version)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "tachikoma: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if *configPath == "" {
		if noConfig == nil {
			noConfig = errors.New("--config is empty")
		}
		fmt.Fprintf(os.Stderr, "tachikoma: %v; give a settings file with --config FILE\n", noConfig)
		return 2
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "tachikoma: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	file, _ := settings.LoadOrDefaults(*configPath, log)
	eff := file
	if *scale != 0 {
		eff.Scale = *scale
	}
	if *packName != "" {
		eff.Pack = *packName
	}
	if *lang != "" {
		eff.Language = *lang
	}
	if *pets != 0 {
		eff.Pets = *pets
		eff.MaxPets = max(eff.MaxPets, *pets) // asking for N pets implies allowing N
	}
	if *server != "" {
		if _, err := chat.ParseServer(*server); err != nil {
			fmt.Fprintf(os.Stderr, "tachikoma: --server: %v\n", err)
			return 2
		}
	}
	if err := eff.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "tachikoma: %v\n", err)
		return 2
	}

	if !*newInstance {
		release, err := lockInstance()
		switch {
		case errors.Is(err, instance.ErrRunning):
			return presentRunning(max(*pets, 1), err)
		case err != nil:
			log.Warn("cannot tell whether a pet is already running", "err", err)
		default:
			defer release()
		}
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "tachikoma: %v\n", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "tachikoma: %v\n", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}

	// The pet is drawn through X11 (shapes, keep-above, window ids for the
	// world); on Wayland sessions it runs through XWayland.
	os.Setenv("GDK_BACKEND", "x11")
	// Without a session bus, GTK's accessibility bridge would auto-launch
	// one (plus the AT-SPI bus and registry) that outlive the pet. Nothing
	// could use accessibility there anyway, so tell GTK and GIO there is no
	// bus instead of letting them start one.
	if !desktop.HaveSessionBus() {
		os.Setenv("NO_AT_BRIDGE", "1")
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
	}
	// The pet never uses OpenGL; without this GDK probes GLX at start and
	// loads the GL driver (tens of MiB resident, e.g. Mesa's LLVM).
	if os.Getenv("GDK_GL") == "" {
		os.Setenv("GDK_GL", "disable")
	}

	// Most memory is GTK's; keep Go's own heap small and collected early
	// (the pet allocates little per tick, so a tighter GC costs nothing).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	// One P is plenty for a pet and keeps the runtime's bookkeeping around
	// every GTK callback (thread hand-offs, sysmon wake-ups) smaller.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(24 << 20)
	}

	var chatCtl *chatui.Controller
	var remindUI *remindui.UI
	var translateUI *translateui.UI
	var petBus func()
	onStart := func(app *desktop.App) {
		translateUI = translateui.Attach(app, translateui.Options{Logger: log})
		spriteimportui.Attach(app, spriteimportui.Options{Logger: log})
		shotUI := shotui.Attach(app, shotui.Options{Logger: log, Pets: app, Dir: file.Screenshot.Folder(os.Getenv("HOME"))})
		petBus = servePetBus(busPet{Shooter: shotUI, app: app}, log)
		ro := remindui.Options{Logger: log}
		if !*noChat {
			chatCtl = chatui.Attach(app, chatui.Options{
				Server: *server, User: *user, Password: os.Getenv("TACHIKOMA_PASSWORD"),
				TLS:         chat.TLSOptions{CAFile: *caFile, InsecureSkipVerify: *insecureTLS},
				ControlFile: os.Getenv("TACHIKOMA_CHAT_CONTROL"),
				Logger:      log,
			})
			ro.Speaker = chatCtl // the chat's bubbles say reminders too
		}
		remindUI = remindui.Attach(app, ro)
		if chatCtl != nil {
			chatCtl.AddCommand("remind", remindUI.Command)
		}
	}
	defer func() {
		if petBus != nil {
			petBus()
		}
		if translateUI != nil {
			translateUI.Close()
		}
		if remindUI != nil {
			remindUI.Close()
		}
		if chatCtl != nil {
			chatCtl.Close()
		}
	}()
	if *memProfile != "" { // before the chat closes: what a running pet holds
		defer writeHeapProfile(*memProfile, log)
	}

	err := desktop.Run(desktop.Options{
		Settings:     eff,
		FileSettings: file,
		ConfigPath:   *configPath,
		StateFile:    *stateFile,
		Seed:         *seed,
		Version:      version,
		Logger:       log,
		NewWorld:     newWorld,
		OnStart:      onStart,
	})
	if err != nil {
		log.Error("tachikoma cannot start", "err", err)
		return 1
	}
	return 0
}

// lockInstance takes the one-pet-per-user lock at its default path.
func lockInstance() (release func(), err error) {
	path, err := instance.DefaultPath()
	if err != nil {
		return nil, err
	}
	return instance.Lock(path)
}

// presentRunning answers a second launch: the running pet is asked over
// the session bus to show itself and add pets, as a desktop app brings its
// window forward, and this process ends.
func presentRunning(add int, running error) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := askPresent(ctx, add)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tachikoma: %v, and it could not be asked to show itself: %v\n"+
			"To start a separate pet anyway: tachikoma --new-instance\n", running, err)
		return 1
	}
	fmt.Printf("Tachikoma is already running: it shows its pets and added %d (now %d).\n"+
		"To start a separate pet process: tachikoma --new-instance\n", add, n)
	return 0
}

func askPresent(ctx context.Context, add int) (int, error) {
	if !desktop.HaveSessionBus() {
		return 0, errors.New("no session bus")
	}
	conn, err := petbus.Connect()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return petbus.Present(ctx, conn, add)
}

func envUint(name string) uint64 {
	v, _ := strconv.ParseUint(os.Getenv(name), 10, 64)
	return v
}

// writeHeapProfile writes what is live at exit (after a collection).
func writeHeapProfile(path string, log *slog.Logger) {
	f, err := os.Create(path)
	if err != nil {
		log.Error("heap profile", "err", err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		log.Error("heap profile", "err", err)
	}
}
