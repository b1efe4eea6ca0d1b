#!/usr/bin/env bash
# Smoke test of the Windows installer under wine 10, in a Debian 13 (trixie) chroot: a fresh wine
# prefix for an ordinary user, a silent per-user install, the command line through a station's
# and a hub's whole round (export included: it failed on Windows before O_BINARY), the window on a
# virtual screen (screenshot kept), first-window time, then the uninstaller and what remains.
#
#   sudo bash installer/smoke-windows.sh [EXE]
#
# EXE defaults to dist/<name>_<version>_windows_x64.exe (bash installer/build.sh windows).
# Debian 12's wine 8 cannot run it (PySide6 >= 6.10 needs icuuc.dll; cryptography's Rust module
# needs bcryptprimitives.dll), hence trixie. The chroot (build/chroots/wine-trixie: minbase trixie
# + wine, wine64 and a CJK font so that the installer's Chinese pages can be read) is made once;
# every run starts from a new wine prefix. The X server runs on the host. Figures go to
# build/smoke-windows.txt, screenshots to docs/install/. Needs root, debootstrap, Xvfb, xdotool,
# ImageMagick on the host.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/installer/common.sh"
need_tools python3:python3 debootstrap:debootstrap Xvfb:xvfb xdotool:xdotool import:imagemagick \
    pdftotext:poppler-utils
read -r NAME VERSION < <(project_name_version)
EXE="${1:-dist/${NAME}_${VERSION}_windows_x64.exe}"
[ -f "$EXE" ] || { printf '没有 %s:请先运行 bash installer/build.sh windows\nno %s: run bash installer/build.sh windows first\n' "$EXE" "$EXE" >&2; exit 1; }
need_root
CH="$ROOT/build/chroots/wine-trixie"
DISP="${SMOKE_DISPLAY:-:58}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
smoke_log_setup "$ROOT/build/smoke-windows.txt" wine

cleanup() {
    chroot "$CH" su clerk -c 'wineserver -k' >/dev/null 2>&1 || true
    chroot_umount "$CH"
    stop_xvfb
}
trap cleanup EXIT

if [ ! -d "$CH/usr/lib/x86_64-linux-gnu/wine" ]; then  # (/usr/bin/wine is a symlink into /etc/alternatives)
    log "making $CH (debootstrap trixie + wine; once)"
    cleanup
    rm -rf --one-file-system "$CH"
    mkdir -p "$(dirname "$CH")"
    nice -n 10 debootstrap --variant=minbase trixie "$CH" "$MIRROR" > "$CH.log" 2>&1 || fail "debootstrap, see $CH.log"
    debian_sources "$CH" trixie "$MIRROR"
    mount -t proc proc "$CH/proc"
    chroot "$CH" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends wine wine64 fonts-wqy-zenhei ca-certificates' >> "$CH.log" 2>&1 || fail "apt wine, see $CH.log"
    umount "$CH/proc"
fi
chroot_mount "$CH"
log "wine: $(chroot "$CH" wine --version 2>/dev/null)"

chroot "$CH" id clerk >/dev/null 2>&1 || chroot "$CH" useradd -m -s /bin/sh clerk
rm -rf "$CH/home/clerk/.wine" "$CH/home/clerk/w"
mkdir -p "$CH/home/clerk/w"
cp "$EXE" "$CH/home/clerk/w/setup.exe"
start_xvfb "$DISP" "$ROOT/build/smoke-wine-xvfb.log"

# as the clerk, in a Chinese locale, with wine's chatter off
wine_as() { chroot --userspec=clerk:clerk "$CH" env -i PATH=/usr/bin:/bin HOME=/home/clerk LANG=zh_CN.UTF-8 \
    LC_ALL=C.UTF-8 DISPLAY="$DISP" WINEDEBUG=-all WINEPREFIX=/home/clerk/.wine WINEDLLOVERRIDES="mscoree,mshtml=" \
    MEDIATION_DESK_TODAY="${MEDIATION_DESK_TODAY:-}" "$@"; }
chroot "$CH" chown -R clerk:clerk /home/clerk

t0=$(now_ms)
wine_as wineboot -i > "$ROOT/build/smoke-wine-boot.log" 2>&1 || fail "wineboot"
wine_as wineserver -w
log "new wine prefix: $(( ($(now_ms) - t0) / 1000 )) s"

t0=$(now_ms)
wine_as wine 'Z:\home\clerk\w\setup.exe' /S > "$ROOT/build/smoke-wine-install.log" 2>&1 || fail "silent install"
wine_as wineserver -w
log "silent per-user install of $(basename "$EXE") ($(du -h "$EXE" | cut -f1), $(stat -c %s "$EXE") bytes): $(( ($(now_ms) - t0) / 1000 )) s"

U="$CH/home/clerk/.wine/drive_c/users/clerk"
INST="$(find "$U/AppData/Local/Programs" -maxdepth 1 -mindepth 1 -type d 2>/dev/null | head -1)"
[ -n "$INST" ] && [ -f "$INST/Python/python.exe" ] || fail "no installation under AppData/Local/Programs"
WINST="C:\\users\\clerk\\AppData\\Local\\Programs\\$(basename "$INST")"
log "installed to $WINST ($(du -sh "$INST" | cut -f1)), no administrator rights asked"
MENU="$U/AppData/Roaming/Microsoft/Windows/Start Menu/Programs"
log "Start menu: $(cd "$MENU" && find . -name '*.lnk' | sed 's|^\./||' | tr '\n' ';')"

