#!/usr/bin/env bash
# Installs GEAR into a scratch prefix, builds examples/plugins against the installed CMake
# package (find_package(gear) + gear_add_plugin), and checks that gearhost loads the result.
# Usage: out_of_tree_plugin.sh BUILD_DIR EXAMPLE_SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 example=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$example" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/build" -j 2 > "$work/build.log"
test -f "$work/build/gear_strongest_split.so"
# The installed gearhost finds its installed plugins next to itself, and ours via --plugin-path.
out=$("$work/prefix/bin/gearhost" --plugin-path "$work/build" list)
echo "$out"
grep -q "strongest-split" <<<"$out"
grep -q "vgg11" <<<"$out"
if grep -q REFUSED <<<"$out"; then echo "a plugin was refused" >&2; exit 1; fi
"$work/prefix/bin/gearhost" --plugin-path "$work/build" describe strongest-split | grep -q fraction
echo "out-of-tree plugin built against the installed SDK and loaded"
