# Two commands do everything on a bare machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MO_STAMP := $(VENV)/.messages
PO_FILES := $(wildcard src/slowtaper/locale/*/LC_MESSAGES/django.po src/slowtaper/*/locale/*/LC_MESSAGES/django.po)
# The languages that have a catalogue (see README, "Languages"); `make messages LANGS=fr` starts a new one.
LANGS ?= $(notdir $(wildcard src/slowtaper/locale/*))

.PHONY: run test lint typecheck pytest bench lock clean messages

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
	$(BIN)/python manage.py compilemessages --force
	touch $(STAMP) $(MO_STAMP)

# The translations (.po) compiled to .mo again whenever one changes (pure Python: no GNU gettext needed).
$(MO_STAMP): $(STAMP) $(PO_FILES)
	$(BIN)/python manage.py compilemessages
	touch $(MO_STAMP)

# The web app on SQLite with demo data, the reminder worker and its once-a-minute tick. Ctrl-C stops all three.
run: $(STAMP) $(MO_STAMP)
	$(BIN)/python manage.py migrate --noinput -v0
	@# Push reminders' keys for this checkout only (git-ignored, read in DEBUG); made once, kept after.
	@$(BIN)/python manage.py vapid_keys --local
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

pytest: $(STAMP) $(MO_STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/population.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/board.py
	$(BIN)/python bench/plans.py --members 100 --repeat 10
	$(BIN)/python bench/cli.py --repeat 5
	$(BIN)/python bench/simulate.py --patients 1000 --repeat 2
	$(BIN)/python bench/pages.py --members 50 --repeat 5
	$(BIN)/python bench/load.py --members 500 --seconds 5 --warmup 2 --topics 200
	$(BIN)/python bench/concurrency.py --writers 4 --writes 20

# Regenerate the lock from pyproject.toml's ranges (needs the `uv` tool; not part of run or test).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

# For translators: every marked string of the code, templates and data files into each language's .po files
# (needs GNU gettext's xgettext: apt-get install gettext). Untouched translations are kept; new ones are empty.
messages: $(STAMP)
	$(BIN)/python manage.py datamessages > src/slowtaper/_data_messages.py
	cd src/slowtaper && $(CURDIR)/$(BIN)/python $(CURDIR)/manage.py makemessages --no-obsolete --add-location=file \
		$(foreach l,$(LANGS),-l $(l)) -i "static/*" -i "taper/*"; \
		status=$$?; rm -f _data_messages.py; exit $$status
	$(BIN)/python manage.py compilemessages

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
