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
