#!/usr/bin/env bash
# Serve the loopsim web app with live reload: ./scripts/dev.sh  (PORT=9000 ./scripts/dev.sh)
#
# First run on a machine installs the pinned tools (see scripts/setup-lib.sh): the wasm32 target,
# trunk 0.21.14 (compiled from source: about 7 minutes on 2 cores), wasm-bindgen-cli at the
# Cargo.lock version (about 2.5 minutes) and wasm-opt from npm binaryen@132 into .tools/.
# Later runs skip all of that in a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup-lib.sh
source scripts/setup-lib.sh

loopsim_ensure_app_tools

port="${PORT:-8080}"
loopsim_say "trunk serve: http://127.0.0.1:$port/ (first build takes about a minute; Ctrl-C stops)"
exec trunk serve --address 127.0.0.1 --port "$port" "$@"
