#!/usr/bin/env bash
# Smoke test of the .deb as a person gets it: a fresh minimal Debian, `apt install ./x.deb`, the
# command line through a station's and a hub's whole round, the window on a virtual screen (a
# screenshot is kept), the first-window time beside the source run, then removal and what remains.
#
#   sudo bash installer/smoke-deb.sh [DEB] [--ime]
#
# DEB defaults to dist/<name>_<version>_<host arch>.deb (bash installer/build.sh deb).
# --ime also installs fcitx5 with pinyin in the chroot and types "nihao" + space into the
#       registration form's first field (installer/ime_check.py checks it holds 你好).
#
# The base system (debootstrap --variant=minbase $SUITE) is made once in build/chroots/$SUITE-base
# and copied afresh for every run to build/chroots/smoke-$SUITE. Nothing test-only is installed in
# the chroot before the .deb, so a missing Depends shows as a failure here. The X server runs on
# the host (Xvfb; a chroot shares the host's abstract X socket), screenshots are taken there.
# Writes a log of figures to build/smoke-deb.txt and the screenshot to docs/install/.
# Needs root, debootstrap, Xvfb, xdotool and ImageMagick on the host; the repository's .venv for
# the source-run comparison.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SUITE="${SUITE:-bookworm}"
ARCH="$(dpkg --print-architecture)"
IME=0
DEB=""
for a in "$@"; do
    case "$a" in
        --ime) IME=1 ;;
        *) DEB="$a" ;;
    esac
