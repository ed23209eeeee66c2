# Two commands do everything: `make run` and `make test`. See README.md.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT ?= 8888

.PHONY: run test install build lint format docs system-deps clean

LAB_ARGS = --no-browser --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG) $(ARGS)

run: install
ifeq ($(DEMO),1)
	scripts/run-demo $(BIN) $(LAB_ARGS)
else
	$(BIN)/jupyter lab $(LAB_ARGS)
endif

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd labextension && ( [ -d node_modules ] || npm ci ) && npx tsc --noEmit -p . \
		&& npm run --silent format:check \
		&& PYTHON="$(abspath $(BIN))/python" npm run --silent check:api \
		&& npm run --silent test
	CHAT_EXT_REQUIRE_PG=1 $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/api tests/unit tests/kernel
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

# The extension, the kernel package and the built labextension, in one editable install.
# torch first, by its exact CPU build: asked for later as a dependency, pip may pick CUDA's.
$(STAMP): $(BIN)/python pyproject.toml kernel/pyproject.toml labextension/package.json
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]" -e ./kernel
	touch $@

# Rebuild the labextension after changing its sources, and link it into the environment.
build: install
	cd labextension && PATH="$(abspath $(BIN)):$$PATH" npm run build:prod
	$(BIN)/jupyter-builder develop --overwrite .

# PostgreSQL for the storage tests and Chromium for the browser tests, from Debian's packages.
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the configuration reference in README.md from the code.
docs: install
	$(BIN)/python scripts/update-readme-config.py

clean:
	rm -rf $(VENV) labextension/node_modules labextension/lib jupyter_chat_ext/labextension
