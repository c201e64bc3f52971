#!/usr/bin/env bash
# Bounded fuzzing of baton's parsers and front-matter editor (issue 10):
# builds the cargo-fuzz targets of this folder and runs each for
# SECONDS_PER_TARGET seconds (default 60), starting from the committed seeds
# in corpus/<target>/ (new inputs go to work/<target>/, not committed).
# Prints the executions per target; exits non-zero when a target crashed or
# failed a property (the input is saved under artifacts/<target>/; minimise
# it with `cargo +nightly fuzz tmin <target> <file>` and make it a
# regression test), or when the fuzzers cannot be built at all under CI=true.
#
#   bash fuzz/run.sh [SECONDS_PER_TARGET]
set -uo pipefail

SECONDS_PER_TARGET=${1:-60}
# A single input slower than this is a hang, reported like a crash.
INPUT_TIMEOUT_SECS=30
TARGETS=(front_matter_markdown query_parse front_matter_edit transcript)

cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1

note() { printf '==> fuzz: %s\n' "$*"; }
unavailable() {
    printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
    printf '!!! fuzz: NOT RUN: %s\n' "$*" >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
    if [[ "${CI:-}" == "true" ]]; then
        exit 1
    fi
    exit 0
}

if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || ((SECONDS_PER_TARGET < 1)); then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    note "installing cargo-fuzz"
    cargo install cargo-fuzz --locked </dev/null || unavailable "cargo install cargo-fuzz failed"
fi

# Keep fuzz builds apart from the main crate's (other flags, other artifacts).
TARGET_DIR_ARGS=()
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    TARGET_DIR_ARGS=(--target-dir "$CARGO_TARGET_DIR/fuzz")
fi

# libFuzzer needs nightly-only compiler flags. Prefer an installed nightly;
# else the stable compiler with RUSTC_BOOTSTRAP=1 (which allows them), with
# AddressSanitizer when its runtime is there, else without a sanitizer (safe
# Rust panics on most of what ASan finds; ASan adds the C parts and unsafe).
FUZZ=()
SANITIZER_ARGS=()
# (Listed first: `grep -q` in a pipe under pipefail can fail on SIGPIPE.)
TOOLCHAINS=$(rustup toolchain list 2>/dev/null || true)
if grep -q '^nightly' <<<"$TOOLCHAINS"; then
    note "building with $(rustc +nightly --version)"
    if cargo +nightly fuzz build "${TARGET_DIR_ARGS[@]}" </dev/null; then
        FUZZ=(cargo +nightly fuzz)
    else
        note "the nightly build failed; trying stable"
    fi
fi
if ((${#FUZZ[@]} == 0)); then
    note "building with $(rustc --version) and RUSTC_BOOTSTRAP=1"
    if RUSTC_BOOTSTRAP=1 cargo fuzz build "${TARGET_DIR_ARGS[@]}" </dev/null; then
        FUZZ=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
    else
        note "building with $(rustc --version), RUSTC_BOOTSTRAP=1 and no sanitizer"
        if RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none "${TARGET_DIR_ARGS[@]}" </dev/null; then
            FUZZ=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
            SANITIZER_ARGS=(--sanitizer none)
        else
            unavailable "the fuzz targets build neither with nightly nor with stable + RUSTC_BOOTSTRAP=1"
        fi
    fi
fi

declare -A EXECS
declare -A RESULT
failed=0
for target in "${TARGETS[@]}"; do
    mkdir -p "work/$target" "artifacts/$target"
    log="work/$target.log"
    note "running $target for ${SECONDS_PER_TARGET} s"
    "${FUZZ[@]}" run "${SANITIZER_ARGS[@]}" "${TARGET_DIR_ARGS[@]}" "$target" \
        "work/$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout="$INPUT_TIMEOUT_SECS" \
        -print_final_stats=1 </dev/null >"$log" 2>&1
    status=$?
    # libFuzzer's final statistics; `#N DONE` is the fallback.
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    if [[ -z "$execs" ]]; then
        execs=$(grep -o '^#[0-9]*[[:space:]]*DONE' "$log" | grep -o '[0-9]*' | tail -n 1)
    fi
    EXECS[$target]=${execs:-?}
    if ((status == 0)); then
        RESULT[$target]=ok
    else
        RESULT[$target]="FAILED (exit $status)"
        failed=1
        echo "---- last lines of $log ----"
        tail -n 40 "$log"
        ls -1 "artifacts/$target" 2>/dev/null | sed 's/^/    artifact: /'
    fi
done

echo
printf '%-24s %14s  %s\n' target executions result
for target in "${TARGETS[@]}"; do
    printf '%-24s %14s  %s\n' "$target" "${EXECS[$target]}" "${RESULT[$target]}"
done
exit "$failed"
