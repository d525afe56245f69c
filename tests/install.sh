#!/usr/bin/env bash
# pprof.h as a package: `make install` + pkg-config, `make install DESTDIR=`, CMake
# add_subdirectory, FetchContent (a git URL and SOURCE_DIR), find_package after cmake
# --install. Each builds tests/consumer/main.c, which prints the version and writes a 1 s CPU
# profile. One PASS/FAIL/SKIP line per test (tests/all.sh counts them), then "END".
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
mkdir -p "$B/install" && D=$(cd "$B/install" && pwd) && rm -rf "${D:?}"/*
SRC=$(pwd)
VERSION=$(sed -n 's/^#define PPROF_VERSION_STRING "\(.*\)"/\1/p' pprof.h)
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1: $(echo "$2" | head -c 1500 | tr '\n' ' ')"; }
skip() { echo "SKIP  $1: $2"; }
make -s "$B/pbdump" >/dev/null 2>&1

# run a built consumer: it prints "pprof <version>" and its profile names consumer_spin
check_consumer() { # name binary log
    local out
    if [ ! -x "$2" ]; then fail "$1" "did not build: $(tail -15 "$3")"; return; fi
    out=$("$2" "$2.pb.gz" 2>&1)
    if [ "$out" = "pprof $VERSION" ] && "$B/pbdump" -top "$2.pb.gz" 2>&1 | grep -q consumer_spin; then
        pass "$1"
    else
        fail "$1" "printed '$out'; $("$B/pbdump" -top "$2.pb.gz" 2>&1 | head -8)"
    fi
}

# --- make install PREFIX=, then a consumer built with pkg-config's flags; make uninstall
if ! command -v pkg-config >/dev/null; then
    skip install_make_pkg_config "pkg-config not found (Debian package pkg-config)"
else
    P=$D/prefix
    if make -s install PREFIX="$P" B="$B" > "$D/make_install.log" 2>&1 &&
       [ -f "$P/include/pprof.h" ] && [ -x "$P/lib/libpprof.so" ] && [ -f "$P/lib/pkgconfig/pprof.pc" ]; then
        export PKG_CONFIG_PATH=$P/lib/pkgconfig
        ${CC:-cc} -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags pprof) \
            tests/consumer/main.c -o "$D/consumer_pc" $(pkg-config --libs pprof) > "$D/pc.log" 2>&1
        unset PKG_CONFIG_PATH
        check_consumer install_make_pkg_config "$D/consumer_pc" "$D/pc.log"
    else
        fail install_make_pkg_config "make install: $(tail -5 "$D/make_install.log"; find "$P" -type f)"
    fi
    # DESTDIR stages the same tree; the .pc names PREFIX, not the staging directory
    pre=$(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --variable=preload pprof)
    make -s install DESTDIR="$D/stage" PREFIX=/opt/pp B="$B" > "$D/destdir.log" 2>&1
    make -s uninstall PREFIX="$P" B="$B" >> "$D/destdir.log" 2>&1
    left=$(find "$P" -type f)
    if [ "$pre" = "$P/lib/libpprof.so" ] && [ -f "$D/stage/opt/pp/include/pprof.h" ] &&
       [ -f "$D/stage/opt/pp/lib/libpprof.so" ] &&
       grep -qx 'prefix=/opt/pp' "$D/stage/opt/pp/lib/pkgconfig/pprof.pc" && [ -z "$left" ]; then
        pass install_destdir_uninstall
    else
        fail install_destdir_uninstall "preload='$pre', left after uninstall: $left; $(cat "$D/destdir.log"; find "$D/stage" -type f)"
    fi
fi

if ! command -v cmake >/dev/null; then
    for t in cmake_add_subdirectory cmake_fetchcontent_git cmake_fetchcontent_source_dir \
             cmake_find_package; do
        skip $t "cmake not found (Debian package cmake)"
    done
    echo END
    exit 0
fi
cmake_consumer() { # name dir cmake-arguments...
    local name=$1 dir=$2
    shift 2
    { cmake -S tests/consumer -B "$dir" "$@" && cmake --build "$dir"; } > "$dir.log" 2>&1
    check_consumer "$name" "$dir/consumer" "$dir.log"
}

# --- add_subdirectory and FetchContent on this directory
cmake_consumer cmake_add_subdirectory "$D/subdir" -DPPROF_HOW=subdir -DPPROF_SOURCE="$SRC"
cmake_consumer cmake_fetchcontent_source_dir "$D/fetch_dir" -DPPROF_HOW=fetch -DPPROF_SOURCE="$SRC"
# FetchContent from a git URL: a scratch repository of the files a checkout would hold
if ! command -v git >/dev/null; then
    skip cmake_fetchcontent_git "git not found (Debian package git)"
else
    mkdir -p "$D/repo/tools"
    cp pprof.h CMakeLists.txt LICENSE "$D/repo/" && cp tools/libpprof.c tools/pprof.pc.in "$D/repo/tools/"
    if (cd "$D/repo" && git init -q && git add -A && git -c user.name=test -c user.email=test@localhost \
            -c commit.gpgsign=false commit -qm snapshot) > "$D/repo.log" 2>&1; then
        cmake_consumer cmake_fetchcontent_git "$D/fetch_git" -DPPROF_HOW=fetch -DPPROF_GIT="file://$D/repo"
    else
        fail cmake_fetchcontent_git "scratch repository: $(cat "$D/repo.log")"
    fi
fi

# --- this project built and installed by CMake (libpprof.so too), then find_package
if { cmake -S . -B "$D/top" -DCMAKE_INSTALL_PREFIX="$D/cmake_prefix" && cmake --build "$D/top" &&
     cmake --install "$D/top"; } > "$D/top.log" 2>&1; then
    cmake_consumer cmake_find_package "$D/package" -DPPROF_HOW=package -DCMAKE_PREFIX_PATH="$D/cmake_prefix" \
        -DPPROF_WANT_VERSION="${VERSION%.*}"
    # the libpprof.so CMake built and installed works under LD_PRELOAD
    lib=$(ls "$D"/cmake_prefix/lib*/libpprof.so 2>/dev/null | head -1)
    out=$(LD_PRELOAD="$lib" PPROF_CPU=$D/cmake_preload.pb.gz /bin/echo ran 2>&1)
    if [ -n "$lib" ] && [ "$out" = ran ] && "$B/pbdump" -top "$D/cmake_preload.pb.gz" 2>&1 | grep -q 'Type: cpu' &&
       ls "$D"/cmake_prefix/lib*/pkgconfig/pprof.pc >/dev/null 2>&1; then
        pass cmake_install_preload_library
    else
        fail cmake_install_preload_library "lib '$lib' printed '$out'; $(find "$D/cmake_prefix" -type f)"
    fi
else
    fail cmake_find_package "configure/build/install of the project: $(tail -15 "$D/top.log")"
fi
echo END
