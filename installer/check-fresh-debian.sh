#!/usr/bin/env bash
# Fresh-machine check: does `bash installer/dev.sh test` work on a clean Debian 12?
#
#   sudo bash installer/check-fresh-debian.sh [--fresh] [--demo-first] [--demo] [--ci] [pytest args...]
#
# 1. debootstrap --variant=minbase bookworm into $CHROOT (default /tmp/chroot),
#    unless it is already there (--fresh: unmount, delete and debootstrap again);
# 2. point the chroot at this machine's Debian mirror, DNS, extra CA certificates
#    and /etc/pip.conf, so apt and pip reach the registries the way the host does;
# 3. git clone the committed HEAD of this repository to $CHROOT/root/md
#    (uncommitted changes are NOT included);
# 4. run `bash installer/dev.sh test` there as root with CI=true and no stdin,
#    and exit with its status. With --demo, also run
#    `xvfb-run -a bash installer/dev.sh demo` afterwards with a short timeout.
#    --demo-first: before anything else, run `bash installer/dev.sh demo` (no xvfb-run:
#    on a headless machine it must start on a virtual screen by itself), so the README's
#    demo command is tested as the first thing a newcomer types.
#    --ci: run `bash .ci/run` (the README's test command, then the hard dates) instead of
#    `dev.sh test`.
#
# Needs root on a Debian/Ubuntu host (debootstrap, chroot, mount).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHROOT="${CHROOT:-/tmp/chroot}"
SUITE="${SUITE:-bookworm}"
FRESH=0
DEMO=0
DEMO_FIRST=0
CI_RUN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --fresh) FRESH=1; shift ;;
        --demo) DEMO=1; shift ;;
        --demo-first) DEMO_FIRST=1; shift ;;
        --ci) CI_RUN=1; shift ;;
        *) break ;;
    esac
done

log() { printf '[check-fresh] %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }

detect_mirror() {
    if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
    local m
    m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
         awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -1 || true)"
    if [ -z "$m" ]; then
        m="$(grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
             awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' |
             grep -E '/debian/?$' | head -1 || true)"
    fi
    echo "${m:-http://deb.debian.org/debian}"
}

mounted_under() { awk -v c="$CHROOT" '$2 == c || index($2, c "/") == 1 {print $2}' /proc/mounts | sort -r; }

unmount_all() {
    local m
    for m in $(mounted_under); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}
trap unmount_all EXIT

MIRROR="$(detect_mirror)"
SECURITY_MIRROR="${MIRROR%/debian}/debian-security"

if [ "$FRESH" -eq 1 ] && [ -e "$CHROOT" ]; then
    unmount_all
    if [ -n "$(mounted_under)" ]; then log "still mounted under $CHROOT; not deleting"; exit 1; fi
    log "deleting $CHROOT"
    rm -rf --one-file-system "$CHROOT"
fi

if [ ! -f "$CHROOT/etc/debian_version" ]; then
    command -v debootstrap >/dev/null 2>&1 || {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap </dev/null ||
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap </dev/null; }
    }
    log "debootstrap --variant=minbase $SUITE $CHROOT $MIRROR"
    t0=$(date +%s)
    debootstrap --variant=minbase "$SUITE" "$CHROOT" "$MIRROR" > "$CHROOT.debootstrap.log" 2>&1 ||
        { tail -20 "$CHROOT.debootstrap.log" >&2; exit 1; }
    log "debootstrap took $(( $(date +%s) - t0 )) s"
fi

# apt sources like a normal Debian 12 install
rm -f "$CHROOT/etc/apt/sources.list"
cat > "$CHROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
# Reach PyPI the way the host does: its extra CA certificates (picked up when
# dev.sh installs ca-certificates) and its system-wide pip configuration.
mkdir -p "$CHROOT/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$CHROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$CHROOT/etc/pip.conf"
[ -x "$CHROOT/usr/sbin/update-ca-certificates" ] && chroot "$CHROOT" update-ca-certificates >/dev/null 2>&1 || true

mountpoint -q "$CHROOT/proc"    || mount -t proc proc "$CHROOT/proc"
mountpoint -q "$CHROOT/sys"     || mount -t sysfs sys "$CHROOT/sys"
mountpoint -q "$CHROOT/dev"     || mount --bind /dev "$CHROOT/dev"
mountpoint -q "$CHROOT/dev/pts" || mount --bind /dev/pts "$CHROOT/dev/pts"

log "cloning $ROOT (HEAD $(git -C "$ROOT" rev-parse --short HEAD)) to $CHROOT/root/md"
rm -rf "$CHROOT/root/md"
git clone -q "$ROOT" "$CHROOT/root/md"

ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
     HOME=/root LANG=C.UTF-8 CI=true TERM=dumb)
[ -n "${PIP_INDEX_URL:-}" ] && ENV+=("PIP_INDEX_URL=$PIP_INDEX_URL")

if [ "$DEMO_FIRST" -eq 1 ]; then
    log "running first: bash installer/dev.sh demo (no display; 600 s limit for installing and the demo database)"
    t0=$(date +%s)
    dstatus=0
    chroot "$CHROOT" "${ENV[@]}" bash -c 'cd /root/md && timeout 600 bash installer/dev.sh demo' </dev/null || dstatus=$?
    log "dev.sh demo exit status $dstatus after $(( $(date +%s) - t0 )) s (124 = still running at the limit, i.e. the window stayed up)"
    [ "$dstatus" -eq 124 ] || { log "the demo command did not keep the program running"; exit 1; }
fi

t0=$(date +%s)
status=0
if [ "$CI_RUN" -eq 1 ]; then
    log "running: bash .ci/run"
    chroot "$CHROOT" "${ENV[@]}" bash -c 'cd /root/md && bash .ci/run' </dev/null || status=$?
    log ".ci/run exit status $status after $(( $(date +%s) - t0 )) s"
else
    log "running: bash installer/dev.sh test $*"
    chroot "$CHROOT" "${ENV[@]}" bash -c 'cd /root/md && bash installer/dev.sh test "$@"' dev.sh "$@" </dev/null || status=$?
    log "dev.sh test exit status $status after $(( $(date +%s) - t0 )) s"
fi

if [ "$DEMO" -eq 1 ]; then
    log "running: xvfb-run -a bash installer/dev.sh demo (20 s timeout)"
    dstatus=0
    chroot "$CHROOT" "${ENV[@]}" bash -c 'cd /root/md && timeout 20 xvfb-run -a bash installer/dev.sh demo' </dev/null || dstatus=$?
    log "dev.sh demo exit status $dstatus (124 = still running after 20 s, i.e. the window stayed up)"
fi
exit "$status"
