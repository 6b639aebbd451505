#!/usr/bin/env bash
# peers-bench.sh - benchmarks daxfs beside its FUSE peers in one run and writes a markdown table, a CSV
# and a PNG chart. See usage() and docs/BENCHMARKS.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
# shellcheck source=../../bin/lib/common.sh
source "$BENCH_DIR/../../bin/lib/common.sh" # DAXFS_HOME, find_jdk

usage() {
  cat <<EOF
Usage: it-tests/bench/peers-bench.sh [--quick] [--with-null] [--install] [--help]

Mounts every target at once, then runs each workload on every target in turn, WARMUP unmeasured rounds
and REPEAT measured ones, and keeps the median of each cell's measured rounds (the machine is shared and
noisy: compare ratios, not absolute figures; a second table gives each cell's spread between rounds,
every round is in raw.csv).
Writes bench-results/<timestamp>/{results.md,results.csv,raw.csv,chart.png,logs/}.

Targets (columns):
  tmpfs       a directory in /dev/shm: the kernel's own memory filesystem, no FUSE
  f2-hl-bw    libfuse2 high-level passthrough (fusexmp_fh.c) over tmpfs, -o big_writes
  f2-hl-dio   the same, -o direct_io (no page cache, as daxfs dax=always)
  f3-ll       libfuse3 low-level passthrough (passthrough_ll.c) over tmpfs, default options
  jnr-bw      jnr-fuse's stock MemoryFS (data in the Java heap), -o big_writes
  f3-null     (--with-null) a do-nothing libfuse3 low-level filesystem (null_ll.c), multi-threaded loop:
              the C ceiling of a FUSE filesystem (its lookups scan a list: ignore its metadata rows)
  kernel-null (--with-null) a do-nothing filesystem on daxfs's own FUSE transport (fuse-adapter's
              NullFileSystem, one thread per CPU and at least 2 and daxfs's default spin, as daxfs): the
              Java ceiling daxfs is built on
  kernel-null-uring (only through PEERS) kernel-null on FUSE over io_uring (-o uring's transport; Linux
              6.14+, the fuse module's enable_uring is set to Y, as root)
  kernel-null-tN, kernel-null-tN-shared  (only through PEERS) kernel-null with N serving threads, each
              reading a clone of the mount's descriptor (FUSE_DEV_IOC_CLONE), or all the mount's own (-shared)
  jnr-null    (--with-null) a jnr-fuse filesystem that stores nothing and reads zeros, -o big_writes -s:
              the ceiling of the jnr-fuse/libfuse2 path that daxfs is built on
  jnr-null-xattr  (only through PEERS) jnr-null with getxattr implemented: it then gets a GETXATTR
              before every buffered write, as daxfs and fusexmp_fh do
  daxfs-*     from DAXFS_TARGETS; skipped, loudly, while bin/daxfs does not exist
The C passthroughs are built from the libfuse example sources that Debian ships in libfuse-dev and
libfuse3-dev (/usr/share/doc/*/examples).

Workloads (rows), fio psync at queue depth 1, buffered:
  seq write / read 1 MiB over SEQ_SIZE; random 4 KiB read and write over RAND_SIZE per job, 1 and 2
  jobs, RUNTIME s each; create / stat / unlink of NFILES empty files (stat and unlink after the FUSE
  entry/attr caches have expired). Each round runs a row on every target, starting one target further
  down the list than the round before. Before each seq write, firsttouch.c measures what a fresh 4 KiB
  page costs at that moment (firsttouch.csv, and a table in results.md).

Options:
  --quick      small sizes, one round (about 2 minutes): a smoke test, not a measurement
  --with-null  add the jnr-null target
  --install    apt-get install missing packages (root only)
  --help       this text

Environment (defaults in brackets; --quick changes those marked *):
  SEQ_SIZE* [256M]  RAND_SIZE* [64M]  RUNTIME* [3] s  NFILES* [10000]  REPEAT* [3]  WARMUP* [1]
              WARMUP rounds run first on every target alike and are kept out of the medians and spreads (a
              JVM daemon compiles its hot paths in its first few thousand requests; their metadata rows
              use at least 10000 files); raw.csv has them as rounds 1-WARMUP .. 0, and results.md
              shows the first one against each cell's median
  PEERS [tmpfs f2-hl-bw f2-hl-dio f3-ll jnr-bw]   RATIO_BASES [f3-ll f2-hl-bw jnr-bw]
  ROWS [all]  workloads to run, a subset of: seqw seqr randr1 randr2 randw1 randw2 create stat unlink
              (seqr needs seqw, stat and unlink need create); for quick comparisons of two builds
  SCRATCH [/dev/shm]  where backing directories and daxfs images live (must be memory)
  OUT_DIR [bench-results/<timestamp>]
  DAXFS_TARGETS ["daxfs-default: daxfs-always:-o dax=always daxfs-jnr:-o transport=jnr"]
      (the default transport is daxfs's own kernel-protocol one; daxfs-jnr is the libfuse2 path)
      NAME:MOUNT-OPTIONS pairs; a word of the form NAME: (no leading '-') starts the next target,
      so "daxfs-inode:-o dax=inode daxfs-always:-o dax=always" works as written.
  DAXFS_BIN [package]    the daxfs command the targets mount with. "package": what users install,
              built by bin/package --no-build (the launchers with the AOT caches of their training
              runs; replaces target/package/, about a minute) from the jars already built, and
              unpacked in SCRATCH; a path (e.g. bin/daxfs, the build tree's launcher without
              caches) is used as it is. The targets are skipped if the jars or the command are missing
  DAXFS_SIZE [2G]        image size; DAXFS_MKFS_CMD ['bin/mkfs.daxfs -f -s "\$SIZE" "\$IMAGE"']
  DAXFS_MOUNT_CMD ['"\$DAXFS_BIN" "\$IMAGE" "\$MNT" \$OPTS']
      both run under bash -c in the repository with IMAGE, MNT, OPTS, SIZE and DAXFS_BIN set; the
      mount command must return once mounted. Unmounted with fusermount -u (or umount).
EOF
}

log() { printf '[peers-bench %(%T)T] %s\n' -1 "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# ------------------------------------------------------------------ settings

QUICK=0 WITH_NULL=0 INSTALL=0
parse_args() {
  while (($#)); do
    case $1 in
      --quick) QUICK=1 ;;
      --with-null) WITH_NULL=1 ;;
      --install) INSTALL=1 ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
  done
}

set_knobs() {
  if ((QUICK)); then
    : "${SEQ_SIZE:=64M}" "${RAND_SIZE:=16M}" "${RUNTIME:=2}" "${NFILES:=500}" "${REPEAT:=1}" "${WARMUP:=0}"
  fi
  : "${SEQ_SIZE:=256M}" "${RAND_SIZE:=64M}" "${RUNTIME:=3}" "${NFILES:=10000}" "${REPEAT:=3}" "${WARMUP:=1}"
  : "${PEERS:=tmpfs f2-hl-bw f2-hl-dio f3-ll jnr-bw}" "${RATIO_BASES:=f3-ll f2-hl-bw jnr-bw}"
  : "${SCRATCH:=/dev/shm}" "${OUT_DIR:=$DAXFS_HOME/bench-results/$(date +%Y%m%d-%H%M%S)}"
  : "${DAXFS_TARGETS:=daxfs-default: daxfs-always:-o dax=always daxfs-jnr:-o transport=jnr}"
  : "${DAXFS_BIN:=package}" "${DAXFS_SIZE:=2G}"
  : "${DAXFS_MKFS_CMD:=bin/mkfs.daxfs -f -s \"\$SIZE\" \"\$IMAGE\"}"
  : "${DAXFS_MOUNT_CMD:=\"\$DAXFS_BIN\" \"\$IMAGE\" \"\$MNT\" \$OPTS}"
  ((WITH_NULL)) && PEERS+=" jnr-null f3-null kernel-null"
  [[ $REPEAT =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] || die "REPEAT must be 1 or more and WARMUP 0 or more"
  if [[ -n ${ROWS:-} ]]; then
    local w
    for w in $ROWS; do [[ -n ${W_LABEL[$w]:-} ]] || die "unknown workload '$w' in ROWS"; done
    read -ra WORKLOADS <<<"$ROWS"
  fi
  # Entry/attr caches of libfuse and jnr-fuse last 1 s; stat and unlink start after this pause.
  MD_DELAY=1.1
  # A JVM daemon's metadata path is compiled after some 15,000 operations (docs/BENCHMARKS.md).
  WARMUP_FILES=10000
  # Caps one sequential pass, so that a pathologically slow target cannot stall the run.
  SEQ_CAP=60
  # Fresh memory firsttouch writes before each seq write: 4096 pages, a sixteenth of a pass.
  PROBE_MIB=16
  TOOLS=$DAXFS_HOME/it-tests/target/bench-tools
  LOGS=$OUT_DIR/logs
}

# ------------------------------------------------------------------ targets

TARGETS=()          # names, in column order
declare -A T_KIND   # name -> peer | daxfs
declare -A T_OPTS   # daxfs name -> mount options
declare -A T_LABEL  # name -> one-line description for the legend
declare -A T_MNT    # name -> mount point (none for tmpfs)
declare -A T_DATA   # name -> directory the workloads run in
declare -A T_PID    # name -> daemon we started in the foreground mode
declare -A T_FAILED # name -> why it could not be measured
SKIPPED=()          # "name: reason" lines

# Splits DAXFS_TARGETS into names and options (see usage).
parse_daxfs_targets() {
  local word words name=""
  read -ra words <<<"$DAXFS_TARGETS"
  for word in "${words[@]}"; do
    if [[ $word =~ ^([A-Za-z0-9_.][A-Za-z0-9_.-]*):(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      TARGETS+=("$name")
      T_KIND[$name]=daxfs
      T_OPTS[$name]=${BASH_REMATCH[2]}
    elif [[ -n $name ]]; then
      T_OPTS[$name]+="${T_OPTS[$name]:+ }$word"
    else
      die "DAXFS_TARGETS must start with NAME: (got '$word')"
    fi
  done
}

select_targets() {
  local t
  for t in $PEERS; do
    case $t in
      tmpfs | f2-hl-bw | f2-hl-dio | f3-ll | f3-null | kernel-null | kernel-null-uring | jnr-bw | jnr-null | jnr-null-xattr)
        TARGETS+=("$t") T_KIND[$t]=peer ;;
      kernel-null-t[1-9] | kernel-null-t[1-9]-shared | kernel-null-t[1-6][0-9] | kernel-null-t[1-6][0-9]-shared)
        TARGETS+=("$t") T_KIND[$t]=peer ;;
      *) die "unknown peer '$t' in PEERS" ;;
    esac
  done
  parse_daxfs_targets
  local bin=$DAXFS_BIN
  [[ $bin == package ]] && bin=$DAXFS_HOME/fuse-adapter/target/fuse-adapter.jar
  if [[ ! -x $bin && ! ( $DAXFS_BIN == package && -f $bin ) ]] && has_kind daxfs; then
    log "!!!!!!!! SKIPPING the daxfs targets: $bin does not exist yet (or is not executable) !!!!!!!!"
    local kept=()
    for t in "${TARGETS[@]}"; do
      if [[ ${T_KIND[$t]} == daxfs ]]; then SKIPPED+=("$t: $bin not found"); else kept+=("$t"); fi
    done
    TARGETS=("${kept[@]}")
  fi
  ((${#TARGETS[@]})) || die "no targets"
}

has_kind() { # has_kind PATTERN: some selected target's name (or kind, for daxfs) matches PATTERN
  local t
  for t in "${TARGETS[@]}"; do
    [[ $t == $1 || ${T_KIND[$t]} == "$1" ]] && return 0
  done
  return 1
}

# ------------------------------------------------------------------ prerequisites

# need TEST PACKAGE WHAT: if the command TEST fails, adds WHAT to the caller's missing and PACKAGE (if
# any) to its pkgs.
need() {
  if ! eval "$1" >/dev/null 2>&1; then
    missing+=("$3")
    [[ -n $2 && " ${pkgs[*]} " != *" $2 "* ]] && pkgs+=("$2")
  fi
  return 0
}

# Checks every tool the selected targets need; installs the missing packages with --install, else
# fails listing them all with the apt-get line.
check_prereqs() {
  local missing=() pkgs=() tool
  for tool in fio:fio gcc:gcc pkg-config:pkg-config gnuplot:gnuplot-nox mountpoint:util-linux \
    setsid:util-linux numfmt:coreutils fusermount:fuse3; do
    need "command -v ${tool%%:*}" "${tool#*:}" "${tool%%:*}"
  done
  if has_kind 'f2-*'; then
    need "pkg-config --exists fuse" libfuse-dev "libfuse2 headers (pkg-config fuse)"
    need "example_source fusexmp_fh.c" libfuse-dev "libfuse2 example fusexmp_fh.c"
  fi
  if has_kind 'f3-*'; then
    need "pkg-config --exists fuse3" libfuse3-dev "libfuse3 headers (pkg-config fuse3)"
    need "example_source passthrough_ll.c" libfuse3-dev "libfuse3 example passthrough_ll.c"
  fi
  if has_kind 'jnr-*'; then
    need "command -v mvn" maven mvn
    need "find_jdk" "" "a JDK 25 (not in Debian 12: install Temurin 25 under /usr/lib/jvm)"
  fi
  if has_kind 'kernel-null*'; then
    need "find_jdk" "" "a JDK 25 (not in Debian 12: install Temurin 25 under /usr/lib/jvm)"
    need "test -f $DAXFS_HOME/fuse-adapter/target/test-classes/io/daxfs/fuse/kernel/NullFileSystem.class" "" \
      "fuse-adapter's test classes (bin/mvnw install -DskipTests)"
  fi
  need "test -c /dev/fuse" "" "/dev/fuse (modprobe fuse; in a container: --device /dev/fuse --cap-add SYS_ADMIN)"
  ((${#missing[@]})) || return 0
  if ((INSTALL)) && ((${#pkgs[@]})); then
    ((EUID == 0)) || die "--install needs root"
    log "installing: ${pkgs[*]}"
    apt-get install -y --no-install-recommends "${pkgs[@]}" ||
      { apt-get update && apt-get install -y --no-install-recommends "${pkgs[@]}"; } ||
      die "apt-get install ${pkgs[*]} failed"
    INSTALL=0
    check_prereqs
    return
  fi
  log "missing:"
  printf '  - %s\n' "${missing[@]}" >&2
  ((${#pkgs[@]})) && log "install with: apt-get install -y ${pkgs[*]}   (or rerun as root with --install)"
  exit 1
}

# example_source NAME: prints the path of a libfuse example source shipped by libfuse-dev/libfuse3-dev
# (Debian keeps them under /usr/share/doc, possibly gzipped).
example_source() {
  local f
  for f in /usr/share/doc/libfuse3-dev/examples/"$1" /usr/share/doc/libfuse-dev/examples/"$1" \
    /usr/share/doc/fuse*/examples/"$1"; do
    [[ -f $f ]] && { echo "$f"; return 0; }
    [[ -f $f.gz ]] && { echo "$f.gz"; return 0; }
  done
  return 1
}

# Sums what the targets keep in SCRATCH at once and refuses to start if it does not fit.
check_scratch_space() {
  local per_target need=0 avail t
  per_target=$(($(bytes "$SEQ_SIZE") + 2 * $(bytes "$RAND_SIZE")))
  for t in "${TARGETS[@]}"; do
    if [[ ${T_KIND[$t]} == daxfs ]]; then
      need=$((need + $(bytes "$DAXFS_SIZE")))
    elif [[ $t != jnr-* ]]; then # the jnr targets keep their files in the Java heap, or nowhere
      need=$((need + per_target))
    fi
  done
  avail=$(($(df --output=avail -k "$SCRATCH" | tail -1) * 1024))
  ((need < avail)) || die "$SCRATCH has $(numfmt --to=iec "$avail") free, the run needs $(numfmt --to=iec "$need"); lower SEQ_SIZE/RAND_SIZE/DAXFS_SIZE or set SCRATCH"
}

bytes() { numfmt --from=iec "$1"; }

# ------------------------------------------------------------------ tools

# copy_example NAME: copies a libfuse example source (and gunzips it) into TOOLS.
copy_example() {
  local src
  src=$(example_source "$1") || die "libfuse example $1 not found"
  if [[ $src == *.gz ]]; then zcat "$src" >"$TOOLS/$1"; else cp "$src" "$TOOLS/$1"; fi
}

build_tools() {
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS/classes"
  log "building the metadata benchmark and the C passthroughs into $TOOLS"
  gcc -O2 -Wall -o "$TOOLS/mdbench" "$BENCH_DIR/mdbench.c" >>"$LOGS/build.log" 2>&1 ||
    die "building mdbench failed, see $LOGS/build.log"
  gcc -O2 -Wall -o "$TOOLS/firsttouch" "$BENCH_DIR/firsttouch.c" >>"$LOGS/build.log" 2>&1 ||
    die "building firsttouch failed, see $LOGS/build.log"
  if has_kind 'f2-*'; then
    copy_example fusexmp_fh.c
    # shellcheck disable=SC2046 # pkg-config prints several words
    gcc -O2 -Wall -o "$TOOLS/fusexmp_fh" "$TOOLS/fusexmp_fh.c" $(pkg-config fuse --cflags --libs) -lulockmgr \
      >>"$LOGS/build.log" 2>&1 || die "building fusexmp_fh failed, see $LOGS/build.log"
  fi
  if has_kind 'f3-*'; then
    copy_example passthrough_ll.c
    copy_example passthrough_helpers.h
    # shellcheck disable=SC2046
    gcc -O2 -Wall -o "$TOOLS/passthrough_ll" "$TOOLS/passthrough_ll.c" $(pkg-config fuse3 --cflags --libs) \
      >>"$LOGS/build.log" 2>&1 || die "building passthrough_ll failed, see $LOGS/build.log"
  fi
  if has_kind f3-null; then
    # shellcheck disable=SC2046
    gcc -O2 -Wall -o "$TOOLS/null_ll" "$BENCH_DIR/null_ll.c" $(pkg-config fuse3 --cflags --libs) \
      >>"$LOGS/build.log" 2>&1 || die "building null_ll failed, see $LOGS/build.log"
  fi
  if has_kind 'jnr-*'; then
    log "fetching jnr-fuse through Maven, compiling JnrBenchFs"
    "$DAXFS_HOME/bin/mvnw" -B -q -f it-tests/bench/jnr-deps.xml dependency:copy-dependencies \
      -DoutputDirectory="$TOOLS/lib" >>"$LOGS/build.log" 2>&1 ||
      die "fetching jnr-fuse failed, see $LOGS/build.log"
    "$JAVA_HOME/bin/javac" -d "$TOOLS/classes" -cp "$TOOLS/lib/*" "$BENCH_DIR/JnrBenchFs.java" \
      >>"$LOGS/build.log" 2>&1 || die "compiling JnrBenchFs failed, see $LOGS/build.log"
  fi
}

# With DAXFS_BIN=package: builds the package from the jars already built and points DAXFS_BIN at
# its daxfs command, unpacked in SCRATCH_RUN.
build_package() {
  if [[ $DAXFS_BIN != package ]] || ! has_kind daxfs; then return 0; fi
  log "building the package (bin/package --no-build: AOT training runs) into $DAXFS_HOME/target/package"
  "$DAXFS_HOME/bin/package" --no-build >>"$LOGS/package.log" 2>&1 || die "bin/package failed, see $LOGS/package.log"
  mkdir "$SCRATCH_RUN/package"
  tar -C "$SCRATCH_RUN/package" -xzf "$DAXFS_HOME"/target/package/daxfs-*-linux-x86_64.tar.gz
  DAXFS_BIN=$(echo "$SCRATCH_RUN"/package/daxfs-*/bin/daxfs)
  DAXFS_BIN_LABEL="the package of bin/package (AOT caches)"
  [[ -x $DAXFS_BIN ]] || die "the package has no bin/daxfs"
}

# ------------------------------------------------------------------ mounting

# spawn NAME COMMAND...: starts a FUSE daemon in the foreground mode, in its own session so that a
# Ctrl-C reaches this script (which unmounts) rather than the daemon.
spawn() {
  local name=$1
  shift
  setsid "$@" >"$LOGS/$name.daemon.log" 2>&1 </dev/null &
  T_PID[$name]=$!
}

# wait_mounted NAME: up to 60 s (a JVM starts slowly); fails early if the daemon died.
wait_mounted() {
  local name=$1 i
  for ((i = 0; i < 300; i++)); do
    mountpoint -q "${T_MNT[$name]}" && return 0
    [[ -n ${T_PID[$name]:-} ]] && ! kill -0 "${T_PID[$name]}" 2>/dev/null && return 1
    sleep 0.2
  done
  return 1
}

start_peer() {
  local name=$1 back=$SCRATCH_RUN/back-$1 jvm_heap
  mkdir -p "$back"
  T_DATA[$name]=${T_MNT[$name]:-}
  case $name in
    tmpfs)
      T_DATA[$name]=$back
      T_LABEL[$name]="kernel tmpfs (a directory in $SCRATCH), no FUSE"
      return 0
      ;;
    f2-hl-*)
      local opt=big_writes
      [[ $name == f2-hl-dio ]] && opt=direct_io
      T_LABEL[$name]="libfuse2 $(pkg-config --modversion fuse) high-level passthrough fusexmp_fh.c over tmpfs, -o $opt"
      spawn "$name" "$TOOLS/fusexmp_fh" -f -o "$opt" "${T_MNT[$name]}"
      T_DATA[$name]=${T_MNT[$name]}$back # fusexmp_fh mirrors /
      ;;
    f3-null)
      T_LABEL[$name]="libfuse3 $(pkg-config --modversion fuse3) low-level do-nothing fs null_ll.c, multi-threaded loop"
      spawn "$name" "$TOOLS/null_ll" -f "${T_MNT[$name]}"
      ;;
    kernel-null*)
      local ring="" threads fds=clone words=()
      threads=$(($(nproc) > 2 ? $(nproc) : 2)) # the transport's default: one per CPU, at least 2
      [[ $name == kernel-null-uring ]] && ring=", FUSE over io_uring" words+=(uring)
      [[ $name =~ ^kernel-null-t([0-9]+) ]] && threads=${BASH_REMATCH[1]}
      [[ $name == *-shared ]] && fds="one shared descriptor" words+=(shared)
      T_LABEL[$name]="do-nothing fs on daxfs's own FUSE transport (NullFileSystem, $threads threads, $fds$ring, daxfs's default spin), JDK $(java_major "$JAVA_HOME"; echo "$JAVA_MAJOR")"
      module_classpath fuse-adapter || die "fuse-adapter is not built (bin/mvnw install -DskipTests)"
      spawn "$name" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
        -cp "$DAXFS_CLASSPATH:$DAXFS_HOME/fuse-adapter/target/test-classes" \
        io.daxfs.fuse.kernel.NullFileSystem "${T_MNT[$name]}" "$threads" default "${words[@]}"
      ;;
    f3-ll)
      T_LABEL[$name]="libfuse3 $(pkg-config --modversion fuse3) low-level passthrough_ll.c over tmpfs, default options"
      spawn "$name" "$TOOLS/passthrough_ll" -f -o source="$back" "${T_MNT[$name]}"
      ;;
    jnr-bw | jnr-null | jnr-null-xattr)
      local fs=memory what="stock MemoryFS (data in the Java heap)" loop=()
      # jnr-null runs libfuse's single-threaded loop, as daxfs does by default: the ceiling of that path.
      [[ $name == jnr-null ]] && fs=null what="do-nothing fs (stores no data, reads zeros)" loop=(-s)
      [[ $name == jnr-null-xattr ]] && fs=null-xattr what="do-nothing fs with getxattr (finds none)" loop=(-s)
      T_LABEL[$name]="jnr-fuse $(jnr_fuse_version) $what, JDK $(java_major "$JAVA_HOME"; echo "$JAVA_MAJOR"), -o big_writes${loop:+ ${loop[*]}}"
      # MemoryFS keeps every file in the heap, and allocates a byte[] per write.
      jvm_heap=$(((2 * ($(bytes "$SEQ_SIZE") + 2 * $(bytes "$RAND_SIZE")) >> 20) + 512))
      spawn "$name" "$JAVA_HOME/bin/java" -Xmx${jvm_heap}m --enable-native-access=ALL-UNNAMED \
        --sun-misc-unsafe-memory-access=allow -cp "$TOOLS/classes:$TOOLS/lib/*" JnrBenchFs "$fs" "${T_MNT[$name]}" -o big_writes "${loop[@]}"
      ;;
  esac
}

