# Shared by the bin/ launchers: locate the jars and a JDK 25 (never a hard-coded path) and start
# a command's JVM. Works in two layouts:
#   - the build tree: DAXFS_HOME/<module>/target/<module>.jar plus target/lib/ (bin/setup builds it);
#   - a package (bin/package: the tarball, or /usr/share/daxfs from the .deb): DAXFS_HOME/jars/
#     with one classpath file per module and, in jars/aot/, an AOT cache per command.
# Every function here runs inside the launcher's shell and starts no process (a command's start-up
# is measured, docs/OPERATIONS.md): results go to variables, not through $(...).
# shellcheck shell=bash

# DAXFS_HOME: two directories above this file, symbolic links resolved (cd -P), the caller's
# working directory kept.
_daxfs_pwd=$PWD
_daxfs_lib=${BASH_SOURCE[0]%/*}
[[ $_daxfs_lib == /* ]] || _daxfs_lib=$PWD/$_daxfs_lib
CDPATH='' cd -P -- "$_daxfs_lib/../.."
DAXFS_HOME=$PWD
CDPATH='' cd -- "$_daxfs_pwd"
unset _daxfs_pwd _daxfs_lib
DAXFS_MIN_JAVA=25

# Sets JAVA_MAJOR to the major version (e.g. 17, 25) of the Java installation in directory $1, from
# its `release` file (no JVM is started); empty when there is none.
java_major() {
  local line version=""
  JAVA_MAJOR=""
  [[ -r $1/release ]] || return 0
  while IFS= read -r line; do
    if [[ $line == JAVA_VERSION=* ]]; then
      version=${line#JAVA_VERSION=}
      version=${version//\"/}
      break
    fi
  done <"$1/release"
  version=${version#1.} # 1.8.0 -> 8
  version=${version%%[!0-9]*}
  JAVA_MAJOR=$version
  return 0
}

# Sets JAVA_HOME to a Java >= 25: JAVA_HOME if it qualifies, else the newest under /usr/lib/jvm.
# With --jdk the installation must have javac (the build); the commands need only bin/java.
find_jdk() {
  local tool=java candidate best="" best_major=0
  [[ ${1:-} == --jdk ]] && tool=javac
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/$tool" ]]; then
    java_major "$JAVA_HOME"
    if [[ -n $JAVA_MAJOR && $JAVA_MAJOR -ge $DAXFS_MIN_JAVA ]]; then
      export JAVA_HOME
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*/; do
    candidate=${candidate%/}
    [[ -x $candidate/bin/$tool ]] || continue
    java_major "$candidate"
    if [[ -n $JAVA_MAJOR && $JAVA_MAJOR -ge $DAXFS_MIN_JAVA && $JAVA_MAJOR -gt $best_major ]]; then
      best=$candidate best_major=$JAVA_MAJOR
    fi
  done
  if [[ -z $best ]]; then
    echo "daxfs: no Java $DAXFS_MIN_JAVA or newer found (looked at JAVA_HOME and /usr/lib/jvm/*); install one, e.g. a Temurin 25 JDK or openjdk-25-jre-headless" >&2
    return 1
  fi
  export JAVA_HOME=$best
}

# Sets DAXFS_CLASSPATH to the classpath of module $1: in a package the jars its classpath file
# lists, in the build tree its jar plus the dependencies copied next to it by the build.
module_classpath() {
  local module=$1 dir="$DAXFS_HOME/$1/target" jar
  DAXFS_CLASSPATH=""
  if [[ -d $DAXFS_HOME/jars ]]; then
    while IFS= read -r jar; do
      DAXFS_CLASSPATH+=${DAXFS_CLASSPATH:+:}$DAXFS_HOME/jars/$jar
    done <"$DAXFS_HOME/jars/$module.classpath"
    return 0
  fi
  if [[ ! -f $dir/$module.jar ]]; then
    echo "daxfs: $dir/$module.jar is missing; build first with: bin/setup" >&2
    return 1
  fi
  DAXFS_CLASSPATH="$dir/$module.jar:$dir/lib/*"
}

