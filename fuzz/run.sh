#!/usr/bin/env bash
# Coverage-guided fuzzing of SockPeer's parsers with AFL++ and SharpFuzz (in-process fork server).
#
#   fuzz/run.sh [TARGETS|all] [SECONDS]    default: all targets, 120 s each, one after another;
#                                          TARGETS is one name or a comma-separated list
#   fuzz/run.sh --replay TARGET PATH...    run files through a target without the fuzzer
#   fuzz/run.sh --regressions              replay fuzz/regressions/<target>/ and fuzz/seeds/<target>/ of every target
#   fuzz/run.sh --coverage TARGET [PATH...]  instrumentation sites reached per method by a corpus
#                                          (default: the seeds, then the campaign's queue)
#
# Installs what it needs: afl++ (apt-get), SharpFuzz.CommandLine 2.3.0 (dotnet tool, local tool path).
# Builds fuzz/SockPeer.Fuzz, instruments SockPeer.Engine.dll, then runs afl-fuzz per target under
# `nice -n 10`. Output: artifacts/fuzz/<target>/default/{queue,crashes,hangs,fuzzer_stats}.
# Environment: FUZZ_RESUME=1 continues the previous corpus instead of starting from fuzz/seeds;
# FUZZ_TIMEOUT_MS (default 5000) is afl-fuzz's per-input limit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/artifacts/fuzz
BIN=$OUT/bin
TOOLS=$OUT/tools
SHARPFUZZ_VERSION=2.3.0
TARGETS=(netlink procnetunix status fdinfo cmdline passwd dirent cgroup socketname links protocols stat inetdiag endpointlinks mountinfo webconfig filter)

install_tools() {
    if ! command -v afl-fuzz >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends afl++ >/dev/null
    fi
    if [ ! -x "$TOOLS/sharpfuzz" ]; then
        dotnet tool install SharpFuzz.CommandLine --version "$SHARPFUZZ_VERSION" --tool-path "$TOOLS" >/dev/null
    fi
}

build() {
    # A fresh output folder each time: publish would keep an already instrumented (newer) engine.
    rm -rf "$BIN"
    nice -n 10 dotnet publish "$ROOT/fuzz/SockPeer.Fuzz/SockPeer.Fuzz.csproj" -c Release -o "$BIN" --nologo -v quiet
    echo "instrumenting SockPeer.Engine.dll"
    "$TOOLS/sharpfuzz" "$BIN/SockPeer.Engine.dll"
    grep -q SharpFuzz.Common "$BIN/SockPeer.Engine.dll" || { echo "sharpfuzz did not instrument SockPeer.Engine.dll" >&2; exit 1; }
    # sockpeer-serve's parsers (webconfig, filter) and the YAML library the web config is read with.
    for dll in SockPeer.Fuzz.Serve.dll YamlDotNet.dll; do
        echo "instrumenting $dll"
        "$TOOLS/sharpfuzz" "$BIN/$dll"
        grep -q SharpFuzz.Common "$BIN/$dll" || { echo "sharpfuzz did not instrument $dll" >&2; exit 1; }
    done
}

stat_of() { # stat_of FILE KEY
    sed -n "s/^$2 *: *//p" "$1" | head -1
}