jnr_fuse_version() {
  local jar
  jar=$(basename "$TOOLS"/lib/jnr-fuse-*.jar .jar)
  echo "${jar#jnr-fuse-}"
}

# start_daxfs NAME: formats a fresh image and mounts it with the target's options, through the
# configurable commands (run in the repository, as bin/ expects).
start_daxfs() {
  local name=$1
  local vars=(IMAGE="$SCRATCH_RUN/$name.img" MNT="${T_MNT[$name]}" OPTS="${T_OPTS[$name]}" SIZE="$DAXFS_SIZE"
    DAXFS_BIN="$DAXFS_BIN")
  T_LABEL[$name]="daxfs (${DAXFS_BIN_LABEL:-$DAXFS_BIN}), $DAXFS_SIZE image in $SCRATCH, ${T_OPTS[$name]:-default options}"
  T_DATA[$name]=${T_MNT[$name]}
  (cd "$DAXFS_HOME" && env "${vars[@]}" timeout 120 bash -c "$DAXFS_MKFS_CMD") >"$LOGS/$name.mkfs.log" 2>&1 ||
    { T_FAILED[$name]="mkfs failed, see logs/$name.mkfs.log"; return 0; }
  # setsid: the daemon it leaves behind must not get this terminal's Ctrl-C before we unmount.
  (cd "$DAXFS_HOME" && env "${vars[@]}" timeout 60 setsid -w bash -c "$DAXFS_MOUNT_CMD" </dev/null) \
    >"$LOGS/$name.daemon.log" 2>&1 || T_FAILED[$name]="mount command failed, see logs/$name.daemon.log"
}

