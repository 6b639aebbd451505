#!/usr/bin/env bash
# Compiles daxfs_native.c into the classes directory as a jar resource, run by the native module's
# Maven build. Without gcc, or on a CPU other than x86-64, it builds nothing and says so: the jar then
# carries no library and NativePmem falls back to pure Java at run time.
# Usage: build-native.sh SOURCE OUTPUT_DIR
set -euo pipefail
src=$1 out=$2
lib="$out/native/linux-x86_64/libdaxfs.so"
# A library left by an earlier build must not outlive a build that skips compiling.
rm -f "$lib"
arch=$(uname -m)
if [[ $(uname -s) != Linux || $arch != x86_64 ]]; then
  echo "[daxfs native] $(uname -s)/$arch: the library is x86-64 Linux only; not built (pure-Java fallback)"
  exit 0
fi
cc=${CC:-gcc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[daxfs native] WARNING: $cc not found; libdaxfs.so not built (pure-Java fallback at run time)"
  exit 0
fi
mkdir -p "$(dirname "$lib")"
"$cc" -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -std=gnu11 -o "$lib" "$src"
