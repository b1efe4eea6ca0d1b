#!/usr/bin/env bash
# Smoke test of the .deb as a person gets it: a fresh minimal Debian, `apt install ./x.deb`, the
# command line through a station's and a hub's whole round, the window on a virtual screen (a
# screenshot is kept), the first-window time beside the source run, then removal and what remains.
#
#   sudo bash installer/smoke-deb.sh [DEB] [--ime] [--base bullseye]
#
# DEB defaults to dist/<name>_<version>_<host arch>.deb (bash installer/build.sh deb). The chroot
# takes the .deb's architecture: an arm64 .deb on an amd64 host runs under qemu-user-static.
# --base SUITE (or SUITE=...) tests in a fresh SUITE instead of bookworm: `--base bullseye` (glibc 2.31)
#       for the .deb of `build.sh deb amd64 --base bullseye`, which is then the default DEB.
# --ime also installs fcitx5 with pinyin in the chroot and types "nihao" + space into the
#       registration form's first field (installer/smoke-ime.sh checks it holds 你好).
#
# The base system (debootstrap --variant=minbase $SUITE, SUITE=bookworm unless set) is made once in
# build/chroots/$SUITE-$ARCH-base and copied afresh for every run to build/chroots/smoke-$SUITE-$ARCH.
# Nothing test-only is installed in the chroot before the .deb, so a missing Depends shows as a
# failure here. The X server runs on the host (Xvfb; a chroot shares the host's abstract X socket),
# screenshots are taken there. Figures go to build/smoke-deb-$ARCH.txt, the screenshot to
# docs/install/linux-$ARCH.png (-$ARCH-$SUITE.txt / .png for a SUITE other than bookworm). Needs root and the tools need_tools names below (it prints the
# apt-get line); the repository's .venv for the source-run comparison and to open report.xlsx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/installer/common.sh"
need_tools python3:python3 debootstrap:debootstrap Xvfb:xvfb xdotool:xdotool import:imagemagick \
    pdftotext:poppler-utils dpkg-deb:dpkg
SUITE="${SUITE:-bookworm}"
HOST_ARCH="$(dpkg --print-architecture)"
IME=0
DEB=""
NEXT_BASE=0
for a in "$@"; do
    if [ "$NEXT_BASE" = 1 ]; then SUITE="$a"; NEXT_BASE=0; continue; fi
    case "$a" in
        --ime) IME=1 ;;
        --base) NEXT_BASE=1 ;;
        *) DEB="$a" ;;
    esac
done
# what a run's files are called: nothing added for bookworm (as before), -SUITE for another base
TAG=""
[ "$SUITE" = bookworm ] || TAG="-$SUITE"
read -r NAME VERSION < <(project_name_version)
DEB="${DEB:-dist/${NAME}_${VERSION}_${HOST_ARCH}$TAG.deb}"
[ -f "$DEB" ] || { printf '没有 %s:请先运行 bash installer/build.sh deb\nno %s: run bash installer/build.sh deb first\n' "$DEB" "$DEB" >&2; exit 1; }
ARCH="$(dpkg-deb -f "$DEB" Architecture)"
# another architecture (arm64 on an amd64 host) runs through qemu-user-static's binfmt handler
[ "$ARCH" = "$HOST_ARCH" ] || need_tools qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support
[ "$IME" -eq 0 ] || need_tools xclip:xclip
need_root

BASE="build/chroots/$SUITE-$ARCH-base"
CH="$ROOT/build/chroots/smoke-$SUITE-$ARCH"
SHOT="$ROOT/docs/install/linux-$ARCH$TAG.png"
DISP="${SMOKE_DISPLAY:-:57}"
LOGS="$ROOT/build/smoke-deb-$ARCH$TAG"  # the logs of one architecture's run (two may run side by side)
mkdir -p "$LOGS"
smoke_log_setup "$ROOT/build/smoke-deb-$ARCH$TAG.txt" smoke
log "$(basename "$DEB"): $ARCH in a fresh $SUITE on a $HOST_ARCH host$( [ "$ARCH" = "$HOST_ARCH" ] || echo ' (qemu-user-static)')"

MIRROR="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -1 || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

cleanup() {
    chroot_umount "$CH"
    stop_xvfb
}
trap cleanup EXIT

# --- a fresh minimal system ---------------------------------------------------------------------
if [ ! -f "$BASE/etc/debian_version" ]; then
    log "debootstrap --variant=minbase --arch=$ARCH $SUITE (once)"
    mkdir -p "$(dirname "$BASE")"
    nice -n 10 debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$BASE" "$MIRROR" > "$BASE.log" 2>&1 \
        || fail "debootstrap, see $BASE.log"
