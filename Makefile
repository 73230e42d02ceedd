# Two commands: `make run` executes the series and prints its results; `make test` runs every
# test (unit tests, ruff, strict nbval over every notebook). Both set up .venv when needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DIGITS ?= 3,7
JOBS   ?= 2
ONLY   ?=

.PHONY: run test notebooks export lint benchmark lock clean setup

setup: $(STAMP)

# Rebuilt only when the project's requirements change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

run: $(STAMP)
	$(PY) -m tools.runner --digits $(DIGITS) --jobs $(JOBS) $(ONLY)

test: $(STAMP)
	$(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# Re-execute the committed notebooks in place (digits 3,7), refreshing their stored outputs.
# One at a time, with PyTorch's default threads, exactly as the nbval tests run them.
notebooks: $(STAMP)
	$(PY) -m tools.runner --inplace --jobs 1 $(ONLY)

# Write the code the notebooks teach (cells tagged saved:helpers.X) into helpers/X.py.
export: $(STAMP)
	$(PY) -m tools.export

lint: $(STAMP)
	$(PY) -m ruff check helpers tools tests benchmarks notebooks

benchmark: $(STAMP)
	$(PY) benchmarks/data_load.py
	$(PY) benchmarks/cnn_vs_resnet.py

lock: $(STAMP)
	@{ sed -n '1,2p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.new
	@mv constraints.new constraints.txt

clean:
	rm -rf build
