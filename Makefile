# bitsscore: a Splunk custom search command (chunked protocol v2) in Go.
# `make demo` and `make test` are all a fresh machine needs (see README.md).

GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
BIN         := bin/bitsscore
# Benchmarks: BENCH selects them, BENCHTIME sets how long each runs;
# LOCKSTEP_RUNS is how many sessions each end-to-end scenario runs.
BENCH       ?= .
BENCHTIME   ?= 1s
LOCKSTEP_RUNS ?= 8
# Fuzzing: `make fuzz FUZZTIME=5m` runs every fuzz target for that long.
FUZZTIME    ?= 30s

.PHONY: all build package demo test lint staticcheck bench fuzz clean

all: build

# The host's binary in bin/, so a checkout linked into $SPLUNK_HOME/etc/apps works.
build:
	$(GO) build -trimpath -o $(BIN) ./src/cmd/bitsscore

# The release tarball, with every platform's binary, under dist/.
package:
	bash scripts/package.sh

# The real command, through the real protocol, over the embedded sample.
demo: build
	$(GO) run ./src/cmd/bitsscore-demo -command $(BIN)

# The pinned staticcheck, (re)installed when missing or of another version:
# `staticcheck -version` prints "staticcheck 2026.2.2 (0.8.2)", the pin is
# the version in parentheses. Another version would find other things, so
# lint would pass or fail by what happens to be installed.
staticcheck:
	@want='($(STATICCHECK_VERSION:v%=%))'; \
	if ! "$(STATICCHECK)" -version 2>/dev/null | grep -qF "$$want"; then \
		echo "installing staticcheck $(STATICCHECK_VERSION) into $(dir $(STATICCHECK)) (found: $$("$(STATICCHECK)" -version 2>/dev/null || echo none))"; \
		GOBIN="$(abspath $(dir $(STATICCHECK)))" $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) || exit 1; \
		"$(STATICCHECK)" -version 2>/dev/null | grep -qF "$$want" || { echo "$(STATICCHECK) is still not $(STATICCHECK_VERSION)"; exit 1; }; \
	fi

lint: staticcheck
	@unformatted=$$(gofmt -l src); if [ -n "$$unformatted" ]; then echo "gofmt -w needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Lint, validate the dashboards, then every test (fuzz seed corpora included)
# under the race detector, against the built binary and the built package.
test: build package lint dashboards
	BITSSCORE_BIN=$(CURDIR)/$(BIN) $(GO) test -race -count=1 ./...

# Splunk's own Dashboard Studio validator (pinned in package-lock.json) over
# every view in default/data/ui/views; node_modules is not committed.
.PHONY: dashboards
dashboards:
	npm ci --ignore-scripts --no-audit --no-fund
	node scripts/validate-dashboards.js --self-test

# The end-to-end scenarios first (docs/performance.md), then every other
# benchmark.
bench: build
	BITSSCORE_BIN=$(CURDIR)/$(BIN) $(GO) test -run='^$$' -bench='^BenchmarkLockstep$$' -benchtime=$(LOCKSTEP_RUNS)x ./src/command
	BITSSCORE_BIN=$(CURDIR)/$(BIN) $(GO) test -run='^$$' -bench='$(BENCH)' -skip='^BenchmarkLockstep$$' -benchtime=$(BENCHTIME) -benchmem ./...

# Runs each fuzz target for FUZZTIME; new crashers land in testdata/fuzz.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin dist