mount_all() {
  local t
  for t in "${TARGETS[@]}"; do
    log "mounting $t"
    if [[ $t != tmpfs ]]; then
      T_MNT[$t]=$MNT_ROOT/$t
      mkdir -p "${T_MNT[$t]}"
    fi
    if [[ ${T_KIND[$t]} == daxfs ]]; then start_daxfs "$t"; else start_peer "$t"; fi
    if [[ -z ${T_FAILED[$t]:-} && -n ${T_MNT[$t]:-} ]] && ! wait_mounted "$t"; then
      T_FAILED[$t]="did not mount, see logs/$t.daemon.log"
    fi
    [[ -n ${T_FAILED[$t]:-} ]] && log "!!!!!!!! $t: ${T_FAILED[$t]} !!!!!!!!"
  done
  return 0
}

# unmount DIR: FUSE mounts of both libfuse versions, daxfs included; lazily if they stay busy.
unmount() {
  local dir=$1 i
  mountpoint -q "$dir" || return 0
  fusermount -u "$dir" 2>/dev/null || umount "$dir" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    mountpoint -q "$dir" || return 0
    sleep 0.1
  done
  log "$dir is busy, unmounting lazily"
  fusermount -uz "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || true
}

# stop_daemon PID: a daemon normally exits once unmounted; give it 10 s, then TERM, then KILL.
stop_daemon() {
  local pid=$1 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Runs on every exit, Ctrl-C included: nothing may stay mounted or running.
cleanup() {
  local t
  trap - EXIT INT TERM HUP
  for t in "${!T_MNT[@]}"; do unmount "${T_MNT[$t]}"; done
  for t in "${!T_PID[@]}"; do stop_daemon "${T_PID[$t]}"; done
  # rmdir, not rm -r, on the mount points: never delete through a mount that would not go away.
  for t in "${!T_MNT[@]}"; do rmdir "${T_MNT[$t]}" 2>/dev/null || log "left ${T_MNT[$t]} behind"; done
  [[ -n ${MNT_ROOT:-} ]] && rmdir "$MNT_ROOT" 2>/dev/null
  [[ -n ${SCRATCH_RUN:-} ]] && rm -rf "$SCRATCH_RUN"
  return 0
}

# ------------------------------------------------------------------ workloads

WORKLOADS=(seqw seqr randr1 randr2 randw1 randw2 create stat unlink)
declare -A W_LABEL=(
  [seqw]="seq write 1 MiB" [seqr]="seq read 1 MiB"
  [randr1]="rand read 4 KiB 1 job" [randr2]="rand read 4 KiB 2 jobs"
  [randw1]="rand write 4 KiB 1 job" [randw2]="rand write 4 KiB 2 jobs"
  [create]="create" [stat]="stat" [unlink]="unlink"
)
declare -A W_UNIT=(
  [seqw]=MiB/s [seqr]=MiB/s [randr1]=IOPS [randr2]=IOPS [randw1]=IOPS [randw2]=IOPS
  [create]=ops/s [stat]=ops/s [unlink]=ops/s
)

# fio_figure NAME DIR FIELD fio-args...: one fio run (psync, QD1, both jobs summed); prints FIELD of its
# terse v3 line (7 read KiB/s, 8 read IOPS, 48 write KiB/s, 49 write IOPS), or "err".
fio_figure() {
  local name=$1 dir=$2 field=$3 out
  shift 3
  out=$LOGS/$name.fio
  if fio --name="$name" --directory="$dir" --ioengine=psync --iodepth=1 --fallocate=none --group_reporting \
    --output-format=terse --terse-version=3 "$@" >"$out.last" 2>&1; then
    awk -F';' -v f="$field" 'NF > 50 { v = $f } END { print (v == "" ? "err" : v) }' "$out.last"
  else
    echo err
  fi
  cat "$out.last" >>"$out"
  rm -f "$out.last"
}

# presize FILE SIZE: gives FILE its final size by writing its last byte. Done for every target alike
# because MemoryFS supports neither fallocate nor a growing truncate, and copies the whole file on every
# write that extends it (O(n^2) appends).
presize() {
  rm -f "$1"
  dd if=/dev/zero of="$1" bs=1 count=1 seek=$(($(bytes "$2") - 1)) conv=notrunc status=none
}

# prepare_rand_files TARGET: rand.0 and rand.1, RAND_SIZE each and fully written; the 2-job rows give
# each job its own file, so that one job's misses cannot become the other's page-cache hits.
prepare_rand_files() {
  local d=${T_DATA[$1]}
  presize "$d/rand.0" "$RAND_SIZE" && presize "$d/rand.1" "$RAND_SIZE" &&
    [[ $(fio_figure "$1.prep" "$d" 48 --filename_format='rand.$jobnum' --numjobs=2 --rw=write --bs=1M \
      --size="$RAND_SIZE") != err ]]
}

kib_to_mib() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9.]+$/) printf "%.0f\n", k / 1024; else print k }'; }

