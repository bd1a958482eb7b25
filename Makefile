# The two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

ENV_FILE ?= .env

.PHONY: run test lint format venv clean secret

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

PORT ?= 8000

## Set everything up and serve on http://127.0.0.1:$(PORT) (SQLite, in-process tasks, sandbox providers),
## with the outbox's sweep (retries, anything a hand-off missed) running beside the server as its own
## process, as beat runs it in production; both stop together. First, a random SECRET_KEY in .env.
run: secret $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data --port $(PORT)
	$(BIN)/python manage.py process_external_requests --loop --quiet & sweep=$$!; \
	trap 'kill $$sweep 2>/dev/null; wait $$sweep' EXIT INT TERM; \
	$(BIN)/python manage.py runserver --insecure 127.0.0.1:$(PORT)

## A random SECRET_KEY in the git-ignored .env, written once (settings.py has no built-in key).
secret:
	@grep -qs '^SECRET_KEY=.' $(ENV_FILE) || (umask 077; touch $(ENV_FILE); chmod 600 $(ENV_FILE); \
		$(PYTHON) -c "import secrets; print('SECRET_KEY=' + secrets.token_urlsafe(50))" >> $(ENV_FILE); \
		echo "Wrote a random SECRET_KEY to $(ENV_FILE) (git-ignored; keep it: sessions and encrypted fields need it).")

## Lint, then the whole test suite.
test: $(STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings tests.settings > /dev/null

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache artifacts
