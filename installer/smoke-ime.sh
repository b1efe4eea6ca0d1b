#!/usr/bin/env bash
# Chinese input through the system's fcitx5 into the installed program (called by smoke-deb.sh --ime).
#
#   bash installer/smoke-ime.sh CHROOT DISPLAY STATION_DB [SHOT_TAG]
#
# In the chroot where the .deb is installed: fcitx5 with pinyin (Debian's fcitx5 and
# fcitx5-chinese-addons), a session bus, the program started the way a UOS/Kylin session starts it
# (QT_IM_MODULE=fcitx; the launcher hands that to the bundled Qt's ibus plugin through the IBus
# portal name that fcitx5's ibus frontend serves), Ctrl+N for the registration form, a click into
# 单位名称, pinyin switched on, "nihao" and a space typed
# with xdotool. The focused field's text is then copied (Ctrl+A, Ctrl+C) and read from the X
# clipboard on the host: it must be 你好. A screenshot goes to docs/install/linux-fcitx5[SHOT_TAG].png
# (SHOT_TAG: smoke-deb.sh passes -ARCH-SUITE for a run other than amd64 bookworm).
set -euo pipefail
CH="$1"; DISP="$2"; S="$3"; SHOT_TAG="${4:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/installer/common.sh"
need_tools xdotool:xdotool xclip:xclip import:imagemagick
SHOT="$ROOT/docs/install/linux-fcitx5$SHOT_TAG.png"
say() { printf '[ime] %s\n' "$*"; }
X() { DISPLAY="$DISP" "$@"; }

# the session bus: dbus-daemon + dbus-bin from bookworm on, one "dbus" package before (bullseye)
BUS_PKGS="dbus-daemon dbus-bin"
chroot "$CH" apt-cache show dbus-daemon > /dev/null 2>&1 || BUS_PKGS="dbus"
chroot "$CH" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends fcitx5 fcitx5-chinese-addons $BUS_PKGS \
    > "$ROOT/build/smoke-ime-apt.log" 2>&1 || { tail "$ROOT/build/smoke-ime-apt.log"; exit 1; }
chroot "$CH" dbus-uuidgen --ensure=/etc/machine-id
mkdir -p "$CH/home/clerk/.config/fcitx5"
cat > "$CH/home/clerk/.config/fcitx5/profile" <<'EOF'
[Groups/0]
Name=默认
Default Layout=us
DefaultIM=pinyin

[Groups/0/Items/0]
Name=keyboard-us
Layout=

[Groups/0/Items/1]
Name=pinyin
Layout=

[GroupOrder]
0=默认
EOF
chroot "$CH" chown -R clerk:clerk /home/clerk/.config

U=(chroot --userspec=clerk:clerk "$CH" env -i PATH=/usr/bin:/bin HOME=/home/clerk LANG=zh_CN.UTF-8 LC_ALL=C.UTF-8
   DISPLAY="$DISP" XDG_RUNTIME_DIR=/tmp/clerk-run)
mkdir -p "$CH/tmp/clerk-run" && chroot "$CH" chown clerk:clerk /tmp/clerk-run && chmod 700 "$CH/tmp/clerk-run"
{ read -r BUS; read -r BUS_PID; } < <("${U[@]}" dbus-daemon --session --fork --print-address=1 --print-pid=1 \
    --address=unix:path=/tmp/clerk-run/bus)
U+=(DBUS_SESSION_BUS_ADDRESS="$BUS")
"${U[@]}" fcitx5 -d -r > "$ROOT/build/smoke-fcitx5.log" 2>&1
for _ in $(seq 100); do
    ls "$CH/home/clerk/.config/ibus/bus/" 2>/dev/null | grep -q . && break
    sleep 0.2
done
for _ in $(seq 100); do  # the IBus portal name is what the program's Qt talks to
    "${U[@]}" dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.ListNames 2>/dev/null | grep -q '"org.freedesktop.portal.IBus"' && break
    sleep 0.2
done
say "fcitx5 running; ibus address file: $(ls "$CH/home/clerk/.config/ibus/bus/" 2>/dev/null | tr '\n' ' ')"

"${U[@]}" QT_IM_MODULE=fcitx XMODIFIERS=@im=fcitx QT_LOGGING_RULES="qt.qpa.input.methods=true" MEDIATION_DESK_USER=admin MEDIATION_DESK_PASSWORD=admin12345 \
    mediation-desk --db "$S" > "$ROOT/build/smoke-ime-app.log" 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null || true; "${U[@]}" fcitx5-remote -e >/dev/null 2>&1 || true; kill "$BUS_PID" 2>/dev/null || true' EXIT
wid=""
for _ in $(seq 150); do
    wid="$(X xdotool search --onlyvisible --name "调解工作台" 2>/dev/null | head -1 || true)"
    [ -n "$wid" ] && break
    sleep 0.2
done
[ -n "$wid" ] || { say "no main window"; cat "$ROOT/build/smoke-ime-app.log"; exit 1; }
sleep 2
X xdotool windowfocus --sync "$wid"  # no window manager: focus by hand
X xdotool key ctrl+n
form=""
for _ in $(seq 100); do
    form="$(X xdotool search --onlyvisible --name "登记" 2>/dev/null | grep -v "^$wid$" | head -1 || true)"
    [ -n "$form" ] && break
    sleep 0.2
done
[ -n "$form" ] || { say "the registration form did not open"; exit 1; }
sleep 1
# Without a window manager the X focus is set by hand, and on a first start of fcitx5 it has been seen
# not to reach Qt (no input context focused: fcitx5-remote says 0). Focus and click again until the
# field's input context is focused in fcitx5 and pinyin is on — at most five times, each try said.
for try in 1 2 3 4 5; do
    X xdotool windowfocus --sync "$form" || true
    # 单位名称 (the employer's name): the form opens at the same place on the 1366x768 screen
    X xdotool mousemove 534 483 click 1
    sleep 0.5
    "${U[@]}" fcitx5-remote -o || true   # switch the focused field's input method on (pinyin)
    sleep 0.5
    state="$("${U[@]}" fcitx5-remote 2>/dev/null || echo '?')"
    say "try $try: fcitx5 state after -o: $state (2 = active), current: $("${U[@]}" fcitx5-remote -n 2>/dev/null || echo '?')"
    [ "$state" = 2 ] && break
    sleep 2
done
X xdotool type --delay 120 nihao
sleep 0.5
X xdotool key space
sleep 0.8
X import -window root -resize 1024x -colors 256 "PNG8:$SHOT"
X xdotool key ctrl+a ctrl+c
sleep 0.5
got="$(X xclip -o -selection clipboard 2>/dev/null || true)"
say "the focused field holds: '$got'"
[ "$got" = "你好" ] || exit 1
say "Chinese input through fcitx5: PASSED"