# measure WORKLOAD TARGET ROUND: prints TARGET's figure for WORKLOAD (see W_UNIT), or "err".
measure() {
  local w=$1 t=$2 round=$3 d=${T_DATA[$2]}
  local rand=(--bs=4k --size="$RAND_SIZE" --time_based --runtime="$RUNTIME")
  local two=(--filename_format='rand.$jobnum' --numjobs=2)
  case $w in
    seqw)
      presize "$d/seq" "$SEQ_SIZE"
      echo "$round,$t,$("$TOOLS/firsttouch" "$PROBE_MIB" || echo err)" >>"$OUT_DIR/firsttouch.csv"
      kib_to_mib "$(fio_figure "$t.$w" "$d" 48 --filename=seq --rw=write --bs=1M --size="$SEQ_SIZE" \
        --end_fsync=1 --runtime="$SEQ_CAP")"
      ;;
    # fio drops the file's page cache before reading (invalidate=1, its default), here and below.
    seqr) kib_to_mib "$(fio_figure "$t.$w" "$d" 7 --filename=seq --rw=read --bs=1M --size="$SEQ_SIZE" --runtime="$SEQ_CAP")" ;;
    randr1) fio_figure "$t.$w" "$d" 8 --filename=rand.0 --rw=randread "${rand[@]}" ;;
    randr2) fio_figure "$t.$w" "$d" 8 "${two[@]}" --rw=randread "${rand[@]}" ;;
    randw1) fio_figure "$t.$w" "$d" 49 --filename=rand.0 --rw=randwrite "${rand[@]}" ;;
    randw2) fio_figure "$t.$w" "$d" 49 "${two[@]}" --rw=randwrite "${rand[@]}" ;;
    create | stat | unlink) "$TOOLS/mdbench" "$d/md" "$MD_FILES" "$w" 2>>"$LOGS/$t.mdbench.err" || echo err ;;
  esac
}

