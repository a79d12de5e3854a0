#!/usr/bin/env bash
# Cost ingest and roll-ups, Leitstand beside DuckDB (2 threads) on the same generated files:
#   scripts/bench-costs.sh [--rows N ...] [--dir /tmp/costbench] [--keep-files]
# Builds `leitstand` (release), makes .venv-bench with scripts/requirements-bench.txt, then runs
# scripts/bench_costs.py, which generates N rows (default 10,000,000; a 10M-row CSV is ~5 GB,
# its Parquet ~0.5 GB) under --dir, measures and prints the table; the files are removed
# afterwards unless --keep-files. CARGO_TARGET_DIR is honoured.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release -p leitstand --manifest-path "$ROOT/Cargo.toml"
VENV=${LEITSTAND_BENCH_VENV:-$ROOT/.venv-bench}
if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r "$ROOT/scripts/requirements-bench.txt"
exec "$VENV/bin/python" "$ROOT/scripts/bench_costs.py" --bin "$TARGET/release/leitstand" \
    --python "$VENV/bin/python" "$@"
