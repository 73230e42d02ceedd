# Two commands: `make run` executes the series and prints its results; `make test` runs every
# test (unit tests, ruff, strict nbval over every notebook). Both set up .venv when needed,
# with whichever `python3` is first on PATH (3.11, 3.12 or 3.13; see README), or PYTHON=...
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
STAMP  := $(VENV)/.installed-py$(PYVER)
DIGITS ?= 3,7
JOBS   ?= 2
ONLY   ?=
SHARED ?= ../shared
RUNTIME ?= $(SHARED)/colab/2026-08.txt
COLAB_FLAGS ?=
VERSION ?=

.PHONY: run test notebooks export lint benchmark spread all-pairs lock clean setup colab-check \
	release

setup: $(STAMP)

# Rebuilt when the project's requirements change or PYTHON is another minor version (3.11, 3.12
# and 3.13 pass every test; the pinned tools need 3.11 or newer).
$(STAMP): pyproject.toml constraints.txt
	@case "$(PYVER)" in 3.11|3.12|3.13) ;; \
	  "") echo "error: '$(PYTHON)' does not run; install Python 3.11-3.13, or make PYTHON=/path/to/python3.12" >&2; exit 1;; \
	  *) echo "error: '$(PYTHON)' is Python $(PYVER); the pinned tools need 3.11, 3.12 or 3.13: install one, then make PYTHON=python3.12 (for example)" >&2; exit 1;; esac
	@if test -x $(PY) && test "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYVER)"; then \
	  echo "$(VENV) holds another Python: making it anew with Python $(PYVER)"; rm -rf $(VENV); fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed*; touch $@

run: $(STAMP)
	$(PY) -m tools.runner --digits $(DIGITS) --jobs $(JOBS) $(ONLY)

test: $(STAMP)
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# Re-execute the committed notebooks in place (digits 3,7), refreshing their stored outputs.
# One at a time, with PyTorch's default threads, exactly as the nbval tests run them.
notebooks: $(STAMP)
	$(PY) -m tools.runner --inplace --jobs 1 $(ONLY)

# Generate helpers/X.py whole from the notebook cells tagged saved:helpers.X (never edit those
# modules; make test checks them byte for byte with `python -m tools.export --check`).
export: $(STAMP)
	$(PY) -m tools.export

# Google Colab's runtime, replicated: a fresh Python 3.13 venv with exactly the versions of
# $(RUNTIME) (default $(SHARED)/colab/2026-08.txt; RUNTIME=path/to/list.txt for another), the
# course installed as the notebooks' set-up cell does, a pip-freeze diff that must show nothing
# but the course, then every notebook run outside the repo. The venv is removed afterwards;
# COLAB_FLAGS=--no-pip-cache keeps the 3 GB download out of pip's cache.
colab-check:
	$(PYTHON) tools/colab_check.py --shared $(SHARED) --runtime $(RUNTIME) $(COLAB_FLAGS)

# A release: `make release VERSION=x.y.z` writes x.y.z into helpers/course.py and every
# notebook's set-up cell, needs a CHANGELOG.md entry for it, commits and tags vx.y.z; it refuses
# on a dirty tree, a missing entry, or when `make test` fails (tools/release.py). It pushes nothing.
release: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z" >&2; exit 2; }
	$(PY) -m tools.release $(VERSION)

lint: $(STAMP)
	$(PY) -m ruff check helpers tools tests benchmarks notebooks

benchmark: $(STAMP)
	$(PY) benchmarks/data_load.py
	$(PY) benchmarks/cnn_vs_resnet.py
	$(PY) benchmarks/all_digits.py

# How 06's and 07's CNN figures move with the CPU kind, the thread count and the seed (README).
spread: $(STAMP)
	$(PY) benchmarks/spread.py

# Every pair notebook on all 45 digit pairs: benchmarks/all_pairs.{json,md} (README, floors).
all-pairs: $(STAMP)
	$(PY) benchmarks/all_pairs.py --resume

lock: $(STAMP)
	@{ sed -n '1,2p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.new
	@mv constraints.new constraints.txt

clean:
	rm -rf build