declare -A BEST # "workload,target" -> best figure so far

# record ROUND WORKLOAD TARGET FIGURE: appends to raw.csv and keeps the best.
record() {
  local key=$2,$3
  echo "$1,$2,$3,$4" >>"$OUT_DIR/raw.csv"
  (($1 > 0)) || return 0 # a warm-up round
  if [[ $4 =~ ^[0-9.]+$ ]]; then
    if [[ ! ${BEST[$key]:-} =~ ^[0-9.]+$ ]] || awk -v a="$4" -v b="${BEST[$key]}" 'BEGIN { exit !(a > b) }'; then
      BEST[$key]=$4
    fi
  elif [[ -z ${BEST[$key]:-} ]]; then
    BEST[$key]=$4
  fi
}

# Every round runs one workload on all targets before the next workload, so that a burst of load
# from the machine's other users hits one row of all columns rather than all rows of one column.
# Each round starts one target further down the list: a row's state left by the targets before it
# (fresh memory the host has taken back, see firsttouch.c) then falls on each target in turn.
run_rounds() {
  local round w t v line order
  echo "round,workload,target,value" >"$OUT_DIR/raw.csv"
  echo "round,target,first_touch_us_per_4k" >"$OUT_DIR/firsttouch.csv"
  log "preparing the random-I/O files (2 x $RAND_SIZE per target)"
  for t in "${TARGETS[@]}"; do
    [[ -z ${T_FAILED[$t]:-} ]] && ! prepare_rand_files "$t" && T_FAILED[$t]="could not write its files, see logs/"
  done
  MEASURED=()
  for t in "${TARGETS[@]}"; do [[ -z ${T_FAILED[$t]:-} ]] && MEASURED+=("$t"); done
  local label
  # Warm-up rounds are numbered 1 - WARMUP .. 0.
  for ((round = 1 - WARMUP; round <= REPEAT; round++)); do
    # A warm-up round's metadata rows use at least WARMUP_FILES files, whatever NFILES is.
    MD_FILES=$NFILES && ((round <= 0 && NFILES < WARMUP_FILES)) && MD_FILES=$WARMUP_FILES
    for w in "${WORKLOADS[@]}"; do
      [[ $w == stat || $w == unlink ]] && sleep "$MD_DELAY"
      label="round $round/$REPEAT" && ((round <= 0)) && label="warm-up round $((round + WARMUP))/$WARMUP"
      line="$label ${W_LABEL[$w]} (${W_UNIT[$w]}):"
      order=("${MEASURED[@]:$(((round - 1 + WARMUP) % ${#MEASURED[@]}))}" "${MEASURED[@]}")
      for t in "${order[@]:0:${#MEASURED[@]}}"; do
        v=$(measure "$w" "$t" "$round")
        record "$round" "$w" "$t" "$v"
        line+=" $t $v"
      done
      log "$line"
      if [[ $w == seqr ]]; then
        for t in "${MEASURED[@]}"; do rm -f "${T_DATA[$t]}/seq" || true; done
      fi
    done
  done
  for t in "${MEASURED[@]}"; do rm -f "${T_DATA[$t]}/rand.0" "${T_DATA[$t]}/rand.1" || true; done
}

