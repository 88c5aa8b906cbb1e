# The whole set-up: `make reproduce` and `make test` each create .venv when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= results
# xdist workers for the test suite; CI machines have 2 cores.
WORKERS ?= 2
# The browser test (tests/explore/test_browser.py) drives Debian's Chromium.
CHROMIUM ?= /usr/bin/chromium

.PHONY: reproduce test test-fast lint bench screenshot clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

reproduce: $(VENV)/.installed
	$(BIN)/metaloss reproduce --out $(OUT)

# Installs Debian's chromium when it is missing (the machines run as root); fails
# loudly when it cannot, so that the browser test never silently goes missing.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "error: $(CHROMIUM) is missing and there is no \
	apt-get to install chromium with; install Chromium and set CHROMIUM=path" >&2; exit 1; }
	apt-get install -y chromium || { apt-get update && apt-get install -y chromium; } || { \
	echo "error: could not install chromium (apt-get install -y chromium, as root)" >&2; exit 1; }
	@test -x $(CHROMIUM) || { echo "error: chromium is installed but $(CHROMIUM) is not \
	there; set CHROMIUM=path" >&2; exit 1; }

test: $(VENV)/.installed $(CHROMIUM)
	$(BIN)/ruff check .
	METALOSS_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal

# Unit tests only (no end-to-end commands, processes or baselines): the inner loop.
test-fast: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py

# The README's picture of the explorer, taken by the browser test.
screenshot: $(VENV)/.installed $(CHROMIUM)
	METALOSS_CHROMIUM=$(CHROMIUM) METALOSS_EXPLORE_SCREENSHOT=docs/explore.png \
	    $(BIN)/python -m pytest -q tests/explore/test_browser.py

clean:
	rm -rf $(VENV) $(OUT)
