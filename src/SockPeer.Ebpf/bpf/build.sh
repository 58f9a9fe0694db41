#!/usr/bin/env bash
# Compiles the eBPF program (CO-RE) for embedding: bpf/build.sh OUT_DIR.
# Needs clang, bpftool (for vmlinux.h from the build machine's BTF) and libbpf-dev (bpf_helpers.h).
# Prints why and exits 0 without output when one is missing: sockpeer then builds without the
# eBPF source, and `watch --source ebpf` says so.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
clang=$(command -v clang || command -v clang-14 || true)
bpftool=$(command -v bpftool || { [ -x /usr/sbin/bpftool ] && echo /usr/sbin/bpftool; } || true)
missing=()
[ -n "$clang" ] || missing+=(clang)
[ -n "$bpftool" ] || missing+=(bpftool)
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)
[ -r /sys/kernel/btf/vmlinux ] || missing+=("kernel BTF (/sys/kernel/btf/vmlinux)")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "sockpeer: building without the eBPF event source: missing ${missing[*]}" >&2
    exit 0
fi
mkdir -p "$out"
"$bpftool" btf dump file /sys/kernel/btf/vmlinux format c > "$out/vmlinux.h"
llvm_strip=$(command -v llvm-strip || command -v llvm-strip-14 || true)
# unix_events: watch's event source; holders: the bpf collector's descriptor iterator.
for program in unix_events holders; do
    "$clang" -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$out" -I"$here" -c "$here/$program.bpf.c" -o "$out/$program.bpf.o.tmp"
    # Debug info is for the verifier's messages and BTF; strip DWARF to keep the binary small.
    if [ -n "$llvm_strip" ]; then
        "$llvm_strip" -g "$out/$program.bpf.o.tmp"
    fi
    mv "$out/$program.bpf.o.tmp" "$out/$program.bpf.o"
done