# ------------------------------------------------------------------ results

cell() { # cell WORKLOAD TARGET: the median of the rounds, or why there is none
  if [[ -n ${T_FAILED[$2]:-} ]]; then echo fail; return; fi
  local median
  median=$(awk -F, -v w="$1" -v t="$2" '$1 > 0 && $2 == w && $3 == t && $4 ~ /^[0-9.]+$/ { print $4 }' "$OUT_DIR/raw.csv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
  echo "${median:-${BEST[$1,$2]:-err}}"
}

write_csv() {
  local w t v line
  line="workload,unit"
  for t in "${TARGETS[@]}"; do line+=",$t"; done
  echo "$line"
  for w in "${WORKLOADS[@]}"; do
    line="${W_LABEL[$w]},${W_UNIT[$w]}"
    for t in "${TARGETS[@]}"; do
      v=$(cell "$w" "$t")
      [[ $v =~ ^[0-9.]+$ ]] || v="" # an empty cell is what gnuplot and spreadsheets skip
      line+=",$v"
    done
    echo "$line"
  done
}

# Pairs "target/base" for the ratio table: every measured daxfs target against every base present,
# and the two do-nothing filesystems against each other.
ratio_pairs() {
  local d b
  for d in "${TARGETS[@]}"; do
    [[ ${T_KIND[$d]} == daxfs && -z ${T_FAILED[$d]:-} ]] || continue
    for b in $RATIO_BASES; do
      [[ " ${MEASURED[*]} " == *" $b "* ]] && echo "$d/$b"
    done
  done
  # The Java ceiling against the C one: the transport's own cost, with no filesystem behind it.
  [[ " ${MEASURED[*]} " == *" f3-null "* ]] || return 0
  for d in "${MEASURED[@]}"; do
    [[ $d == kernel-null* ]] && echo "$d/f3-null"
  done
  return 0
}

# cell_spread WORKLOAD TARGET: (worst - best) / median of the rounds, in %, or "-" for a single round.
cell_spread() {
  awk -F, -v w="$1" -v t="$2" '$1 > 0 && $2 == w && $3 == t && $4 ~ /^[0-9.]+$/ { print $4 }' "$OUT_DIR/raw.csv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR < 2) { printf "-"; exit }
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      if (m > 0) printf "%.0f%%", 100 * (v[NR] - v[1]) / m; else printf "-" }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "-" }'; }

