# Two commands matter: `make run` (set up everything, then serve the knowledge base) and
# `make test` (set up everything, then run the test suite). Both are safe to repeat.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

ASSETS := web/static/govuk/app.css

.PHONY: run test setup assets browser lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned in the same pip call: 2.13.0 is the CPU build (a bare `torch` pulls CUDA).
	$(BIN)/pip install --quiet "torch==2.13.0" -e ".[test]"
	touch $(STAMP)

# GOV.UK Frontend 6.3.0 (matching govuk-frontend-jinja 4.1.0) from the npm registry, compiled
# with Arial instead of the GDS Transport font; nothing compiled is committed.
$(ASSETS): package.json package-lock.json web/assets/app.scss
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p web/static/govuk
	node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
		web/assets/app.scss $(ASSETS)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js web/static/govuk/
	rm -rf web/static/govuk/images && cp -r node_modules/govuk-frontend/dist/govuk/assets/images web/static/govuk/images

assets: $(ASSETS)

setup: $(STAMP) $(ASSETS)

# Debian's Chromium for the real-browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

run: setup
	$(BIN)/kb build
	$(BIN)/kb serve

# The database tests also run against a local PostgreSQL server, started here (Debian's package).
test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	KB_TEST_POSTGRES_URL="$$(bash scripts/postgres.sh)" $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports && $(BIN)/mypy

format: setup
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf var test-output .pytest_cache
