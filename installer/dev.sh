#!/usr/bin/env bash
# MediationDesk (调解工作台) developer set-up: the two commands of README.md.
#
#   bash installer/dev.sh demo [args...]   install what is missing, create a demo
#                                          database if absent, start the program on it
#   bash installer/dev.sh test [args...]   install what is missing, run the whole
#                                          test suite headless (args go to pytest)
#   bash installer/dev.sh hard-dates [args...]
#                                          the date-sensitive (core) tests again on each hard
#                                          day of HARD_DATES below (CI runs it after `test`)
#   bash installer/dev.sh bench [args...]  install what is missing, run bench/run_all.py
#   bash installer/dev.sh packages         print the Debian packages still missing
#
# For a fresh Debian 12 / Ubuntu machine. Idempotent: a second run installs nothing,
# runs no `apt-get update` and no `pip install` unless pyproject.toml changed.
# Environment:
#   MEDIATION_DESK_HOME  data directory (default ~/.local/share/mediation-desk)
#   PYTHON               interpreter used to create .venv (default python3)
#   MEDIATION_DESK_TODAY the day the program believes it is (YYYY-MM-DD), for `demo` and `test`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_LIST="$ROOT/installer/debian-packages.txt"
VENV="$ROOT/.venv"
STAMP="$VENV/.mediation-desk-install.sha256"
PY="$VENV/bin/python"

say() { printf '[dev.sh] %s\n' "$*" >&2; }
die() { printf '[dev.sh] 错误 / error: %s\n' "$*" >&2; exit 1; }

usage() {
    cat >&2 <<'EOF'
用法 / usage:
  bash installer/dev.sh demo [args...]    启动演示数据库上的程序 / start the program on a demo database
  bash installer/dev.sh test [args...]    无界面运行全部测试 / run the whole test suite headless
  bash installer/dev.sh hard-dates        在几个难处理的日期重跑核心测试 / core tests again on the hard dates
  bash installer/dev.sh bench [args...]   运行基准测试 / run bench/run_all.py
  bash installer/dev.sh packages          列出缺少的 Debian 软件包 / list missing Debian packages
EOF
}

# ---------------------------------------------------------------- Debian packages

wanted_packages() {
    # one package per line; '#' starts a comment; blank lines ignored
    sed -e 's/#.*//' -e 's/[[:space:]]\+//g' "$PKG_LIST" | grep -v '^$' || true
}

is_installed() {
    local pkg="$1"
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && return 0
    # Renamed packages (e.g. Ubuntu 24.04's libglib2.0-0t64) provide the old name.
    dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null |
        awk -F'|' -v p="$pkg" '
            $1 ~ /install ok installed/ {
                n = split($2, a, ",")
                for (i = 1; i <= n; i++) { split(a[i], b, " "); if (b[1] == p) found = 1 }
            }
            END { exit found ? 0 : 1 }'
}

missing_packages() {
    local pkg
    if ! command -v dpkg-query >/dev/null 2>&1; then
        return 0   # not a Debian-like system: nothing we can check
    fi
    for pkg in $(wanted_packages); do
        is_installed "$pkg" || echo "$pkg"
    done
}

install_packages() {
    local missing
    missing="$(missing_packages | tr '\n' ' ')"
    missing="${missing% }"
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "不是 Debian/Ubuntu 系统，跳过系统软件包 / not Debian/Ubuntu: skipping system packages ($PKG_LIST)"
        return 0
    fi
    if [ -z "$missing" ]; then
        say "Debian 软件包已齐全 / Debian packages: all present"
        return 0
    fi
    local apt_line="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing"
    local -a as_root=()
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        say "缺少以下软件包，需要 root 权限安装 / these packages are missing and need root to install:"
        say "  $missing"
        say "请以 root 运行 / run as root:"
        printf '  apt-get update && %s\n' "$apt_line" >&2
        exit 1
    fi
    say "安装 / installing: $missing"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        || die "apt-get update 失败 / failed"
    # shellcheck disable=SC2086
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends -o DPkg::Lock::Timeout=300 $missing </dev/null \
        || die "apt-get install 失败 / failed: $missing"
}

# ---------------------------------------------------------------- Python venv

file_hash() { sha256sum "$1" | cut -d' ' -f1; }

