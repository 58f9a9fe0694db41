#!/usr/bin/env bash
# Builds sockpeer_VERSION_amd64.deb from the NativeAOT binaries (sockpeer and sockpeer-serve), with
# the man page, the shell completions, the systemd units of `sockpeer serve` and `sockpeer record`
# (/usr/lib/systemd/system/sockpeer-{serve,record}.service, installed, not enabled), the Prometheus scrape job
# and alert rules, the Grafana dashboard and the OpenTelemetry Collector example (/usr/share/sockpeer/), copyright and changelog. Usage: packaging/deb/build.sh [BINARY_DIR] [OUT_DIR]
#   BINARY_DIR: where `dotnet publish src/SockPeer.Cli` put sockpeer (default artifacts/sockpeer)
#   OUT_DIR:    where the .deb goes (default artifacts/packages)
# Needs dpkg-deb and scdoc; runs lintian when it is installed and fails on any lintian error.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin_dir="${1:-artifacts/sockpeer}"
out="${2:-artifacts/packages}"
version=$(sed -n 's|.*<VersionPrefix>\(.*\)</VersionPrefix>.*|\1|p' Directory.Build.props)
arch=amd64
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
pkg="$root/sockpeer_${version}_${arch}"

install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/sockpeer" \
    "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" \
    "$pkg/usr/share/fish/vendor_completions.d"
install -m 0755 "$bin_dir/sockpeer" "$pkg/usr/bin/sockpeer"
# The server: `dotnet publish src/SockPeer.Cli` publishes it next to sockpeer, and the unit runs it.
[ -x "$bin_dir/sockpeer-serve" ] || { echo "$bin_dir/sockpeer-serve is missing (publish src/SockPeer.Cli)" >&2; exit 1; }
install -m 0755 "$bin_dir/sockpeer-serve" "$pkg/usr/bin/sockpeer-serve"
scripts/build-man "$root/man" >/dev/null
gzip -9n -c "$root/man/sockpeer.1" > "$pkg/usr/share/man/man1/sockpeer.1.gz"
# sockpeer-serve is `sockpeer serve`, which sockpeer(1) documents.
ln -s sockpeer.1.gz "$pkg/usr/share/man/man1/sockpeer-serve.1.gz"
install -m 0644 packaging/completions/sockpeer.bash "$pkg/usr/share/bash-completion/completions/sockpeer"
install -m 0644 packaging/completions/sockpeer.zsh "$pkg/usr/share/zsh/vendor-completions/_sockpeer"
install -m 0644 packaging/completions/sockpeer.fish "$pkg/usr/share/fish/vendor_completions.d/sockpeer.fish"
# The unit at Debian's unit path; it runs /usr/bin/sockpeer-serve. Installed, not enabled.
install -d "$pkg/usr/lib/systemd/system"
install -m 0644 deploy/systemd/sockpeer-serve.service "$pkg/usr/lib/systemd/system/sockpeer-serve.service"
# The recorder's unit (`sockpeer record`), likewise installed and not enabled.
install -m 0644 deploy/systemd/sockpeer-record.service "$pkg/usr/lib/systemd/system/sockpeer-record.service"
# What deploy/ has for Prometheus and Grafana, for operators to copy into their configuration.
install -d "$pkg/usr/share/sockpeer/prometheus" "$pkg/usr/share/sockpeer/grafana" "$pkg/usr/share/sockpeer/otel-collector"
install -m 0644 deploy/prometheus/sockpeer.rules.yml deploy/prometheus/scrape.yml "$pkg/usr/share/sockpeer/prometheus/"
install -m 0644 deploy/grafana/sockpeer-dashboard.json "$pkg/usr/share/sockpeer/grafana/"
install -m 0644 deploy/otel-collector/sockpeer-events.yaml "$pkg/usr/share/sockpeer/otel-collector/"
install -m 0644 docs/schema.md docs/sockpeer.schema.json "$pkg/usr/share/doc/sockpeer/"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: sockpeer"
    echo "Source: https://www.nuget.org/packages/sockpeer"
    echo
    echo "Files: *"
    echo "Copyright: 2026 SockPeer developers"
    echo "License: Expat"
    sed -n '3,$p' LICENSE | sed -e 's/^$/./' -e 's/^/ /'
    # sockpeer-serve embeds the live page's JavaScript (src/SockPeer.Serve/Web/vendor/VENDORED.md).
    for lib in cytoscape.min cytoscape-fcose cose-base layout-base; do
        licence="src/SockPeer.Serve/Web/vendor/${lib%.min}.LICENSE"
        echo
        echo "Files: src/SockPeer.Serve/Web/vendor/$lib.js"
        echo "Copyright: $(grep -m1 '^Copyright' "$licence" | sed 's/^Copyright *//')"
        echo "License: Expat"
        grep -v '^Copyright\|^MIT License' "$licence" | sed -e '/./,$!d' -e 's/^$/./' -e 's/^/ /'
    done
} > "$pkg/usr/share/doc/sockpeer/copyright"
# The package's own changelog; the project's history is in CHANGELOG.md.
{
    echo "sockpeer ($version) unstable; urgency=medium"
    echo
    echo "  * Release $version; see CHANGELOG.md in the sources."
    echo
    echo " -- SockPeer developers <maintainers@sockpeer.dev>  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$pkg/usr/share/doc/sockpeer/changelog.gz" # a native package: changelog.gz

installed_kb=$(du -ks "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: sockpeer
Version: $version
Architecture: $arch
Maintainer: SockPeer developers <maintainers@sockpeer.dev>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.34)
Recommends: libsqlite3-0
Suggests: graphviz, prometheus
Section: net
Priority: optional
Description: who is on the other end of each Unix socket
 sockpeer lists every AF_UNIX socket on a Linux host with its peer, the
 listener it was accepted from, its socket file, and every process and file
 descriptor holding each end, in every network namespace and container. It
 reads sock_diag netlink and /proc, is faster than ss -xap and lsof -U +E,
 writes JSON, and says what it could not read.
CONTROL
(cd "$pkg" && find usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
find "$pkg" -type d -exec chmod 0755 {} +

mkdir -p "$out"
deb="$out/sockpeer_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
if command -v lintian >/dev/null; then
    # Errors and warnings fail the build (informational tags are printed: the NativeAOT runtime's
    # strings, and a unit without an init.d script). A binary-only .deb has no source package to check.
    lintian --fail-on error,warning "$deb" || { echo "lintian reported errors or warnings" >&2; exit 1; }
fi
echo "$deb"