fi
cleanup
rm -rf --one-file-system "$CH"
cp -a "$BASE" "$CH"
debian_sources "$CH" "$SUITE" "$MIRROR"
chroot_mount "$CH"

inch() { chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# as the clerk: an ordinary user whose data goes to ~/.local/share
asuser() { chroot --userspec=clerk:clerk "$CH" env -i PATH=/usr/bin:/bin HOME=/home/clerk LANG=C.UTF-8 \
    DISPLAY="$DISP" "$@"; }

inch useradd -m -s /bin/sh clerk
tree_list() { (cd "$CH" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./home \
    -o -path ./var/lib/apt/lists -o -path ./var/cache -o -path ./var/log -o -path ./var/lib/dpkg \) -prune -o -print | sort); }
inch apt-get update -qq >/dev/null
tree_list > "$LOGS/before.txt"
cp "$DEB" "$CH/tmp/$NAME.deb"
t0=$(now_ms)
inch env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$NAME.deb" \
    > "$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log" >&2; fail "apt install"; }
log "apt install ./$(basename "$DEB") ($(du -h "$DEB" | cut -f1), $(stat -c %s "$DEB") bytes) took $(( ($(now_ms) - t0) / 1000 )) s" \
    "($(grep -c '^Setting up' "$LOGS/apt.log") packages set up); glibc in the chroot: $(inch dpkg-query -W -f '${Version}' libc6)"

# Libraries the used Qt parts need that neither the bundle nor Depends bring
missing="$(inch sh -c "ldd /opt/$NAME/_internal/PySide6/Qt/plugins/platforms/libqxcb.so \
    /opt/$NAME/_internal/PySide6/Qt/lib/libQt6*.so.6 2>/dev/null | grep 'not found' | sort -u" || true)"
[ -z "$missing" ] || log "unresolved libraries: $missing"

# --- the command line ----------------------------------------------------------------------------
W=/home/clerk/w
WSEP=/
WH="$CH$W"
smoke_work_files "$WH"
chown -R 1000:1000 "$WH" 2>/dev/null || inch chown -R clerk:clerk "$W"
S="/home/clerk/.local/share/$NAME/station.sqlite"   # the default place (platformdirs)
S_HOST="$CH$S"
STEP_ERR="$LOGS/step.err"
run_cli() { asuser "$NAME" "$@"; }
smoke_cli_round
# A bundle big enough for the import's worker processes (forkserver in the frozen program)
H="$(wp hub.sqlite)"
HC=(--user hadmin --password-file "$(wp hpw)")
step "demo 1600 cases" demo --db "$W/big.sqlite" --cases 1600 --seed 7
printf 'demo' > "$WH/dpw"
D=(--user demo --password-file "$W/dpw")
step "station-card (big)" station-card --db "$W/big.sqlite" "${D[@]}" --out "$W/big.card"
step "enrol (big)" enrol --db "$H" "${HC[@]}" --card "$W/big.card" --fingerprint "$(card_fingerprint "$WH/big.card")"
step "join (big)" join --db "$W/big.sqlite" "${D[@]}" --hub-card "$W/hub.card"
step "export (big)" export --db "$W/big.sqlite" "${D[@]}" --out "$W/usb"
BUNDLE="$(printf '%s\n' "$OUT" | tail -1)"
step "import with worker processes" import --db "$H" "${HC[@]}" "$BUNDLE"
printf '%s\n' "$OUT" | grep -q "已导入" || fail "big import did not say 已导入: $OUT"

