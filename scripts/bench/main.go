// Command bench is Tachikoma's broker load generator. It runs our broker
// (bin built from this tree, auth, ACL and history on), Debian's mosquitto 2
// and, for DMs, NATS server with JetStream on disk (scripts/bench/natsd)
// side by side on loopback and prints delivered messages, latency,
// connects/s, broker CPU per delivered message and broker RSS.
//
//	go run ./scripts/bench                    # full run (~6 minutes)
//	go run ./scripts/bench -quick             # short run (make bench)
//	go run ./scripts/bench -scenarios room0,idle -json /tmp/bench.json
//	go run ./scripts/bench -scenarios room0,room1 -clients raw,paho
//
// Scenarios: room0/room1 (a big room at QoS 0/1), dm (friend pairs), idle
// (held connections), storm (our broker restarted under N clients), history
// (pages of a 1,000,000-message room). room0, room1, dm and idle also run
// against mosquitto, dm against NATS too, each round starting with the next
// broker; room and dm run with each client of -clients (our raw one, paho).
// Everything runs on this machine: the load generator shares its cores with
// the brokers.
// docs/PERFORMANCE.md describes the method and the figures.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type options struct {
	quick        bool
	scenarios    string
	clients      []string
	jsonOut      string
	workDir      string
	keep         bool
	brokerBin    string
	mosquitto    string
	nats         string
	rounds       int
	members      int
	talkers      int
	rate         float64
	duration     time.Duration
	payload      int
	petPayload   bool
	pairs        int
	dmRate       float64
	idle         int
	idleCapped   bool // fewer idle connections than asked: the open-files limit
	hold         time.Duration
	storm        int
	stormLimit   time.Duration
	histMsgs     int
	histRequests int
	histClients  int
	tokenSample  int
	workers      int
	brokerEnv    string
	pprof        bool
}

func parseFlags() *options {
	o := &options{}
	flag.BoolVar(&o.quick, "quick", false, "short run (make bench): fewer rounds, connections and requests")
	flag.StringVar(&o.scenarios, "scenarios", "room0,room1,dm,idle,storm,history", "comma-separated scenarios to run")
	clients := flag.String("clients", clientRaw, "comma-separated MQTT clients of the load generator for room0, room1 and dm: raw (ours, light) and/or paho (the pet's); idle, storm and history always use raw")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&o.workDir, "work", "", "work directory (default: a new temporary one, removed afterwards)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (data dir, logs, profiles)")
	flag.StringVar(&o.brokerBin, "broker-bin", "", "tachikoma-broker binary (default: built from this tree)")
	flag.StringVar(&o.mosquitto, "mosquitto", "/usr/sbin/mosquitto", "mosquitto binary; empty skips the comparison")
	flag.StringVar(&o.nats, "nats", natsBuild, "NATS server for the dm comparison (JetStream on disk, MQTT listener): a binary of scripts/bench/natsd, \""+natsBuild+"\" to build it, empty to skip")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of the compared scenarios (broker order alternates)")
	flag.IntVar(&o.members, "members", 500, "room: subscribed members")
	flag.IntVar(&o.talkers, "talkers", 10, "room: publishing members")
	flag.Float64Var(&o.rate, "rate", 100, "room: messages per second, all talkers together")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "room and dm: sending time")
	flag.IntVar(&o.payload, "payload", 64, "chat text bytes")
	flag.BoolVar(&o.petPayload, "pet-payload", true, `send chat as the pet does, {"text":...,"cid":...} (false: plain text, as mosquitto_pub -m)`)
	flag.IntVar(&o.pairs, "pairs", 500, "dm: friend pairs")
	flag.Float64Var(&o.dmRate, "dm-rate", 1000, "dm: messages per second, all senders together")
	flag.IntVar(&o.idle, "idle", 20000, "idle: connections held")
	flag.DurationVar(&o.hold, "hold", 60*time.Second, "idle: hold time (long enough for garbage to pile up, as on a real idle broker)")
	flag.IntVar(&o.storm, "storm", 10000, "storm: clients dropped by the restart")
	flag.DurationVar(&o.stormLimit, "storm-limit", 90*time.Second, "storm: give up after")
	flag.IntVar(&o.histMsgs, "history-messages", 1_000_000, "history: messages in the room")
	flag.IntVar(&o.histRequests, "history-requests", 2000, "history: page requests")
	flag.IntVar(&o.histClients, "history-clients", 10, "history: concurrent users (each ≤ 20 requests/s)")
	flag.IntVar(&o.tokenSample, "token-logins", 200, "users that log in with their password and request auth.token over MQTT (the rest get tokens minted in-process)")
	flag.IntVar(&o.workers, "workers", 32, "parallel connects")
	flag.StringVar(&o.brokerEnv, "broker-env", "", "extra environment for our broker, e.g. GOGC=200,GOMEMLIMIT=1GiB")
	flag.BoolVar(&o.pprof, "pprof", false, "run our broker through scripts/bench/pprofbroker and save CPU/heap/mutex profiles in the work dir")
	flag.Parse()
	for _, c := range strings.Split(*clients, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.clients = append(o.clients, c)
		}
	}
	if o.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("rounds", func() { o.rounds = 1 })
		def("duration", func() { o.duration = 6 * time.Second })
		def("pairs", func() { o.pairs = 250 })
		def("dm-rate", func() { o.dmRate = 500 })
		def("idle", func() { o.idle = 10000 })
		def("hold", func() { o.hold = 5 * time.Second })
		def("storm", func() { o.storm = 5000 })
		def("history-requests", func() { o.histRequests = 600 })
		def("token-logins", func() { o.tokenSample = 50 })
	}
	return o
}

