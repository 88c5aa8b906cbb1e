# The whole set-up: `make reproduce` and `make test` each create .venv when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= results
# xdist workers for the test suite; CI machines have 2 cores.
WORKERS ?= 2

.PHONY: reproduce test test-fast lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

reproduce: $(VENV)/.installed
	$(BIN)/metaloss reproduce --out $(OUT)

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal

# Unit tests only (no end-to-end commands, processes or baselines): the inner loop.
test-fast: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(OUT)
