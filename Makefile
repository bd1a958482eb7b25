# The two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format venv clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

PORT ?= 8000

## Set everything up and serve on http://127.0.0.1:$(PORT) (SQLite, in-process tasks, sandbox providers),
## with the outbox's sweep (retries, anything a hand-off missed) running beside the server as its own
## process, as beat runs it in production; both stop together.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data --port $(PORT)
	$(BIN)/python manage.py process_external_requests --loop --quiet & sweep=$$!; \
	trap 'kill $$sweep 2>/dev/null; wait $$sweep' EXIT INT TERM; \
	$(BIN)/python manage.py runserver --insecure 127.0.0.1:$(PORT)

## Lint, then the whole test suite.
test: $(STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run > /dev/null

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache artifacts
