# movieratings: `make run` serves the API with data loaded, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MOVIELENS ?= ../shared/datasets/movielens/ml-latest-small
# make run loads the MovieLens demo (ratings, recommender) once; DEMO=0 serves
# the curated fixture alone.
DEMO ?= 1
# Test processes (pytest-xdist); PYTEST_ARGS passes anything else to pytest.
TEST_WORKERS ?= 2
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test coverage lint format typecheck checks ci bench import-movielens requirements

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed  ## Create .venv and install the pinned dependencies

run: install  ## Migrate, load the demo data (once; DEMO=0: the fixture only) and serve on :8000
	DJANGO_ENV=development $(BIN)/python manage.py migrate --no-input
	DJANGO_ENV=development $(BIN)/python manage.py load_catalogue
ifneq ($(DEMO),0)
	DJANGO_ENV=development $(BIN)/python manage.py load_demo
endif
	@DJANGO_ENV=development $(BIN)/python manage.py describe_data
	@echo ""
	@echo "  movieratings is serving on http://$(HOST):$(PORT)/"
	@echo "  Swagger UI:    http://$(HOST):$(PORT)/api/docs/"
	@echo "  ReDoc:         http://$(HOST):$(PORT)/api/redoc/"
	@echo "  Django admin:  http://$(HOST):$(PORT)/admin/  (create a sign-in: see README, The first admin)"
	@echo ""
	DJANGO_ENV=development $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install  ## Run the whole test suite (SQLite, or DATABASE_URL / REDIS_URL)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

coverage: install  ## The suite with a coverage report (coverage.xml); fails under 90%
	$(BIN)/pytest -n $(TEST_WORKERS) --cov --cov-report=term --cov-report=xml --cov-fail-under=90

lint: install  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install  ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install  ## mypy with the Django and DRF plugins
	DJANGO_ENV=test $(BIN)/mypy .

checks: install  ## Migrations are in sync and the OpenAPI schema is valid
	DJANGO_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_ENV=test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

ci: lint typecheck checks test  ## Every gate CI runs, on the current database

import-movielens: install  ## Import MovieLens with ratings (MOVIELENS=path)
	DJANGO_ENV=development $(BIN)/python manage.py migrate --no-input
	DJANGO_ENV=development $(BIN)/python manage.py import_movielens --ratings $(MOVIELENS)

bench: install  ## Load-test a production server with wrk (BENCH_ARGS="--compare 100000,1000000")
	$(BIN)/python bench/run.py $(BENCH_ARGS)

requirements: install  ## Re-pin requirements*.txt from requirements*.in
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --output-file=requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --output-file=requirements-dev.txt requirements-dev.in
