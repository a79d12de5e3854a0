#!/usr/bin/env bash
# Runs a short libFuzzer campaign over every cargo-fuzz target in fuzz/ (Leitstand's parsers).
#
# Usage:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   SECONDS_PER_TARGET  How long each target runs; the default is 20.
#   TARGET...           Runs only these targets; the default is all of `cargo fuzz list`.
#
# Environment:
#   FUZZ_SANITIZER=address   Sanitizer for `cargo fuzz build -s` (address, none, ...).
#   FUZZ_KEEP_CORPUS=1       Keeps the temporary corpora (and logs) and prints where they are.
#
# Examples:
#   scripts/fuzz.sh              # Every target for 20 s.
#   scripts/fuzz.sh 300 route    # Only the router, for five minutes.
#
# What it does:
#   1. Installs cargo-fuzz (`cargo install cargo-fuzz --locked`) if `cargo fuzz` is missing.
#   2. Builds all targets once with `cargo fuzz build` into fuzz/target, with debug assertions.
#      cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
#   3. Copies fuzz/seeds/<target>/ to a temporary corpus and runs the built binary directly
#      (not `cargo fuzz run`, which would rebuild whenever someone edits crates/ meanwhile),
#      with fuzz/dicts/<target>.dict when it exists.
#   4. Prints per-target exec counts and exec/s, and exits with 1 if any target crashed,
#      timed out or ran out of memory.
#      Reproducers are written to fuzz/artifacts/<target>/ (ignored by git); replay one with
#      `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>` in fuzz/.
#
# The fuzz package is its own workspace, so none of this touches the main target/ directory.

set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$repo_root/fuzz"
target_dir="$fuzz_dir/target"
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Lets the stable toolchain accept the `-Z` flags cargo-fuzz passes (sanitizers, coverage).
export RUSTC_BOOTSTRAP=1

cd "$fuzz_dir"
if (($# > 0)); then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
triple="$(rustc -vV | sed -n 's/^host: //p')"

echo "== building ${targets[*]} (sanitizer: $sanitizer)"
build_start=$SECONDS
build_args=(build --debug-assertions --sanitizer "$sanitizer" --target "$triple" --target-dir "$target_dir")
if (($# > 0)); then
    for target in "${targets[@]}"; do
        cargo fuzz "${build_args[@]}" "$target"
    done
else
    cargo fuzz "${build_args[@]}"
fi
echo "== built in $((SECONDS - build_start)) s"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/leitstand-fuzz.XXXXXX")"
if [[ "${FUZZ_KEEP_CORPUS:-0}" == 1 ]]; then
    trap 'echo "== corpora and logs kept in $work_dir"' EXIT
else
    trap 'rm -rf "$work_dir"' EXIT
fi

# Reads one `stat::name: value` line of libFuzzer's final stats from a log.
fuzz_stat() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

failed=()
summary=()
for target in "${targets[@]}"; do
    binary="$target_dir/$triple/release/$target"
    corpus="$work_dir/corpus/$target"
    log="$work_dir/$target.log"
    artifacts="$fuzz_dir/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    if [[ -d "seeds/$target" ]]; then
        cp -R "seeds/$target/." "$corpus"/
    fi
    run_args=(
        "$corpus"
        "-max_total_time=$seconds"
        -timeout=10
        -print_final_stats=1
        "-artifact_prefix=$artifacts/"
    )
    if [[ -f "dicts/$target.dict" ]]; then
        run_args+=("-dict=$fuzz_dir/dicts/$target.dict")
    fi

    echo "== running $target for $seconds s"
    if "$binary" "${run_args[@]}" >"$log" 2>&1; then
        result=ok
    else
        result="FAILED ($?)"
        failed+=("$target")
        echo "-- $target failed; the end of its log:"
        tail -n 40 "$log"
    fi
    summary+=("$(printf '%-16s %-12s %12s %10s %8s %8s' "$target" "$result" \
        "$(fuzz_stat number_of_executed_units "$log")" "$(fuzz_stat average_exec_per_sec "$log")" \
        "$(fuzz_stat new_units_added "$log")" "$(find "$corpus" -type f | wc -l)")")
done

echo
printf '%-16s %-12s %12s %10s %8s %8s\n' target result execs exec/s new corpus
printf '%s\n' "${summary[@]}"

if ((${#failed[@]} > 0)); then
    echo "== crashes in: ${failed[*]}; reproducers are in fuzz/artifacts/<target>/" >&2
    exit 1
fi
echo "== no crashes"
