#!/usr/bin/env bash
# Installs GEAR into a scratch prefix, builds examples/plugins against the installed CMake
# package (find_package(gear) + gear_add_plugin), and checks that gearhost loads the result.
# Usage: out_of_tree_plugin.sh BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR [PREFIX_PATH]
#   PREFIX_PATH: the CMAKE_PREFIX_PATH GEAR's own build had (where its LibTorch and the other
#   dependencies were found), searched after the scratch prefix.
set -euo pipefail
build=$1 example=$2 work=$3 prefixes="${4:-}"
prefix_path="$work/prefix${prefixes:+;$prefixes}"
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
# No build type: the gear package makes it Release.
cmake -S "$example" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix_path" \
      > "$work/configure.log"
grep -q "^CMAKE_BUILD_TYPE:STRING=Release$" "$work/build/CMakeCache.txt"
cmake --build "$work/build" -j 2 > "$work/build.log"
test -f "$work/build/gear_strongest_split.so"
test -f "$work/build/gear_taylor_split.so"
# The installed gearhost finds its installed plugins next to itself, and ours via --plugin-path.
out=$("$work/prefix/bin/gearhost" --plugin-path "$work/build" list)
echo "$out"
grep -q "strongest-split" <<<"$out"
grep -q "vgg11" <<<"$out"
if grep -q REFUSED <<<"$out"; then echo "a plugin was refused" >&2; exit 1; fi
"$work/prefix/bin/gearhost" --plugin-path "$work/build" describe strongest-split | grep -q fraction
grep -q "taylor-split" <<<"$out"
echo "out-of-tree plugins built against the installed SDK and loaded"
# The Taylor strategy scores through the architecture's group taps: grow a small net with it.
cat > "$work/taylor.toml" <<'TOML'
[run]
seed = 1
threads = 1
[data]
limit_train = 1024
limit_test = 256
[model]
architecture = "vgg11"
width = 0.125
[[stage]]
kind = "train"
epochs = 1
[[stage]]
kind = "grow"
strategy = "taylor-split"
gamma = 0.25
batches = 2
[[stage]]
kind = "evaluate"
TOML
"$work/prefix/bin/gearhost" --log-level warn --plugin-path "$work/build" run "$work/taylor.toml" \
    --out "$work/taylor-run"
grep -q '"scores.conv0"' "$work/taylor-run/stages.json"
grep -q '"status": "completed"' "$work/taylor-run/summary.json"
echo "taylor-split grew a net through the group taps"
# A project that finds another LibTorch than the one gear was built against is refused when it
# configures, naming both, not when gearhost later fails to load its plugins.
mkdir -p "$work/other-torch"
echo 'set(TORCH_FOUND TRUE)' > "$work/other-torch/TorchConfig.cmake"
printf 'set(PACKAGE_VERSION "9.9.0")\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n' \
    > "$work/other-torch/TorchConfigVersion.cmake"
if cmake -S "$example" -B "$work/build-other" -G Ninja -DCMAKE_PREFIX_PATH="$prefix_path" \
      -DTorch_DIR="$work/other-torch" > "$work/configure-other.log" 2>&1; then
  echo "a project finding LibTorch 9.9.0 configured against gear" >&2; exit 1
fi
grep -q "gear was built against LibTorch .*found LibTorch 9.9.0" \
    <(tr -s ' \n' ' ' < "$work/configure-other.log")
echo "a project on another LibTorch was refused at configure time"
# Where the Python module was built, the installed copy imports from the prefix and finds the
# installed plugins beside it.
site=$(ls -d "$work"/prefix/lib/python3*/dist-packages 2>/dev/null | head -n 1 || true)
if [[ -n "$site" && -d "$site/gear" ]]; then
  libraries=$(cd "$work" && PYTHONPATH="$site" /usr/bin/python3 -c \
    'import gear; print("\n".join(sorted({p["library"] for p in gear.list_plugins()})))')
  echo "$libraries"
  grep -q "^$work/prefix/lib/gear/plugins/gear_vgg.so$" <<<"$libraries"
  if grep -v "^$work/prefix/" <<<"$libraries"; then echo "a plugin from outside the prefix" >&2; exit 1; fi
  echo "installed Python module imports and loads the installed plugins"
fi
