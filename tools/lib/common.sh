# Shared helpers for the scripts in tools/. Sourced, not run.

log() { printf '[woodshed] %s\n' "$*" >&2; }
die() { printf '[woodshed] error: %s\n' "$*" >&2; exit 1; }

# Emscripten 3.1.6 from Debian needs Debian's node modules (acorn) on NODE_PATH when the
# machine's node is not Debian's own.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"

# Node flags for running Emscripten 3.1.6 output: its loader misuses node's fetch otherwise.
node_flags_for_wasm() {
  if node --no-experimental-fetch -e '' 2>/dev/null; then echo "--no-experimental-fetch"; fi
}
