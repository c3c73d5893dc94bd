# Recurrent Networks and LSTMs, Hands-On: build, test and work on the book.
#
#   make book   install .venv and MathJax (if needed), execute the notebooks, build _build/html
#   make test   install .venv (if needed), run tests/ and every notebooks/*.ipynb
#   make unit   the quick inner loop: tests/ without notebooks and without `slow` tests (under a minute)
#   make lint   ruff check, ruff format --check and mypy (tests/repo/test_lint.py runs the ruff part)
#   make lab    JupyterLab in notebooks/
#   make clean  remove build outputs (keeps .venv and the download/checkpoint cache)
#   make distclean  also remove .venv and .cache

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Python used to create .venv (the pins in requirements.txt are for 3.11).
PYTHON ?= $(shell command -v python3.11 || command -v python3)

# Data sets: use the local folder ../shared/data when it exists (offline build
# machines); otherwise leave LSTM_COMPANION_DATA unset so the companion downloads.
SHARED_DATA := $(abspath $(CURDIR)/../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/.),)
export LSTM_COMPANION_DATA := $(SHARED_DATA)
endif
# Downloads and trained checkpoints, inside the clone: a fresh clone trains for real.
export LSTM_COMPANION_CACHE := $(CURDIR)/.cache/lstm_companion

# Matplotlib backend. Tests: Agg, no GUI windows. Notebook kernels (started by
# the root conftest.py in `make test`, and by myst-nb in `make book`): the
# Jupyter inline backend, set explicitly: the kernel only picks it when
# MPLBACKEND is unset, and with Agg every figure would be missing from the HTML
# (conftest.py sets it for the kernels it starts).
test unit: export MPLBACKEND := Agg
book: export MPLBACKEND := module://matplotlib_inline.backend_inline
# xlstm (requirements-nodeps.txt) is installed by `make venv`: chapter 14 and tests/test_xlstm_reference.py
# must compare against it here, not skip (a reader's environment without it skips, saying why).
test unit book: export LSTM_BOOK_REQUIRE_XLSTM := 1

.PHONY: help venv mathjax book test unit lint lab clean distclean

help:
	@echo "make book | make test | make unit | make lint | make lab | make venv | make mathjax | make clean | make distclean"

# ---------------------------------------------------------------- environment
# Re-runs only when the requirements files or companion/pyproject.toml change.
# requirements-nodeps.txt (d2l, xlstm, mlstm_kernels) is installed with --no-deps: d2l's own pins would
# downgrade numpy, xlstm's would reinstall torch.

venv: $(VENV)/.stamp

$(VENV)/.stamp: requirements.txt requirements-nodeps.txt companion/pyproject.toml
	test -x $(PY) || { $(PYTHON) -m venv $(VENV) && $(PIP) install --upgrade pip; }
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -r requirements-nodeps.txt
	$(PIP) install -e companion
	touch $@

# ---------------------------------------------------------------- MathJax
# The book serves MathJax itself (mathjax_path and html_static_path in
# _config.yml), so equations render without a network. The exact version and
# its sha512 are in book/mathjax/package-lock.json: `npm ci` installs it into
# .cache/mathjax/npm (again only when that folder's files change), and the
# files MathJax loads (the TeX-to-HTML component, fonts, menu, accessibility)
# are copied to .cache/mathjax/static/mathjax, which Sphinx copies to
# _build/html/_static/mathjax.
MATHJAX_NPM := .cache/mathjax/npm
MATHJAX_STATIC := .cache/mathjax/static/mathjax
MATHJAX_JS := $(MATHJAX_STATIC)/tex-chtml-full.js

mathjax: $(MATHJAX_JS)

