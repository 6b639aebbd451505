#!/usr/bin/env bash
# Quick fio figures for a daxfs mount under several mount variants (the thread and dax choices of
# fuse-adapter are made from these). Formats a scratch image in /dev/shm, mounts it with bin/daxfs
# once per variant, runs: sequential 1 MiB write (end_fsync) and read, 4 KiB random read with 1 and
# 2 jobs (direct=1, so every read is a FUSE request), and prints one line per variant in MB/s / kIOPS.
#   fuse-adapter/src/bench/quick-fio.sh ["-o dax=inode" "-s" ...]     (variants; default below)
# Env: SIZE (fio file size, 512M), RUNTIME (s per random job, 8), IMAGE_SIZE (2G).
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
SIZE=${SIZE:-512M} RUNTIME=${RUNTIME:-8} IMAGE_SIZE=${IMAGE_SIZE:-2G}
work=$(mktemp -d /tmp/daxfs-fuse-bench.XXXXXX)
image=/dev/shm/$(basename "$work").img
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
  mountpoint -q "$mnt" && fusermount -u "$mnt"
  sleep 1
  rm -rf "$work" "$image"
}
trap cleanup EXIT
if (($# == 0)); then
  set -- "" "-s" "-o dax=always" "-o dax=always -s"
fi

format() {
  rm -f "$image"
  source "$repo/bin/lib/common.sh"
  find_jdk
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$(module_classpath fuse-adapter)" \
    "$repo/fuse-adapter/src/bench/FormatImage.java" "$image" "$IMAGE_SIZE" >/dev/null 2>&1
}

job() { # name, extra fio args...; prints bw (MB/s) or IOPS (k) from fio's JSON
  local name=$1
  shift
  fio --name="$name" --directory="$mnt" --ioengine=psync --output-format=json --group_reporting "$@" |
    python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]; r=j["read"]; w=j["write"]
k=sys.argv[1]
print("%.0f" % ((w if w["bw"] > r["bw"] else r)["bw"] / 1024) if k == "bw" else "%.1f" % ((r["iops"] + w["iops"]) / 1000))' "${BW_OR_IOPS:-bw}"
}

printf '%-24s %10s %10s %12s %12s\n' variant "seqW MB/s" "seqR MB/s" "4kRR kIOPS" "4kRR 2j kIOPS"
for variant in "$@"; do
  format
  # shellcheck disable=SC2086
  DAXFS_LOG=$work/daemon.log "$repo/bin/daxfs" "$image" "$mnt" $variant
  sw=$(job seq --rw=write --bs=1M --size="$SIZE" --end_fsync=1 --filename=seq)
  sr=$(job seq --rw=read --bs=1M --size="$SIZE" --invalidate=1 --filename=seq)
  job prep --rw=write --bs=1M --size=256M --filename=rand >/dev/null
  rr=$(BW_OR_IOPS=iops job rr --rw=randread --bs=4k --size=256M --direct=1 --time_based --runtime="$RUNTIME" --filename=rand)
  rr2=$(BW_OR_IOPS=iops job rr2 --rw=randread --bs=4k --size=128M --direct=1 --numjobs=2 --time_based --runtime="$RUNTIME")
  printf '%-24s %10s %10s %12s %12s\n' "${variant:-default}" "$sw" "$sr" "$rr" "$rr2"
  fusermount -u "$mnt"
  while pgrep -f "DaxfsMain $image" >/dev/null; do sleep 0.2; done
done
