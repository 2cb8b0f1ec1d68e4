# Two commands set everything up on a fresh Debian machine:
#   make demo   – audit the bundled sample branch website
#   make test   – run the test suite
# Both create/refresh the virtualenv, install Python deps, axe-core (npm ci)
# and Debian's chromium + chromium-driver when missing.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
AXE     = node_modules/axe-core/axe.min.js

.PHONY: demo test setup browser bench a11y-bench clean

setup: $(STAMP) $(AXE) browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

# Debian's browser and driver (never let Selenium Manager download one), and
# a CJK font: without one Chinese renders as boxes and axe's colour-contrast
# check measures fallback glyphs.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then \
	  echo "installing Debian chromium + chromium-driver + fonts-wqy-microhei"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei fontconfig; \
	fi

demo: setup
	$(BIN)/siteaudit demo --out audit-demo

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/benchmark.py --pages 2000

a11y-bench: setup
	$(BIN)/python bench/a11y_bench.py --pages 200

clean:
	rm -rf $(VENV) node_modules audit-demo .pytest_cache