# --- the command line (the installed bin\mediation-desk.exe launcher) -----------------------------------
W='Z:\home\clerk\w'  # Z: is the Unix root; C:\users\clerk is the prefix's own folder
WSEP='\'
WH="$CH/home/clerk/w"
smoke_work_files "$WH"
chroot "$CH" chown -R clerk:clerk /home/clerk/w
MD="$WINST\\bin\\mediation-desk.exe"
S='C:\users\clerk\AppData\Local\mediation-desk\station.sqlite'  # the default place (platformdirs)
S_HOST="$U/AppData/Local/$NAME/station.sqlite"
STEP_ERR="$ROOT/build/smoke-wine-step.err"
run_cli() { wine_as wine "$MD" "$@"; }
smoke_cli_round  # export included: it failed on Windows before O_BINARY

# --- the window (a failure here is reported, and the uninstall still checked) ---------------------------
PYW="$WINST\\Python\\pythonw.exe"
PYC="$WINST\\Python\\python.exe"
WINDOW_OK=1
fw=() src=()
# the yardstick's copy of the station: with its -wal (the newest changes), and no -wal of an earlier run
# beside it (SQLite would replay that onto the new copy)
rm -f "$ROOT/build/smoke-wine-source.sqlite" "$ROOT/build/smoke-wine-source.sqlite"-wal "$ROOT/build/smoke-wine-source.sqlite"-shm
cp "$S_HOST" "$ROOT/build/smoke-wine-source.sqlite"
[ ! -f "$S_HOST-wal" ] || cp "$S_HOST-wal" "$ROOT/build/smoke-wine-source.sqlite"-wal
# The yardstick: the same program from source on the host — the source the installer was built from
# (build/src-windows, HEAD at the build) if there, else the working tree
YARD="$ROOT/build/src-windows"
[ -d "$YARD/desktop" ] || YARD="$ROOT"
log "source run from ${YARD#$ROOT/}"
for i in 1 2 3; do
    if ! ms="$(first_window "$ROOT/build/smoke-wine-fw.out" wine_as env MEDIATION_DESK_USER=admin \
            MEDIATION_DESK_PASSWORD=admin12345 MEDIATION_DESK_BENCH_QUIT=1 wine "$PYC" -m desktop --db "$S")"; then
        log "window did not paint: $(grep -v '^$' "$ROOT/build/smoke-wine-fw.out" | tail -2 | tr '\r\n' '  ')"
        WINDOW_OK=0
        break
    fi
    fw+=("$ms")
    # the same program from source on the host, on the same screen, in the same minute
    src+=("$(first_window "$ROOT/build/smoke-wine-src.out" timeout 180 env -C "$YARD" DISPLAY="$DISP" MEDIATION_DESK_HOME="$ROOT/build/smoke-home" \
        MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 MEDIATION_DESK_BENCH_QUIT=1 QT_QPA_PLATFORM=xcb \
        "$ROOT/.venv/bin/python" -m desktop --db "$ROOT/build/smoke-wine-source.sqlite" || echo '?')")
done
if [ "$WINDOW_OK" -eq 1 ]; then
    log "first window (sign-in skipped, to the main window's first paint), ms: installed under wine ${fw[*]}; source on the host ${src[*]}"
    # as the Start-menu entry starts it: pythonw.exe with pynsist's launch script, no arguments
    LAUNCH="$(cd "$INST" && ls ./*.launch.pyw 2>/dev/null | head -1 | sed 's|^\./||')"
    if [ -n "$LAUNCH" ]; then
        wine_as env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 wine "$PYW" "$WINST\\$LAUNCH" \
            > "$ROOT/build/smoke-wine-window.log" 2>&1 &
        log "window started as the Start-menu entry does: Python\\pythonw.exe $LAUNCH"
    else
        wine_as env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 wine "$PYW" -m desktop \
            > "$ROOT/build/smoke-wine-window.log" 2>&1 &
        log "no *.launch.pyw in the install folder: window started as pythonw.exe -m desktop"
    fi
    wid="$(wait_window "$DISP" "调解工作台" 300)"
    if [ -n "$wid" ]; then
        sleep 5
        screenshot "$DISP" "$ROOT/docs/install/windows-wine.png"
        log "window '$(DISPLAY="$DISP" xdotool getwindowname "$wid")' shown; screenshot docs/install/windows-wine.png"
    else
        log "no window under wine: $(grep -v '^$' "$ROOT/build/smoke-wine-window.log" | tail -2 | tr '\r\n' '  ')"
        WINDOW_OK=0
    fi
    wine_as wineserver -k || true
    sleep 1
fi

# --- uninstall ------------------------------------------------------------------------------------------
t0=$(now_ms)
wine_as wine "$WINST\\uninstall.exe" /S > "$ROOT/build/smoke-wine-uninstall.log" 2>&1 || fail "uninstall"
wine_as wineserver -w
log "silent uninstall: $(( ($(now_ms) - t0) / 1000 )) s"
[ ! -e "$INST/Python" ] && [ ! -e "$INST/pkgs" ] || fail "program files left: $(ls "$INST")"
[ ! -e "$MENU/$(basename "$INST")" ] || fail "Start-menu folder left"
DATA="$U/AppData/Local/$NAME"
log "after uninstall: install folder $( [ -e "$INST" ] && echo "left: $(ls -A "$INST" | tr '\n' ' ')" || echo removed);" \
    "user data folder ${DATA#$CH} $( [ -d "$DATA" ] && echo "kept: $(ls "$DATA" | tr '\n' ' ')" || echo 'not created (the test used --db)')"
[ "$WINDOW_OK" -eq 1 ] || fail "the window (see above); everything else passed"
log "PASSED"