# JVM flags for main class $1: its AOT cache when the package has one (a cache that does not match
# this JVM or these jars is ignored silently), the package's native library, the command's logging
# named as SLF4J's provider (io.daxfs.core.logging.ConsoleLogging: no service lookups over the jars), and
# for the short tools a small, quick-starting JVM.
java_flags() {
  local main=$1 name logging=""
  name=${main##*.}
  name=${name%Main}
  name=${name,,}
  case $name in
    daxfs) logging=io.daxfs.fuse.DaemonLogging ;;
    fsck) logging=io.daxfs.fsck.FsckLogging ;;
    mkfs | info) logging=io.daxfs.mkfs.MkfsLogging ;;
  esac
  DAXFS_JVM_FLAGS=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:-UsePerfData)
  [[ -z $logging ]] || DAXFS_JVM_FLAGS+=("-Dslf4j.provider=$logging" -Dslf4j.internal.verbosity=WARN)
  if [[ -f $DAXFS_HOME/jars/aot/$name.aot ]]; then
    DAXFS_JVM_FLAGS+=(-XX:AOTMode=auto "-XX:AOTCache=$DAXFS_HOME/jars/aot/$name.aot" -Xlog:aot=off -Xlog:cds=off)
  fi
  # The package's copy of the native library, loaded in place instead of extracted at every start.
  if [[ -f $DAXFS_HOME/jars/libdaxfs.so ]]; then
    DAXFS_JVM_FLAGS+=("-Ddaxfs.native.library=$DAXFS_HOME/jars/libdaxfs.so")
  fi
  # Higher JIT thresholds (CompileThresholdScaling): compiled code runs as fast, but fewer methods
  # that run only while starting are compiled. Before the mount is live the daemon's compiler threads
  # took ~45% of its CPU; mkfs of 1 GiB gains nothing from its ~600 compilations; fsck keeps 2, as
  # a full check warms up later with more (docs/BENCHMARKS.md).
  case $name in
    mkfs) DAXFS_JVM_FLAGS+=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=50) ;;
    fsck | info) DAXFS_JVM_FLAGS+=(-XX:+UseSerialGC -XX:CompileThresholdScaling=2) ;;
    daxfs) DAXFS_JVM_FLAGS+=(-XX:CompileThresholdScaling=4) ;;
  esac
}

# Runs main class $2 of module $1 with the remaining arguments.
run_java() {
  local module=$1 main=$2
  shift 2
  find_jdk || exit 8
  module_classpath "$module" || exit 8
  java_flags "$main"
  # shellcheck disable=SC2086
  exec "$JAVA_HOME/bin/java" "${DAXFS_JVM_FLAGS[@]}" ${DAXFS_JAVA_OPTS:-} -cp "$DAXFS_CLASSPATH" "$main" "$@"
}

# Sets DAXFS_LOG_FILE to the log file of a background daxfs daemon for mount point $1:
# /var/log/daxfs when root, else under XDG_RUNTIME_DIR or /tmp; the name is the absolute mount point
# with '/' turned into '-'.
daxfs_log_file() {
  local dir name=$1
  if ((EUID == 0)); then
    dir=/var/log/daxfs
  else
    dir=${XDG_RUNTIME_DIR:-/tmp}/daxfs-$EUID
  fi
  [[ $name == /* ]] || name=$PWD/$name
  # "." and ".." components, doubled or trailing slashes (mount(8) never passes them): readlink -m.
  local unclean='(^|/)\.\.?(/|$)|//|./$'
  if [[ $name =~ $unclean ]]; then
    name=$(readlink -m -- "$name")
  fi
  name=${name#/}
  DAXFS_LOG_FILE=$dir/${name//\//-}.log
}
