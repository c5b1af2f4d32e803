#!/usr/bin/env bash
# The CUDA check on a machine with a GPU and a CUDA build of LibTorch 2.x: builds GEAR against
# the LibTorch of the python3 on PATH (or TORCH_PREFIX), times GEARnn-2 with VGG-19 on a
# CIFAR-10-format set (bench/gpu/make_cifar10_format.py unless DATA names the real
# cifar-10-batches-bin), then runs the test suite with whatever time is left.
#
# Usage: bench/gpu/check.sh OUT_DIR [BUDGET_SECONDS=560]
#   STEPS=backtrace,tests,gearnn2 (any order; default gearnn2,tests) chooses what follows the build.
# Environment: EPOCH_SCALE (run.epoch_scale of the timed run, default 1: the paper's schedule),
#   RUN_CAP (seconds the timed run may take at most), OVERRIDES (more key=value overrides of the
#   timed run), DATA, TORCH_PREFIX, JOBS (default: every core), BACKTRACE_TEST (a ctest name),
#   DEBS (a folder of Debian -dev packages to unpack and build against where the machine lacks
#   GEAR's libraries; see bench/README.md),
#   FASHION_DEB (Debian's dataset-fashion-mnist package, unpacked to / where the tests' default
#   dataset is missing).
# Writes to OUT_DIR: env.txt, build.log (its errors in build_errors.txt when it fails),
# gearnn2_summary.json, gearnn2_stages.json and gearnn2.log, ctest.log, backtrace.txt, and
# check.json with the times.
set -uo pipefail
out=$(realpath -m "$1")
budget=${2:-560}
mkdir -p "$out"
cd "$(dirname "$0")/../.." || exit 2
started=$(date +%s)
# Seconds of the budget left, less a reserve, and never under 30.
left() {
  local s=$((budget - ($(date +%s) - started) - $1))
  echo $((s < 30 ? 30 : s))
}
jobs=${JOBS:-$(nproc)}
scale=${EPOCH_SCALE:-1}

{
  nvidia-smi -L
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  nvcc --version | tail -2
  g++ --version | head -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
"cxx11_abi", torch.compiled_with_cxx11_abi())'
  lscpu | grep -E '^Model name|^CPU\(s\)'
} >"$out/env.txt" 2>&1

