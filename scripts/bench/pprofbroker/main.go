// Command pprofbroker runs Tachikoma's broker (broker.New + Start, as
// `tachikoma-broker serve` does) with net/http/pprof on a loopback address,
// for profiling under scripts/bench's load (go run ./scripts/bench -pprof).
// Mutex and block profiling are switched on (fraction 1 in 10 / 10 µs).
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/tachikoma-pet/tachikoma/broker"
)

func main() {
	cfgPath := flag.String("config", "", "broker YAML config")
	addr := flag.String("pprof", "127.0.0.1:6060", "pprof HTTP address")
	flag.Parse()
	if err := run(*cfgPath, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "pprofbroker:", err)
		os.Exit(1)
	}
}

func run(cfgPath, addr string) error {
	cfg, err := broker.LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	runtime.SetMutexProfileFraction(10)
	runtime.SetBlockProfileRate(10_000)
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	b, err := broker.New(cfg, broker.Options{Logger: log})
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		b.Close()
		return err
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			log.Error("pprof", "error", err)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return b.Close()
}
