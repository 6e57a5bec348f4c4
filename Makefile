# The four loops: make run, make test, make bench, make check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := var/demo
STAMP  := $(VENV)/.installed

.PHONY: run test bench check lint install clean-demo

$(STAMP): setup.cfg constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dev,postgres,redis]'
	touch $(STAMP)

install: $(STAMP)

## make run: a demo instance under ./var/demo, served on http://127.0.0.1:8080/
run: $(STAMP)
	@test -f $(DEMO)/enclave.toml || $(BIN)/enclave init --data-dir $(DEMO)
	$(BIN)/enclave serve --data-dir $(DEMO) --host 127.0.0.1 --port 8080

## make test: the whole test suite
test: $(STAMP)
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