prefix=${TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
extra_flags=""
extra_cmake=()
if [[ -n "${DEBS:-}" ]]; then
  deps=/tmp/gear-deps
  for f in "$DEBS"/*.deb; do dpkg -x "$f" "$deps"; done
  # Absolute links (libz.so -> /lib/...) point into $deps once unpacked there.
  find "$deps" -type l -lname '/*' | while read -r link; do
    ln -sfn "$deps$(readlink "$link")" "$link"
  done
  prefix="$prefix;$deps/usr"
  # -I, not -isystem: searched before LibTorch's -isystem folders, whose bundled fmt is newer
  # than the one Debian's spdlog was built against.
  # Debian's multiarch folder too: its jconfig.h must go with its libjpeg 62, not the machine's.
  extra_flags="-I$deps/usr/include -I$deps/usr/include/x86_64-linux-gnu"
  chart_js=$deps/usr/share/javascript/chart.js/chart.min.js
  [[ -f "$chart_js" ]] && extra_cmake+=("-DGEAR_CHART_JS=$chart_js")
  # pkg-config (libwebp) reads the unpacked .pc files with their /usr paths under $deps.
  export PKG_CONFIG_SYSROOT_DIR=$deps
  export PKG_CONFIG_PATH=$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig
  if ! command -v pkg-config >/dev/null && [[ -x $deps/usr/bin/pkgconf ]]; then
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$deps/usr/lib/x86_64-linux-gnu" \
      "$deps/usr/bin/pkgconf" >"$deps/pkg-config"
    chmod +x "$deps/pkg-config"
    extra_cmake+=("-DPKG_CONFIG_EXECUTABLE=$deps/pkg-config")
  fi
fi
if [[ -n "${FASHION_DEB:-}" && ! -d /usr/share/datasets/fashion-mnist ]]; then
  dpkg -x "$FASHION_DEB" /
fi
# The out-of-tree plugin test configures a project of its own: it finds LibTorch through this.
export CMAKE_PREFIX_PATH=${prefix//;/:}
cuda_root=$(dirname "$(dirname "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)")")

configure_start=$(date +%s)
if [[ "${BUILD:-1}" == 0 ]]; then  # BUILD=0: the steps again on build-gpu as it stands
  true
else
  rm -f build-gpu/CMakeCache.txt  # a rerun finds the libraries again
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DGEAR_BUILD_PYTHON=OFF \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$extra_flags" \
    -DCUDAToolkit_ROOT="$cuda_root" -DTORCH_CUDA_ARCH_LIST=9.0 "${extra_cmake[@]}" \
    >"$out/build.log" 2>&1 &&
    cmake --build build-gpu -j "$jobs" -- -k 0 >>"$out/build.log" 2>&1
fi
built=$?
build_seconds=$(($(date +%s) - configure_start))
if [[ $built -ne 0 ]]; then
  grep -E -A6 'error|Error|FAILED' "$out/build.log" | head -400 >"$out/build_errors.txt"
  echo "{\"built\": false, \"build_seconds\": $build_seconds}" >"$out/check.json"
  exit 1
fi

# A backtrace of one test that passed its assertions and then crashed on exit on the first
# machine this ran on (bench/README.md, "On a GPU"), where cuda-gdb is there.
backtrace() {
  local name=${BACKTRACE_TEST:-Budget.IntegerBytesAndNoBudget} command
  command=$(ctest --test-dir build-gpu -N -V -R "^$name\$" | sed -n 's/.*Test command: //p')
  [[ -n "$command" ]] && command -v cuda-gdb >/dev/null || return 0
  # shellcheck disable=SC2086  # the test's command line, as ctest prints it
  timeout 120 cuda-gdb -batch -ex run -ex bt -ex 'info sharedlibrary' --args $command \
    >"$out/backtrace.txt" 2>&1
}

gearnn2() {
  data=${DATA:-/tmp/cifar10-format}
  # Written once per machine; a rerun (BUILD=0) reuses it.
  [[ -n "${DATA:-}" || -f "$data/test_batch.bin" ]] ||
    python3 bench/gpu/make_cifar10_format.py "$data"
  # gearhost refuses a run folder that holds a run: a rerun starts afresh.
  rm -rf /tmp/gearnn2-vgg19
  local start cap
  start=$(date +%s)
  cap=$(left "$1")
  cap=$((cap > ${RUN_CAP:-100000} ? ${RUN_CAP:-100000} : cap))
  # shellcheck disable=SC2086  # OVERRIDES is a list of words
  timeout "$cap" build-gpu/bin/gearhost run examples/pipelines/gearnn2_cifar10_vgg19.toml \
    data.path="$data" run.device=cuda run.epoch_scale="$scale" ${OVERRIDES:-} \
    --out /tmp/gearnn2-vgg19 >"$out/gearnn2.log" 2>&1
  ran=$?
  run_seconds=$(($(date +%s) - start))
  cp /tmp/gearnn2-vgg19/summary.json "$out/gearnn2_summary.json" 2>/dev/null
  cp /tmp/gearnn2-vgg19/stages.json "$out/gearnn2_stages.json" 2>/dev/null
}

tests() {
  local start
  start=$(date +%s)
  # Two intra-op threads per test: 16 tests of 16 threads each on 16 cores ran up to 20x slower.
  OMP_NUM_THREADS=2 timeout "$(left "$1")" ctest --test-dir build-gpu -j "$jobs" --timeout 300 \
    --output-on-failure >"$out/ctest.log" 2>&1
  tested=$?
  ctest_seconds=$(($(date +%s) - start))
}

# STEPS: the order of the checks after the build (the first run: gearnn2 then tests).
ran=null run_seconds=null tested=null ctest_seconds=null
steps=${STEPS:-gearnn2,tests}
IFS=, read -ra order <<<"$steps"
for i in "${!order[@]}"; do
  reserve=10
  ((i + 1 < ${#order[@]})) && reserve=200  # leave the later steps some of the budget
  case ${order[$i]} in
    backtrace) backtrace ;;
    gearnn2) gearnn2 "$reserve" ;;
    tests) tests "$reserve" ;;
    *) echo "check.sh: unknown step ${order[$i]} (backtrace, gearnn2, tests)" >&2; exit 2 ;;
  esac
done
cat >"$out/check.json" <<JSON
{"built": true, "build_seconds": $build_seconds, "epoch_scale": $scale, "steps": "$steps",
 "gearnn2_exit": $ran, "gearnn2_seconds": $run_seconds,
 "ctest_exit": $tested, "ctest_seconds": $ctest_seconds}
JSON
