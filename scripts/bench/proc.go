package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a broker process under test: ours, mosquitto or NATS.
type server struct {
	kind string // kindOurs, kindMosq or kindNATS
	addr string
	cmd  *exec.Cmd
	done chan struct{}
	log  string

	mu       sync.Mutex
	peakRSS  int64 // KiB, sampled
	samples  []int64
	stopSamp chan struct{}
}

const (
	kindOurs = "tachikoma"
	kindMosq = "mosquitto"
	kindNATS = "nats"
	// natsBuild asks for scripts/bench/natsd to be built (-nats).
	natsBuild = "build"
)

// raiseNoFile lifts RLIMIT_NOFILE for this process and the brokers it starts.
func raiseNoFile(want uint64) (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	n := syscall.Rlimit{Cur: want, Max: want}
	if r.Max > want {
		n.Max = r.Max
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err != nil {
		// Not root: the hard limit is as far as we may go.
		n = syscall.Rlimit{Cur: r.Max, Max: r.Max}
		if err2 := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err2 != nil {
			return r.Cur, err
		}
	}
	return n.Cur, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ourConfig writes a broker config for dataDir listening on port (MQTT over
// TCP only; the WebSocket and HTTP listeners are off).
func ourConfig(dataDir string, port int) (string, error) {
	cfg := fmt.Sprintf(`mqtt_addr: 127.0.0.1:%d
ws_addr: ""
http_addr: ""
data_dir: %s
log_level: warn
`, port, dataDir)
	path := filepath.Join(filepath.Dir(dataDir), "broker.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

func mosquittoConfig(dir string, port int) (string, error) {
	cfg := fmt.Sprintf(`# Tachikoma bench: anonymous, in memory only, loopback.
listener %d 127.0.0.1
allow_anonymous true
persistence false
max_connections -1
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
`, port)
	path := filepath.Join(dir, "mosquitto.conf")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

// natsConfig configures NATS for the durable-DM comparison: JetStream with
// file storage in a fresh storeDir (QoS 1 messages are kept there until
// acknowledged) and the MQTT listener on port, loopback only, no
// authentication. MQTT needs a server name and JetStream; port -1 gives the
// NATS protocol's own listener a free port.
func natsConfig(dir, storeDir string, port int) (string, error) {
	if err := os.RemoveAll(storeDir); err != nil {
		return "", err
	}
	cfg := fmt.Sprintf(`# Tachikoma bench: JetStream on disk, MQTT on loopback, anonymous.
server_name: tachikoma-bench
host: 127.0.0.1
port: -1
max_connections: 1000000
jetstream {
  store_dir: %q
}
mqtt {
  host: 127.0.0.1
  port: %d
}
`, storeDir, port)
	path := filepath.Join(dir, "nats.conf")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

// startServer runs argv, waits until port accepts connections, and samples
// the process's RSS until stop.
func startServer(kind string, argv []string, env []string, port int, logPath string) (*server, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	s := &server{kind: kind, addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{}),
		log: logPath, stopSamp: make(chan struct{})}
	go func() {
		cmd.Wait()
		lf.Close()
		close(s.done)
	}()
	deadline := time.Now().Add(120 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited at start: %s", kind, tail(logPath))
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("%s did not listen on %s within 120s", kind, s.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	go s.sample()
	return s, nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) sample() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stopSamp:
			return
		case <-s.done:
			return
		case <-t.C:
		}
		rss, _, err := memKiB(s.pid())
		if err != nil {
			continue
		}
		s.mu.Lock()
		s.peakRSS = max(s.peakRSS, rss)
		s.samples = append(s.samples, rss)
		s.mu.Unlock()
	}
}

// resetPeak starts a new peak-RSS window.
func (s *server) resetPeak() {
	s.mu.Lock()
	s.peakRSS = 0
	s.samples = s.samples[:0]
	s.mu.Unlock()
}

func (s *server) peak() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakRSS
}

// stop sends SIGTERM and waits (SIGKILL after timeout).
func (s *server) stop(timeout time.Duration) time.Duration {
	start := time.Now()
	select {
	case <-s.done:
		return 0
	default:
	}
	close(s.stopSamp)
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.cmd.Process.Kill()
		<-s.done
	}
	return time.Since(start)
}

func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// cpuTicks is utime+stime of pid in clock ticks (/proc/PID/stat fields 14, 15).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces: fields start after ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime is field 14 → f[11], stime f[12].
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad stat numbers")
	}
	return u + st, nil
}

// clkTck is USER_HZ; 100 on every Linux that Go supports here.
const clkTck = 100

func cpuSeconds(pid int) float64 {
	t, _ := cpuTicks(pid)
	return float64(t) / clkTck
}

// memKiB returns VmRSS and VmHWM of pid.
func memKiB(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss, _ = strconv.ParseInt(f[1], 10, 64)
		case "VmHWM:":
			hwm, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return rss, hwm, nil
}

func (s *server) rss() int64 {
	r, _, _ := memKiB(s.pid())
	return r
}

// threads returns the number of threads of pid.
func threads(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// machineTicks is the busy time of all CPUs (user, nice, system, irq,
// softirq, steal from the first line of /proc/stat), in clock ticks.
func machineTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return busy
}

// cpuWindow measures, over one window, the broker's CPU, the load
// generator's, and everything else's: other processes on a shared machine
// make a run noisy, and this says how much.
type cpuWindow struct {
	pid                 int
	broker, self, total int64
}

func startCPU(pid int) cpuWindow {
	b, _ := cpuTicks(pid)
	s, _ := cpuTicks(os.Getpid())
	return cpuWindow{pid: pid, broker: b, self: s, total: machineTicks()}
}

// end returns broker, load generator and other CPU seconds since start.
func (w cpuWindow) end() (broker, self, other float64) {
	b, _ := cpuTicks(w.pid)
	s, _ := cpuTicks(os.Getpid())
	t := machineTicks()
	broker, self = float64(b-w.broker)/clkTck, float64(s-w.self)/clkTck
	other = float64(t-w.total)/clkTck - broker - self
	return broker, self, max(0, other)
}
