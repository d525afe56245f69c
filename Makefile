# pprof.h - build, test, demo, bench, fuzz. CC, CXX and CFLAGS may be overridden.
CC      ?= cc
CXX     ?= c++
CLANG   ?= clang
CFLAGS  ?= -O2 -g
WARN    = -Wall -Wextra -Wpedantic -Wshadow -Werror
FP      = -fno-omit-frame-pointer
B       = build
FUZZ_SECONDS ?= 60
TESTSRC = $(wildcard tests/*.c) pprof.h tools/pprof_read.h

# examples/, one program per way in (tests/examples.sh runs each); preloaded.c is an ordinary
# program without pprof.h, profiled by build/libpprof.so
EXAMPLES = $(B)/quickstart $(B)/server $(B)/heap $(B)/locks $(B)/labels $(B)/preloaded

.PHONY: all examples test quick demo bench fuzz clean install uninstall
all: $(EXAMPLES) $(B)/pbdump $(B)/run $(B)/libpprof.so
examples: $(EXAMPLES)

$(B):
	@mkdir -p $(B)

$(filter-out $(B)/preloaded,$(EXAMPLES)): $(B)/%: examples/%.c pprof.h | $(B)
	$(CC) -std=c99 $(CFLAGS) $(WARN) $(FP) -pthread $< -o $@

$(B)/preloaded: examples/preloaded.c | $(B)
	$(CC) -std=c99 $(CFLAGS) $(WARN) $(FP) $< -o $@

$(B)/pbdump: tools/pbdump.c tools/pprof_read.h | $(B)
	$(CC) -std=c99 $(CFLAGS) $(WARN) $< -o $@

# pprof.h for unmodified programs: LD_PRELOAD=build/libpprof.so PPROF_CPU=cpu.pb.gz prog
# (hidden: it exports only the wrapped libc functions, never pprof_* to a program with its own)
$(B)/libpprof.so: tools/libpprof.c pprof.h | $(B)
	$(CC) -std=c99 $(CFLAGS) $(WARN) $(FP) -fPIC -fvisibility=hidden -shared -pthread $< -o $@ -ldl

$(B)/run: $(TESTSRC) | $(B)
	$(CC) -std=c11 $(CFLAGS) $(WARN) $(FP) -pthread tests/run.c -o $@ -lm

$(B)/run_zlib: $(TESTSRC) | $(B)
	$(CC) -std=c11 $(CFLAGS) $(WARN) $(FP) -DPPROF_USE_ZLIB -DPRD_USE_ZLIB -pthread tests/run.c -o $@ -lm -lz

$(B)/run_asan: $(TESTSRC) | $(B)
	$(CLANG) -std=c11 -O1 -g $(WARN) $(FP) -DPPROF_DEBUG_LOCKS -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -pthread tests/run.c -o $@ -lm

# the lock order checked at every acquisition, without a sanitizer's allocator (which is
# not fork-safe in clang 14)
$(B)/run_locks: $(TESTSRC) | $(B)
	$(CC) -std=c11 -O1 -g $(WARN) $(FP) -DPPROF_DEBUG_LOCKS -pthread tests/run.c -o $@ -lm

$(B)/run_tsan: $(TESTSRC) | $(B)
	$(CLANG) -std=c11 -O1 -g $(WARN) $(FP) -fsanitize=thread -pthread tests/run.c -o $@ -lm

# the whole suite; its last line is "N passed, N failed"; STRESS=N: under N competing CPU
# burners (tests/stress.sh)
test:
	@STRESS="$(STRESS)" tests/all.sh

# the runner once, plain build
quick: $(B)/run $(B)/pbdump
	PBDUMP=$(B)/pbdump $(B)/run

demo: $(B)/quickstart $(B)/pbdump
	cd $(B) && ./quickstart cpu.pb.gz 5
	@if command -v go >/dev/null 2>&1; then \
	    echo "go tool pprof -top $(B)/quickstart $(B)/cpu.pb.gz"; \
	    HOME=$${HOME:-/tmp} go tool pprof -top $(B)/quickstart $(B)/cpu.pb.gz; \
	else \
	    echo "(Go not installed: showing the profile with tools/pbdump)"; \
	    $(B)/pbdump -top $(B)/cpu.pb.gz; \
	fi

bench:
	@bench/run.sh

# libFuzzer on every parser of outside input (tests/fuzz/), FUZZ_SECONDS each; a crash fails
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) CLANG=$(CLANG) tools/fuzz.sh

# pprof.h, libpprof.so and pprof.pc under $(DESTDIR)$(PREFIX); CMake installs the same
# plus a package config (see CMakeLists.txt)
PREFIX  ?= /usr/local
VERSION  = $(shell sed -n 's/^\#define PPROF_VERSION_STRING "\(.*\)"/\1/p' pprof.h)
install: $(B)/libpprof.so
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 pprof.h $(DESTDIR)$(PREFIX)/include/pprof.h
	install -m 755 $(B)/libpprof.so $(DESTDIR)$(PREFIX)/lib/libpprof.so
	sed -e 's|@PPROF_PC_PREFIX@|$(PREFIX)|' -e 's|@PPROF_PC_INCLUDEDIR@|$${prefix}/include|' \
	    -e 's|@PPROF_PC_LIBDIR@|$${prefix}/lib|' -e 's|@PPROF_PC_VERSION@|$(VERSION)|' \
	    tools/pprof.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/pprof.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/pprof.h $(DESTDIR)$(PREFIX)/lib/libpprof.so \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/pprof.pc

clean:
	rm -rf $(B)
