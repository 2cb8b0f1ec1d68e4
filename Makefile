# Two commands set everything up on a fresh Debian machine:
#   make demo   – audit the bundled sample branch website
#   make test   – lint, type-check and run the test suite
# Both create/refresh the virtualenv, install the Python deps, axe-core
# (npm ci) and the Debian packages they need when missing
# (tools/setup-system.sh: apt-get as root, sudo otherwise).

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
AXE     = node_modules/axe-core/axe.min.js

.PHONY: demo test lint setup system-demo system-test bench a11y-bench clean

# Debian's browser and driver (never let Selenium Manager download one), and
# a CJK font: without one Chinese renders as boxes and axe's colour-contrast
# check measures fallback glyphs.  `test` also wants LibreOffice Calc and
# poppler (printing tests) and redis-server (the --queue tests).
system-demo:
	@sh tools/setup-system.sh demo

system-test:
	@sh tools/setup-system.sh test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

setup: system-demo $(AXE) $(STAMP)

demo: setup
	$(BIN)/siteaudit demo --out audit-demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: system-test $(AXE) $(STAMP) lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/benchmark.py --pages 2000

a11y-bench: setup
	$(BIN)/python bench/a11y_bench.py --pages 200

clean:
	rm -rf $(VENV) node_modules audit-demo .pytest_cache