# table_head LEADING-CELLS... -- COLUMNS...: a markdown table's header and alignment rows.
table_head() {
  local c head="|" rule="|"
  while [[ $1 != -- ]]; do head+=" $1 |" && rule+="---|" && shift; done
  shift
  for c in "$@"; do head+=" $c |" && rule+="---:|"; done
  echo "$head" && echo "$rule"
}

# The first warm-up round against the median, per cell: what a cold daemon (a JVM that has not yet
# compiled its hot paths) gives, hidden from the medians and spreads above.
warmup_table() {
  ((WARMUP > 0)) || return 0
  local w t line
  echo
  echo "First warm-up round / median (not in the medians or spreads; below 1 = slower while cold):"
  echo
  table_head workload -- "${MEASURED[@]}"
  for w in "${WORKLOADS[@]}"; do
    line="| ${W_LABEL[$w]} |"
    for t in "${MEASURED[@]}"; do
      line+=" $(ratio "$(awk -F, -v r=$((1 - WARMUP)) -v w="$w" -v t="$t" '$1 == r && $2 == w && $3 == t { print $4 }' \
        "$OUT_DIR/raw.csv")" "$(cell "$w" "$t")") |"
    done
    echo "$line"
  done
}

# Two jobs against one on the random rows, per target: how far a second client thread gets.
scaling_table() {
  [[ " ${WORKLOADS[*]} " == *" randr2 "* || " ${WORKLOADS[*]} " == *" randw2 "* ]] || return 0
  local t line
  echo
  echo "Scaling (median of 2 jobs / median of 1 job):"
  echo
  table_head workload -- "${MEASURED[@]}"
  line="| random 4 KiB read |" && for t in "${MEASURED[@]}"; do line+=" $(ratio "$(cell randr2 "$t")" "$(cell randr1 "$t")") |"; done && echo "$line"
  line="| random 4 KiB write |" && for t in "${MEASURED[@]}"; do line+=" $(ratio "$(cell randw2 "$t")" "$(cell randw1 "$t")") |"; done && echo "$line"
}

