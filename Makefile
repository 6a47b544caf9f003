# Two entry points for a fresh machine (see README): `make demo` and `make test`.
# Both create or refresh the project-local .venv; a second run reinstalls nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench fuzz clean

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

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/check_speed.py
	$(BIN)/python benchmarks/codegen_overhead.py
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/big_spec.py

# the long property runs: 100,000+ fuzz examples, a large shape-oracle run and a whole-model oracle run
fuzz: $(STAMP)
	NETC_FUZZ_EXAMPLES=25000 $(BIN)/python -m pytest -q tests/test_robustness.py
	NETC_ORACLE_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/test_shapes_oracle.py -k agrees
	NETC_WHOLE_ORACLE_EXAMPLES=3000 $(BIN)/python -m pytest -q tests/test_whole_model_oracle.py --hypothesis-show-statistics

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
