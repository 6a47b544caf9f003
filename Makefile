# Two entry points for a fresh machine (see README): `make demo` and `make test`.
# Both create or refresh the project-local .venv; a second run reinstalls nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test wheel-test bench fuzz vsix pictures clean

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
	$(BIN)/python benchmarks/lsp_speed.py
	$(BIN)/python benchmarks/codegen_overhead.py
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/big_spec.py
	$(BIN)/python benchmarks/cost_and_export.py

# the pictures in docs/pictures/ (README), drawn by `netc graph`
PICTURES := breast_cancer digits_cnn notes_cnn notes_lstm
pictures: $(STAMP)
	for s in $(PICTURES); do $(BIN)/netc graph specs/$$s.net -o docs/pictures/$$s.png; done
	$(BIN)/netc graph specs/resnet18.net --collapse -o docs/pictures/resnet18.png
	$(BIN)/netc graph specs/resnet18.net -o docs/pictures/resnet18-blocks.svg

# the long property runs: 100,000+ fuzz examples, a large shape-oracle run and a whole-model oracle run
fuzz: $(STAMP)
	NETC_FUZZ_EXAMPLES=25000 $(BIN)/python -m pytest -q tests/test_robustness.py
	NETC_ORACLE_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/test_shapes_oracle.py -k agrees
	NETC_WHOLE_ORACLE_EXAMPLES=3000 $(BIN)/python -m pytest -q tests/test_whole_model_oracle.py --hypothesis-show-statistics

# the VS Code extension (editors/vscode) as a .vsix; needs Node.js >= 20 and npm, not part of the default set-up
vsix:
	cd editors/vscode && npm install --no-audit --no-fund && npx vsce package --allow-missing-repository --out netspec.vsix

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