type machine struct {
	NProc     int    `json:"nproc"`
	CPU       string `json:"cpu_model"`
	Go        string `json:"go"`
	Mosquitto string `json:"mosquitto"`
	NATS      string `json:"nats,omitempty"`
	Kernel    string `json:"kernel"`
	NoFile    uint64 `json:"nofile_limit"`
}

type report struct {
	Started     time.Time      `json:"started"`
	Machine     machine        `json:"machine"`
	Options     map[string]any `json:"options"`
	Setup       setupReport    `json:"setup"`
	Results     []result       `json:"results"`
	Comparisons []comparison   `json:"comparisons"`
	Targets     []target       `json:"targets"`
}

func machineInfo(mosq, nats string) machine {
	m := machine{NProc: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if mosq != "" {
		out, _ := exec.Command(mosq, "-h").CombinedOutput()
		m.Mosquitto = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	if nats != "" {
		out, _ := exec.Command(nats, "-version").Output()
		m.NATS = strings.TrimSpace(string(out))
	}
	return m
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run from inside the tachikoma module")
	}
	return filepath.Dir(mod), nil
}

func build(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// profile is an in-flight CPU profile of our broker (when -pprof).
type profile struct{ done chan struct{} }

func (p *profile) wait() {
	if p != nil {
		<-p.done
	}
}

var pprofAddrs = map[*server]string{}

func (e *env) startProfile(srv *server, name string, d time.Duration) *profile {
	addr, ok := pprofAddrs[srv]
	if !e.o.pprof || !ok {
		return nil
	}
	p := &profile{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		secs := max(1, int(d.Seconds()+0.5))
		for _, kind := range []string{"profile?seconds=" + fmt.Sprint(secs), "mutex", "heap", "heap?debug=1"} {
			resp, err := http.Get("http://" + addr + "/debug/pprof/" + kind)
			if err != nil {
				fmt.Fprintln(os.Stderr, "pprof:", err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			short := strings.SplitN(kind, "?", 2)[0] + ".pprof"
			if strings.HasSuffix(kind, "debug=1") {
				short = "memstats.txt"
				if i := bytes.Index(b, []byte("# runtime.MemStats")); i >= 0 {
					b = b[i:]
				}
			}
			os.WriteFile(filepath.Join(e.o.workDir, name+"."+short), b, 0o644)
		}
	}()
	return p
}

func main() {
	o := parseFlags()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o *options) error {
	rep := &report{Started: time.Now()}
	nofile, err := raiseNoFile(1 << 18)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: cannot raise RLIMIT_NOFILE (%v); open files limit %d\n", err, nofile)
	}
	// Each process (the load generator, each broker) needs one descriptor
	// per connection plus a few of its own; without CAP_SYS_RESOURCE the
	// hard limit cannot be raised and caps the connection count.
	if lim := int(nofile) - 100; o.idle > lim || o.storm > lim {
		logf("open files limit %d (hard): holding at most %d connections per process", nofile, lim)
		o.idleCapped = o.idle > lim
		o.idle, o.storm = min(o.idle, lim), min(o.storm, lim)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(o.scenarios, ",") {
		want[strings.TrimSpace(s)] = true
	}
	if !want["dm"] {
		o.nats = ""
	}
	for _, c := range o.clients {
		if c != clientRaw && c != clientPaho {
			return fmt.Errorf("-clients: unknown client %q (want %s or %s)", c, clientRaw, clientPaho)
		}
	}
	rep.Options = map[string]any{"quick": o.quick, "scenarios": o.scenarios, "clients": o.clients, "rounds": o.rounds, "members": o.members,
		"talkers": o.talkers, "rate": o.rate, "duration_s": o.duration.Seconds(), "pairs": o.pairs, "dm_rate": o.dmRate,
		"idle": o.idle, "storm": o.storm, "history_messages": o.histMsgs, "history_requests": o.histRequests,
		"broker_env": o.brokerEnv, "pprof": o.pprof}

	if o.workDir == "" {
		if o.workDir, err = os.MkdirTemp("", "tachikoma-bench-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(o.workDir)
		}
	} else if err := os.MkdirAll(o.workDir, 0o755); err != nil {
		return err
	}
	logf("work dir %s (open files limit %d, %d CPUs: the load generator shares them with the broker)", o.workDir, nofile, runtime.NumCPU())
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.nats == natsBuild {
		o.nats = filepath.Join(o.workDir, "natsd")
		logf("building scripts/bench/natsd (NATS server, version from go.mod)")
		if err := build(root, o.nats, "./scripts/bench/natsd"); err != nil {
			return err
		}
	}
	rep.Machine = machineInfo(o.mosquitto, o.nats)
	rep.Machine.NoFile = nofile
	ourArgv := func(cfgPath, pprofAddr string) []string { return []string{o.brokerBin, "serve", "--config", cfgPath} }
	if o.pprof {
		bin := filepath.Join(o.workDir, "pprofbroker")
		logf("building scripts/bench/pprofbroker")
		if err := build(root, bin, "./scripts/bench/pprofbroker"); err != nil {
			return err
		}
		ourArgv = func(cfgPath, pprofAddr string) []string {
			return []string{bin, "-config", cfgPath, "-pprof", pprofAddr}
		}
	} else if o.brokerBin == "" {
		o.brokerBin = filepath.Join(o.workDir, "tachikoma-broker")
		logf("building ./broker/cmd/tachikoma-broker")
		if err := build(root, o.brokerBin, "./broker/cmd/tachikoma-broker"); err != nil {
			return err
		}
	}

	users := max(o.talkers+o.members, 2*o.pairs, o.histClients, o.tokenSample)
	if want["idle"] {
		users = max(users, o.idle)
	}
	if want["storm"] {
		users = max(users, o.storm)
	}
	histMsgs := 0
	if want["history"] {
		histMsgs = o.histMsgs
	}
	dataDir := filepath.Join(o.workDir, "data")
	logf("setup: %d accounts, room %q (%d members), %d friend pairs, %d history messages", users, benchRoom, o.talkers+o.members, o.pairs, histMsgs)
	if rep.Setup, err = setupData(dataDir, users, o.members, o.talkers, o.pairs, histMsgs, o.histClients); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	logf("setup: accounts in %.1fs, history in %.1fs", rep.Setup.UsersSeconds, rep.Setup.HistorySeconds)
	toks, mintS, err := mintTokens(dataDir, users)
	if err != nil {
		return fmt.Errorf("mint tokens: %w", err)
	}
	rep.Setup.TokensMinted, rep.Setup.MintSeconds = users, mintS
	e := &env{o: o, tokens: toks}

	ourPort, err := freePort()
	if err != nil {
		return err
	}
	cfgPath, err := ourConfig(dataDir, ourPort)
	if err != nil {
		return err
	}
	var brokerEnv []string
	for _, kv := range strings.Split(o.brokerEnv, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			brokerEnv = append(brokerEnv, kv)
		}
	}
	startOurs := func() (*server, error) {
		pa := ""
		if o.pprof {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			pa = fmt.Sprintf("127.0.0.1:%d", p)
		}
		s, err := startServer(kindOurs, ourArgv(cfgPath, pa), brokerEnv, ourPort, filepath.Join(o.workDir, "tachikoma-broker.log"))
		if err == nil && pa != "" {
			pprofAddrs[s] = pa
		}
		return s, err
	}
	startMosq := func() (*server, error) {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		conf, err := mosquittoConfig(o.workDir, p)
		if err != nil {
			return nil, err
		}
		return startServer(kindMosq, []string{o.mosquitto, "-c", conf}, nil, p, filepath.Join(o.workDir, "mosquitto.log"))
	}
	startNATS := func() (*server, error) {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		conf, err := natsConfig(o.workDir, filepath.Join(o.workDir, "nats-store"), p)
		if err != nil {
			return nil, err
		}
		return startServer(kindNATS, []string{o.nats, "-c", conf}, nil, p, filepath.Join(o.workDir, "nats.log"))
	}
	starts := map[string]func() (*server, error){kindOurs: startOurs, kindMosq: startMosq, kindNATS: startNATS}
	brokers := []string{kindOurs}
	if o.mosquitto != "" {
		brokers = append(brokers, kindMosq)
	}
	// Only DMs are compared with NATS: its JetStream keeps QoS 1 messages
	// on disk as our history does.
	dmBrokers := brokers
	if o.nats != "" {
		dmBrokers = append(dmBrokers[:len(dmBrokers):len(dmBrokers)], kindNATS)
	}

	// The designed login path, measured: password login + auth.token.
	if o.tokenSample > 0 {
		srv, err := startOurs()
		if err != nil {
			return err
		}
		real, rate, err := requestTokens(srv.addr, o.tokenSample, 2*runtime.NumCPU())
		srv.stop(30 * time.Second)
		if err != nil {
			return err
		}
		copy(e.tokens, real)
		rep.Setup.PasswordLogins, rep.Setup.PasswordLoginsPS, rep.Setup.TokenRequestsOK = o.tokenSample, rate, len(real)
		logf("password login + auth.token: %d users at %.1f logins/s (argon2id); the other %d users' tokens minted in-process in %.2fs",
			o.tokenSample, rate, users-o.tokenSample, mintS)
	}

	type compared struct {
		name    string
		brokers []string
		fn      func(*server) (result, error)
	}
	var cmp []compared
	chat := func(name string, bs []string, fn func(*server, string) (result, error)) {
		if !want[name] {
			return
		}
		for _, cl := range o.clients {
			cmp = append(cmp, compared{name, bs, func(s *server) (result, error) { return fn(s, cl) }})
		}
	}
	chat("room0", brokers, func(s *server, cl string) (result, error) { return e.roomScenario(s, 0, cl) })
	chat("room1", brokers, func(s *server, cl string) (result, error) { return e.roomScenario(s, 1, cl) })
	chat("dm", dmBrokers, e.dmScenario)
	if want["idle"] {
		cmp = append(cmp, compared{"idle", brokers, e.idleScenario})
	}
	for r := 0; r < o.rounds; r++ {
		for si, c := range cmp {
			// Each round and scenario starts with the next broker.
			k := (r + si) % len(c.brokers)
			for _, kind := range append(c.brokers[k:len(c.brokers):len(c.brokers)], c.brokers[:k]...) {
				srv, err := starts[kind]()
				if err != nil {
					return err
				}
				res, err := c.fn(srv)
				srv.stop(60 * time.Second)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", c.name, srv.kind, err)
				}
				res.Round = r + 1
				rep.Results = append(rep.Results, res)
				printResult(res)
			}
		}
	}
	if want["storm"] {
		srv, err := startOurs()
		if err != nil {
			return err
		}
		res, nsrv, err := e.stormScenario(startOurs, srv)
		if nsrv != nil {
			nsrv.stop(60 * time.Second)
		}
		if err != nil {
			return fmt.Errorf("storm: %w", err)
		}
		res.Round = 1
		rep.Results = append(rep.Results, res)
		printResult(res)
	}
	if want["history"] {
		srv, err := startOurs()
		if err != nil {
			return err
		}
		res, err := e.historyScenario(srv)
		srv.stop(60 * time.Second)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		res.Round = 1
		rep.Results = append(rep.Results, res)
		printResult(res)
	}
	rep.Comparisons = compare(rep.Results)
	rep.Targets = evaluate(o, rep.Results, rep.Comparisons)
	printSummary(rep)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
		logf("JSON written to %s", o.jsonOut)
	}
	if o.keep || o.pprof {
		logf("work dir kept: %s", o.workDir)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func kib(k int64) string {
	if k >= 10*1024 {
		return fmt.Sprintf("%.0f MiB", float64(k)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(k)/1024)
}

func printResult(r result) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-19s %-9s round %d: ", r.Scenario, r.Broker, r.Round)
	switch {
	case strings.HasPrefix(r.Scenario, "room"), strings.HasPrefix(r.Scenario, "dm"):
		fmt.Fprintf(&b, "sent %d, delivered %d/%d (%.4f%%), %.0f msg/s; latency p50 %.2f p95 %.2f p99 %.2f max %.1f ms; broker CPU %.2fs = %.2f µs/delivered; RSS peak %s steady %s; %.0f connects/s",
			r.Sent, r.Delivered, r.Offered, r.Share*100, r.DeliveredPerS, r.Latency.P50ms, r.Latency.P95ms, r.Latency.P99ms, r.Latency.MaxMS,
			r.CPUSeconds, r.CPUusPerDelivered, kib(r.RSSPeakKiB), kib(r.RSSSteadyKiB), r.Connect.PerSec)
		fmt.Fprintf(&b, "; load generator CPU %.2fs, other processes %.2fs", r.Extra["loadgen_cpu_s"], r.Extra["other_processes_cpu_s"])
		if n, ok := r.Extra["pubacks"]; ok {
			fmt.Fprintf(&b, "; %.0f PUBACKs", n)
		}
		if n, ok := r.Extra["idle_cpu_percent"]; ok {
			fmt.Fprintf(&b, "; broker CPU before sending %.1f%%", n)
		}
	case r.Scenario == "idle":
		fmt.Fprintf(&b, "%d connections at %.0f connects/s; RSS %s → %s (peak %s) = %.1f KiB/conn; connect CPU %.0f µs/conn; idle CPU %.2f%%; load generator %.1f KiB/conn",
			r.Connect.N, r.Connect.PerSec, kib(r.RSSBaselineKiB), kib(r.RSSSteadyKiB), kib(r.RSSPeakKiB), r.RSSPerConnKiB,
			r.Extra["connect_cpu_us_per_conn"], r.Extra["hold_cpu_percent"], r.Extra["loadgen_rss_per_conn_kib"])
	case r.Scenario == "reconnect-storm":
		fmt.Fprintf(&b, "%d/%d back in %.2fs (shutdown %.2fs, start %.2fs, reconnect %.2fs at %.0f/s, %d attempts); new broker CPU %.1fs, RSS %s",
			int(r.Extra["reconnected"]), r.Connect.N, r.Extra["all_back_s"], r.Extra["broker_shutdown_s"], r.Extra["broker_listening_s"],
			r.Extra["reconnect_after_listen"], r.Extra["connects_per_s_after_listen"], int(r.Extra["connect_attempts"]), r.CPUSeconds, kib(r.RSSSteadyKiB))
	case r.Scenario == "history":
		fmt.Fprintf(&b, "%d pages of 50: p50 %.2f p95 %.2f p99 %.2f max %.1f ms (newest page p99 %.2f, deep p99 %.2f); %d bad, %d timeouts; broker CPU %.0f µs/page",
			r.Delivered, r.Latency.P50ms, r.Latency.P95ms, r.Latency.P99ms, r.Latency.MaxMS, r.Extra["newest_p99_ms"], r.Extra["deep_p99_ms"],
			int(r.Extra["bad_replies"]), int(r.Extra["timeouts"]), r.CPUusPerDelivered)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n    note: %s", n)
	}
	fmt.Println(b.String())
}