setup_venv() {
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null 2>&1 || die "找不到 / not found: $python (install python3)"
    if [ ! -x "$PY" ] || ! "$PY" -c 'import sys' >/dev/null 2>&1; then
        if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
            say "缺少 venv 模块 / the venv module is missing: installing python3-venv"
            if [ "$(id -u)" -eq 0 ]; then
                DEBIAN_FRONTEND=noninteractive apt-get update -q
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv </dev/null
            elif command -v sudo >/dev/null 2>&1; then
                sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
                sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv </dev/null
            else
                say "请以 root 运行 / run as root:"
                printf '  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv\n' >&2
                exit 1
            fi
        fi
        say "创建虚拟环境 / creating $VENV"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    local want have=""
    want="$(file_hash "$ROOT/pyproject.toml")"
    [ -f "$STAMP" ] && have="$(cat "$STAMP")"
    if [ "$want" != "$have" ]; then
        say "安装 Python 依赖 / pip install -e '.[test]'"
        (cd "$ROOT" && "$PY" -m pip install --disable-pip-version-check -q -e '.[test]') \
            || die "pip install 失败 / failed"
        echo "$want" > "$STAMP"
    else
        say "Python 依赖未变 / Python dependencies: up to date"
    fi
}

# ---------------------------------------------------------------- sub-commands

cmd_demo() {
    local home="${MEDIATION_DESK_HOME:-$HOME/.local/share/mediation-desk}"
    local db="$home/demo.sqlite"
    mkdir -p "$home"
    if [ ! -f "$db" ]; then
        say "创建演示数据库 / creating demo database: $db"
        (cd "$ROOT" && "$PY" -m desktop demo --db "$db" --cases 2000 --seed 1) \
            || { rm -f "$db"; die "演示数据库创建失败 / could not create the demo database"; }
    else
        say "使用已有演示数据库 / using existing demo database: $db"
    fi
    case "${QT_QPA_PLATFORM:-}" in
        offscreen*|minimal*|vnc*) ;;   # explicitly headless: no display needed
        *)
            if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
                # A headless machine (a server, a container): xvfb was installed with the other
                # packages above, so start the program on a virtual screen instead of failing.
                command -v xvfb-run >/dev/null 2>&1 \
                    || die "没有图形显示，也没有 xvfb-run / no display and no xvfb-run: apt-get install xvfb xauth"
                say "没有图形显示（DISPLAY 未设置）：在虚拟屏幕 Xvfb 中启动，窗口不可见；按 Ctrl+C 结束。"
                say "No display (DISPLAY is not set): starting on a virtual X screen (Xvfb); the window is not visible. Ctrl+C ends it."
                cd "$ROOT"
                exec xvfb-run -a -s "-screen 0 1366x768x24" "$PY" -m desktop --db "$db" "$@"
            fi
            ;;
    esac
    say "启动 / starting: python -m desktop --db $db  (演示账号 / demo login: demo / demo)"
    cd "$ROOT"
    exec "$PY" -m desktop --db "$db" "$@"
}

cmd_test() {
    cd "$ROOT"
    say "运行测试 / running tests: QT_QPA_PLATFORM=offscreen python -m pytest $*"
    # exit with pytest's own status (5 = no tests collected; .ci/run treats it as failure)
    QT_QPA_PLATFORM=offscreen exec "$PY" -m pytest "$@"
}

# The days where deadlines are hard (issue 11): the eve of National Day, inside the Spring
# Festival holiday, the year end (deadlines fall in a year the calendar package does not cover)
# and a leap day in an uncovered year. The program itself believes each day: desktop/clock.py
# reads MEDIATION_DESK_TODAY in every process, the test run's and the commands it starts.
HARD_DATES="2026-09-30 2026-02-18 2026-12-31 2028-02-29"

cmd_hard_dates() {
    cd "$ROOT"
    local day status=0 failed=""
    for day in $HARD_DATES; do
        say "核心测试，日期 / core tests on $day: MEDIATION_DESK_TODAY=$day python -m pytest -m 'not gui' $*"
        if ! MEDIATION_DESK_TODAY="$day" QT_QPA_PLATFORM=offscreen "$PY" -m pytest -m "not gui" -q -p no:cacheprovider "$@"; then
            status=1
            failed="$failed $day"
        fi
    done
    if [ "$status" -ne 0 ]; then
        say "以下日期有测试失败 / tests failed on:$failed"
    fi
    return "$status"
}

cmd_bench() {
    cd "$ROOT"
    if [ ! -f "$ROOT/bench/run_all.py" ]; then
        die "bench/run_all.py 尚不存在 / does not exist yet"
    fi
    exec "$PY" bench/run_all.py "$@"
}

main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
        demo)  install_packages; setup_venv; cmd_demo "$@" ;;
        test)  install_packages; setup_venv; cmd_test "$@" ;;
        hard-dates) install_packages; setup_venv; cmd_hard_dates "$@" ;;
        bench) install_packages; setup_venv; cmd_bench "$@" ;;
        packages) missing_packages ;;
        -h|--help|help) usage ;;
        *) usage; exit 2 ;;
    esac
}

main "$@"