$(MATHJAX_JS): book/mathjax/package.json book/mathjax/package-lock.json
	@command -v npm >/dev/null || { echo "make book needs npm (Node.js) to install MathJax, e.g. apt-get install npm"; exit 1; }
	rm -rf $(MATHJAX_NPM) $(MATHJAX_STATIC)
	mkdir -p $(MATHJAX_NPM) $(MATHJAX_STATIC)
	cp book/mathjax/package.json book/mathjax/package-lock.json $(MATHJAX_NPM)/
	npm ci --prefix $(MATHJAX_NPM) --no-audit --no-fund --ignore-scripts
	cd $(MATHJAX_NPM)/node_modules/mathjax && cp -R LICENSE es5/a11y es5/input es5/output es5/sre es5/ui $(abspath $(MATHJAX_STATIC))/
	cp $(MATHJAX_NPM)/node_modules/mathjax/es5/tex-chtml-full.js $@

# ---------------------------------------------------------------- book
# --all re-reads every page, so warnings from unchanged pages still fail -W.
# Notebooks are re-executed only when their code cells changed
# (execute_notebooks: cache; `make test` fills the cache); the cache is also
# dropped when the companion's sources or the pins change, since those change
# the outputs too.
EXEC_CACHE := _build/.jupyter_cache
EXEC_INPUTS := $(shell find companion/src -name '*.py' 2>/dev/null) requirements.txt

_build/.exec-inputs.stamp: $(EXEC_INPUTS)
	rm -rf $(EXEC_CACHE)
	mkdir -p _build
	touch $@

# BOOK_REQUIRE_CACHE=1 (set by .ci/run): every notebook must already be in the
# execution cache from `make test`; the build then executes nothing.
book: venv mathjax _build/.exec-inputs.stamp
	@rm -rf _build/html/reports  # execution reports of this build only
	@if [ "$${BOOK_REQUIRE_CACHE:-0}" = 1 ]; then $(PY) .ci/book_cache.py --check; fi
	@status=0; \
	echo "jupyter-book build . --all -W -n --keep-going"; \
	$(VENV)/bin/jupyter-book build . --all -W -n --keep-going || status=$$?; \
	if [ $$status -ne 0 ]; then \
	  if [ -d _build/html/reports ]; then \
	    find _build/html/reports -name '*.log' -print0 | sort -z | \
	      while IFS= read -r -d '' log; do echo "===== $$log"; cat "$$log"; done; \
	  fi; \
	  echo "book build failed (exit $$status)"; exit $$status; \
	fi
	@echo "open _build/html/index.html"

# ---------------------------------------------------------------- tests
# Options live in pytest.ini. The notebooks run once, through the root
# conftest.py, which stores each executed notebook in the book's execution
# cache ($(EXEC_CACHE)): `make book` afterwards executes nothing again.
# Two xdist workers, one per core of the 2-core reference machine, each on one
# torch thread (conftest.py says why); TEST_WORKERS=0 runs everything in one
# process, one test after another.
TEST_WORKERS ?= 2
test: venv _build/.exec-inputs.stamp
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The inner loop while editing the companion: the package and infrastructure
# tests only (no notebooks: naming `tests` overrides pytest.ini's testpaths),
# without the tests marked `slow` (the fresh-venv install, torch.compile).
unit: venv
	$(PY) -m pytest tests -m "not slow"

# ---------------------------------------------------------------- lint
# The same paths as tests/repo/test_lint.py. Notebooks are checked but not
# formatted (ruff.toml excludes them from `ruff format`). mypy's settings and
# the files it checks live in companion/pyproject.toml ([tool.mypy]).
LINT_PATHS := companion/src tests scripts bench conftest.py .ci

lint: venv
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)
	$(PY) -m ruff check notebooks/*.ipynb
	$(PY) -m ruff check --select E501 --line-length 80 notebooks/*.ipynb  # code fits the page
	$(PY) -m ruff format --check --line-length 80 notebooks/*.ipynb
	$(PY) -m mypy --config-file companion/pyproject.toml

# ---------------------------------------------------------------- authoring
# Extra options for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8889"
LAB_ARGS ?=
lab: venv
	cd notebooks && $(abspath $(VENV))/bin/jupyter lab $(LAB_ARGS)

clean:
	rm -rf _build
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints -o -name .pytest_cache \) -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) .cache
