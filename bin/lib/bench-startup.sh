#!/usr/bin/env bash
# bin/bench startup [-n ROUNDS] [-i IMAGE] [BIN_DIR[::MOUNT_OPTIONS]...]: how long the commands take to start
# and finish, as a harness sees them. Per BIN_DIR (default: this checkout's bin/; give several to
# compare launchers side by side, e.g. an installed /usr/share/daxfs/bin; "::transport=kernel" adds
# mount options) and per step, the median of ROUNDS (10) runs
# with min and max, rounds interleaved so a load change hits every variant alike:
#   mkfs       mkfs.daxfs -f -q -s 1G of a fresh image in /dev/shm
#   mount      daxfs IMAGE MNT until the mount is live (the launcher returns then)
#   fsck       fsck.daxfs -n of the clean 1 GiB image
#   umount     fusermount -u MNT until the daemon process has exited
#   -i IMAGE   mounts and checks (fsck.daxfs -f -n) a cleanly unmounted IMAGE instead, every round, e.g.
#              the million-file image of bin/bench million -Dbench.millionImage=PATH; no mkfs rows
#   *-cpu      CPU time (user+sys, all threads) of mkfs and fsck, and of the daemon until the mount
#              was live, which depends less on the machine's load than the elapsed times do
# and the load average (1 min) before and after. Not a test: timings on a shared machine are noisy;
# compare variants of one run.
set -euo pipefail
rounds=10 image=""
while [[ ${1:-} == -n || ${1:-} == -i ]]; do
  case $1 in
    -n) rounds=$2 ;;
    -i) image=$(readlink -f -- "$2") && [[ -f $image ]] || { echo "bench startup: no image $2" >&2; exit 2; } ;;
  esac
  shift 2
done
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

exec {err}>&2
# Sets variable $1 to the microseconds since the epoch, without starting a process.
now() { printf -v "$1" '%s' "${EPOCHREALTIME/./}"; }
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
# Sets variable $1 to the seconds since $2 (from now).
since() { local n d; now n; d=$((n - $2)); printf -v "$1" '%d.%06d' $((d / 1000000)) $((d % 1000000)); }
# Runs a command (output discarded, errors shown); sets WALL and CPU (user+sys of it and its
# children) in seconds, measured by bash's time without another process.
timed() {
  local TIMEFORMAT='%3R %3U %3S' user sys ms
  { time "$@" >/dev/null 2>&"$err"; } 2>"$work/time"
  read -r WALL user sys <"$work/time"
  ms=$((10#${user/./} + 10#${sys/./}))
  printf -v CPU '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# Runs one round of the four steps with the launchers in $1; appends "variant step seconds" lines.
round() {
  local bin=${1%%::*} options="" variant=$2 img=${image:-$work/img-$2} fsck_flags=(-n) t s pid
  [[ $1 == *::* ]] && options=${1#*::}
  if [[ -n $image ]]; then
    fsck_flags=(-f -n)
  else
    rm -f -- "$img"
    timed "$bin/mkfs.daxfs" -f -q -s 1G "$img"
    echo "$variant mkfs $WALL"
    echo "$variant mkfs-cpu $CPU"
  fi
  now t
  "$bin/daxfs" "$img" "$mnt" ${options:+-o "$options"}
  since s "$t"
  echo "$variant mount $s"
  mountpoint -q "$mnt" || { echo "bench startup: $mnt is not mounted" >&2; exit 1; }
  pid=$(fuser "$img" 2>/dev/null) && pid=${pid//[^0-9]/}
  [[ -n $pid ]] || { echo "bench startup: no daemon holds $img" >&2; exit 1; }
  echo "$variant mount-cpu $(cpu_of "$pid")"
  now t
  fusermount -u "$mnt"
  while running "$pid"; do nap; done
  since s "$t"
  echo "$variant umount $s"
  timed "$bin/fsck.daxfs" "${fsck_flags[@]}" "$img"
  echo "$variant fsck $WALL"
  echo "$variant fsck-cpu $CPU"
}

samples=$work/samples
load_before=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 0; r < rounds; r++)); do
  for i in "${!bins[@]}"; do
    round "${bins[$i]}" "$i" >>"$samples"
  done
done

printf '%-40s %-9s %8s %8s %8s\n' launchers step median min max
for i in "${!bins[@]}"; do
  for step in mkfs mkfs-cpu mount mount-cpu fsck fsck-cpu umount; do
    awk -v v="$i" -v s="$step" '$1 == v && $2 == s { print $3 }' "$samples" | sort -g |
      awk -v b="${bins[$i]}" -v s="$step" '{ x[NR] = $1 } END {
        if (!NR) exit
        m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
        printf "%-40s %-9s %8.3f %8.3f %8.3f\n", b, s, m, x[1], x[NR] }'
  done
done
echo "load average (1 min): $load_before before, $(cut -d' ' -f1 /proc/loadavg) after; $(nproc) cores"
