#!/usr/bin/env bash
# bin/bench startup [-n ROUNDS] [BIN_DIR[::MOUNT_OPTIONS]...]: how long the commands take to start
# and finish, as a harness sees them. Per BIN_DIR (default: this checkout's bin/; give several to
# compare launchers side by side, e.g. an installed /usr/share/daxfs/bin; "::transport=kernel" adds
# mount options) and per step, the median of ROUNDS (10) runs
# with min and max, rounds interleaved so a load change hits every variant alike:
#   mkfs     mkfs.daxfs -f -q -s 1G of a fresh image in /dev/shm
#   mount    daxfs IMAGE MNT until the mount is live (the launcher returns then)
#   cpu      CPU time (user+sys, all threads) the daemon had used by then, which depends less on
#            the machine's load than the elapsed times do
#   fsck     fsck.daxfs -n of the clean 1 GiB image
#   umount   fusermount -u MNT until the daemon process has exited
# and the load average (1 min) before and after. Not a test: timings on a shared machine are noisy;
# compare variants of one run.
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
# Sleeps a few milliseconds without starting a process (a read that times out).
exec {never}<> <(:)
nap() { read -r -t 0.005 -u "$never" _ || true; }
# Prints CPU seconds (user+sys, all threads) used by process $1 so far.
cpu_of() {
  local stat fields
  read -r stat <"/proc/$1/stat"
  read -ra fields <<<"${stat##*) }"
  awk -v t=$((fields[11] + fields[12])) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}
# True while process $1 runs (a zombie has exited: it waits only for its parent to collect it).
running() {
  local stat fields
  [[ -r /proc/$1/stat ]] && read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
  read -ra fields <<<"${stat##*) }"
  [[ ${fields[0]} != Z ]]
}
# Seconds since $1 (nanoseconds from now()).
since() { local t; t=$(now); printf '%d.%06d' $(((t - $1) / 1000000000)) $((((t - $1) % 1000000000) / 1000)); }

# Runs one round of the four steps with the launchers in $1; appends "variant step seconds" lines.
round() {
  local bin=${1%%::*} options="" variant=$2 img=$work/img-$2 t pid
  [[ $1 == *::* ]] && options=${1#*::}
  rm -f -- "$img"
  t=$(now); "$bin/mkfs.daxfs" -f -q -s 1G "$img" >/dev/null; echo "$variant mkfs $(since "$t")"
  t=$(now); "$bin/daxfs" "$img" "$mnt" ${options:+-o "$options"}; echo "$variant mount $(since "$t")"
  mountpoint -q "$mnt" || { echo "bench startup: $mnt is not mounted" >&2; exit 1; }
  pid=$(fuser "$img" 2>/dev/null) && pid=${pid//[^0-9]/}
  [[ -n $pid ]] || { echo "bench startup: no daemon holds $img" >&2; exit 1; }
  echo "$variant cpu $(cpu_of "$pid")"
  t=$(now); fusermount -u "$mnt"
  while running "$pid"; do nap; done
  echo "$variant umount $(since "$t")"
  t=$(now); "$bin/fsck.daxfs" -n "$img" >/dev/null; echo "$variant fsck $(since "$t")"
}

samples=$work/samples
load_before=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 0; r < rounds; r++)); do
  for i in "${!bins[@]}"; do
    round "${bins[$i]}" "$i" >>"$samples"
  done
done

printf '%-40s %-7s %8s %8s %8s\n' launchers step median min max
for i in "${!bins[@]}"; do
  for step in mkfs mount cpu fsck umount; do
    awk -v v="$i" -v s="$step" '$1 == v && $2 == s { print $3 }' "$samples" | sort -g |
      awk -v b="${bins[$i]}" -v s="$step" '{ x[NR] = $1 } END {
        m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
        printf "%-40s %-7s %8.3f %8.3f %8.3f\n", b, s, m, x[1], x[NR] }'
  done
done
echo "load average (1 min): $load_before before, $(cut -d' ' -f1 /proc/loadavg) after; $(nproc) cores"
