#!/usr/bin/env bash
# Packaging proof: build the wheel, install it (not editable) into a fresh virtual environment, and run
# netc from a folder that holds its own `compiler/` and `runtime/` packages (as course folders do).
#
# torch: the torch 2.14.1 wheel on this machine's disk is the CUDA build, which pulls about 3 GB of
# nvidia-* wheels; installing that in every CI run would take most of the CI budget. So the fresh venv
# installs netspec from the wheel with --no-deps and reaches the heavy dependencies (torch, torchvision,
# scikit-learn, ...) through a .pth line naming the site-packages of an interpreter that has them
# (TORCH_PYTHON, default the project's .venv) -- the effect of --system-site-packages, pointed at that
# interpreter. A .pth line adds the folder only: that folder's own .pth files (an editable netspec there)
# are not run, so `import netspec` can only find the wheel's copy, which the script asserts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_PYTHON=${BUILD_PYTHON:-$ROOT/.venv/bin/python}
TORCH_PYTHON=${TORCH_PYTHON:-$BUILD_PYTHON}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s)

# built from a copy of the checkout's files, so the build leaves nothing (build/, *.egg-info) behind
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$WORK/src"
"$BUILD_PYTHON" -m pip wheel --quiet --no-deps -w "$WORK/dist" "$WORK/src"
wheel=$(ls "$WORK"/dist/netspec-*.whl)
"$BUILD_PYTHON" -m venv "$WORK/venv"
VENV_PY="$WORK/venv/bin/python"
"$VENV_PY" -m pip install --quiet --no-deps --no-index "$wheel"
deps=$("$TORCH_PYTHON" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')
site=$("$VENV_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$deps" > "$site/netc-heavy-deps.pth"

# a folder with its own compiler/ and runtime/ packages that must never be imported in netc's place
course="$WORK/course"
mkdir -p "$course/compiler" "$course/runtime" "$course/grammar"
for pkg in compiler runtime grammar; do
    echo "raise ImportError('the course folder\'s own $pkg package was imported by netc')" > "$course/$pkg/__init__.py"
done
cp "$course/compiler/__init__.py" "$course/compiler/cli.py"
cat > "$course/small.net" <<'SPEC'
model Small
input x: float32[N, 4]
task multiclass(classes=3)
layers:
    linear(16) -> relu -> linear(3)
train:
    data iris
    batch_size 16
SPEC
cd "$course"
"$WORK/venv/bin/netc" --version
"$WORK/venv/bin/netc" check small.net
"$WORK/venv/bin/netc" train small.net --nproc 2 --epochs 1 --quiet --out run
test -f run/checkpoints/best.pt
"$VENV_PY" -c "
import netspec, netspec.runtime, netspec.compiler
assert '$site' in netspec.__file__, netspec.__file__
assert netspec.compiler.__file__.startswith('$site'), netspec.compiler.__file__
print('import netspec: ok from', netspec.__file__)
"
echo "wheel test passed in $(($(date +%s) - started)) s"
