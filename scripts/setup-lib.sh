# shellcheck shell=bash
# Shared set-up functions for loopsim's scripts. Source it, don't run it:
#
#   source scripts/setup-lib.sh
#   loopsim_ensure_app_tools     # what `trunk serve` / `trunk build` need
#   loopsim_ensure_test_tools    # the above plus Chromium, chromedriver and Playwright
#
# Every function is idempotent: it checks first, prints what it found, and installs only what is
# missing or at the wrong version. Versions are pinned here (trunk, binaryen) or read from
# Cargo.lock (wasm-bindgen), so every machine gets the same tools.

LOOPSIM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOOPSIM_TRUNK_VERSION="0.21.14"
LOOPSIM_BINARYEN_VERSION="132.0.0"
LOOPSIM_WASM_OPT_VERSION="132" # what `wasm-opt --version` prints for the binaryen package above
LOOPSIM_TOOLS_DIR="$LOOPSIM_ROOT/.tools"

export PATH="$LOOPSIM_TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Playwright must never download a browser: the tests use Debian's /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

loopsim_say() {
  printf '\033[1m==> %s\033[0m\n' "$*"
}

loopsim_die() {
  printf '\033[1;31mxx> %s\033[0m\n' "$*" >&2
  return 1
}

loopsim_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    loopsim_die "need root (or sudo) to run: $*"
  fi
}

loopsim_ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
    loopsim_die "cargo and rustup are required (install Rust with rustup first)"
  fi
}

loopsim_ensure_wasm_target() {
  loopsim_ensure_rust || return 1
  if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    loopsim_say "rust target wasm32-unknown-unknown: present"
  else
    loopsim_say "rust target wasm32-unknown-unknown: installing (rustup target add)"
    rustup target add wasm32-unknown-unknown
  fi
}

loopsim_ensure_trunk() {
  loopsim_ensure_rust || return 1
  local found
  found="$(trunk --version 2>/dev/null || true)"
  if [ "$found" = "trunk $LOOPSIM_TRUNK_VERSION" ]; then
    loopsim_say "trunk $LOOPSIM_TRUNK_VERSION: present"
    return 0
  fi
  loopsim_say "trunk $LOOPSIM_TRUNK_VERSION: installing (found: ${found:-none})"
  loopsim_say "  cargo install --locked trunk --version $LOOPSIM_TRUNK_VERSION -- compiles from source, about 7 minutes on 2 cores, once per machine"
  cargo install --locked trunk --version "$LOOPSIM_TRUNK_VERSION" || return 1
  found="$(trunk --version 2>/dev/null || true)"
  [ "$found" = "trunk $LOOPSIM_TRUNK_VERSION" ] ||
    loopsim_die "after install, \`trunk\` on PATH is still '${found:-missing}' ($(command -v trunk || true))"
}

# The wasm-bindgen version the app links against, read from Cargo.lock. wasm-bindgen-cli (and its
# wasm-bindgen-test-runner) must match it exactly.
loopsim_wasm_bindgen_version() {
  awk '
    /^\[\[package\]\]/ { in_wb = 0 }
    /^name = "wasm-bindgen"$/ { in_wb = 1; next }
    in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }
  ' "$LOOPSIM_ROOT/Cargo.lock"
}

loopsim_ensure_wasm_bindgen() {
  loopsim_ensure_rust || return 1
  local want found runner
  want="$(loopsim_wasm_bindgen_version)"
  [ -n "$want" ] || loopsim_die "no wasm-bindgen package in Cargo.lock (run: cargo generate-lockfile)" || return 1
  found="$(wasm-bindgen --version 2>/dev/null || true)"
  runner="$(wasm-bindgen-test-runner --version 2>/dev/null || true)"
  if [ "$found" = "wasm-bindgen $want" ] && [ -n "$runner" ]; then
    loopsim_say "wasm-bindgen-cli $want (version from Cargo.lock): present"
    return 0
  fi
  loopsim_say "wasm-bindgen-cli $want (version from Cargo.lock): installing (found: ${found:-none})"
  # No --locked: one of the CLI's locked dependencies is no longer on crates.io.
  loopsim_say "  cargo install wasm-bindgen-cli --version $want -- about 2.5 minutes on 2 cores, once per machine"
  cargo install wasm-bindgen-cli --version "$want" || return 1
  found="$(wasm-bindgen --version 2>/dev/null || true)"
  if [ "$found" != "wasm-bindgen $want" ] || ! command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
    loopsim_die "after install, \`wasm-bindgen\` on PATH is still '${found:-missing}' ($(command -v wasm-bindgen || true))"
  fi
}

