# The two commands: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export OMGEVING_VAR_DIR ?= $(CURDIR)/var

.PHONY: bench-webhooks run test test-sqlite test-postgres install install-test install-bench install-mutate lint schema messages bench soak bench-scale mutate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml clients/python/pyproject.toml package-lock.json | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,postgres]' -e clients/python
	npm ci --no-audit --no-fund --loglevel=error
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install -q -e '.[test,postgres,bench]'
	command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] || SUDO=sudo; $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }
	touch $@

$(VENV)/.installed-mutate: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install -q -e '.[test,postgres,mutate]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench
install-mutate: $(VENV)/.installed-mutate

run: install
	$(BIN)/omgeving serve --check
	$(BIN)/omgeving migrate --noinput -v0
	$(BIN)/omgeving demo
	$(BIN)/omgeving serve --with-worker

# The whole suite twice: on SQLite (the embedded default), then on PostgreSQL (production).
test: install-test
	$(BIN)/ruff check src tests bench scripts clients examples
	scripts/ensure-chromium
	scripts/ensure-gettext
	$(BIN)/pytest
	scripts/with-postgres $(BIN)/pytest

test-sqlite: install-test
	scripts/ensure-chromium
	scripts/ensure-gettext
	$(BIN)/pytest

test-postgres: install-test
	scripts/ensure-chromium
	scripts/ensure-gettext
	scripts/with-postgres $(BIN)/pytest

lint: install-test
	$(BIN)/ruff check src tests bench scripts clients examples

# The Dutch catalogue: new marked strings merged in, compiled (scripts/messages.py).
messages: install-test
	scripts/ensure-gettext
	$(BIN)/python scripts/messages.py

schema: install-test
	$(BIN)/omgeving spectacular --file docs/openapi.yaml --validate
	$(BIN)/python scripts/build_postman.py

# The hot path beside ../shared/bench/ceiling.py (docs/performance.md); BENCH_ARGS="--server
# gunicorn-gthread" etc. to compare servers. About 4 minutes.
bench: install-bench
	$(BIN)/python bench/hot_path.py $(BENCH_ARGS)

# Ten minutes at ~80% of capacity: RSS per worker at start and end, errors.
soak: install-bench
	$(BIN)/python bench/hot_path.py --rounds 1 --no-ceiling --soak 10 $(BENCH_ARGS)

# Webhook latency (change → receiver) and one worker's deliveries per second, on SQLite
# then PostgreSQL (docs/performance.md); about two minutes.
bench-webhooks: install-test
	$(BIN)/python bench/webhooks.py
	scripts/with-postgres $(BIN)/python bench/webhooks.py

# Sync at scale (docs/performance.md): 10,000 and 1,000,000 people on SQLite, then on
# PostgreSQL; about an hour, and ~3 GB under var/. BENCH_SCALE_ARGS="--sizes 10000,100000" for less.
# Mutation testing of the security-critical modules (scripts/mutate; not in CI: over an hour
# on two cores). One module: make mutate MODULE=accounts/lockout.py
mutate: install-mutate
	$(BIN)/python scripts/mutate $(MODULE)

bench-scale: install-test
	$(BIN)/python bench/scale.py $(BENCH_SCALE_ARGS)
	scripts/with-postgres $(BIN)/python bench/scale.py $(BENCH_SCALE_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
