# Two commands on a fresh machine:
#   make serve   set up, build the graph and serve it at http://127.0.0.1:8000/sparql
#   make test    set up and run the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup system serve build test lint clean

system:
	bash scripts/install-system-deps.sh

$(BIN)/migration-kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: system $(BIN)/migration-kg

build: setup
	$(BIN)/migration-kg build

serve: build
	$(BIN)/migration-kg serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy

test: setup lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
