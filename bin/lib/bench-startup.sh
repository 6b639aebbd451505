#!/usr/bin/env bash
# bin/bench startup [-n ROUNDS] [BIN_DIR[::MOUNT_OPTIONS]...]: how long the commands take to start
# and finish, as a harness sees them. Per BIN_DIR (default: this checkout's bin/; give several to
# compare launchers side by side, e.g. an installed /usr/share/daxfs/bin; "::transport=kernel" adds
# mount options) and per step, the median of ROUNDS (10) runs
# with min and max, rounds interleaved so a load change hits every variant alike:
#   mkfs     mkfs.daxfs -f -q -s 1G of a fresh image in /dev/shm
#   mount    daxfs IMAGE MNT until the mount is live (the launcher returns then)
#   fsck     fsck.daxfs -n of the clean 1 GiB image
#   umount   fusermount -u MNT until the daemon has exited (its image is no longer open)
# Not a test: timings on a shared machine are noisy; compare variants of one run.
set -euo pipefail
rounds=10
if [[ ${1:-} == -n ]]; then
  rounds=$2
  shift 2
fi
here=$(dirname "$(readlink -f "$0")")
bins=("$@")
((${#bins[@]})) || bins=("$(readlink -f "$here/..")")
command -v fuser >/dev/null || { echo "bench startup: fuser (psmisc) is missing; run bin/setup" >&2; exit 1; }

work=$(mktemp -d /dev/shm/daxfs-startup.XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
  mountpoint -q "$mnt" && fusermount -u -z "$mnt" 2>/dev/null
  rm -rf -- "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
# Seconds since $1 (nanoseconds from now()).
since() { local t; t=$(now); printf '%d.%06d' $(((t - $1) / 1000000000)) $((((t - $1) % 1000000000) / 1000)); }

# Runs one round of the four steps with the launchers in $1; appends "variant step seconds" lines.
round() {
  local bin=${1%%::*} options="" variant=$2 img=$work/img-$2 t
  [[ $1 == *::* ]] && options=${1#*::}
  rm -f -- "$img"
  t=$(now); "$bin/mkfs.daxfs" -f -q -s 1G "$img" >/dev/null; echo "$variant mkfs $(since "$t")"
  t=$(now); "$bin/daxfs" "$img" "$mnt" ${options:+-o "$options"}; echo "$variant mount $(since "$t")"
  mountpoint -q "$mnt" || { echo "bench startup: $mnt is not mounted" >&2; exit 1; }
  t=$(now); fusermount -u "$mnt"
  while fuser -s "$img" 2>/dev/null; do sleep 0.005; done
  echo "$variant umount $(since "$t")"
  t=$(now); "$bin/fsck.daxfs" -n "$img" >/dev/null; echo "$variant fsck $(since "$t")"
}

samples=$work/samples
for ((r = 0; r < rounds; r++)); do
  for i in "${!bins[@]}"; do
    round "${bins[$i]}" "$i" >>"$samples"
  done
done

printf '%-40s %-7s %8s %8s %8s\n' launchers step median min max
for i in "${!bins[@]}"; do
  for step in mkfs mount fsck umount; do
    awk -v v="$i" -v s="$step" '$1 == v && $2 == s { print $3 }' "$samples" | sort -g |
      awk -v b="${bins[$i]}" -v s="$step" '{ x[NR] = $1 } END {
        m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
        printf "%-40s %-7s %8.3f %8.3f %8.3f\n", b, s, m, x[1], x[NR] }'
  done
done
