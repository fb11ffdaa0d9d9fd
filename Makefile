# MarketPrism: the two quick-start commands are `make demo` and `make test`.
# Both install what they need (Debian packages) when it is missing.

APT_PACKAGES := libzstd-dev libcurl4-openssl-dev libssl-dev openssl pkg-config nats-server libnats-dev tinyproxy dante-server
PYTHON ?= python3
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps pydeps demo test build release bench

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product marketprism

# The main job on embedded defaults: replay the bundled recording under the bundled scenario.
demo: release
	.build/release/marketprism demo

# Python's nats-py plays the consumer written in another language (PublishingTests / NATSTransportTests);
# prometheus_client's parser checks /metrics (CollectorAPITests).
pydeps:
	@$(PYTHON) -c "import nats, prometheus_client" 2>/dev/null || $(PYTHON) -m pip install -q nats-py prometheus-client

# CollectorAPITests get a process of their own: their in-process Hummingbird server answers on Swift's
# cooperative thread pool (one thread per core, two here), which the rest of the suite's blocking
# tests can hold for seconds, so in one shared run the API's requests time out.
test: deps pydeps
	$(SWIFT) test --skip CollectorAPITests
	$(SWIFT) test --skip-build --filter CollectorAPITests

bench: deps
	cd Benchmarks && $(SWIFT) package benchmark
