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
read -r NAME VERSION < <(python3 -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(p["name"], p["version"])')
EXE="${1:-dist/${NAME}_${VERSION}_windows_x64.exe}"
[ -f "$EXE" ] || { echo "no $EXE: run bash installer/build.sh windows first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "must run as root" >&2; exit 1; }
CH="$ROOT/build/chroots/wine-trixie"
REPORT="$ROOT/build/smoke-windows.txt"
DISP="${SMOKE_DISPLAY:-:58}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
: > "$REPORT"
log() { printf '[wine] %s\n' "$*" | tee -a "$REPORT" >&2; }
fail() { log "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

mounted_under() { awk -v c="$CH" '$2 == c || index($2, c "/") == 1 {print $2}' /proc/mounts | sort -r; }
XVFB_PID=""
cleanup() {
    chroot "$CH" su clerk -c 'wineserver -k' >/dev/null 2>&1 || true
    local m
    for m in $(mounted_under); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
}
trap cleanup EXIT

if [ ! -d "$CH/usr/lib/x86_64-linux-gnu/wine" ]; then  # (/usr/bin/wine is a symlink into /etc/alternatives)
    log "making $CH (debootstrap trixie + wine; once)"
    cleanup
    rm -rf --one-file-system "$CH"
    if [ -f "$ROOT/build/chroots/trixie-base/etc/debian_version" ]; then
        cp -a "$ROOT/build/chroots/trixie-base" "$CH"
    else
        nice -n 10 debootstrap --variant=minbase trixie "$CH" "$MIRROR" > "$CH.log" 2>&1 || fail "debootstrap"
    fi
    rm -f "$CH/etc/apt/sources.list"
    printf 'Types: deb\nURIs: %s\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$MIRROR" > "$CH/etc/apt/sources.list.d/debian.sources"
    cp /etc/resolv.conf "$CH/etc/resolv.conf"
    mount -t proc proc "$CH/proc"
    chroot "$CH" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends wine wine64 fonts-wqy-zenhei ca-certificates' >> "$CH.log" 2>&1 || fail "apt wine"
    umount "$CH/proc"
fi
mountpoint -q "$CH/proc" || mount -t proc proc "$CH/proc"
mountpoint -q "$CH/sys" || mount -t sysfs sys "$CH/sys"
mountpoint -q "$CH/dev" || mount --bind /dev "$CH/dev"
mountpoint -q "$CH/dev/pts" || mount --bind /dev/pts "$CH/dev/pts"
mountpoint -q "$CH/dev/shm" || mount -t tmpfs tmpfs "$CH/dev/shm"
log "wine: $(chroot "$CH" wine --version 2>/dev/null)"

id clerk >/dev/null 2>&1 </dev/null || true
chroot "$CH" id clerk >/dev/null 2>&1 || chroot "$CH" useradd -m -s /bin/sh clerk
rm -rf "$CH/home/clerk/.wine" "$CH/home/clerk/w"
mkdir -p "$CH/home/clerk/w"
cp "$EXE" "$CH/home/clerk/w/setup.exe"

Xvfb "$DISP" -screen 0 1366x768x24 -nolisten tcp > "$ROOT/build/smoke-wine-xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do DISPLAY="$DISP" xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

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
log "silent per-user install of $(basename "$EXE") ($(du -h "$EXE" | cut -f1)): $(( ($(now_ms) - t0) / 1000 )) s"

U="$CH/home/clerk/.wine/drive_c/users/clerk"
INST="$(find "$U/AppData/Local/Programs" -maxdepth 1 -mindepth 1 -type d 2>/dev/null | head -1)"
[ -n "$INST" ] && [ -f "$INST/Python/python.exe" ] || fail "no installation under AppData/Local/Programs"
WINST="C:\\users\\clerk\\AppData\\Local\\Programs\\$(basename "$INST")"
log "installed to $WINST ($(du -sh "$INST" | cut -f1)), no administrator rights asked"
MENU="$U/AppData/Roaming/Microsoft/Windows/Start Menu/Programs"
log "Start menu: $(cd "$MENU" && find . -name '*.lnk' | sed 's|^\./||' | tr '\n' ';')"

# --- the command line (the installed bin\mediation-desk.exe launcher) -----------------------------------
W='Z:\home\clerk\w'  # Z: is the Unix root; C:\users\clerk is the prefix's own folder
printf 'admin12345' > "$CH/home/clerk/w/pw"
printf 'hubpass123' > "$CH/home/clerk/w/hpw"
sed -n '/cases.jsonl" <<.EOF./,/^EOF/p' "$ROOT/installer/smoke-deb.sh" | sed '1d;$d' > "$CH/home/clerk/w/cases.jsonl"
mkdir -p "$CH/home/clerk/w/usb" "$CH/home/clerk/w/bk"
chroot "$CH" chown -R clerk:clerk /home/clerk/w
MD="$WINST\\bin\\mediation-desk.exe"
S='C:\users\clerk\AppData\Local\mediation-desk\station.sqlite'  # the default place (platformdirs)
H="$W\\hub.sqlite"
C=(--user admin --password-file "$W\\pw")
HC=(--user hadmin --password-file "$W\\hpw")
step() {
    local label="$1"; shift
    local t=$(now_ms) rc=0
    OUT="$(wine_as wine "$MD" "$@" 2> "$ROOT/build/smoke-wine-step.err" | tr -d '\r')" || rc=$?
    if [ $rc -ne 0 ]; then log "$label: exit $rc: $(grep -v '^$' "$ROOT/build/smoke-wine-step.err" | tail -5)"; fail "$label"; fi
    log "ok  $label ($(( $(now_ms) - t )) ms)"
}
step "--version" --version
step "init (default data folder)" init --org-name 海宁市示范镇劳动人事争议调解中心 --org-kind township --region 330481 \
    --admin admin --password-file "$W\\pw"
[ -f "$U/AppData/Local/$NAME/station.sqlite" ] || fail "init did not create %LOCALAPPDATA%\\$NAME\\station.sqlite"
step "import-cases" import-cases --db "$S" "${C[@]}" "$W\\cases.jsonl"
CASE_NO="$(printf '%s\n' "$OUT" | head -1)"
step "render agreement" render agreement --db "$S" "${C[@]}" --case "$CASE_NO" --out "$W\\agreement.pdf"
pdftotext "$CH/home/clerk/w/agreement.pdf" - 2>/dev/null | grep -q "调解协议书" || fail "agreement PDF has no 调解协议书"
step "report --format xlsx" report --db "$S" "${C[@]}" --period 2026 --format xlsx --out "$W\\report.xlsx"
step "hub-init" hub-init --db "$H" --name 海宁市调解数据汇总 --region 330481 --admin hadmin --password-file "$W\\hpw"
step "station-card" station-card --db "$S" "${C[@]}" --out "$W\\station.card"
FP="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["fingerprint"])' "$CH/home/clerk/w/station.card")"
step "enrol" enrol --db "$H" "${HC[@]}" --card "$W\\station.card" --fingerprint "$FP"
step "hub-card" hub-card --db "$H" "${HC[@]}" --out "$W\\hub.card"
step "join" join --db "$S" "${C[@]}" --hub-card "$W\\hub.card"
step "export (O_BINARY)" export --db "$S" "${C[@]}" --out "$W\\usb"
BUNDLE="$(printf '%s\n' "$OUT" | tail -1)"
step "import" import --db "$H" "${HC[@]}" "$BUNDLE"
printf '%s\n' "$OUT" | grep -q "已导入" || fail "import did not say 已导入"
step "backup" backup --db "$S" "${C[@]}" --out "$W\\bk"
BACKUP="$(ls "$CH/home/clerk/w/bk" | head -1)"
step "restore" restore --db "$S" "${C[@]}" --from "$W\\bk\\$BACKUP" --yes
step "check" check --db "$S" "${C[@]}"

# --- the window (a failure here is reported, and the uninstall still checked) ---------------------------
PYW="$WINST\\Python\\pythonw.exe"
PYC="$WINST\\Python\\python.exe"
WINDOW_OK=1
fw=()
for i in 1 2 3; do
    t=$(now_ms)
    wine_as env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 MEDIATION_DESK_BENCH_QUIT=1 \
        wine "$PYC" -m desktop --db "$S" > "$ROOT/build/smoke-wine-fw.out" 2>&1 || true
    if ! grep -q FIRST_PAINT "$ROOT/build/smoke-wine-fw.out"; then
        log "window did not paint: $(grep -v '^$' "$ROOT/build/smoke-wine-fw.out" | tail -2 | tr '\r\n' '  ')"
        WINDOW_OK=0
        break
    fi
    fw+=($(( $(now_ms) - t )))
done
if [ "$WINDOW_OK" -eq 1 ]; then
    log "first window under wine (sign-in skipped, to the main window's first paint), ms: ${fw[*]}"
    wine_as env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 wine "$PYW" -m desktop --db "$S" \
        > "$ROOT/build/smoke-wine-window.log" 2>&1 &
    wid=""
    for _ in $(seq 300); do
        wid="$(DISPLAY="$DISP" xdotool search --onlyvisible --name "调解工作台" 2>/dev/null | head -1 || true)"
        [ -n "$wid" ] && break
        sleep 0.5
    done
    if [ -n "$wid" ]; then
        sleep 5
        DISPLAY="$DISP" import -window root -resize 1024x -colors 256 "PNG8:$ROOT/docs/install/windows-wine.png"
        log "window '$(DISPLAY="$DISP" xdotool getwindowname "$wid")' shown; screenshot docs/install/windows-wine.png"
    else
        log "no window under wine"
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
