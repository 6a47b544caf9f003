# Two entry points for a fresh machine (see README): `make demo` and `make test`.
# Both create or refresh the project-local .venv; a second run reinstalls nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test wheel-test bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/netc check specs/digits_cnn.net
	$(BIN)/netc train specs/digits_cnn.net

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# the wheel, installed non-editable into a fresh venv, run from a folder with its own compiler/ and runtime/
wheel-test: $(STAMP)
	BUILD_PYTHON=$(BIN)/python .ci/wheel_test.sh

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/check_speed.py
	$(BIN)/python benchmarks/codegen_overhead.py
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/big_spec.py

# the long property runs: 100,000+ fuzz examples and a large shape-oracle run
fuzz: $(STAMP)
	NETC_FUZZ_EXAMPLES=25000 $(BIN)/python -m pytest -q tests/test_robustness.py
	NETC_ORACLE_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/test_shapes_oracle.py -k agrees

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
