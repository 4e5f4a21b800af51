// Command natsd runs NATS server's library with a configuration file: the
// peer broker of the bench's durable-DM comparison (its MQTT listener stores
// QoS 1 messages in JetStream). The bench builds it into its work directory.
//
//	natsd -c nats.conf
//	natsd -version
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	conf := flag.String("c", "", "configuration file")
	version := flag.Bool("version", false, "print the NATS server version and exit")
	flag.Parse()
	if *version {
		fmt.Println("nats-server", server.VERSION)
		return
	}
	if err := run(*conf); err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
}

func run(conf string) error {
	if conf == "" {
		return fmt.Errorf("no configuration file (-c)")
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		return err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	s.ConfigureLogger()
	// Run starts the listeners and handles SIGTERM and SIGINT.
	if err := server.Run(s); err != nil {
		return err
	}
	s.WaitForShutdown()
	return nil
}
