# Shared by the bin/ launchers: locate the repository and a JDK 25 (never a hard-coded path).
# shellcheck shell=bash

DAXFS_HOME=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
DAXFS_MIN_JAVA=25

# Prints the major version of the java binary $1 (e.g. 17, 25), or nothing.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

# Sets JAVA_HOME to a JDK >= 25: JAVA_HOME if it qualifies, else the newest under /usr/lib/jvm.
find_jdk() {
  local candidate major best="" best_major=0
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then
    major=$(java_major "$JAVA_HOME/bin/java")
    if [[ -n $major && $major -ge $DAXFS_MIN_JAVA ]]; then
      export JAVA_HOME
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*/; do
    candidate=${candidate%/}
    [[ -x $candidate/bin/javac ]] || continue
    major=$(java_major "$candidate/bin/java")
    if [[ -n $major && $major -ge $DAXFS_MIN_JAVA && $major -gt $best_major ]]; then
      best=$candidate best_major=$major
    fi
  done
  if [[ -z $best ]]; then
    echo "daxfs: no JDK $DAXFS_MIN_JAVA or newer found (looked at JAVA_HOME and /usr/lib/jvm/*); install one, e.g. apt-get install openjdk-25-jdk-headless" >&2
    return 1
  fi
  export JAVA_HOME=$best
}

# Classpath of a built module: its jar plus the dependencies copied next to it by the build.
module_classpath() {
  local module=$1 dir="$DAXFS_HOME/$1/target"
  if [[ ! -f $dir/$module.jar ]]; then
    echo "daxfs: $dir/$module.jar is missing; build first with: bin/setup" >&2
    return 1
  fi
  printf '%s:%s/lib/*' "$dir/$module.jar" "$dir"
}

# Runs main class $2 of module $1 with the remaining arguments.
run_java() {
  local module=$1 main=$2 cp
  shift 2
  find_jdk || exit 8
  cp=$(module_classpath "$module") || exit 8
  exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    ${DAXFS_JAVA_OPTS:-} -cp "$cp" "$main" "$@"
}

# Log file of a background daxfs daemon for mount point $1: /var/log/daxfs when root, else under
# XDG_RUNTIME_DIR or /tmp; the name is the absolute mount point with '/' turned into '-'.
daxfs_log_file() {
  local dir name
  if [[ $(id -u) -eq 0 ]]; then
    dir=/var/log/daxfs
  else
    dir=${XDG_RUNTIME_DIR:-/tmp}/daxfs-$(id -u)
  fi
  name=$(readlink -m -- "$1")
  name=${name#/}
  printf '%s/%s.log' "$dir" "${name//\//-}"
}
