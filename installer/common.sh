# Shared by build.sh, smoke-deb.sh, smoke-windows.sh and smoke-ime.sh (sourced, not run):
# the tool check, the program's name and version, the chroot mounts, the virtual screen and the
# command-line round a smoke test puts the installed program through.
# Expects ROOT (the repository) to be set by the script that sources it.

# need_tools COMMAND:PACKAGE ... — stop with the exact apt-get line (Chinese, then English) when a
# tool of the release host is missing. These tools are not in installer/debian-packages.txt, which
# is the developers' and CI's minimal set.
need_tools() {
    local t missing="" pkgs=""
    for t in "$@"; do
        if ! command -v "${t%%:*}" >/dev/null 2>&1; then
            missing="$missing ${t%%:*}"
            case " $pkgs " in *" ${t#*:} "*) ;; *) pkgs="$pkgs ${t#*:}" ;; esac
        fi
    done
    [ -z "$missing" ] && return 0
    printf '缺少工具:%s\n请先以 root 身份安装:\n  apt-get install --no-install-recommends%s\n' "$missing" "$pkgs" >&2
    printf 'Missing tools:%s\nInstall them first (as root):\n  apt-get install --no-install-recommends%s\n' "$missing" "$pkgs" >&2
    exit 1
}

need_root() {
    [ "$(id -u)" -eq 0 ] || { printf '需要 root 权限(debootstrap、chroot、mount)。\nMust run as root (debootstrap, chroot, mount).\n' >&2; exit 1; }
}

# project_name_version [PYPROJECT] -> "name version"
project_name_version() {
    python3 - "${1:-$ROOT/pyproject.toml}" <<'EOF'
import sys
import tomllib
p = tomllib.load(open(sys.argv[1], "rb"))["project"]
print(p["name"], p["version"])
EOF
}

now_ms() { date +%s%3N; }