fuzz_one() {
    local target=$1 seconds=$2
    local findings=$OUT/$target input=$ROOT/fuzz/seeds/$target
    local dict=()
    [ -f "$ROOT/fuzz/dict/$target.dict" ] && dict=(-x "$ROOT/fuzz/dict/$target.dict")
    if [ "${FUZZ_RESUME:-0}" = 1 ] && [ -d "$findings/default/queue" ]; then
        input=-
    else
        rm -rf "$findings"
    fi
    echo "=== $target: $seconds s (seeds: fuzz/seeds/$target)"
    local rc=0
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_AUTORESUME=1 \
        nice -n 10 afl-fuzz -i "$input" -o "$findings" -V "$seconds" -t "${FUZZ_TIMEOUT_MS:-5000}" -m none "${dict[@]}" \
        -- dotnet "$BIN/SockPeer.Fuzz.dll" "$target" >"$OUT/$target.log" 2>&1 || rc=$?
    local stats=$findings/default/fuzzer_stats
    if [ ! -f "$stats" ]; then
        echo "afl-fuzz did not start (exit $rc); the end of $OUT/$target.log:"
        tail -20 "$OUT/$target.log"
        return 1
    fi
    if [ "$rc" -ne 0 ]; then
        echo "afl-fuzz stopped with exit $rc (a hang or an uncatchable crash kills the in-process fork server); see $OUT/$target.log"
    fi
    local crashes hangs
    crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    hangs=$(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
    printf '%-12s run_time %ss  execs %s  execs/s %s  corpus %s  edges %s  bitmap %s  crashes %s  hangs %s\n' \
        "$target" "$(stat_of "$stats" run_time)" "$(stat_of "$stats" execs_done)" "$(stat_of "$stats" execs_per_sec)" \
        "$(stat_of "$stats" corpus_count)" "$(stat_of "$stats" edges_found)" "$(stat_of "$stats" bitmap_cvg)" "$crashes" "$hangs" \
        | tee -a "$OUT/summary.txt"
    if [ "$crashes" -gt 0 ]; then
        echo "crashes of $target, replayed (copy the inputs to fuzz/regressions/$target/ once fixed):"
        dotnet "$BIN/SockPeer.Fuzz.dll" "$target" --replay "$findings/default/crashes" | grep -E '^(FAIL|replayed)' | head -20 || true
    fi
}

if [ "${1:-}" = "--replay" ]; then
    shift
    [ $# -ge 2 ] || { echo "usage: fuzz/run.sh --replay TARGET PATH..." >&2; exit 2; }
    nice -n 10 dotnet build "$ROOT/fuzz/SockPeer.Fuzz/SockPeer.Fuzz.csproj" -c Release --nologo -v quiet >/dev/null
    exec dotnet "$ROOT/fuzz/SockPeer.Fuzz/bin/Release/net10.0/SockPeer.Fuzz.dll" "$1" --replay "${@:2}"
fi

if [ "${1:-}" = "--coverage" ]; then
    [ $# -ge 2 ] || { echo "usage: fuzz/run.sh --coverage TARGET [PATH...]" >&2; exit 2; }
    target=$2
    shift 2
    install_tools
    cov=$OUT/bin-cov
    rm -rf "$cov"
    nice -n 10 dotnet publish "$ROOT/fuzz/SockPeer.Fuzz/SockPeer.Fuzz.csproj" -c Release -o "$cov" --nologo -v quiet
    cp "$cov/SockPeer.Engine.dll" "$cov/SockPeer.Engine.clean.dll"
    SHARPFUZZ_ENABLE_ON_BRANCH_CALLBACK=1 "$TOOLS/sharpfuzz" "$cov/SockPeer.Engine.dll"
    run_cov() { nice -n 10 dotnet "$cov/SockPeer.Fuzz.dll" "$target" --coverage "$cov/SockPeer.Engine.clean.dll" "$@"; }
    if [ $# -gt 0 ]; then
        run_cov "$@"
    else
        echo "--- seeds only (fuzz/seeds/$target)"
        run_cov "$ROOT/fuzz/seeds/$target" | tail -1
        if [ -d "$OUT/$target/default/queue" ]; then
            echo "--- campaign queue (artifacts/fuzz/$target/default/queue)"
            run_cov "$OUT/$target/default/queue"
        fi
    fi
    exit 0
fi

if [ "${1:-}" = "--regressions" ]; then
    nice -n 10 dotnet build "$ROOT/fuzz/SockPeer.Fuzz/SockPeer.Fuzz.csproj" -c Release --nologo -v quiet >/dev/null
    status=0
    for t in "${TARGETS[@]}"; do
        dirs=("$ROOT/fuzz/seeds/$t")
        [ -d "$ROOT/fuzz/regressions/$t" ] && dirs+=("$ROOT/fuzz/regressions/$t")
        printf '%-12s ' "$t"
        dotnet "$ROOT/fuzz/SockPeer.Fuzz/bin/Release/net10.0/SockPeer.Fuzz.dll" "$t" --replay "${dirs[@]}" | grep -E '^(FAIL|replayed)' || status=1
    done
    exit $status
fi

which=${1:-all}
seconds=${2:-120}
selected=()
if [ "$which" = all ]; then
    selected=("${TARGETS[@]}")
else
    IFS=, read -r -a selected <<<"$which"
    for t in "${selected[@]}"; do
        if [[ " ${TARGETS[*]} " != *" $t "* ]]; then
            echo "unknown target '$t'; targets: all ${TARGETS[*]}" >&2
            exit 2
        fi
    done
fi

mkdir -p "$OUT"
install_tools
build
echo "afl-fuzz $(afl-fuzz -h 2>&1 | sed -n 's/.*afl-fuzz++\([0-9a-z.]*\).*/\1/p' | head -1), SharpFuzz $SHARPFUZZ_VERSION, $(dotnet --version)"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) ${selected[*]} ${seconds}s" >>"$OUT/summary.txt"
status=0
for t in "${selected[@]}"; do
    fuzz_one "$t" "$seconds" || status=1
done
exit $status
