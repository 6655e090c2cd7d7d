#!/usr/bin/env bash
# Run every loopsim check: ./scripts/test.sh   (CI runs it through .ci/run)
#
# Installs what is missing first (see scripts/setup-lib.sh): the wasm32 target, trunk 0.21.14
# (compiled from source: about 7 minutes on 2 cores, once per machine), wasm-bindgen-cli at the
# Cargo.lock version (about 2.5 minutes), wasm-opt from npm binaryen@132 into .tools/, Debian's
# chromium + chromium-driver, and the Playwright test runner (npm ci). Later runs skip all that.
#
# Layers, in order; every layer runs even if an earlier one failed, and the script exits non-zero
# if any failed:
#   fmt      cargo fmt --all --check
#   clippy   native workspace (all targets) + wasm32 (app: all targets, engine: lib), -D warnings
#   native   cargo nextest run --workspace (or cargo test), then cargo test --doc
#   fidelity validation/run.sh --smoke: a real uvicorn (pinned, in validation/.venv) against
#            the simulation on one scenario, < 1 min once the venv exists
#   wasm     wasm-bindgen-test of the app in headless Chromium
#   release  trunk build --release (wasm-opt z) into dist/, and again under --public-url /loopsim/
#   e2e      Playwright against both release builds, served on 127.0.0.1
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/setup-lib.sh
source scripts/setup-lib.sh

LOG_DIR="target/test-logs"
SUBPATH_DIST="target/dist-subpath"
mkdir -p "$LOG_DIR"

layer_names=()
layer_results=()
layer_seconds=()
layer_summaries=()
failed=0

now() { date +%s.%N; }
# show COMMAND...: prints the command, then runs it.
show() {
  printf '$ %s\n' "$*"
  "$@"
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# run_layer NAME SUMMARY_REGEX COMMAND... : runs COMMAND with its output shown and logged, records
# pass/fail, duration and the runner's own summary lines (those matching SUMMARY_REGEX).
run_layer() {
  local name="$1" summary_regex="$2" start status log="$LOG_DIR/$1.log"
  shift 2
  loopsim_say "[$name]"
  start="$(now)"
  "$@" 2>&1 | tee "$log"
  status="${PIPESTATUS[0]}"
  layer_names+=("$name")
  layer_seconds+=("$(elapsed "$start" "$(now)")")
  # Drop the "0 passed; 0 failed" lines of targets without tests (doctests, the bin).
  layer_summaries+=("$(grep -E "$summary_regex" "$log" | grep -v ' 0 passed; 0 failed' |
    sed 's/\x1b\[[0-9;]*m//g' || true)")
  if [ "$status" -eq 0 ]; then
    layer_results+=("ok")
  else
    layer_results+=("FAILED (exit $status)")
    failed=1
  fi
}

skip_layer() {
  layer_names+=("$1")
  layer_seconds+=("0.0")
  layer_summaries+=("")
  layer_results+=("FAILED (not run: $2)")
  failed=1
}

layer_fmt() {
  show cargo fmt --all --check && echo "rustfmt: all files formatted"
}

layer_clippy() {
  local status=0
  show cargo clippy --workspace --all-targets -- -D warnings || status=1
  show cargo clippy --target wasm32-unknown-unknown -p loopsim-app --all-targets -- -D warnings || status=1
  show cargo clippy --target wasm32-unknown-unknown -p loopsim-app --all-targets --features in-page -- -D warnings || status=1
  # The engine's tests and benches use native-only crates (proptest, criterion); its library is
  # what the app ships, so that is what is checked for wasm32.
  show cargo clippy --target wasm32-unknown-unknown -p loopsim-engine --lib -- -D warnings || status=1
  [ "$status" -eq 0 ] && echo "clippy: no warnings (native + wasm32)"
  return "$status"
}

layer_native() {
  local status=0
  if cargo nextest --version >/dev/null 2>&1; then
    show cargo nextest run --workspace --no-fail-fast || status=1
  else
    show cargo test --workspace --no-fail-fast || status=1
  fi
  show cargo test --workspace --doc || status=1
  return "$status"
}

layer_fidelity() {
  show validation/run.sh --smoke
}

layer_wasm() {
  # --tests: unit and integration tests (doctests are native-only, covered by the native layer).
  # A longer runner timeout than the default, so that a slow failing test still gets its panic
  # message reported instead of a webdriver timeout.
  show env WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-60}" \
    cargo test --target wasm32-unknown-unknown -p loopsim-app --features in-page --tests --no-fail-fast
}

report_wasm_size() {
  local dist="$1" wasm raw gz found=0
  # The page's wasm and the simulation worker's.
  for wasm in "$dist"/*.wasm; do
    [ -f "$wasm" ] || continue
    found=1
    raw="$(stat -c %s "$wasm")"
    gz="$(gzip -9 -c "$wasm" | wc -c)"
    awk -v f="$(basename "$wasm")" -v r="$raw" -v g="$gz" -v d="$dist" 'BEGIN {
      printf "release wasm (%s): %s: %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB)\n", d, f, r, r / 1024, g, g / 1024
    }'
  done
  [ "$found" = 1 ] || { echo "no .wasm file in $dist"; return 1; }
}

layer_release() {
  show trunk build --release &&
    report_wasm_size dist &&
    show trunk build --release --public-url /loopsim/ --dist "$SUBPATH_DIST" &&
    grep -q '/loopsim/' "$SUBPATH_DIST/index.html" &&
    echo "sub-path build: $SUBPATH_DIST/index.html refers to /loopsim/ assets"
}

layer_e2e() {
  show env LOOPSIM_SUBPATH_DIST="$SUBPATH_DIST" npx --no-install playwright test
}

total_start="$(now)"
loopsim_say "[setup] checking tools (installs only what is missing)"
setup_start="$(now)"
if ! loopsim_ensure_test_tools; then
  loopsim_die "setup failed: see the messages above"
  exit 1
fi
setup_seconds="$(elapsed "$setup_start" "$(now)")"

run_layer fmt '^rustfmt: ' layer_fmt
run_layer clippy '^clippy: ' layer_clippy
run_layer native '^ *Summary \[|^test result: ' layer_native
run_layer fidelity '^done in |^smoke: ' layer_fidelity
run_layer wasm '^test result: ' layer_wasm
run_layer release '^release wasm |^sub-path build: ' layer_release
if [ -f dist/index.html ] && [ -f "$SUBPATH_DIST/index.html" ]; then
  run_layer e2e '^ *[0-9]+ (passed|failed|flaky|skipped|did not run)' layer_e2e
else
  skip_layer e2e "no release build in dist/"
fi

echo
loopsim_say "loopsim test summary (setup ${setup_seconds}s, total $(elapsed "$total_start" "$(now)")s; logs in $LOG_DIR/)"
for i in "${!layer_names[@]}"; do
  printf '  %-8s %-24s %7ss\n' "${layer_names[$i]}" "${layer_results[$i]}" "${layer_seconds[$i]}"
done
echo
for i in "${!layer_names[@]}"; do
  if [ -n "${layer_summaries[$i]}" ]; then
    printf '%s\n' "${layer_summaries[$i]}"
  fi
done
if [ "$failed" -ne 0 ]; then
  loopsim_die "some layers FAILED"
  exit 1
fi