# smoke_log_setup REPORT PREFIX: log() and fail() write to stderr and to the report
smoke_log_setup() {
    SMOKE_REPORT="$1"
    SMOKE_PREFIX="$2"
    mkdir -p "$(dirname "$SMOKE_REPORT")"
    : > "$SMOKE_REPORT"
}
log() { printf '[%s] %s\n' "${SMOKE_PREFIX:-smoke}" "$*" | tee -a "${SMOKE_REPORT:-/dev/null}" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# chroot_mount CH / chroot_umount CH: what a program in the chroot needs (/dev/shm: multiprocessing)
chroot_mount() {
    local ch="$1"
    mountpoint -q "$ch/proc" || mount -t proc proc "$ch/proc"
    mountpoint -q "$ch/sys" || mount -t sysfs sys "$ch/sys"
    mountpoint -q "$ch/dev" || mount --bind /dev "$ch/dev"
    mountpoint -q "$ch/dev/pts" || mount --bind /dev/pts "$ch/dev/pts"
    mountpoint -q "$ch/dev/shm" || mount -t tmpfs tmpfs "$ch/dev/shm"
}
chroot_umount() {
    local ch="$1" m
    for m in $(awk -v c="$ch" '$2 == c || index($2, c "/") == 1 {print $2}' /proc/mounts | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
}

# debian_sources CH SUITE MIRROR: apt's sources in a debootstrapped system
debian_sources() {
    rm -f "$1/etc/apt/sources.list"
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$3" "$2" "$2" > "$1/etc/apt/sources.list.d/debian.sources"
    cp /etc/resolv.conf "$1/etc/resolv.conf"
}

# start_xvfb DISPLAY LOGFILE: a virtual screen on the host (a chroot shares its abstract X socket);
# sets XVFB_PID
XVFB_PID=""
start_xvfb() {
    Xvfb "$1" -screen 0 1366x768x24 -nolisten tcp > "$2" 2>&1 &
    XVFB_PID=$!
    local _
    for _ in $(seq 50); do DISPLAY="$1" xdotool getdisplaygeometry >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "Xvfb $1 did not start (see $2)"
}
stop_xvfb() { [ -z "$XVFB_PID" ] || kill "$XVFB_PID" 2>/dev/null || true; }

# smoke_work_files DIR: the passwords, one case to import, folders for the stick and the backups
smoke_work_files() {
    local d="$1"
    mkdir -p "$d/usb" "$d/bk"
    printf 'admin12345' > "$d/pw"
    printf 'hubpass123' > "$d/hpw"
    cat > "$d/cases.jsonl" <<'EOF'
{"case_no": "〔2026〕示范劳调字第0012号", "source": "application", "application": {"mode": "written", "received_at": "2026-09-29T10:00:00+08:00", "applicant": "worker"}, "workers": [{"name": "王小明", "id_number": "110101199003070134", "phone": "13800000000", "address": "浙江省海宁市示范镇人民路1号", "migrant": true, "platform": false}], "employer": {"name": "海宁某某纺织有限公司", "credit_code": "91110000600037341L", "legal_rep": "李四", "address": "海宁市示范镇工业园区8号", "phone": "0573-87000001"}, "dispute_types": ["PAY", "CT-END"], "claims": [{"text": "支付2026年8月至9月工资", "amount": "12000.00"}], "facts": "申请人在被申请人处工作，被拖欠工资。", "agents": [{"for": "worker:0", "name": "王大明", "authority": "special"}], "acceptance": {"decision": "accepted", "decided_at": "2026-09-30", "reason": null}, "mediators": [{"name": "赵调解", "role": "lead"}], "extensions": [{"agreed_at": "2026-10-12", "until": "2026-10-30"}], "sessions": [{"held_at": "2026-10-12T14:00:00+08:00", "place": "调解室", "attendees": "双方", "record": "……"}], "outcome": {"kind": "agreed", "closed_at": "2026-10-21", "reason": null}, "agreement": {"effective_at": "2026-10-21", "waiver": "申请人放弃其他请求", "items": [{"category": "wage_arrears", "text": "支付工资", "amount": "10000.50", "due_date": "2026-11-15", "method": "银行转账"}]}, "performance": [{"item": 0, "paid_at": "2026-11-10", "amount": "10000.50"}], "followups": [{"at": "2026-11-20", "method": "phone", "note": "已全部履行"}]}
EOF
}

# step LABEL ARGS...: run_cli ARGS... (defined by the smoke script: the installed program as the
# clerk), timed; stdout (carriage returns dropped) kept in $OUT; a non-zero exit fails the test
STEP_ERR=""
step() {
    local label="$1" t rc=0
    shift
    t=$(now_ms)
    OUT="$(run_cli "$@" 2> "$STEP_ERR" | tr -d '\r')" || rc=$?
    if [ $rc -ne 0 ]; then log "$label: exit $rc: $(grep -v '^$' "$STEP_ERR" | tail -5)"; fail "$label"; fi
    log "ok  $label ($(( $(now_ms) - t )) ms)"
}

card_fingerprint() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["fingerprint"])' "$1"; }

# smoke_cli_round: a station's and a hub's whole round through the installed command line.
# Needs run_cli, STEP_ERR, W and WSEP (the work folder as the program sees it, and its path
# separator), WH (the same folder seen from the host), S (the station database as the program sees
# it, in the default place), S_HOST (the same from the host).
wp() { printf '%s%s%s' "$W" "$WSEP" "$1"; }
smoke_cli_round() {
    local C=(--user admin --password-file "$(wp pw)") HC=(--user hadmin --password-file "$(wp hpw)")
    local H case_no bundle backup
    H="$(wp hub.sqlite)"
    step "--version" --version
    step "init (default data folder)" init --org-name 海宁市示范镇劳动人事争议调解中心 --org-kind township \
        --region 330481 --admin admin --password-file "$(wp pw)"
    [ -f "$S_HOST" ] || fail "init without --db did not create $S"
    step "import-cases" import-cases --db "$S" "${C[@]}" "$(wp cases.jsonl)"
    case_no="$(printf '%s\n' "$OUT" | head -1)"
    step "render agreement" render agreement --db "$S" "${C[@]}" --case "$case_no" --out "$(wp agreement.pdf)"
    pdftotext "$WH/agreement.pdf" - 2>/dev/null | grep -q "调解协议书" || fail "the agreement PDF has no 调解协议书 text"
    step "report --format xlsx" report --db "$S" "${C[@]}" --period 2026 --format xlsx --out "$(wp report.xlsx)"
    "$ROOT/.venv/bin/python" -c "import openpyxl, sys; print('report.xlsx sheets:', openpyxl.load_workbook(sys.argv[1]).sheetnames)" \
        "$WH/report.xlsx" >> "$SMOKE_REPORT" || fail "report.xlsx does not open"
    step "hub-init" hub-init --db "$H" --name 海宁市调解数据汇总 --region 330481 --admin hadmin --password-file "$(wp hpw)"
    step "station-card" station-card --db "$S" "${C[@]}" --out "$(wp station.card)"
    step "enrol" enrol --db "$H" "${HC[@]}" --card "$(wp station.card)" --fingerprint "$(card_fingerprint "$WH/station.card")"
    step "hub-card" hub-card --db "$H" "${HC[@]}" --out "$(wp hub.card)"
    step "join" join --db "$S" "${C[@]}" --hub-card "$(wp hub.card)"
    step "export" export --db "$S" "${C[@]}" --out "$(wp usb)"
    bundle="$(printf '%s\n' "$OUT" | tail -1)"
    step "import" import --db "$H" "${HC[@]}" "$bundle"
    printf '%s\n' "$OUT" | grep -q "已导入" || fail "import did not say 已导入: $OUT"
    step "backup" backup --db "$S" "${C[@]}" --out "$(wp bk)"
    backup="$(ls "$WH/bk" | head -1)"
    [ -n "$backup" ] || fail "backup wrote nothing to $(wp bk)"
    step "restore" restore --db "$S" "${C[@]}" --from "$(wp bk)$WSEP$backup" --yes
    step "check" check --db "$S" "${C[@]}"
}

# first_window OUTFILE CMD...: ms until the main window first paints (MEDIATION_DESK_BENCH_QUIT
# makes the program print FIRST_PAINT and quit); prints the figure, returns 1 if it never painted
first_window() {
    local out="$1" t
    shift
    t=$(now_ms)
    "$@" > "$out" 2>&1 || true
    grep -q FIRST_PAINT "$out" || return 1
    echo $(( $(now_ms) - t ))
}

# wait_window DISPLAY TITLE TRIES: the id of the first visible window whose title holds TITLE
wait_window() {
    local wid="" _
    for _ in $(seq "$3"); do
        wid="$(DISPLAY="$1" xdotool search --onlyvisible --name "$2" 2>/dev/null | head -1 || true)"
        [ -n "$wid" ] && break
        sleep 0.5
    done
    printf '%s' "$wid"
}

# screenshot DISPLAY FILE: the whole virtual screen, small enough to keep in git
screenshot() {
    mkdir -p "$(dirname "$2")"
    DISPLAY="$1" import -window root -resize 1024x -colors 256 "PNG8:$2"
}
