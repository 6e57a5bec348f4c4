# The four loops: make run, make test, make bench, make check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := var/demo
# Where `make run` serves: `make run PORT=9000` (or PORT in the environment) and
# `make run HOST=0.0.0.0` (reachable from the network). HOST only from the command line:
# some shells export HOST as the machine's name.
HOST   := 127.0.0.1
PORT   ?= 8080
STAMP  := $(VENV)/.installed
VENDOR := appliance/static/vendor
SIO    := node_modules/socket.io-client/dist/socket.io.min.js
WIDGET := appliance/static/widget/enclave-widget.js
WORKBENCH := appliance/static/workbench/workbench.js

.PHONY: run test bench check lint install assets clean-demo screenshots

$(STAMP): setup.cfg constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dev,postgres,redis]'
	touch $(STAMP)

install: $(STAMP)

## make assets: browser assets from package-lock.json, vendored into $(VENDOR), the visitor
## widget built (Vite) into $(WIDGET) and the agent workbench (Vite + Vue) into $(WORKBENCH),
## at build time. npm runs here only, never at runtime.
## Without npm (outside CI) the demo pages say what is missing.
assets: $(VENDOR)/socket.io.min.js $(WIDGET) $(WORKBENCH)

node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
		echo "make assets: npm not found (Debian: apt-get install nodejs npm); the demo pages need it" >&2; \
		if [ "$${CI:-}" = true ]; then exit 1; fi; exit 0; fi; \
		npm ci --no-audit --no-fund && touch $@

$(VENDOR)/socket.io.min.js: node_modules/.installed
	@if [ -f $(SIO) ]; then \
		mkdir -p $(VENDOR) && cp $(SIO) $@ && echo "vendored $(SIO) -> $@" && \
		if [ -f $(SIO).map ]; then cp $(SIO).map $@.map; fi; fi

$(WIDGET): node_modules/.installed $(wildcard widget/*.mjs widget/src/*) appliance/static/demo/chat.js
	@if [ -x node_modules/.bin/vite ]; then \
		npm run --silent build:widget && echo "built widget/ -> $(dir $@)"; fi

$(WORKBENCH): node_modules/.installed $(wildcard workbench/*.mjs workbench/src/* workbench/src/components/*) appliance/static/demo/chat.js
	@if [ -x node_modules/.bin/vite ]; then \
		npm run --silent build:workbench && echo "built workbench/ -> $(dir $@)"; fi

## make run: a demo instance under ./var/demo (demo accounts, demo pages on), served on
## http://$(HOST):$(PORT)/ (default 127.0.0.1:8080) by one gunicorn gevent worker with
## config/gunicorn.conf.py, exactly as in production
run: $(STAMP) assets
	@test -f $(DEMO)/enclave.toml || $(BIN)/enclave init --data-dir $(DEMO)
	@$(BIN)/enclave demo setup --data-dir $(DEMO)
	@echo "Visitor widget: http://$(HOST):$(PORT)/demo/visitor"
	@echo "Agent page:     http://$(HOST):$(PORT)/demo/agent"
	@echo "Agent workbench: http://$(HOST):$(PORT)/workbench/"
	@echo "Bank page with the embeddable widget: http://$(HOST):$(PORT)/demo/widget"
	ENCLAVE_DATA_DIR=$(DEMO) ENCLAVE_SERVER_HOST=$(HOST) ENCLAVE_SERVER_PORT=$(PORT) \
		$(BIN)/gunicorn -c config/gunicorn.conf.py appliance.wsgi:app

## make test: the whole test suite
test: $(STAMP) assets
	$(BIN)/python -m pytest

## make bench: every benchmark under tests/bench/, each printing its ratio to a same-run baseline
bench: $(STAMP)
	@set -e; for script in tests/bench/bench_*.py; do \
		echo "== $$script"; $(BIN)/python $$script; done

## make check: lint + types + import contracts + tests
check: lint test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy crypto audit appliance
	$(BIN)/lint-imports

clean-demo:
	rm -rf $(DEMO)

## make screenshots: retake the pictures in docs/images/ (real Chromium, the demo accounts);
## needs a CJK font installed for the zh-CN shot (Debian: fonts-noto-cjk)
screenshots: $(STAMP) assets
	UPDATE_DOC_SCREENSHOTS=1 CI=true $(BIN)/python -m pytest -q tests/browser/test_screenshots.py
