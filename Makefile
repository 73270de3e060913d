# Two commands do everything on a bare machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench lock clean

DEMO := clonazepam 2mg --times 08:00=1,22:00=1 --region US --start 2027-01-04 --hold 28d

# Re-install whenever the lock or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "slowtaper needs Python 3.11 or newer as $(PYTHON) (set PYTHON=... to choose another)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "could not create $(VENV): install Python's venv module (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The web app on SQLite with demo data, the reminder worker and its once-a-minute tick. Ctrl-C stops all three.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput -v0
	@echo "Demo logins (role  username  password):"
	@$(BIN)/python manage.py demo
	@echo "Carers then need a two-step code: $(BIN)/python manage.py demo --code drchen (or pat, morgan, sam)."
	@echo "Serving on http://127.0.0.1:8000 - log in with one of the names above. Emails print here."
	@echo "Command line too: $(BIN)/slowtaper --help (e.g. $(BIN)/slowtaper plan $(DEMO))"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py db_worker --no-startup-delay & \
	$(BIN)/python manage.py tick --loop & \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/population.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/board.py
	$(BIN)/python bench/plans.py --members 100 --repeat 10
	$(BIN)/python bench/cli.py --repeat 5
	$(BIN)/python bench/simulate.py --patients 1000 --repeat 2

# Regenerate the lock from pyproject.toml's ranges (needs the `uv` tool; not part of run or test).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