# What a fresh 4 KiB page cost just before each target's seq write (firsttouch.c), with that round's
# figure: a round whose fresh memory the host had taken back shows here, whichever target it hit.
firsttouch_table() {
  [[ -s $OUT_DIR/firsttouch.csv && " ${WORKLOADS[*]} " == *" seqw "* ]] || return 0
  local t line
  echo
  echo "First touch of fresh memory before each seq write, us per 4 KiB page, and that round's MiB/s (rounds in order):"
  echo
  table_head target -- "first touch" "seq write"
  for t in "${MEASURED[@]}"; do
    line="| $t | $(awk -F, -v t="$t" '$1 > 0 && $2 == t { printf "%s%s", sep, $3; sep = " " }' "$OUT_DIR/firsttouch.csv") |"
    line+=" $(awk -F, -v t="$t" '$1 > 0 && $2 == "seqw" && $3 == t { printf "%s%s", sep, $4; sep = " " }' "$OUT_DIR/raw.csv") |"
    echo "$line"
  done
}

write_markdown() {
  local w t p line pairs
  mapfile -t pairs < <(ratio_pairs)
  echo "# daxfs beside its FUSE peers, $(date '+%F %R')"
  echo
  echo "Median of $REPEAT round(s) after $WARMUP warm-up round(s); higher is better. Run time $(elapsed)."
  echo
  table_head workload unit -- "${TARGETS[@]}"
  for w in "${WORKLOADS[@]}"; do
    line="| ${W_LABEL[$w]} | ${W_UNIT[$w]} |"
    for t in "${TARGETS[@]}"; do line+=" $(cell "$w" "$t") |"; done
    echo "$line"
  done
  echo
  if ((${#pairs[@]})); then
    echo "Ratios of medians (target / peer; above 1 = the target is faster):"
    echo
    table_head workload -- "${pairs[@]}"
    for w in "${WORKLOADS[@]}"; do
      line="| ${W_LABEL[$w]} |"
      for p in "${pairs[@]}"; do line+=" $(ratio "$(cell "$w" "${p%/*}")" "$(cell "$w" "${p#*/}")") |"; done
      echo "$line"
    done
  else
    echo "No ratios: no daxfs target was measured."
  fi
  echo
  echo "Spread of each cell over its rounds ((worst - best) / median):"
  echo
  table_head workload -- "${MEASURED[@]}"
  for w in "${WORKLOADS[@]}"; do
    line="| ${W_LABEL[$w]} |"
    for t in "${MEASURED[@]}"; do line+=" $(cell_spread "$w" "$t") |"; done
    echo "$line"
  done
  scaling_table
  firsttouch_table
  warmup_table
  echo
  echo "Targets:"
  echo
  for t in "${TARGETS[@]}"; do echo "- $t: ${T_LABEL[$t]:-}${T_FAILED[$t]:+ — FAILED: ${T_FAILED[$t]}}"; done
  for t in "${SKIPPED[@]}"; do echo "- skipped ${t}"; done
  echo
  echo "Workloads: fio $(fio --version | sed 's/^fio-//'), psync, queue depth 1, buffered I/O, files presized" \
    "by writing their last byte. Sequential: 1 MiB blocks over SEQ_SIZE=$SEQ_SIZE (write ends with fsync;" \
    "the page cache is dropped before reading). Random: 4 KiB blocks for ${RUNTIME} s over RAND_SIZE=$RAND_SIZE" \
    "per job, one file per job, page cache dropped first. Metadata: $NFILES empty files, one pass each of" \
    "create (O_CREAT|O_EXCL + close), stat and unlink, ${MD_DELAY} s apart so that FUSE's caches expire."
  echo
  echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))," \
    "kernel $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg);" \
    "daxfs $(git -C "$DAXFS_HOME" rev-parse --short HEAD 2>/dev/null || echo '?')."
}

elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }

draw_chart() {
  gnuplot -e "csv='$OUT_DIR/results.csv'; png='$OUT_DIR/chart.png'; ntargets=${#TARGETS[@]}" \
    "$BENCH_DIR/chart.gp" >>"$LOGS/gnuplot.log" 2>&1 || log "chart failed, see $LOGS/gnuplot.log"
}

# FUSE over io_uring is offered only while the fuse module's enable_uring is Y (a fresh boot has N).
enable_uring() {
  local p=/sys/module/fuse/parameters/enable_uring
  [[ -e $p ]] || die "a target asks for FUSE over io_uring, which this kernel ($(uname -r)) lacks (6.14+)"
  [[ $(<"$p") == Y ]] && return 0
  echo Y >"$p" 2>/dev/null || die "a target asks for FUSE over io_uring: echo Y > $p needs root"
  log "set $p to Y"
}

# ------------------------------------------------------------------ main

main() {
  parse_args "$@"
  set_knobs
  select_targets
  check_prereqs
  { has_kind 'jnr-*' || has_kind 'kernel-null*'; } && find_jdk
  { has_kind kernel-null-uring || [[ $DAXFS_TARGETS == *uring* ]]; } && enable_uring
  check_scratch_space
  mkdir -p "$LOGS"
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM HUP
  SCRATCH_RUN=$(mktemp -d "$SCRATCH/daxfs-peers-bench.XXXXXX")
  MNT_ROOT=$(mktemp -d /tmp/daxfs-peers-bench.XXXXXX)
  build_tools
  build_package
  log "targets: ${TARGETS[*]}; SEQ_SIZE=$SEQ_SIZE RAND_SIZE=$RAND_SIZE RUNTIME=$RUNTIME NFILES=$NFILES REPEAT=$REPEAT WARMUP=$WARMUP"
  mount_all
  run_rounds
  write_csv >"$OUT_DIR/results.csv"
  write_markdown >"$OUT_DIR/results.md"
  draw_chart
  cat "$OUT_DIR/results.md"
  log "done in $(elapsed): $OUT_DIR"
}

# exit on the same line: bash reads a script as it runs, and must not read an edited file further.
main "$@"; exit