# wasm-opt from npm `binaryen` into the project-local .tools/ folder (gitignored), whose
# node_modules/.bin is first on PATH. Debian's binaryen is too old for current Rust wasm.
loopsim_ensure_wasm_opt() {
  command -v npm >/dev/null 2>&1 || loopsim_die "npm (Node.js 20) is required for wasm-opt" || return 1
  local wasm_opt="$LOOPSIM_TOOLS_DIR/node_modules/.bin/wasm-opt" found
  found="$("$wasm_opt" --version 2>/dev/null || true)"
  if [[ "$found" == "wasm-opt version $LOOPSIM_WASM_OPT_VERSION "* ]]; then
    loopsim_say "wasm-opt $LOOPSIM_WASM_OPT_VERSION (npm binaryen@$LOOPSIM_BINARYEN_VERSION in .tools/): present"
    return 0
  fi
  loopsim_say "wasm-opt $LOOPSIM_WASM_OPT_VERSION: installing npm binaryen@$LOOPSIM_BINARYEN_VERSION into .tools/ (found: ${found:-none})"
  mkdir -p "$LOOPSIM_TOOLS_DIR"
  cat >"$LOOPSIM_TOOLS_DIR/package.json" <<EOF
{
  "name": "loopsim-tools",
  "private": true,
  "description": "Build tools for loopsim, installed by scripts/setup-lib.sh. Not committed.",
  "dependencies": { "binaryen": "$LOOPSIM_BINARYEN_VERSION" }
}
EOF
  npm install --prefix "$LOOPSIM_TOOLS_DIR" --no-audit --no-fund --loglevel=error
  found="$("$wasm_opt" --version 2>/dev/null || true)"
  [[ "$found" == "wasm-opt version $LOOPSIM_WASM_OPT_VERSION "* ]] ||
    loopsim_die "wasm-opt still not at version $LOOPSIM_WASM_OPT_VERSION after install (found: ${found:-none})"
}

# Crates for the workspace, so that Trunk can run cargo with --offline (see loopsim_ensure_app_tools).
loopsim_fetch_crates() {
  loopsim_say "crates: cargo fetch (downloads only what is missing)"
  (cd "$LOOPSIM_ROOT" && cargo fetch --quiet)
}

# Everything `trunk serve` and `trunk build --release` need.
loopsim_ensure_app_tools() {
  loopsim_ensure_wasm_target &&
    loopsim_ensure_trunk &&
    loopsim_ensure_wasm_bindgen &&
    loopsim_ensure_wasm_opt &&
    loopsim_fetch_crates || return 1
  # Fail fast instead of letting Trunk retry downloads from an unreachable host for minutes when
  # a tool version does not match. Trunk then also passes --offline to cargo: hence the fetch.
  export TRUNK_OFFLINE=true
}

loopsim_ensure_browser() {
  if [ -x /usr/bin/chromium ] && command -v chromedriver >/dev/null 2>&1; then
    loopsim_say "chromium + chromedriver (Debian): present ($(/usr/bin/chromium --version 2>/dev/null | head -n1))"
    return 0
  fi
  loopsim_say "chromium + chromedriver: installing from Debian (apt-get, about 35 s)"
  loopsim_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    loopsim_as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium chromium-driver
}

# Playwright from package-lock.json (npm ci). Reinstalls only when the lock file changed.
loopsim_ensure_node_deps() {
  command -v npm >/dev/null 2>&1 || loopsim_die "npm (Node.js 20) is required for the e2e tests" || return 1
  local stamp="$LOOPSIM_ROOT/node_modules/.loopsim-lock.sha256" want
  want="$(sha256sum "$LOOPSIM_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -x "$LOOPSIM_ROOT/node_modules/.bin/playwright" ]; then
    loopsim_say "node packages (package-lock.json): present ($("$LOOPSIM_ROOT/node_modules/.bin/playwright" --version))"
    return 0
  fi
  loopsim_say "node packages: npm ci (Playwright test runner only; no browser download)"
  (cd "$LOOPSIM_ROOT" && npm ci --no-audit --no-fund --loglevel=error) &&
    echo "$want" >"$stamp"
}

# Everything scripts/test.sh needs.
loopsim_ensure_test_tools() {
  loopsim_ensure_app_tools &&
    loopsim_ensure_browser &&
    loopsim_ensure_node_deps || return 1
  export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
  if cargo nextest --version >/dev/null 2>&1; then
    loopsim_say "cargo-nextest: present"
  else
    loopsim_say "cargo-nextest: not installed, native tests will use cargo test"
  fi
}
