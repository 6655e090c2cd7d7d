#!/usr/bin/env bash
# loopsim's fidelity harness: real Python servers vs. the simulation.
#   validation/run.sh           every scenario, writes docs/fidelity.md (≈ 4 min)
#   validation/run.sh --smoke   calibration on uvicorn + one scenario (< 1 min),
#                               writes validation/results/smoke/fidelity-smoke.md
#   validation/run.sh --only NAME [--only NAME ...]   chosen scenarios, validation/results/only/
#   validation/run.sh --report-only   rewrite docs/fidelity.md from the last full run's data
#   validation/run.sh --resimulate    the same, after simulating the saved runs again with the
#                                     current engine (seconds: no server runs)
# Needs python3 (3.11) with venv, cargo, and `ab` (apt-get install apache2-utils) for the
# closed-loop scenarios. Servers listen on 127.0.0.1 only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

# 1. The venv, with the pinned packages (idempotent: reinstalls only when the pins change).
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi

# 2. ApacheBench, for the closed-loop scenarios.
if ! command -v ab >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -o DPkg::Lock::Timeout=600 apache2-utils >/dev/null \
            || { apt-get update -qq && apt-get install -y -o DPkg::Lock::Timeout=600 apache2-utils >/dev/null; } \
            || echo "warning: could not install apache2-utils; closed-loop scenarios will be skipped"
    else
        echo "warning: ab not found (apache2-utils); closed-loop scenarios will be skipped"
    fi
fi

# 3. loopsim's CLI, and the harness's trace helper (background-task times).
(cd "$repo" && cargo build --release -q -p loopsim-cli)
(cd "$here/simtrace" && CARGO_TARGET_DIR="$here/.target" cargo build --release -q)

# 4. Calibrate, run every scenario real and simulated, write the report.
exec "$venv/bin/python" "$here/harness/fidelity.py" "$@"