done
read -r NAME VERSION < <(python3 -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(p["name"], p["version"])')
DEB="${DEB:-dist/${NAME}_${VERSION}_${ARCH}.deb}"
[ -f "$DEB" ] || { echo "no $DEB: run bash installer/build.sh deb first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "must run as root (debootstrap, chroot, mount)" >&2; exit 1; }

BASE="build/chroots/$SUITE-base"
CH="$ROOT/build/chroots/smoke-$SUITE"
REPORT="$ROOT/build/smoke-deb.txt"
SHOT="$ROOT/docs/install/linux-$ARCH.png"
DISP="${SMOKE_DISPLAY:-:57}"
: > "$REPORT"
log() { printf '[smoke] %s\n' "$*" | tee -a "$REPORT" >&2; }
fail() { log "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

MIRROR="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -1 || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

mounted_under() { awk -v c="$CH" '$2 == c || index($2, c "/") == 1 {print $2}' /proc/mounts | sort -r; }
XVFB_PID=""
cleanup() {
    local m
    for m in $(mounted_under); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
}
trap cleanup EXIT

# --- a fresh minimal system ---------------------------------------------------------------------
if [ ! -f "$BASE/etc/debian_version" ]; then
    log "debootstrap --variant=minbase $SUITE (once)"
    mkdir -p "$(dirname "$BASE")"
    nice -n 10 debootstrap --variant=minbase "$SUITE" "$BASE" "$MIRROR" > "$BASE.log" 2>&1 || fail "debootstrap, see $BASE.log"
fi
cleanup
rm -rf --one-file-system "$CH"
cp -a "$BASE" "$CH"
rm -f "$CH/etc/apt/sources.list"
cat > "$CH/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cp /etc/resolv.conf "$CH/etc/resolv.conf"
mount -t proc proc "$CH/proc"
mount -t sysfs sys "$CH/sys"
mount --bind /dev "$CH/dev"
mount --bind /dev/pts "$CH/dev/pts"
mount -t tmpfs tmpfs "$CH/dev/shm"  # multiprocessing's semaphores

inch() { chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# as the clerk: an ordinary user whose data goes to ~/.local/share
asuser() { chroot --userspec=clerk:clerk "$CH" env -i PATH=/usr/bin:/bin HOME=/home/clerk LANG=C.UTF-8 \
    DISPLAY="$DISP" "$@"; }

inch useradd -m -s /bin/sh clerk
tree_list() { (cd "$CH" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./home \
    -o -path ./var/lib/apt/lists -o -path ./var/cache -o -path ./var/log -o -path ./var/lib/dpkg \) -prune -o -print | sort); }
inch apt-get update -qq >/dev/null
tree_list > "$ROOT/build/smoke-before.txt"
cp "$DEB" "$CH/tmp/$NAME.deb"
t0=$(now_ms)
inch env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$NAME.deb" \
    > "$ROOT/build/smoke-apt.log" 2>&1 || { tail -20 "$ROOT/build/smoke-apt.log" >&2; fail "apt install"; }
log "apt install ./$(basename "$DEB") ($(du -h "$DEB" | cut -f1)) took $(( ($(now_ms) - t0) / 1000 )) s" \
    "($(grep -c '^Setting up' "$ROOT/build/smoke-apt.log") packages set up)"

# Libraries the used Qt parts need that neither the bundle nor Depends bring
missing="$(inch sh -c "ldd /opt/$NAME/_internal/PySide6/Qt/plugins/platforms/libqxcb.so \
    /opt/$NAME/_internal/PySide6/Qt/lib/libQt6*.so.6 2>/dev/null | grep 'not found' | sort -u" || true)"
[ -z "$missing" ] || log "unresolved libraries: $missing"

# --- the command line ----------------------------------------------------------------------------
W=/home/clerk/w
mkdir -p "$CH$W/usb" "$CH$W/bk"
printf 'admin12345' > "$CH$W/pw"
printf 'hubpass123' > "$CH$W/hpw"
cat > "$CH$W/cases.jsonl" <<'EOF'
{"case_no": "〔2026〕示范劳调字第0012号", "source": "application", "application": {"mode": "written", "received_at": "2026-09-29T10:00:00+08:00", "applicant": "worker"}, "workers": [{"name": "王小明", "id_number": "110101199003070134", "phone": "13800000000", "address": "浙江省海宁市示范镇人民路1号", "migrant": true, "platform": false}], "employer": {"name": "海宁某某纺织有限公司", "credit_code": "91110000600037341L", "legal_rep": "李四", "address": "海宁市示范镇工业园区8号", "phone": "0573-87000001"}, "dispute_types": ["PAY", "CT-END"], "claims": [{"text": "支付2026年8月至9月工资", "amount": "12000.00"}], "facts": "申请人在被申请人处工作，被拖欠工资。", "agents": [{"for": "worker:0", "name": "王大明", "authority": "special"}], "acceptance": {"decision": "accepted", "decided_at": "2026-09-30", "reason": null}, "mediators": [{"name": "赵调解", "role": "lead"}], "extensions": [{"agreed_at": "2026-10-12", "until": "2026-10-30"}], "sessions": [{"held_at": "2026-10-12T14:00:00+08:00", "place": "调解室", "attendees": "双方", "record": "……"}], "outcome": {"kind": "agreed", "closed_at": "2026-10-21", "reason": null}, "agreement": {"effective_at": "2026-10-21", "waiver": "申请人放弃其他请求", "items": [{"category": "wage_arrears", "text": "支付工资", "amount": "10000.50", "due_date": "2026-11-15", "method": "银行转账"}]}, "performance": [{"item": 0, "paid_at": "2026-11-10", "amount": "10000.50"}], "followups": [{"at": "2026-11-20", "method": "phone", "note": "已全部履行"}]}
EOF
chown -R 1000:1000 "$CH$W" 2>/dev/null || inch chown -R clerk:clerk "$W"

S="/home/clerk/.local/share/$NAME/station.sqlite"   # the default place (platformdirs)
H="$W/hub.sqlite"
C=(--user admin --password-file "$W/pw")
HC=(--user hadmin --password-file "$W/hpw")
step() {  # step LABEL cmd... : run as the clerk, time it, keep stdout in $OUT
    local label="$1"; shift
    local t=$(now_ms) rc=0
    OUT="$(asuser "$@" 2> "$ROOT/build/smoke-step.err")" || rc=$?
    local ms=$(( $(now_ms) - t ))
    if [ $rc -ne 0 ]; then log "$label: exit $rc: $(head -5 "$ROOT/build/smoke-step.err")"; fail "$label"; fi
    log "ok  $label (${ms} ms)"
}
step "--version" "$NAME" --version
step "init (default data folder)" "$NAME" init --org-name 海宁市示范镇劳动人事争议调解中心 --org-kind township \
    --region 330481 --admin admin --password-file "$W/pw"
[ -f "$CH$S" ] || fail "init without --db did not create $S"
step "import-cases" "$NAME" import-cases --db "$S" "${C[@]}" "$W/cases.jsonl"
CASE_NO="$(printf '%s\n' "$OUT" | head -1)"
step "render agreement" "$NAME" render agreement --db "$S" "${C[@]}" --case "$CASE_NO" --out "$W/agreement.pdf"
pdftotext "$CH$W/agreement.pdf" - 2>/dev/null | grep -q "调解协议书" || fail "the agreement PDF has no 调解协议书 text"
step "report --format xlsx" "$NAME" report --db "$S" "${C[@]}" --period 2026 --format xlsx --out "$W/report.xlsx"
"$ROOT/.venv/bin/python" -c "import openpyxl, sys; wb = openpyxl.load_workbook(sys.argv[1]); print(wb.sheetnames)" \
    "$CH$W/report.xlsx" >> "$REPORT" || fail "report.xlsx does not open"
step "hub-init" "$NAME" hub-init --db "$H" --name 海宁市调解数据汇总 --region 330481 --admin hadmin --password-file "$W/hpw"
step "station-card" "$NAME" station-card --db "$S" "${C[@]}" --out "$W/station.card"
FP="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$CH$W/station.card")"
step "enrol" "$NAME" enrol --db "$H" "${HC[@]}" --card "$W/station.card" --fingerprint "$FP"
step "hub-card" "$NAME" hub-card --db "$H" "${HC[@]}" --out "$W/hub.card"
step "join" "$NAME" join --db "$S" "${C[@]}" --hub-card "$W/hub.card"
step "export" "$NAME" export --db "$S" "${C[@]}" --out "$W/usb"
BUNDLE="$(printf '%s\n' "$OUT" | tail -1)"
step "import" "$NAME" import --db "$H" "${HC[@]}" "$BUNDLE"
printf '%s\n' "$OUT" | grep -q "已导入" || fail "import did not say 已导入: $OUT"
step "backup" "$NAME" backup --db "$S" "${C[@]}" --out "$W/bk"
BACKUP="$(ls "$CH$W/bk" | head -1)"
step "restore" "$NAME" restore --db "$S" "${C[@]}" --from "$W/bk/$BACKUP" --yes
step "check" "$NAME" check --db "$S" "${C[@]}"
# A bundle big enough for the import's worker processes (forkserver in the frozen program)
step "demo 1600 cases" "$NAME" demo --db "$W/big.sqlite" --cases 1600 --seed 7
printf 'demo' > "$CH$W/dpw"
D=(--user demo --password-file "$W/dpw")
step "station-card (big)" "$NAME" station-card --db "$W/big.sqlite" "${D[@]}" --out "$W/big.card"
FP="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$CH$W/big.card")"
step "enrol (big)" "$NAME" enrol --db "$H" "${HC[@]}" --card "$W/big.card" --fingerprint "$FP"
step "join (big)" "$NAME" join --db "$W/big.sqlite" "${D[@]}" --hub-card "$W/hub.card"
step "export (big)" "$NAME" export --db "$W/big.sqlite" "${D[@]}" --out "$W/usb"
BUNDLE="$(printf '%s\n' "$OUT" | tail -1)"
step "import with worker processes" "$NAME" import --db "$H" "${HC[@]}" "$BUNDLE"
printf '%s\n' "$OUT" | grep -q "已导入" || fail "big import did not say 已导入: $OUT"

# --- the window -----------------------------------------------------------------------------------
Xvfb "$DISP" -screen 0 1366x768x24 -nolisten tcp > "$ROOT/build/smoke-xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 50); do DISPLAY="$DISP" xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

first_window() {  # first_window CMD...: ms until the main window first paints (the program quits then)
    local t=$(now_ms)
    "$@" > "$ROOT/build/smoke-fw.out" 2>&1 || true
    grep -q FIRST_PAINT "$ROOT/build/smoke-fw.out" || { cat "$ROOT/build/smoke-fw.out" >&2; return 1; }
    echo $(( $(now_ms) - t ))
}
cp "$CH$S" "$ROOT/build/smoke-source.sqlite"
inst=() src=()
for i in 1 2 3; do
    inst+=("$(first_window asuser env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 \
        MEDIATION_DESK_BENCH_QUIT=1 "$NAME" --db "$S")") || fail "installed window did not paint"
    src+=("$(first_window env DISPLAY="$DISP" MEDIATION_DESK_HOME="$ROOT/build/smoke-home" MEDIATION_DESK_USER=admin \
        MEDIATION_DESK_PASSWORD=admin12345 MEDIATION_DESK_BENCH_QUIT=1 QT_QPA_PLATFORM=xcb \
        "$ROOT/.venv/bin/python" -m desktop --db "$ROOT/build/smoke-source.sqlite")") || fail "source window did not paint"
done
log "first window (sign-in skipped, to the main window's first paint), ms: installed ${inst[*]}; source ${src[*]}"

asuser env MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 "$NAME" > "$ROOT/build/smoke-window.log" 2>&1 &
APP_PID=$!
wid=""
for _ in $(seq 100); do
    wid="$(DISPLAY="$DISP" xdotool search --onlyvisible --name "调解" 2>/dev/null | head -1 || true)"
    [ -n "$wid" ] && break
    sleep 0.2
done
[ -n "$wid" ] || { kill "$APP_PID" 2>/dev/null; fail "no window appeared"; }
sleep 2  # let the first page finish loading its lists before the picture
mkdir -p "$(dirname "$SHOT")"
DISPLAY="$DISP" import -window root -resize 1024x -colors 256 "PNG8:$SHOT"
log "window '$(DISPLAY="$DISP" xdotool getwindowname "$wid")' shown; screenshot $SHOT"

if [ "$IME" -eq 1 ]; then
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    bash "$ROOT/installer/smoke-ime.sh" "$CH" "$DISP" "$S" | tee -a "$REPORT" || fail "Chinese input"
else
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
fi

# --- removal ---------------------------------------------------------------------------------------
t0=$(now_ms)
inch env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$NAME" > "$ROOT/build/smoke-remove.log" 2>&1 || fail "apt purge"
inch env DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -qq >> "$ROOT/build/smoke-remove.log" 2>&1 || fail "apt autoremove"
log "apt purge + autoremove took $(( ($(now_ms) - t0) / 1000 )) s"
[ ! -e "$CH/opt/$NAME" ] && [ ! -e "$CH/usr/bin/$NAME" ] || fail "program files left after purge"
[ -f "$CH$S" ] || fail "the user's data was removed"
log "user's data kept: $(cd "$CH/home/clerk/.local/share/$NAME" && ls | tr '\n' ' ')"
tree_list > "$ROOT/build/smoke-after.txt"
left="$(comm -13 "$ROOT/build/smoke-before.txt" "$ROOT/build/smoke-after.txt")"
log "left outside /home after purge + autoremove: $(printf '%s\n' "$left" | grep -c . || true) paths"
printf '%s\n' "$left" | head -20 | sed 's/^/    /' | tee -a "$REPORT" >&2
log "PASSED"
