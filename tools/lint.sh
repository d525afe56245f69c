#!/usr/bin/env bash
# Checks of pprof.h that a compiler does not make. Prints PASS/FAIL lines; exit 1 on a FAIL.
#   lint_version          line 1, PPROF_VERSION_STRING and the MAJOR/MINOR/PATCH agree
#   lint_sigsafe          functions marked "sigsafe" call nothing that may lock or allocate
#   lint_platform_macros  raw OS/CPU macros appear only in the >>os section
#   lint_license          LICENSE is the text at the end of pprof.h
#   lint_contents         the implementation's contents table lists every // >> banner, in order
#   lint_kinds            the profile names the docs and PPROF_ERR_NAME list are PPROF__KINDS'
#   lint_flame_page       the flame page in pprof.h is what tools/flame.html makes (tools/flame.sh)
set -u
cd "$(dirname "$0")/.."
H=pprof.h
rc=0
ok() { echo "PASS  $1"; }
bad() { echo "FAIL  $1: $2"; rc=1; }

v1=$(head -1 $H | sed -n 's/.* - v\([0-9.]*\) - .*/\1/p')
vs=$(sed -n 's/^#define PPROF_VERSION_STRING "\(.*\)"/\1/p' $H)
maj=$(sed -n 's/^#define PPROF_VERSION_MAJOR \([0-9]*\)/\1/p' $H)
min=$(sed -n 's/^#define PPROF_VERSION_MINOR \([0-9]*\)/\1/p' $H)
pat=$(sed -n 's/^#define PPROF_VERSION_PATCH \([0-9]*\)/\1/p' $H)
if [ -n "$v1" ] && [ "$v1" = "$vs" ] && [ "$vs" = "$maj.$min.$pat" ]; then ok lint_version
else bad lint_version "line 1 '$v1', string '$vs', numbers '$maj.$min.$pat'"; fi

# bodies of functions whose preceding comment line starts with "// sigsafe"
bodies=$(awk '/^\/\/ sigsafe/ {on=1} on {print} on && /^}/ {on=0}' $H)
banned='\b(malloc|calloc|realloc|free|PPROF_MALLOC|PPROF_REALLOC|PPROF_FREE|printf|fprintf|snprintf|sprintf|puts|fputs|fwrite|fflush|fopen|fclose|pthread_mutex_[a-z]+|pthread_cond_[a-z]+|pthread_create|dlopen|dladdr|dl_iterate_phdr|backtrace|qsort|strdup|opendir|readdir|exit|abort)\s*\('
found=$(echo "$bodies" | grep -nE "$banned" | head -5)
n=$(echo "$bodies" | grep -c '^PPROF__FN')
if [ "$n" -lt 5 ]; then bad lint_sigsafe "only $n functions marked sigsafe: markers lost?"
elif [ -n "$found" ]; then bad lint_sigsafe "$found"
else ok lint_sigsafe; fi

os_end=$(grep -n '^// >>mem' $H | head -1 | cut -d: -f1)
stray=$(awk -v end="$os_end" 'NR > end && /defined\((__linux__|__APPLE__|__x86_64__|__aarch64__|_WIN32|__GLIBC__)\)/ {print NR": "$0}' $H | head -3)
if [ -z "$os_end" ]; then bad lint_platform_macros "no >>mem section"
elif [ -n "$stray" ]; then bad lint_platform_macros "$stray"
else ok lint_platform_macros; fi

if diff -q <(sed -n '/^MIT License/,/^SOFTWARE\.$/p' $H) LICENSE >/dev/null; then ok lint_license
else bad lint_license "LICENSE differs from the text at the end of pprof.h"; fi

# the contents table (its lines "  >>name  purpose", "*" marking sigsafe sections) against
# the "// >>name" banners: the same names, once each, in the same order
tbl=$(sed -n '/^\/\* Contents, in file order/,/\*\//p' $H | grep -oE '^ +\*?>>[a-z0-9_]+' | sed 's/.*>>//')
ban=$(grep -oE '^// >>[a-z0-9_]+' $H | sed 's/.*>>//')
dup=$(echo "$ban" | sort | uniq -d | tr '\n' ' ')
if [ -z "$tbl" ]; then bad lint_contents "no contents table (a comment starting '/* Contents, in file order')"
elif [ -n "$dup" ]; then bad lint_contents "banners named twice: $dup"
elif [ "$tbl" != "$ban" ]; then
    bad lint_contents "table and banners differ: $(diff <(echo "$tbl") <(echo "$ban") | grep '^[<>]' | tr '\n' ' ')"
else ok lint_contents; fi

# the named profiles (PPROF__KINDS entries not served by their own handler) against the two
# places that list them by hand: the top comment's ENDPOINTS and PPROF_ERR_NAME's message
kinds=$(sed -n '/^#define PPROF__KINDS(X)/,/^#define/p' $H | tr -d '\n' | grep -oE 'X\([A-Z]+, "[a-z]+"[^X]*PPROF__SRC_[A-Z]+' |
        grep -v 'PPROF__SRC_OWN' | sed -E 's/X\([A-Z]+, "([a-z]+)".*/\1/' | sort | tr '\n' ' ')
doc=$(sed -n 's/^ *\(heap allocs block mutex goroutine threadcreate\) .*/\1/p' $H | tr ' ' '\n' | sort | tr '\n' ' ')
err=$(sed -n 's/.*unknown profile name (want \([^)]*\)).*/\1/p' $H | sed 's/,\| or / /g' | tr -s ' ' '\n' | grep . | sort | tr '\n' ' ')
if [ -z "$kinds" ]; then bad lint_kinds "no PPROF__KINDS list found"
elif [ "$kinds" != "$doc" ] || [ "$kinds" != "$err" ]; then
    bad lint_kinds "PPROF__KINDS names '$kinds', ENDPOINTS '$doc', PPROF_ERR_NAME '$err'"
else ok lint_kinds; fi

if out=$(tools/flame.sh --check 2>&1); then ok lint_flame_page
else bad lint_flame_page "$(echo "$out" | grep -E '^(pprof|tools|[-+] )' | head -6 | tr '\n' ' ')"; fi
exit $rc