# --- the window -----------------------------------------------------------------------------------
start_xvfb "$DISP" "$LOGS/xvfb.log"
# the yardstick's copy of the station: with its -wal (the newest changes), and no -wal of an earlier run
# beside it (SQLite would replay that onto the new copy)
rm -f "$LOGS/source.sqlite" "$LOGS/source.sqlite"-wal "$LOGS/source.sqlite"-shm
cp "$S_HOST" "$LOGS/source.sqlite"
[ ! -f "$S_HOST-wal" ] || cp "$S_HOST-wal" "$LOGS/source.sqlite"-wal
inst=() src=()
# The yardstick: the same program from source on the host — the source the installer was built from
# (build/src-deb-<arch>, HEAD at the build) if there, else the working tree
YARD="$ROOT/build/src-deb-$ARCH$TAG"
[ -d "$YARD/desktop" ] || YARD="$ROOT/build/src-deb-$ARCH"
[ -d "$YARD/desktop" ] || YARD="$ROOT/build/src-deb"
[ -d "$YARD/desktop" ] || YARD="$ROOT"
log "source run from ${YARD#$ROOT/}"
for i in 1 2 3; do  # (timeout: a window that never paints must not hang the test)
    inst+=("$(first_window "$LOGS/fw.out" asuser timeout 180 env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 \
        MEDIATION_DESK_BENCH_QUIT=1 "$NAME" --db "$S")") || { cat "$LOGS/fw.out" >&2; fail "installed window did not paint"; }
    # Qt falls back to a screenless plugin when xcb does not load, and still "paints": not a window
    ! grep -q 'Could not load the Qt platform plugin' "$LOGS/fw.out" \
        || fail "the installed Qt could not load its X11 plugin: $(head -2 "$LOGS/fw.out" | tr '\n' ' ')"
    # the source run is only the yardstick: the working tree may hold others' unfinished work
    src+=("$(first_window "$LOGS/fw-src.out" timeout 180 env -C "$YARD" DISPLAY="$DISP" MEDIATION_DESK_HOME="$LOGS/home" \
        MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 MEDIATION_DESK_BENCH_QUIT=1 QT_QPA_PLATFORM=xcb \
        "$ROOT/.venv/bin/python" -m desktop --db "$LOGS/source.sqlite" || echo '?')")
done
[ "${src[0]}" != '?' ] || log "the source run did not paint: $(grep -v '^$' "$LOGS/fw-src.out" | tail -2 | tr '\n' ' ')"
log "first window (sign-in skipped, to the main window's first paint), ms: installed ($ARCH) ${inst[*]}; source (host) ${src[*]}"

asuser env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 "$NAME" > "$LOGS/window.log" 2>&1 &
APP_PID=$!
wid="$(wait_window "$DISP" "调解" 120)"
[ -n "$wid" ] || { kill "$APP_PID" 2>/dev/null; fail "no window appeared"; }
sleep 2  # let the first page finish loading its lists before the picture
[ "$ARCH" = "$HOST_ARCH" ] || sleep 8  # (slower under qemu)
screenshot "$DISP" "$SHOT"
log "window '$(DISPLAY="$DISP" xdotool getwindowname "$wid")' shown; screenshot $SHOT"

if [ "$IME" -eq 1 ]; then
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    # a screen of its own: on the one where the program's windows were killed (no window manager),
    # Qt was never given the focus again and fcitx5 saw no input context (same check passed alone)
    stop_xvfb
    IME_DISP="${SMOKE_IME_DISPLAY:-:56}"
    start_xvfb "$IME_DISP" "$LOGS/xvfb-ime.log"
    IME_TAG=""
    [ "$ARCH$TAG" = amd64 ] || IME_TAG="-$ARCH$TAG"
    bash "$ROOT/installer/smoke-ime.sh" "$CH" "$IME_DISP" "$S" "$IME_TAG" | tee -a "$SMOKE_REPORT" || fail "Chinese input"
else
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
fi

# --- removal ---------------------------------------------------------------------------------------
t0=$(now_ms)
inch env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$NAME" > "$LOGS/remove.log" 2>&1 || fail "apt purge"
inch env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq >> "$LOGS/remove.log" 2>&1 || fail "apt autoremove"
log "apt purge + autoremove took $(( ($(now_ms) - t0) / 1000 )) s"
[ ! -e "$CH/opt/$NAME" ] && [ ! -e "$CH/usr/bin/$NAME" ] || fail "program files left after purge"
[ -f "$CH$S" ] || fail "the user's data was removed"
log "user's data kept: $(cd "$CH/home/clerk/.local/share/$NAME" && ls | tr '\n' ' ')"
tree_list > "$LOGS/after.txt"
left="$(comm -13 "$LOGS/before.txt" "$LOGS/after.txt")"
log "left outside /home after purge + autoremove: $(printf '%s\n' "$left" | grep -c . || true) paths"$( [ "$IME" -eq 0 ] || echo ' (with --ime: fcitx5 and its dependencies, installed by the test itself, stay)')
# (sed, not head: head's early exit would end the script by SIGPIPE under pipefail)
printf '%s\n' "$left" | sed -n '1,20s/^/    /p' | tee -a "$SMOKE_REPORT" >&2
log "PASSED"
