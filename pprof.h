/* pprof.h - v0.9.0 - Go-style pprof profiling for C and C++ - single header, MIT
   SPDX-License-Identifier: MIT

   USAGE
     In exactly one .c or .cpp file, before any other #include:
         #define PPROF_IMPLEMENTATION
         #include "pprof.h"
     Everywhere else just #include "pprof.h". Link with -pthread (and -lz with PPROF_USE_ZLIB).
     Stacks come from each object's unwind tables (.eh_frame), so code built without frame
     pointers (GCC's -O2, most of a Linux distribution) profiles whole; see STACKS.
     The implementation needs _DEFAULT_SOURCE (or _GNU_SOURCE); pprof.h defines it itself when
     it is the first header of that file, and stops with an #error naming the fix otherwise.

   QUICK START
         FILE *fp = fopen("cpu.pb.gz", "wb");
         pprof_write_cpu(fp, 10);          // profile the whole process for 10 s, then write
         fclose(fp);
     then:  go tool pprof -top ./prog cpu.pb.gz      (or -http=:9090, or -png)
     The profile carries its own function names, so it reads fine without the binary.

   CONFIGURATION
     MACRO                  EFFECT                                         DEFINE IN   DEFAULT
     PPROF_IMPLEMENTATION   compile the implementation here                one TU      -
     PPROF_DISABLE          every call an inline stub (THE API, below)     every TU    off
     PPROF_STATIC           all symbols static (a private copy)            every TU    off
     PPROF_USE_ZLIB         real deflate through zlib (link -lz)           impl TU     stored blocks
     PPROF_NO_HTTP          no listener, no sockets                        impl TU     off
     PPROF_HTTP_MAX_CONN    requests served at once; more get 503          impl TU     64
     PPROF_HTTP_TIMEOUT_S   a client stalled this long mid-request: 408    impl TU     10
     PPROF_HTTP_IDLE_S      a kept-alive connection idle this long: closed impl TU     60
     PPROF_HTTP_MAX_PENDING connections still sending a request (then the   impl TU     128
                            oldest is closed)
     PPROF_SIGNAL           the profiling signal                           impl TU     SIGRTMAX-8
     PPROF_MAX_FRAMES       stack depth kept per sample (8..512)           impl TU     128
     PPROF_UNWIND           the stack walker: PPROF_UNWIND_CFI or _FP       impl TU     CFI
     PPROF_RING_SLOTS       samples buffered between drains (power of 2)   impl TU     2048
     PPROF_MAX_MAPS         memory regions the unwinder knows per kind     impl TU     8192
     PPROF_WRAP_MALLOC      sample every malloc of the process (see HEAP)   impl TU     off
     PPROF_WRAP_PTHREAD     mutex/block/threadcreate events (see LOCKS)    impl TU     off
     PPROF_WRAP_SIGNAL      the program's sigaction/signal on the profiling impl TU     off
                            signal keep it sampling (see WHAT IT DOES)
     PPROF_DEBUG_LOCKS      abort on any lock taken against the order in    impl TU     off
                            >>os (the sanitizer test builds define it)
     PPROF_MALLOC/REALLOC/FREE  the profiler's own allocator (all or none) impl TU     libc

   API (one line a call; the result codes are PPROF_ERR_*, pprof_strerror names them)
     pprof_set_cpu_rate(hz)                       samples per CPU-second, 1..10000 (100)
     pprof_cpu_start(fp)                          start a CPU profile of every thread
     pprof_cpu_stop()                             stop it, write it to fp (gzipped proto)
     pprof_write_cpu(fp, seconds)                 profile for `seconds`, then write to fp
     pprof_strerror(code)                         a static message for a result code
     pprof_last_os_error()                        errno behind the last PPROF_ERR_OS
     pprof_version()                              the version, PPROF_VERSION_STRING
     pprof_listen(port)                           serve /debug/pprof/ on 127.0.0.1:port
     pprof_listen_addr(addr)                      the same on a "host:port" address
     pprof_listen_port()                          the port listened on, or 0
     pprof_shutdown()                             stop the listener, join its threads
     pprof_set_token(token)                       require "Authorization: Bearer <token>"
     pprof_label_push(key, value)                 tag this thread's samples with key=value
     pprof_label_pop()                            undo this thread's last push
     pprof_set_heap_rate(bytes)                   mean bytes between heap samples (524288)
     pprof_malloc(size)                           malloc, sampled for the heap profile
     pprof_calloc(count, size)                    calloc, sampled
     pprof_realloc(ptr, size)                     realloc, sampled
     pprof_free(ptr)                              free for pprof_malloc & co.'s memory
     pprof_write_heap(fp)                         write the heap profile
     pprof_write_profile(name, fp, debug)         write a profile as /debug/pprof/<name>
     pprof_write_cpu_format(fp, seconds, format)  pprof_write_cpu: proto, folded or HTML
     pprof_set_mutex_fraction(n)                  record 1 in n contended unlocks (0: off)
     pprof_set_block_rate(ns)                     record waits >= ns, shorter ones sampled
     pprof_set_unwind(mode)                       the stack walker: unwind tables or frames
     Details: each call's block below.

   ENDPOINTS (pprof_listen; as Go's net/http/pprof, under /debug/pprof/)
     /                        index            profile?seconds=N  CPU, default 30 s
     heap allocs block mutex goroutine threadcreate   debug=0|1 (goroutine: 2), seconds=N
     cmdline                  argv             symbol             GET count, POST 0x..+0x..
     trace?seconds=N          CPU samples per thread as Chrome trace-event JSON
     format=folded            on profile and every named profile (with seconds=N too):
                              folded stacks as text/plain, one "a;b;c value" line per stack
     flamegraph?seconds=N     a CPU profile (default 10 s) as one self-contained HTML page:
       ?profile=heap|allocs|block|mutex|goroutine|threadcreate  the same for that profile.
                              Click zooms, search shows the share, invert, sandwich; no
                              network access. #search=f&zoom=f&invert=1&sandwich=f in the
                              URL opens that view.
     Every method is served, as Go (HEAD without a body); parameters from the query or an
     application/x-www-form-urlencoded body. Unclean paths (//heap, ./heap) get Go's 301.
     HTTP/1.1 connections stay open (idle ones close after PPROF_HTTP_IDLE_S).
     Errors as Go: text/plain + X-Go-Pprof: 1; 404 unknown, 400 parameters,
     500 "Could not enable CPU profiling: cpu profiling already in use". The listener
     reads requests in one poll loop (idle or trickling clients hold no thread; at most
     PPROF_HTTP_MAX_PENDING, then the oldest is closed); a whole request gets a thread
     (at most PPROF_HTTP_MAX_CONN, then 503). 414/431/413/408 for oversized or slow
     requests, 400 for malformed ones (NUL bytes, bad escapes, HTTP/0.9), 505 for
     HTTP/2. Loopback unless pprof_listen_addr says otherwise; beyond it, set a token
     (a warning on stderr otherwise): the endpoints reveal the command line and code.

   HEAP PROFILES (any allocator beneath glibc's C library)
     Define PPROF_WRAP_MALLOC with PPROF_IMPLEMENTATION and every malloc, calloc, realloc,
     reallocarray, free, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
     malloc_usable_size, cfree, malloc_size, free_sized and free_aligned_sized of the
     process goes through pprof.h first (symbol interposition: the program's calls and its
     libraries'), then to the allocator beneath: the next malloc after this file (dlsym
     RTLD_NEXT): glibc's, or jemalloc, tcmalloc or mimalloc when the program links one. It
     also defines operator new (plain, array, nothrow, aligned; C++11 or later when the
     file is C++, glibc 2.34 or later when it is C), whose caller the C++ runtime's own new
     would hide, operator delete in every form, and the allocators' own entries that take a
     block (jemalloc's dallocx, sdallocx, sallocx, rallocx, xallocx; mimalloc's mi_free*,
     mi_usable_size, mi_realloc; tcmalloc's tc_free*, tc_delete*, tc_malloc_size,
     tc_realloc), so none meets a sampled block it did not make. Without it, pprof_malloc &
     co. are the sampled allocator for the calls you route through them.
     - Sampling as Go's: each thread counts requested bytes down from an exponential draw
       (mean = the rate); the allocation that crosses zero is recorded whole with its stack
       (from the allocating call, see STACKS), with the weight of its own size at the rate
       of the moment. Unsampled: a thread-local compare.
     - A sampled block gets 48 bytes (or its alignment) in front of it; free tells it by a
       tag in the word before the pointer. Hence: memory from pprof_malloc must be freed
       by pprof_free/pprof_realloc (free() would hand the allocator a pointer into its
       block); with PPROF_WRAP_MALLOC everything matches, and direct calls to the
       allocator's internals (__libc_free, je_free) on malloc'd memory are what breaks.
     - Profiles: Go's four types (alloc_objects, alloc_space, inuse_objects, inuse_space),
       values unsampled as Go does, numeric label "bytes" (mean size); in-use is live now,
       not as of a GC. An allocation made inside glibc or libstdc++ (strdup, fopen,
       std::string) has the library function as its leaf and the caller above it.
     - Under AddressSanitizer/ThreadSanitizer PPROF_WRAP_MALLOC interposes nothing (the
       sanitizer owns malloc). Not with -static (glibc's malloc.o would be linked twice).

   LOCKS, WAITS AND THREADS (glibc)
     Define PPROF_WRAP_PTHREAD with PPROF_IMPLEMENTATION and pthread_mutex_lock/timedlock/
     trylock/unlock, pthread_rwlock_rdlock/wrlock/timedrdlock/timedwrlock/unlock,
     pthread_cond_wait/timedwait, sem_wait/timedwait, pthread_join and pthread_create of
     the process go through pprof.h first (found in libc with dlsym(RTLD_NEXT)).
     - block: how long a thread waited (a contended lock, a condition, a semaphore, a
       join), at the waiter's stack. mutex: the delay a lock holder caused its waiters,
       at the stack that unlocks (Go's meaning). Both off until their setter is called;
       off, a wrapper costs a load and a compare. A lock is tried first: only a contended
       one is timed. Return values and errno are libc's (errorcheck, robust, trylock).
     - threadcreate: every pthread_create counted at its creator's stack, always.
     - goroutine (alias threads): a thread dump. A running thread gets a directed
       PPROF_SIGNAL (tgkill) and records its own stack in the handler; the dump waits at
       most 100 ms. A thread asleep in a system call gets no signal (which would end a
       nanosleep, poll or epoll_wait with EINTR; one that falls asleep between the read of
       its state and the signal does see EINTR, once per dump at most): its pc and sp come from
       /proc/self/task/<tid>/syscall and its stack is read with checked reads, every
       return address from sp up to the first frame record (glibc keeps none), then the
       frame records. A running thread that blocks the signal is listed without a stack.
       Needs no wrapper.

   UNMODIFIED PROGRAMS (glibc)
     tools/libpprof.c (make: build/libpprof.so) is this header with both wrappers, set up
     from the environment before main: LD_PRELOAD=libpprof.so PPROF_CPU=out.pb.gz prog
     profiles the whole run and writes at exit (or at a default SIGINT/SIGTERM/SIGHUP,
     then dies by it); PPROF_LISTEN=host:port serves the endpoints;
     PPROF_HEAP=1 (PPROF_HEAP_RATE) samples malloc, whose rate is 0 otherwise;
     PPROF_UNWIND=cfi|fp picks the stack walker. Only the
     process started with the variables profiles (it removes them from its environment).
     make install PREFIX=... also installs pprof.h and pprof.pc; CMakeLists.txt has
     pprof::pprof. README: "Unmodified programs (LD_PRELOAD)" and "Install".

   WHAT IT DOES TO YOUR PROCESS (only while a CPU profile runs)
     - Installs a handler for PPROF_SIGNAL (SIGRTMAX-8; SIGPROF only for the setitimer
       fallback) with SA_RESTART, unless the program has its own handler there, in which
       case pprof_cpu_start fails with PPROF_ERR_SIGNAL_BUSY. After a profile the handler
       stays installed, so a late signal can never kill the process. The disposition it
       replaced stays the program's view: a signal pprof.h did not send (kill, sigqueue)
       gets that (ignored, the default action, or the program's handler), never a timer's.
       With PPROF_WRAP_SIGNAL (libpprof.so has it) the program's sigaction, signal,
       bsd_signal and sysv_signal on the signal change that view, not the handler: a program
       that resets every signal keeps being sampled, its own handler sees only its signals;
       its masks and waits (pthread_sigmask, sigprocmask, sigwait, sigwaitinfo,
       sigtimedwait, signalfd) leave the signal out, so threads that block every signal are
       sampled too. Without it such threads get no timer (their full-set sigwaitinfo would
       take its signals); the profile counts them.
       Without it, a program that replaces the handler pauses sampling: within 20 ms every
       timer is disarmed, re-armed when the handler is back; the profile says how long.
     - Arms one CPU-time timer per thread (timer_create on the thread's CPU clock, delivered
       to that thread), for the threads in /proc/self/task, rescanned every 20 ms: a new
       thread is sampled from its first scan on. A signal with k overruns counts as 1 + k
       periods, so totals hold above the kernel tick (HZ). Where per-thread timers are
       unavailable, one process-wide setitimer(ITIMER_PROF) instead (the profile says so).
       Timers exist only while a profile runs; CPU timers never wake a sleeping thread.
       CPU a new thread used before its first scan is measured from its CPU clock and shown
       as the pseudo frame pprof__thread_before_timer, so totals stay right.
       Blocking calls that SA_RESTART does not restart (sleeps, poll, epoll_wait) can see
       EINTR in a thread that is running when its timer fires, as with any signal profiler.
     - Starts one thread, "pprof-cpu", that drains samples and rescans threads every 20 ms,
       refreshes the region snapshot every 500 ms and as soon as a sample meets code or a
       stack it lacks, and is not profiled. Memory: a 2.1 MiB sample ring and 1.1 MiB of
       region tables (mmap, mapped once and reused, touched only as far as used), the unwind
       tables (about 1.2 bytes per byte of .eh_frame: 180 KiB for libc, 6 MiB for libLLVM;
       kept while the code stays mapped), the aggregated stacks and cached symbol tables.
     - fork: one pthread_atfork triple (>>fork), registered once at load or first use, takes
       every internal lock in the process-wide order written in >>os and releases them
       (PPROF_DEBUG_LOCKS checks that order at every acquisition). The calling thread blocks
       the signal during fork (a long fork is never restarted forever); the child starts
       with no profile running and may start its own.
     - Its threads (drain, listener, request threads, libpprof.so's writer) block every
       signal but faults for life. It trusts no descriptor number after opening it: the
       listener checks its sockets by fstat identity before each use; libpprof.so keeps none
       (profiles are written by name at exit, relative paths against the start directory).
       procfs is read through /proc/self, /proc/thread-self once main has pthread_exit'ed.

   STACKS
     Every profile's stacks (CPU, heap, block, mutex, threadcreate, goroutine) come from one
     walker. PPROF_UNWIND_CFI (the default): a frame's caller by its object's unwind table,
     compiled from .eh_frame outside the handler (at a profile's start, a thread dump, the
     first sampled allocation or lock event, and as soon as a sample meets code the tables
     lack: dlopen) into rows of "from here on, the CFA is reg + n, the return address and
     the frame pointer are saved there"; by its frame record where no table covers the code
     (JIT code); by the return address at sp for an interrupted function with neither.
     Signal frames are crossed (sigaltstack too). PPROF_UNWIND_FP: frame records only.
     Never a wrong frame: a return address is taken only inside an executable mapping, and
     one from a frame record or sp only after a call instruction; a stack that fails a check
     ends there. Each profile's comment (atop go tool pprof -top) counts how its stacks
     ended (whole, cut at PPROF_MAX_FRAMES, at a return address that is not code, at the
     stack's edge, at code with neither rule nor record) and how each caller was found.
     Limits: code loaded moments ago is cut, unguessed, until its table exists (a few ms);
     with PPROF_UNWIND_FP frames that frameless code hides are skipped; the caller of a leaf
     in code with neither rules nor a frame (hand-written assembly, a JIT's, or any with
     PPROF_UNWIND_FP) that keeps stack may be a stale return address from sp.

   PLATFORMS
     Linux on x86-64 (tested) and aarch64 (compiles; untested). Elsewhere the API compiles and
     returns PPROF_ERR_UNSUPPORTED. Needs glibc or another libc with timer syscalls.

   SIGNAL SAFETY
     The handler walks the stack reading nothing outside the interrupted thread's stack region
     (from a snapshot of /proc/self/maps), readable code regions and the unwind tables, which
     are freed only once no snapshot a handler may hold lists them. It reads directly only
     memory that cannot disappear under it: the thread's own glibc stack, the main stack, and
     code of the program and of the libraries it needs (DT_NEEDED). Other stacks (coroutines,
     alternate signal stacks, stacks newer than the snapshot) and code that may be unloaded
     (dlopen'ed libraries, JIT pages) are read through process_vm_readv, which fails instead
     of faulting. It takes no lock, allocates nothing, touches no stdio, and restores errno.
     Functions it can reach are marked "sigsafe:" in the source.

   NAMES
     Symbols come from .symtab (else .dynsym) of each object, read when the profile is
     written. Every executable mapping seen while sampling is logged, so a library unloaded
     before the write is still named from its file; an address two different objects held
     during the profile (dlclose, then dlopen at the same place) is named after neither.

   RECENT CHANGES
     0.9.0  HTTP as Go serves it: a trace, a CPU profile, flame pages and the API's
            profile run at once from one sampling session, each with its own window's
            samples (only a second profile gets Go's 500); every method on every path;
            form-urlencoded bodies; Go's 301 for unclean paths; HTTP/1.1 keep-alive
            (PPROF_HTTP_IDLE_S) and Date; index counts what each profile holds.
     0.8.1  The implementation re-filed into sections in data-flow order, each as its
            banner and the contents table say (tools/lint.sh checks the table); each API
            call defined and documented once; one list of profile kinds; the flame page's
            source is tools/flame.html. Builds for other platforms compile again (every
            call answers PPROF_ERR_UNSUPPORTED); examples/ has one program per way in.
     0.8.0  Heap profiles over any allocator beneath the wrappers (glibc, jemalloc,
            tcmalloc, mimalloc): sampled blocks told by a tag, not glibc's chunk layout;
            the allocators' own block-taking entries wrapped (sdallocx, mi_free, tc_free..);
            debug=1 heap text prints the unbiased estimates.
     0.7.0  Never hurts the host: one lock order and one fork handler (PPROF_DEBUG_LOCKS
            checks it); the profiling signal is SIGRTMAX-8 and stays the program's when it
            asks (PPROF_WRAP_SIGNAL, on in libpprof.so: its sigaction, signal, masks and
            waits); threads that block the signal get none; descriptors checked by
            identity; procfs through /proc/thread-self after main's pthread_exit; the
            malloc wrappers sit on whatever allocator is beneath (jemalloc, mimalloc),
            operator delete beside new; heap samples keep their own rate's weight.
     0.6.0  Stacks through code without frame pointers: unwind tables from .eh_frame (the
            default walker), every return address checked, stack ends counted in each
            profile's comment; pprof_set_unwind, PPROF_UNWIND; PPROF_MAX_FRAMES 128.
     0.5.0  Labels (pprof_label_push/pop); /debug/pprof/flamegraph; folded stacks
            (?format=folded, PPROF_FORMAT_*, pprof_write_cpu_format); libpprof.so for
            LD_PRELOAD; make install, pkg-config, CMake target pprof::pprof.
     0.4.0  Access token (pprof_set_token, PPROF_TOKEN); requests read by one poll loop, so
            idle and slow clients hold no thread; stricter request parsing; thread dumps
            read sleeping threads without a signal (no EINTR).
     0.3.0  Mutex, block, threadcreate profiles (PPROF_WRAP_PTHREAD), thread dumps
            (goroutine), pprof_set_mutex_fraction, pprof_set_block_rate.
     0.2.0  Heap and allocs profiles: PPROF_WRAP_MALLOC, pprof_malloc & co.,
            pprof_set_heap_rate, pprof_write_heap, pprof_write_profile.
     0.1.0  CPU profiles of every thread to a file; gzip profile.proto with embedded names.

   LICENSE: MIT, see the end of this file.
*/
#if defined(PPROF_IMPLEMENTATION) && !defined(PPROF_DISABLE) && !defined(_DEFAULT_SOURCE) && \
    !defined(_GNU_SOURCE)
#  define _DEFAULT_SOURCE 1 /* must come before the first system header; see USAGE */
#endif

#ifndef PPROF_H_INCLUDED
#define PPROF_H_INCLUDED

#include <stdio.h>
#include <stdlib.h>

#define PPROF_VERSION_MAJOR 0
#define PPROF_VERSION_MINOR 9
#define PPROF_VERSION_PATCH 0
#define PPROF_VERSION_NUMBER \
    (PPROF_VERSION_MAJOR * 10000 + PPROF_VERSION_MINOR * 100 + PPROF_VERSION_PATCH)
#define PPROF_VERSION_STRING "0.9.0"

#ifdef PPROF_STATIC
#  if defined(__GNUC__)
#    define PPROF_API static __attribute__((unused)) /* a private copy may use part of it */
#  else
#    define PPROF_API static
#  endif
#else
#  define PPROF_API extern
#endif

/* Result codes: 0 is success, negative an error. Codes go in tens per subsystem. */
#define PPROF__RESULTS(X) \
    X(PPROF_OK,               0, "ok") \
    X(PPROF_ERR_NULL,        -1, "a required pointer argument is NULL") \
    X(PPROF_ERR_NOMEM,       -2, "out of memory") \
    X(PPROF_ERR_OS,          -3, "a system call failed (pprof_last_os_error() has its errno)") \
    X(PPROF_ERR_UNSUPPORTED, -4, "not supported on this platform") \
    X(PPROF_ERR_DISABLED,    -5, "compiled out by a PPROF_NO_* switch") \
    X(PPROF_ERR_DURATION,   -10, "the duration must be at least 1 second") \
    X(PPROF_ERR_RATE,       -11, "the CPU sampling rate must be between 1 and 10000 Hz") \
    X(PPROF_ERR_BUSY,       -12, "cpu profiling already in use") \
    X(PPROF_ERR_NOT_RUNNING,-13, "no CPU profile is running") \
    X(PPROF_ERR_SIGNAL_BUSY,-14, "the profiling signal has a handler that is not pprof.h's") \
    X(PPROF_ERR_IO,         -20, "writing the profile failed") \
    X(PPROF_ERR_ADDR_IN_USE,-30, "the listen address is already in use") \
    X(PPROF_ERR_ADDRESS,    -31, "bad listen address (want host:port, [ipv6]:port or :port)") \
    X(PPROF_ERR_LISTENING,  -32, "already listening") \
    X(PPROF_ERR_NOT_LISTENING,-33, "not listening") \
    X(PPROF_ERR_TOKEN,      -34, "the token must be at most 256 printable ASCII characters, no spaces") \
    X(PPROF_ERR_NAME,       -40, "unknown profile name (want heap, allocs, goroutine, threadcreate, block or mutex)") \
    X(PPROF_ERR_DEBUG,      -41, "the format must be 0 (gzipped protobuf), 1 (text), 2 (goroutine), 3 (folded) or 4 (flame graph)") \
    X(PPROF_ERR_FRACTION,   -42, "the mutex fraction and block rate must be >= 0") \
    X(PPROF_ERR_LABELS,     -43, "labels nested more than 16 deep, or over 1048576 distinct label sets") \
    X(PPROF_ERR_UNWIND,     -44, "the stack walker must be PPROF_UNWIND_FP (1) or PPROF_UNWIND_CFI (2)")

typedef enum pprof_result {
#define PPROF__X(name, code, text) name = code,
    PPROF__RESULTS(PPROF__X)
#undef PPROF__X
    PPROF__RESULT_END = 1
} pprof_result;

/* Formats (pprof_write_profile's `debug`, pprof_write_cpu_format's `format`). 0..2 are
   Go's ?debug=0|1|2. Folded: one "root;caller;leaf value" line per unique stack, sorted,
   the input of flamegraph.pl and speedscope; the value is the profile's default sample
   type (CPU: nanoseconds, heap: inuse_space, allocs: alloc_space, block and mutex: delay
   in ns, goroutine and threadcreate: count). A name's ';' becomes ':', its spaces and
   control bytes '_'. Flame graph: one self-contained HTML page (no network). */
#define PPROF_FORMAT_PROTO      0   /* gzipped profile.proto */
#define PPROF_FORMAT_TEXT       1   /* Go's legacy text (debug=1) */
#define PPROF_FORMAT_THREADS    2   /* goroutine: every thread with its frames (debug=2) */
#define PPROF_FORMAT_FOLDED     3   /* folded stacks, text */
#define PPROF_FORMAT_FLAMEGRAPH 4   /* an interactive flame graph, HTML */

/* Stack walkers (PPROF_UNWIND, pprof_set_unwind). CFI: each frame by its object's unwind
   table (.eh_frame), frame records where there is none (JIT code); FP: frame records only,
   the cheaper walk for programs built with -fno-omit-frame-pointer throughout. */
#define PPROF_UNWIND_FP  1
#define PPROF_UNWIND_CFI 2

#ifdef __cplusplus
extern "C" {
#endif

/* THE API. The block above each call is its reference, under the same headings:
     Returns   what it returns. An int call returns PPROF_OK (0) or a negative
               pprof_result (pprof_strerror names it) unless its block says otherwise;
               after any error the profiler is usable again.
     Threads   from which threads it may be called, and what it shares between them.
     Signals   whether a signal handler may call it: async-signal-safe means no lock, no
               allocation, no stdio.
   Off Linux on x86-64/aarch64 (PLATFORMS) the calls that profile or serve return
   PPROF_ERR_UNSUPPORTED; off glibc so do the heap, block and mutex setters.
   PPROF_DISABLE (CONFIGURATION) makes every call an inline stub: int calls return 0,
   pprof_malloc & co. are libc's, pprof_strerror says "pprof.h is disabled" and
   pprof_version gives PPROF_VERSION_STRING.                                              */
#ifndef PPROF_DISABLE
/* pprof_set_cpu_rate: samples per CPU-second of each thread for the CPU profiles started
   from now on (pprof_cpu_start, pprof_write_cpu, pprof_write_cpu_format, the profile,
   trace and flamegraph endpoints); default 100, as Go's. A running profile keeps its rate.
   Returns   PPROF_OK; PPROF_ERR_RATE outside 1..10000 (the rate stays as it was).
   Threads   any.
   Signals   async-signal-safe (one atomic store).                                        */
PPROF_API int pprof_set_cpu_rate(int hz);

/* pprof_cpu_start: start a CPU profile of every thread of the process, those that exist
   and those created while it runs (WHAT IT DOES), at pprof_set_cpu_rate's rate;
   pprof_cpu_stop ends it and writes it to fp, which must stay open until then. One CPU
   profile runs at a time in the process, whoever started it (this call, pprof_write_cpu,
   pprof_write_cpu_format, an endpoint). Starts the thread "pprof-cpu".
   Returns   PPROF_OK; PPROF_ERR_NULL (fp is NULL); PPROF_ERR_BUSY ("cpu profiling already
             in use": one is running or being written); PPROF_ERR_SIGNAL_BUSY (the program
             has its own handler for PPROF_SIGNAL, which pprof.h never replaces);
             PPROF_ERR_NOMEM; PPROF_ERR_OS (pprof_last_os_error has its errno);
             PPROF_ERR_UNSUPPORTED (PLATFORMS).
   Threads   any; start, stop and the CPU endpoints are serialised by one internal lock.
   Signals   not async-signal-safe (locks, allocates, starts a thread).                   */
PPROF_API int pprof_cpu_start(FILE *fp);

/* pprof_cpu_stop: stop the CPU profile pprof_cpu_start (or pprof_write_cpu) started and
   write it to its fp as a gzipped profile.proto, then fflush(fp). fp stays open: closing
   it is yours. Symbols are read and the profile encoded on the calling thread (NAMES).
   Profiles with no FILE of their own (pprof_write_cpu_format's folded and flame graph
   ones, an endpoint's) are not this call's to stop.
   Returns   PPROF_OK; PPROF_ERR_NOT_RUNNING (none running, one already being written, or
             one it does not stop); PPROF_ERR_IO (fwrite or fflush failed, e.g. on
             /dev/full; the profile is stopped either way; pprof_last_os_error has the
             errno); PPROF_ERR_NOMEM.
   Threads   any, not only the one that started the profile; serialised with the start.
   Signals   not async-signal-safe (locks, allocates, joins a thread, stdio).             */
PPROF_API int pprof_cpu_stop(void);

/* pprof_write_cpu: profile every thread of the process for `seconds`, then write the
   profile to fp (gzipped profile.proto) and fflush it: pprof_cpu_start, a sleep,
   pprof_cpu_stop. fp stays open. A pprof_cpu_stop from another thread meanwhile ends the
   profile early and writes it to fp; this call then returns PPROF_ERR_NOT_RUNNING.
   Returns   as pprof_cpu_start and pprof_cpu_stop; PPROF_ERR_DURATION if seconds < 1.
   Threads   any; blocks the caller for `seconds` (a sleep that signals do not cut short).
   Signals   not async-signal-safe.                                                       */
PPROF_API int pprof_write_cpu(FILE *fp, int seconds);

/* pprof_listen: serve /debug/pprof/ (ENDPOINTS) on 127.0.0.1:port, 0 taking any free port
   (pprof_listen_port says which), as Go's net/http/pprof does: one listener thread reads
   the requests, each whole request gets a thread of its own. Returns once the socket
   listens. Unless pprof_set_token was ever called, it takes the token from the PPROF_TOKEN
   environment variable (ignored, with a warning, when longer than 256 bytes).
   Returns   PPROF_OK; PPROF_ERR_LISTENING (already listening); PPROF_ERR_ADDR_IN_USE;
             PPROF_ERR_ADDRESS (port outside 0..65535); PPROF_ERR_OS (pprof_last_os_error
             has its errno); PPROF_ERR_DISABLED under PPROF_NO_HTTP; PPROF_ERR_UNSUPPORTED.
   Threads   any; after pprof_shutdown it may be called again.
   Signals   not async-signal-safe (locks, starts a thread).                              */
PPROF_API int pprof_listen(int port);
/* pprof_listen_addr: pprof_listen on "host:port", "[ipv6]:port" or ":port". The host is a
   numeric address, never looked up; "localhost" and an empty host mean 127.0.0.1.
   "0.0.0.0:6060" exposes the profiles to the network: your choice, not the default; set a
   token then (pprof_set_token; without one a warning goes to stderr): the endpoints reveal
   the command line and the code.
   Returns   as pprof_listen; PPROF_ERR_ADDRESS also for a NULL or unparsable address and
             for one no interface of this host has.
   Threads   any; after pprof_shutdown it may be called again.
   Signals   not async-signal-safe (locks, starts a thread).                              */
PPROF_API int pprof_listen_addr(const char *addr);
/* pprof_listen_port: the port listened on (the one the system chose when 0 was asked).
   Returns   the port; 0 when not listening (always under PPROF_NO_HTTP).
   Threads   any.
   Signals   not async-signal-safe (takes the listener's lock).                           */
PPROF_API int pprof_listen_port(void);
/* pprof_shutdown: stop accepting, end the requests in flight (a CPU profile within ~100 ms;
   each client gets a whole answer or a clean close), close every socket and join every
   thread of the listener. Optional at exit; pprof_listen may follow it.
   Returns   PPROF_OK; PPROF_ERR_NOT_LISTENING (also under PPROF_NO_HTTP and off Linux).
   Threads   any; blocks until the listener's threads have ended.
   Signals   not async-signal-safe (locks, joins threads).                                */
PPROF_API int pprof_shutdown(void);
/* pprof_set_token: require "Authorization: Bearer <token>" on every request (401 with
   WWW-Authenticate otherwise), from now on, listening or not (rotate it freely); NULL or ""
   requires none. The token is copied. Once called, even with NULL, pprof_listen no longer
   reads PPROF_TOKEN. The comparison takes the same time however much of a guess matches.
   Returns   PPROF_OK; PPROF_ERR_TOKEN (over 256 bytes, or a byte outside '!'..'~': spaces,
             control bytes, non-ASCII); PPROF_ERR_DISABLED under PPROF_NO_HTTP;
             PPROF_ERR_UNSUPPORTED.
   Threads   any.
   Signals   not async-signal-safe (takes a lock).                                        */
PPROF_API int pprof_set_token(const char *token);

/* pprof_label_push: tag what this thread does from now on (CPU samples, heap allocations,
   block and mutex events) with key=value, until the matching pprof_label_pop. Pushes nest
   (16 deep); an inner push of the same key shadows the outer value. The labels appear as
   sample labels (go tool pprof -tags, -tagfocus=key=value); thread dumps and the legacy
   text formats do not show them. Strings are copied. A new thread starts with none.
   Returns   PPROF_OK; PPROF_ERR_NULL (key or value is NULL); PPROF_ERR_LABELS (16 deep
             already, 1048576 distinct label sets in the process, or no memory for a new
             one). On an error the thread's labels stay as they were.
   Threads   the calling thread's labels only; each push looks its set up under a short
             process-wide lock, and the first push of a set also copies the strings.
   Signals   not async-signal-safe (takes a lock, may allocate).                          */
PPROF_API int pprof_label_push(const char *key, const char *value);
/* pprof_label_pop: undo the last successful pprof_label_push of this thread; with none
   left it does nothing.
   Returns   nothing.
   Threads   the calling thread's labels only.
   Signals   async-signal-safe (this thread's own label stack; no lock).                  */
PPROF_API void pprof_label_pop(void);

/* pprof_set_heap_rate: mean bytes allocated between heap samples (Go's MemProfileRate),
   default 524288; 1 records every allocation, 0 stops sampling (what was sampled is still
   reported). It rules pprof_malloc & co. and the PPROF_WRAP_MALLOC wrappers; every thread
   redraws its countdown at its next allocation. Each sample keeps the weight of the rate
   it was taken at, so a change never biases the profile (HEAP PROFILES).
   Returns   PPROF_OK; PPROF_ERR_UNSUPPORTED where heap profiling is not (off glibc).
   Threads   any.
   Signals   async-signal-safe (atomic stores).                                           */
PPROF_API int pprof_set_heap_rate(size_t bytes);

/* pprof_malloc, pprof_calloc, pprof_realloc, pprof_free: the C allocator, sampled for the
   heap profile (the sampled allocation is recorded with the stack of its caller), for
   programs that do not define PPROF_WRAP_MALLOC (which samples every malloc of the
   process instead). Same contracts as malloc, calloc, realloc (n = 0 frees and returns
   NULL, as glibc) and free. Memory from pprof_malloc/calloc/realloc must go back through
   pprof_free or pprof_realloc (not free, not malloc_usable_size). pprof_free also takes
   memory from glibc's malloc, but not from a sanitizer's or another allocator's. Off
   glibc they are malloc, calloc, realloc and free.
   Returns   as malloc, calloc (NULL with errno ENOMEM when count * size overflows),
             realloc and free.
   Threads   any.
   Signals   not async-signal-safe (no more than malloc and free are).                    */
PPROF_API void *pprof_malloc(size_t size);
PPROF_API void *pprof_calloc(size_t count, size_t size);
PPROF_API void *pprof_realloc(void *ptr, size_t size);
PPROF_API void pprof_free(void *ptr);

/* pprof_write_heap: write the heap profile (Go's four sample types, alloc_objects,
   alloc_space, inuse_objects and inuse_space, the last shown by default; in use means live
   now, not as of a GC) as a gzipped profile.proto to fp, and fflush it: the same as
   pprof_write_profile("heap", fp, 0). Cheap: no pause, no sampling.
   Returns   PPROF_OK; PPROF_ERR_NULL; PPROF_ERR_IO (its errno is not kept for
             pprof_last_os_error); PPROF_ERR_NOMEM; PPROF_ERR_UNSUPPORTED.
   Threads   any.
   Signals   not async-signal-safe (locks, allocates, stdio).                             */
PPROF_API int pprof_write_heap(FILE *fp);

/* pprof_write_profile: write the named profile to fp as /debug/pprof/<name>?debug=<debug>
   would, and fflush it. name: "heap", "allocs" (same data, alloc_space by default),
   "goroutine" (also "threads": a thread dump, LOCKS, WAITS AND THREADS), "threadcreate",
   "block", "mutex" (those three fed by PPROF_WRAP_PTHREAD). debug, a PPROF_FORMAT_*:
   0 gzipped profile.proto, 1 Go's legacy text, 2 for goroutine a list of every thread
   with its frames (for the others as 1), 3 folded stacks ("a;b;c value" lines for
   flamegraph.pl and speedscope, the value each profile's default sample type, as
   PPROF_FORMAT_* says), 4 the flame graph page (HTML).
   Returns   PPROF_OK; PPROF_ERR_NULL (name or fp); PPROF_ERR_NAME; PPROF_ERR_DEBUG
             (outside 0..4); PPROF_ERR_IO (its errno is not kept for pprof_last_os_error);
             PPROF_ERR_NOMEM; PPROF_ERR_UNSUPPORTED.
   Threads   any; a goroutine dump sends PPROF_SIGNAL to the running threads and waits
             100 ms at most for their stacks.
   Signals   not async-signal-safe (locks, allocates, stdio).                             */
PPROF_API int pprof_write_profile(const char *name, FILE *fp, int debug);

/* pprof_write_cpu_format: pprof_write_cpu in format PPROF_FORMAT_PROTO (the same call),
   PPROF_FORMAT_FOLDED (values in nanoseconds of CPU) or PPROF_FORMAT_FLAMEGRAPH (one
   self-contained HTML page). A folded or flame graph profile is this call's own:
   pprof_cpu_stop does not end it (that returns PPROF_ERR_NOT_RUNNING).
   Returns   as pprof_write_cpu; PPROF_ERR_DEBUG for another format.
   Threads   any; blocks the caller for `seconds`.
   Signals   not async-signal-safe.                                                       */
PPROF_API int pprof_write_cpu_format(FILE *fp, int seconds, int format);

/* pprof_set_mutex_fraction: record 1 in n contended unlocks in the mutex profile (Go's
   SetMutexProfileFraction; 0, the default, is off), each counted n times so totals stay
   unbiased: the delay a lock holder caused its waiters, at the stack that unlocks. Events
   come from the pthread functions PPROF_WRAP_PTHREAD wraps; without it none are recorded.
   Returns   PPROF_OK; PPROF_ERR_FRACTION if n < 0; PPROF_ERR_UNSUPPORTED off glibc.
   Threads   any.
   Signals   async-signal-safe (one atomic store).                                        */
PPROF_API int pprof_set_mutex_fraction(int n);
/* pprof_set_block_rate: record every wait of at least ns nanoseconds in the block profile,
   a shorter one with probability duration/ns, scaled so totals stay unbiased (Go's
   SetBlockProfileRate; 0, the default, is off): a contended mutex or rwlock, a condition
   variable, a semaphore, a join, at the waiter's stack. Events come from the pthread
   functions PPROF_WRAP_PTHREAD wraps; without it none are recorded.
   Returns   PPROF_OK; PPROF_ERR_FRACTION if ns < 0; PPROF_ERR_UNSUPPORTED off glibc.
   Threads   any.
   Signals   async-signal-safe (one atomic store).                                        */
PPROF_API int pprof_set_block_rate(long ns);

/* pprof_set_unwind: the stack walker of every profile from now on (STACKS):
   PPROF_UNWIND_CFI (unwind tables from .eh_frame, frame records where there are none; the
   default, unless PPROF_UNWIND says otherwise) or PPROF_UNWIND_FP (frame records only).
   Unwind tables are built outside signal handlers, at the next region refresh (a CPU
   profile's start, a thread dump, a sampled allocation or lock event); until then frame
   records serve.
   Returns   PPROF_OK; PPROF_ERR_UNWIND for another value; PPROF_ERR_UNSUPPORTED.
   Threads   any.
   Signals   async-signal-safe (atomic stores).                                           */
PPROF_API int pprof_set_unwind(int mode);

/* pprof_strerror: the message of a result code (the texts in PPROF__RESULTS above),
   "unknown pprof.h result code" for any other number.
   Returns   a string constant, never NULL; not to be freed or written.
   Threads   any.
   Signals   async-signal-safe.                                                           */
PPROF_API const char *pprof_strerror(int code);
/* pprof_last_os_error: the errno of the last failed system call behind a PPROF_ERR_OS, or
   behind the PPROF_ERR_IO of a CPU profile's write (pprof_cpu_stop, pprof_write_cpu,
   pprof_write_cpu_format; pprof_write_profile and pprof_write_heap do not keep theirs).
   One value for the whole process: the last such failure in any thread.
   Returns   that errno; 0 if there was none.
   Threads   any.
   Signals   async-signal-safe (one atomic load).                                         */
PPROF_API int pprof_last_os_error(void);
/* pprof_version: the version of the implementation linked, PPROF_VERSION_STRING as it was
   built ("MAJOR.MINOR.PATCH"; a caller may compare it with the PPROF_VERSION_STRING and
   PPROF_VERSION_NUMBER it was compiled with).
   Returns   a string constant, never NULL.
   Threads   any.
   Signals   async-signal-safe.                                                           */
PPROF_API const char *pprof_version(void);

#else /* PPROF_DISABLE: call sites compile, nothing runs, nothing is linked */
static inline int pprof_set_cpu_rate(int hz) { (void)hz; return 0; }
static inline int pprof_cpu_start(FILE *fp) { (void)fp; return 0; }
static inline int pprof_cpu_stop(void) { return 0; }
static inline int pprof_write_cpu(FILE *fp, int seconds) { (void)fp; (void)seconds; return 0; }
static inline int pprof_listen(int port) { (void)port; return 0; }
static inline int pprof_listen_addr(const char *addr) { (void)addr; return 0; }
static inline int pprof_listen_port(void) { return 0; }
static inline int pprof_shutdown(void) { return 0; }
static inline int pprof_set_token(const char *token) { (void)token; return 0; }
static inline int pprof_label_push(const char *key, const char *value) {
    (void)key; (void)value; return 0;
}
static inline void pprof_label_pop(void) {}
static inline const char *pprof_strerror(int code) { (void)code; return "pprof.h is disabled"; }
static inline int pprof_last_os_error(void) { return 0; }
static inline const char *pprof_version(void) { return PPROF_VERSION_STRING; }
static inline int pprof_set_heap_rate(size_t bytes) { (void)bytes; return 0; }
static inline void *pprof_malloc(size_t size) { return malloc(size); }
static inline void *pprof_calloc(size_t count, size_t size) { return calloc(count, size); }
static inline void *pprof_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
static inline void pprof_free(void *ptr) { free(ptr); }
static inline int pprof_write_heap(FILE *fp) { (void)fp; return 0; }
static inline int pprof_set_mutex_fraction(int n) { (void)n; return 0; }
static inline int pprof_set_block_rate(long ns) { (void)ns; return 0; }
static inline int pprof_write_profile(const char *name, FILE *fp, int debug) {
    (void)name; (void)fp; (void)debug; return 0;
}
static inline int pprof_write_cpu_format(FILE *fp, int seconds, int format) {
    (void)fp; (void)seconds; (void)format; return 0;
}
static inline int pprof_set_unwind(int mode) { (void)mode; return 0; }
#endif

#ifdef __cplusplus
}
#endif
#endif /* PPROF_H_INCLUDED */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
#if defined(PPROF_IMPLEMENTATION) && !defined(PPROF_DISABLE) && !defined(PPROF__IMPL_INCLUDED)
#define PPROF__IMPL_INCLUDED
/* Contents, in file order (tools/lint.sh checks this table against the banners). Sections
   marked * hold code the signal handler reaches ("sigsafe:" functions). The order is that
   of the data: the handler's zone, then what turns its samples into profiles, then each
   kind of profile, then the writers and the ways out. Two places differ from a pure
   pipeline: >>text comes before >>dump, whose thread list prints with it, and >>page
   before >>flame, which wraps it around the data.
     >>config   tunables and their checks
    *>>os       platform macros, clocks, futex waits, threads, fds, locks and the lock order
    *>>mem      the profiler's own allocator, growable arrays, the one hash, the byte
                buffer, mapped pages
     >>labels   a thread's labels as one interned number
    *>>sig      the state the handler shares with the drain thread; rules of sigsafe code
    *>>snap     the published region snapshot and its lookup
    *>>unw      the stack walk: unwind rules, frame records, every read within bounds
    *>>ring     the handler-to-drain sample queue
    *>>handler  the signal handler: samples, dump stacks, the program's view of the signal
     >>maps     /proc/self/maps parsed; mappings compared
     >>agg      stacks aggregated by the drain thread
     >>pb       profile.proto encoding: varints, messages, the string table
     >>gz       gzip: zlib, or stored deflate blocks
     >>sym      ELF symbol tables, build ids, names for addresses
     >>cfi      unwind tables from .eh_frame; the snapshot publisher; stacks outside handlers
     >>prof     the encoder every profile kind shares: samples + spec -> profile.proto;
                the list of kinds (PPROF__KINDS)
     >>cpu      per-thread timers, the drain thread, the CPU profile and /trace's timeline
     >>rec      records by stack: the heap, block, mutex and threadcreate counters
     >>heap     sampled allocations: the allocator beneath, sampled blocks, the
                malloc and operator new wrappers, the profile of any record table
     >>sync     block, mutex and threadcreate events; pthread wrappers
     >>sigwrap  the program's sigaction and signal calls (PPROF_WRAP_SIGNAL)
     >>text     Go's legacy debug=1 text of heap, block, mutex, threadcreate
     >>dump     thread dumps: the goroutine profile and its thread lists
     >>page     the flame graph page's HTML, CSS and script
     >>flame    folded stacks and the flame graph page from any profile
     >>named    profiles by name and format, for the API and the endpoints
     >>http     the /debug/pprof/ listener: poll loop, parser, routes
     >>fork     the one fork handler; the lock order checked (PPROF_DEBUG_LOCKS)
     >>none     the dummy backend: what this build compiles out returns its error here
     >>api      the public functions, each defined once                                  */

// =========================================================================================
// >>config: the tunables a program may define before including pprof.h, and their checks.
// =========================================================================================
#ifndef PPROF_SIGNAL
#define PPROF_SIGNAL (SIGRTMAX - 8) /* a real-time signal no common program or library
                                       takes (GNU sort, shells and "reset every signal"
                                       code do take SIGPROF); not SIGRTMAX: valgrind's */
#endif
#ifndef PPROF_MAX_FRAMES
#define PPROF_MAX_FRAMES 128   /* deeper stacks are cut (Go keeps 128 too); 8 bytes per
                                  frame in every ring slot: 2.1 MiB of ring */
#endif
#if PPROF_MAX_FRAMES < 8 || PPROF_MAX_FRAMES > 512
#  error "pprof.h: PPROF_MAX_FRAMES must be between 8 and 512"
#endif
#ifndef PPROF_UNWIND
#define PPROF_UNWIND PPROF_UNWIND_CFI /* the walker; pprof_set_unwind changes it at run time */
#endif
#if PPROF_UNWIND != PPROF_UNWIND_FP && PPROF_UNWIND != PPROF_UNWIND_CFI
#  error "pprof.h: PPROF_UNWIND must be PPROF_UNWIND_FP or PPROF_UNWIND_CFI"
#endif
#ifndef PPROF_RING_SLOTS
#define PPROF_RING_SLOTS 2048  /* ~ (PPROF_MAX_FRAMES * 8 + 32) bytes each, mapped once */
#endif
#if PPROF_RING_SLOTS < 16 || PPROF_RING_SLOTS > 1048576 || \
    (PPROF_RING_SLOTS & (PPROF_RING_SLOTS - 1)) != 0
#  error "pprof.h: PPROF_RING_SLOTS must be a power of two between 16 and 1048576"
#endif
#ifndef PPROF_MAX_MAPS
#define PPROF_MAX_MAPS 8192    /* regions of each kind the unwinder knows; 16 bytes each, x4 */
#endif
#if PPROF_MAX_MAPS < 64 || PPROF_MAX_MAPS > 1048576
#  error "pprof.h: PPROF_MAX_MAPS must be between 64 and 1048576"
#endif
#if (defined(PPROF_MALLOC) + defined(PPROF_REALLOC) + defined(PPROF_FREE)) % 3 != 0
#  error "pprof.h: define PPROF_MALLOC, PPROF_REALLOC and PPROF_FREE together, or none"
#endif
#ifndef PPROF_HTTP_MAX_CONN
#define PPROF_HTTP_MAX_CONN 64     /* requests served at once (a thread each, 256 KiB of stack);
                                      more get 503 */
#endif
#ifndef PPROF_HTTP_MAX_HEADER
#define PPROF_HTTP_MAX_HEADER 16384 /* request line + headers; a longer request gets 431 */
#endif
#define PPROF_HTTP_MAX_LINE 8192    /* request line; longer gets 414 */
#ifndef PPROF_HTTP_MAX_BODY
#define PPROF_HTTP_MAX_BODY (1 << 20) /* a request body; larger gets 413 */
#endif
#ifndef PPROF_HTTP_TIMEOUT_S
#define PPROF_HTTP_TIMEOUT_S 10    /* a client silent this long mid-request gets 408 */
#endif
#ifndef PPROF_HTTP_IDLE_S
#define PPROF_HTTP_IDLE_S 60       /* a kept-alive connection without a request this long is
                                      closed (scrapers come every 10-15 s) */
#endif
#ifndef PPROF_HTTP_MAX_PENDING
#define PPROF_HTTP_MAX_PENDING 128 /* connections still sending their request (no thread
                                      each); when full, the oldest is closed */
#endif
#if PPROF_HTTP_MAX_PENDING < 2 || PPROF_HTTP_MAX_PENDING > 4096
#  error "pprof.h: PPROF_HTTP_MAX_PENDING must be between 2 and 4096"
#endif
#define PPROF__TOKEN_MAX 256       /* the longest access token pprof_set_token takes */
#if PPROF_HTTP_MAX_CONN < 2 || PPROF_HTTP_MAX_CONN > 1024
#  error "pprof.h: PPROF_HTTP_MAX_CONN must be between 2 and 1024"
#endif
#define PPROF_HTTP_DEFAULT_BIND "127.0.0.1" /* profiles reveal code layout: wider is opt-in */
#define PPROF_DEFAULT_HZ 100
#define PPROF__DRAIN_NS 20000000L     /* the drain thread drains and scans every 20 ms */
#define PPROF__MAPS_NS 500000000L     /* region snapshot every 500 ms, and after a miss */
#define PPROF__RING_MASK ((uint64_t)PPROF_RING_SLOTS - 1u)

// =========================================================================================
// >>os: the only place raw OS, CPU and compiler macros appear: clocks, futex waits, the
// interrupted context's registers, threads, descriptors, errno for pprof_last_os_error,
// and the process-wide lock order.
// =========================================================================================
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <signal.h>
#include <pthread.h>

#if defined(__GLIBC__) && !defined(__USE_MISC)
#  error "pprof.h: the implementation needs _DEFAULT_SOURCE: make pprof.h the first #include of the file that defines PPROF_IMPLEMENTATION, or compile that file with -D_DEFAULT_SOURCE"
#endif

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#  define PPROF__SUPPORTED 1
#  if defined(__x86_64__)
#    define PPROF__X86_64 1
#  else
#    define PPROF__AARCH64 1
#  endif
#  include <unistd.h>
#  include <fcntl.h>
#  include <dirent.h>
#  include <ucontext.h>
#  include <elf.h>
#  include <sys/syscall.h>
#  include <sys/mman.h>
#  include <sys/uio.h>
#  include <sys/stat.h>
#  include <sys/time.h>
#  include <sys/prctl.h>
#  include <sys/auxv.h>
#  include <sys/resource.h>
#else
#  define PPROF__SUPPORTED 0
#endif
#ifdef PPROF_USE_ZLIB
#  include <zlib.h>
#endif

#define PPROF__FN static __attribute__((unused))
#define PPROF__HOT static inline __attribute__((unused, always_inline)) /* the walk's steps */
#define PPROF__NOINLINE __attribute__((noinline))
#define PPROF__TLS __thread __attribute__((tls_model("initial-exec")))
#if defined(__clang__) || defined(__GNUC__)
#  define PPROF__NO_SANITIZE __attribute__((no_sanitize_address, no_sanitize_thread))
#else
#  define PPROF__NO_SANITIZE
#endif
#if defined(__clang__)
#  undef PPROF__NO_SANITIZE
#  define PPROF__NO_SANITIZE \
    __attribute__((no_sanitize("address", "thread", "undefined", "memory")))
#endif
/* Atomics are GCC's __atomic builtins, each with its memory order written at the call. */

#define PPROF__LIKELY(x) __builtin_expect(!!(x), 1)
#define PPROF__FPW ((uintptr_t)__builtin_frame_address(0)) /* a public entry's frame */
#define PPROF__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Heap, block and mutex profiles need glibc: the profiler's own memory, and the allocator
   beneath pprof_malloc, are its __libc_* entry points (exported since glibc 2.0), which no
   wrapper interposes; beneath PPROF_WRAP_MALLOC is whatever malloc comes next (>>heap).
   Sanitizers bring their own allocator: then PPROF_WRAP_MALLOC interposes nothing and only
   pprof_malloc & co. are sampled. */
#if PPROF__SUPPORTED && defined(__GLIBC__)
#  define PPROF__HEAP 1
#else
#  define PPROF__HEAP 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define PPROF__SANITIZED 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
      __has_feature(memory_sanitizer)
#    define PPROF__SANITIZED 1
#  endif
#endif
#ifndef PPROF__SANITIZED
#  define PPROF__SANITIZED 0
#endif
#if PPROF__HEAP && defined(PPROF_WRAP_MALLOC) && !PPROF__SANITIZED
#  define PPROF__INTERPOSE 1
#else
#  define PPROF__INTERPOSE 0
#endif
#if PPROF__HEAP && defined(PPROF_WRAP_PTHREAD) && !PPROF__SANITIZED
#  define PPROF__WRAPSYNC 1
#else
#  define PPROF__WRAPSYNC 0
#endif
#if PPROF__HEAP && defined(PPROF_WRAP_SIGNAL) && !PPROF__SANITIZED
#  define PPROF__WRAPSIG 1
#else
#  define PPROF__WRAPSIG 0
#endif
#if PPROF__HEAP
#ifdef __cplusplus
extern "C" {
#endif
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
#ifdef __cplusplus
}
#endif
#endif

static int pprof__os_errno;     /* errno of the last failed system call behind PPROF_ERR_OS */
/* Remembers err, the errno of a failed system call (or the result of a failed pthread
   call), for pprof_last_os_error. */
PPROF__FN void pprof__os_fail(int err) { __atomic_store_n(&pprof__os_errno, err, __ATOMIC_RELAXED); }
static int pprof__cpu_hz_next;  /* pprof_set_cpu_rate, for the next profile; 0 = default */

#if PPROF__SUPPORTED
// sigsafe: clock_gettime is async-signal-safe (vDSO).
PPROF__FN int64_t pprof__os_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
PPROF__FN int64_t pprof__os_wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* The CPU time of the whole process (every thread, live or ended). */
PPROF__FN int64_t pprof__os_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
// sigsafe: a raw system call.
PPROF__FN int pprof__os_gettid(void) { return (int)syscall(SYS_gettid); }

// sigsafe: the interrupted registers, the only architecture-specific reads of the handler.
PPROF__FN void pprof__os_regs(const void *uc, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp,
                              uintptr_t *lr) {
    const ucontext_t *u = (const ucontext_t *)uc;
#if defined(PPROF__X86_64)
    *pc = (uintptr_t)u->uc_mcontext.gregs[16]; /* REG_RIP */
    *fp = (uintptr_t)u->uc_mcontext.gregs[10]; /* REG_RBP */
    *sp = (uintptr_t)u->uc_mcontext.gregs[15]; /* REG_RSP */
    *lr = 0;
#else
    *pc = (uintptr_t)u->uc_mcontext.pc;
    *sp = (uintptr_t)u->uc_mcontext.sp;
    *fp = (uintptr_t)u->uc_mcontext.regs[29];
    *lr = (uintptr_t)u->uc_mcontext.regs[30];
#endif
}

// sigsafe: DWARF register reg of the interrupted context into *v; 0 if it holds none such.
PPROF__FN int pprof__os_dwarf_reg(const void *uc, unsigned reg, uintptr_t *v) {
    const ucontext_t *u = (const ucontext_t *)uc;
#if defined(PPROF__X86_64)
    /* DWARF numbers rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip, as REG_* indices */
    static const unsigned char greg[17] = {13, 12, 14, 11, 9, 8, 10, 15, 0, 1, 2, 3, 4, 5, 6, 7, 16};
    if (reg > 16) return 0;
    *v = (uintptr_t)u->uc_mcontext.gregs[greg[reg]];
#else
    if (reg < 31) *v = (uintptr_t)u->uc_mcontext.regs[reg];
    else if (reg == 31) *v = (uintptr_t)u->uc_mcontext.sp;
    else return 0;
#endif
    return 1;
}

/* Sleeps up to ns while *word is 0: a futex, which pprof__os_wake ends early. */
PPROF__FN void pprof__os_wait_ns(int *word, int64_t ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    syscall(SYS_futex, word, 128 /* FUTEX_WAIT_PRIVATE */, 0, &ts, NULL, 0);
}
// sigsafe: ends a pprof__os_wait_ns on word (a raw system call).
PPROF__FN void pprof__os_wake(int *word) {
    __atomic_store_n(word, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, word, 129 /* FUTEX_WAKE_PRIVATE */, 1, NULL, NULL, 0);
}

/* Sleeps for ns, resuming after signals. */
PPROF__FN void pprof__os_sleep_ns(int64_t ns) {
    struct timespec ts, rem;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
}

/* Reads a whole small file (procfs) into a NUL-terminated PPROF_MALLOC buffer. */
PPROF__FN char *pprof__os_read_file(const char *path, size_t *len_out);

/* The process's procfs file `what` as the calling thread sees it. maps: always through
   /proc/thread-self (Linux 3.17; /proc/self before): /proc/self/maps reads empty from the
   moment main calls pthread_exit while other threads run. exe and cmdline: /proc/self while
   it answers, as tools that run the program emulate only its names (valgrind answers
   /proc/self/exe with the program, /proc/thread-self/exe with itself), else thread-self. */
PPROF__FN const char *pprof__os_self(char *buf, size_t n, const char *what) {
    static int ts; /* atomic: 0 not known yet, 1 /proc/thread-self exists, 2 it does not */
    int t = __atomic_load_n(&ts, __ATOMIC_RELAXED);
    const char *dir = "/proc/self";
    if (!t) {
        t = access("/proc/thread-self/maps", R_OK) == 0 ? 1 : 2;
        __atomic_store_n(&ts, t, __ATOMIC_RELAXED);
    }
    if (t == 1 && (strcmp(what, "maps") == 0 || access("/proc/self/exe", F_OK) != 0))
        dir = "/proc/thread-self";
    snprintf(buf, n, "%s/%s", dir, what);
    return buf;
}

#if PPROF__WRAPSIG
/* The C library's sigaction: with PPROF_WRAP_SIGNAL the program's goes to pprof.h's. */
#include <dlfcn.h>
typedef int (*pprof__fn_sigaction)(int, const struct sigaction *, struct sigaction *);
PPROF__FN int pprof__os_sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    static pprof__fn_sigaction real; /* atomic */
    pprof__fn_sigaction f = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (!f) {
        void *v = dlsym((void *)-1l /* RTLD_NEXT */, "sigaction");
        if (!v) abort(); /* libc always has it */
        memcpy(&f, &v, sizeof f);
        __atomic_store_n(&real, f, __ATOMIC_RELEASE);
    }
    return f(sig, act, old);
}
#else
#define pprof__os_sigaction sigaction
#endif

/* Starts one of the profiler's own threads (the drain thread, the listener, which starts
   the request threads, libpprof.so's writer) with every signal blocked for its whole life,
   threads it starts too: a signal the program sends to the process (SIGTERM for a sigwait
   loop, SIGUSR1, SIGINT) always goes to one of the program's threads, and the profiler's
   threads are never sampled. Only faults stay open (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
   SIGTRAP, SIGSYS: they are the thread's own, and the program's crash handler must see
   them). Returns pthread_create's result. */
PPROF__FN int pprof__os_thread(pthread_t *th, void *(*fn)(void *)) {
    static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
    sigset_t block, old;
    size_t i;
    int rc;
    sigfillset(&block);
    for (i = 0; i < sizeof faults / sizeof faults[0]; i++) sigdelset(&block, faults[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(th, NULL, fn, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* A descriptor the profiler opened, with the object behind it. The program may close any
   descriptor and get its number again for something else (daemons close 3..1023 at start,
   servers run out): the profiler reads, writes, polls or closes one only while fstat says
   it is still the same object, and a lost one is never touched again. */
typedef struct pprof__fdid { int fd; dev_t dev; ino_t ino; } pprof__fdid;
PPROF__FN pprof__fdid pprof__fd_id(int fd) {
    pprof__fdid id;
    struct stat sb;
    memset(&id, 0, sizeof id);
    id.fd = fd >= 0 && fstat(fd, &sb) == 0 ? fd : -1;
    if (id.fd >= 0) { id.dev = sb.st_dev; id.ino = sb.st_ino; }
    return id;
}
PPROF__FN int pprof__fd_ours(const pprof__fdid *id) {
    struct stat sb;
    return id->fd >= 0 && fstat(id->fd, &sb) == 0 && sb.st_dev == id->dev && sb.st_ino == id->ino;
}
/* Closes id's descriptor if it is still the profiler's; forgets it either way. */
PPROF__FN void pprof__fd_close(pprof__fdid *id) {
    if (pprof__fd_ours(id)) close(id->fd);
    id->fd = -1;
}

/* THE LOCK ORDER. Every process-wide lock of the implementation, in the one order in which
   they may nest: a thread holding one takes only locks further down the list. A thread
   that waits for another (a join, a dump's answers) while holding one counts as holding it
   for what the other takes. The single fork handler (>>fork) takes them all in this order,
   so the child finds each free and the state it guards whole. Built with
   PPROF_DEBUG_LOCKS, every acquisition is checked against it (the runner's sanitizer
   build is).
      1  pprof__http_mu        listen and shutdown                          >>http
      2  pprof__http_conn_mu   the listener's connections                   >>http
      3  pprof__dump_mu        one thread dump at a time                    >>dump
      4  pprof__cpu_mu         CPU windows' start and stop                  >>cpu
      5  pprof__cpu_win_mu     the CPU windows and the drain (a leaf)       >>cpu
      6  pprof__unw_mu         region snapshots and unwind tables           >>cfi
      7  pprof__sym_mu         symbol tables                                >>sym
      8  pprof__lbl.mu         label sets                                   >>labels
      9  pprof__heap.mu, pprof__block.mu, pprof__mutex.mu, pprof__tcreate.mu:
                               record tables (leaves: nothing is taken under them) >>rec
     10  pprof__http_token_mu  the access token (a leaf)                    >>http
   Below all of them: the C library's own (malloc's arenas, stdio's, the dynamic linker's),
   which fork takes after the handlers have run. The spin words (>>sync's wait slots, the
   refresh claim) are held across no call that takes a lock. */
#endif
#if defined(PPROF_DEBUG_LOCKS) && PPROF__SUPPORTED
PPROF__FN void pprof__lock(pthread_mutex_t *m);   /* checked: defined in >>fork */
PPROF__FN void pprof__unlock(pthread_mutex_t *m);
#else
#  define pprof__lock(m) ((void)pthread_mutex_lock(m))
#  define pprof__unlock(m) ((void)pthread_mutex_unlock(m))
#endif
PPROF__FN void pprof__fork_init(void); /* registers the fork handler once (>>fork, >>none) */

// =========================================================================================
// >>mem: the profiler's own memory, never through wrappers the program may interpose; the
// guard that keeps the profiler's own work out of its profiles; the one hash; growable
// arrays and the byte buffer every encoder and writer appends to.
// =========================================================================================
#if !defined(PPROF_MALLOC) && (PPROF__INTERPOSE || PPROF__WRAPSYNC) /* beneath any wrapper */
#  define PPROF_MALLOC(n) __libc_malloc(n)
#  define PPROF_REALLOC(p, n) __libc_realloc(p, n)
#  define PPROF_FREE(p) __libc_free(p)
#elif !defined(PPROF_MALLOC)
#  define PPROF_MALLOC(n) malloc(n)
#  define PPROF_REALLOC(p, n) realloc(p, n)
#  define PPROF_FREE(p) free(p)
#endif

#if PPROF__HEAP
/* The "inside the profiler" guard, one per thread, for the whole process: while a thread
   does profiler work (depth > 0, between PPROF__INSIDE_ENTER and _LEAVE, which nest: the
   API's entry points, the recorders) or is one of the profiler's own threads (own_thread,
   for its whole life: the drain thread, the HTTP threads), nothing it does is profiled:
   its allocations pass through the wrappers unsampled (>>heap), its lock waits, unlocks
   and thread starts are not recorded (>>sync). It keeps the profiler's own work out of the
   profiles, and a recorder from entering itself again through a wrapped malloc or lock.
   Here because every part of the profiler marks itself with it. */
typedef struct pprof__inside_t {
    unsigned depth;
    unsigned own_thread;
} pprof__inside_t;
static PPROF__TLS pprof__inside_t pprof__inside;
#define PPROF__INSIDE_ENTER() (pprof__inside.depth++)
#define PPROF__INSIDE_LEAVE() (pprof__inside.depth--)
#define PPROF__INSIDE_OWN_THREAD() (pprof__inside.own_thread = 1)
#define PPROF__INSIDE() (pprof__inside.depth || pprof__inside.own_thread)

/* Per-thread heap sampling state (see >>heap). */
typedef struct pprof__htls {
    size_t left;             /* bytes until the next sample */
    uint32_t epoch;          /* pprof__heap_epoch when `left` was drawn */
    uint32_t stk_miss;       /* lookups of this thread's stack that failed */
    uint64_t rng;
    uintptr_t stk_lo, stk_hi; /* this thread's own stack, once known */
} pprof__htls;

static PPROF__TLS pprof__htls pprof__heap_t;

#else
#define PPROF__INSIDE_ENTER() ((void)0)
#define PPROF__INSIDE_LEAVE() ((void)0)
#define PPROF__INSIDE_OWN_THREAD() ((void)0)
#endif

/* Grows *p (an array of elem-sized items with capacity *cap) to hold at least need items. */
PPROF__FN int pprof__mem_grow(void **p, size_t *cap, size_t need, size_t elem) {
    size_t ncap = *cap ? *cap : 16;
    void *np;
    if (need <= *cap) return 0;
    while (ncap < need) ncap *= 2;
    np = PPROF_REALLOC(*p, ncap * elem);
    if (!np) return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

PPROF__FN char *pprof__mem_strdup(const char *str) {
    size_t n = strlen(str) + 1;
    char *p = (char *)PPROF_MALLOC(n);
    if (p) memcpy(p, str, n);
    return p;
}

/* The one hash of the profiler, for every table (label sets, stacks, strings, unwind rules,
   the encoder's maps, lock waiters, paged blocks, the snapshot's caches) and the sampled
   blocks' check: words mixed into h one at a time. Each step multiplies by 2^64 / phi and
   folds the high half into the low one, so the low bits (tables indexed by h & (cap - 1))
   and the high bits are both well mixed. */
#define PPROF__HASH_MUL 0x9E3779B97F4A7C15ull
// sigsafe: arithmetic only, always inline.
PPROF__HOT uint64_t pprof__hash_mix(uint64_t h, uint64_t w) {
    h = (h ^ w) * PPROF__HASH_MUL;
    return h ^ (h >> 32);
}
/* pprof__hash_mix(0, x) >> (64 - bits): the slot of x in a table of 2^bits, the same value
   without the fold, which the top bits do not need and compilers do not always drop. For
   the handler and the free and unlock fast paths (Fibonacci hashing). */
// sigsafe: arithmetic only, always inline.
PPROF__HOT size_t pprof__hash_top(uint64_t x, unsigned bits) {
    return (size_t)((x * PPROF__HASH_MUL) >> (64 - bits));
}
/* The hash of the n bytes at p, after seed (a key's other parts); never 0. Eight bytes a
   word (the last ones padded with zeros), then the count, so keys hashed one after another
   keep their boundaries. */
PPROF__FN uint64_t pprof__hash_bytes(uint64_t seed, const void *p, size_t n) {
    const unsigned char *c = (const unsigned char *)p;
    uint64_t h = pprof__hash_mix(0, seed), w;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, c + i, 8);
        h = pprof__hash_mix(h, w);
    }
    if (i < n) {
        w = 0;
        memcpy(&w, c + i, n - i);
        h = pprof__hash_mix(h, w);
    }
    h = pprof__hash_mix(h, (uint64_t)n);
    return h ? h : 1;
}

/* A growable byte buffer, what every encoder and writer appends to. An append that cannot
   grow it sets oom, and every later append is dropped: callers check once, at the end. */
typedef struct pprof__buf {
    unsigned char *p;
    size_t len, cap;
    int oom;
    int depth;             /* >>pb: messages open, and where each one's length goes */
    size_t open[8];
} pprof__buf;

PPROF__FN void pprof__buf_put(pprof__buf *b, const void *d, size_t n) {
    if (b->oom || pprof__mem_grow((void **)&b->p, &b->cap, b->len + n, 1) != 0) {
        b->oom = 1;
        return;
    }
    if (n) memcpy(b->p + b->len, d, n);
    b->len += n;
}

#if PPROF__SUPPORTED
/* Zeroed pages straight from the kernel, for buffers the handler touches. */
PPROF__FN void *pprof__mem_map(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

PPROF__FN char *pprof__os_read_file(const char *path, size_t *len_out) {
    size_t len = 0, cap = 0;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    for (;;) {
        ssize_t r;
        if (pprof__mem_grow((void **)&buf, &cap, len + 4097, 1) != 0) break;
        r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (buf) buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}
#endif

// =========================================================================================
// >>labels: a thread's labels (pprof_label_push/pop) as one number, the id of an interned
// set, in initial-exec TLS: the signal handler and the recorders copy the number, nothing
// else. A set is (parent set, key, value); its pairs are read when a profile is written.
// =========================================================================================
#define PPROF__LABEL_DEPTH 16          /* pushes per thread */
#define PPROF__LABEL_SETS (1u << 20)   /* distinct sets per process */
typedef struct pprof__lset { uint32_t parent; char *key, *val; uint64_t hash; } pprof__lset;
static struct pprof__lbl_state {
    pthread_mutex_t mu;
    pprof__lset *e;   /* e[id - 1] */
    size_t n, cap;
    uint32_t *idx;    /* open addressing over ids (0 empty) */
    size_t icap;
} pprof__lbl = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, NULL, 0}; /* mu: lock 8 (>>os) */
typedef struct pprof__ltls_t {
    uint32_t cur;     /* the set samples of this thread carry now (0: none) */
    uint32_t depth;
    uint32_t prev[PPROF__LABEL_DEPTH];
} pprof__ltls_t;
static PPROF__TLS pprof__ltls_t pprof__ltls;

PPROF__FN uint64_t pprof__lbl_hash(uint32_t parent, const char *k, const char *v) {
    return pprof__hash_bytes(pprof__hash_bytes(parent, k, strlen(k)), v, strlen(v));
}
PPROF__FN void pprof__lbl_lock(void) { pprof__lock(&pprof__lbl.mu); }
PPROF__FN void pprof__lbl_unlock(void) { pprof__unlock(&pprof__lbl.mu); }

/* The id of set (parent, k, v), made on first sight; 0 if the table is full or out of
   memory. Under lbl.mu. */
PPROF__FN uint32_t pprof__lbl_intern(uint32_t parent, const char *k, const char *v) {
    uint64_t h = pprof__lbl_hash(parent, k, v);
    size_t i;
    pprof__lset *e;
    if ((pprof__lbl.n + 1) * 2 > pprof__lbl.icap) {
        size_t ncap = pprof__lbl.icap ? pprof__lbl.icap * 2 : 64, j;
        uint32_t *ni = (uint32_t *)PPROF_MALLOC(ncap * sizeof *ni);
        if (!ni) return 0;
        memset(ni, 0, ncap * sizeof *ni);
        for (j = 0; j < pprof__lbl.n; j++) {
            for (i = (size_t)pprof__lbl.e[j].hash & (ncap - 1); ni[i]; i = (i + 1) & (ncap - 1)) {}
            ni[i] = (uint32_t)(j + 1);
        }
        PPROF_FREE(pprof__lbl.idx);
        pprof__lbl.idx = ni;
        pprof__lbl.icap = ncap;
    }
    for (i = (size_t)h & (pprof__lbl.icap - 1); pprof__lbl.idx[i]; i = (i + 1) & (pprof__lbl.icap - 1)) {
        e = &pprof__lbl.e[pprof__lbl.idx[i] - 1];
        if (e->hash == h && e->parent == parent && strcmp(e->key, k) == 0 && strcmp(e->val, v) == 0)
            return pprof__lbl.idx[i];
    }
    if (pprof__lbl.n >= PPROF__LABEL_SETS ||
        pprof__mem_grow((void **)&pprof__lbl.e, &pprof__lbl.cap, pprof__lbl.n + 1, sizeof *e) != 0)
        return 0;
    e = &pprof__lbl.e[pprof__lbl.n];
    e->key = pprof__mem_strdup(k);
    e->val = pprof__mem_strdup(v);
    if (!e->key || !e->val) {
        PPROF_FREE(e->key);
        PPROF_FREE(e->val);
        return 0;
    }
    e->parent = parent;
    e->hash = h;
    pprof__lbl.idx[i] = (uint32_t)++pprof__lbl.n;
    return pprof__lbl.idx[i];
}

/* The pairs of set id, innermost push first, a key pushed again shadowing the outer one:
   at most PPROF__LABEL_DEPTH into k[], v[]. Under lbl.mu. */
PPROF__FN int pprof__lbl_pairs(uint32_t id, const char **k, const char **v) {
    int n = 0, j;
    while (id && id <= pprof__lbl.n && n < PPROF__LABEL_DEPTH) {
        const pprof__lset *e = &pprof__lbl.e[id - 1];
        for (j = 0; j < n && strcmp(k[j], e->key) != 0; j++) {}
        if (j == n) {
            k[n] = e->key;
            v[n++] = e->val;
        }
        id = e->parent;
    }
    return n;
}

#if PPROF__SUPPORTED
// =========================================================================================
// >>sig: the state the signal handler shares with the drain thread and with thread dumps.
// RULES for sigsafe code (>>sig, >>snap, >>unw, the writer half of >>ring, >>handler):
//  1. No malloc/free, stdio, locks, or calls into user code.
//  2. Only memory mapped before the timers were armed; share it via __atomic builtins.
//  3. Save errno on entry, restore it on exit.
//  4. TLS is initial-exec only (never lazily allocated).
//  5. Call only functions marked sigsafe (and clock_gettime, syscall, pthread_self).
// =========================================================================================
typedef struct pprof__slot {
    uint64_t seq;     /* free for position p when seq == p; published for p when seq == p+1 */
    int64_t time_ns;  /* CLOCK_MONOTONIC */
    int32_t tid;
    uint32_t nframes;
    uint64_t weight;  /* periods this sample stands for: 1 + timer overruns */
    uint32_t lset;    /* the thread's labels (>>labels) */
    uint8_t end;      /* why its stack ends: PPROF__END_* */
    uint16_t by[4];   /* how its frames were found: PPROF__BY_* */
    uintptr_t pc[PPROF_MAX_FRAMES];
} pprof__slot;

/* flags: PPROF__R_TRUSTED, the handler may read it directly, as it is never unmapped while
   the program runs (the main stack; code of objects never unloaded), else reads are
   checked; PPROF__R_GUARDED, nothing mapped right below it (a thread stack's guard page),
   so no other stack can have merged into it from below. */
#define PPROF__R_TRUSTED 1
#define PPROF__R_GUARDED 2
struct pprof__cfitab;
typedef struct pprof__range {
    uintptr_t lo, hi;
    int flags;
    const struct pprof__cfitab *cfi; /* code: its unwind table (>>cfi), or NULL */
} pprof__range;

/* Readable memory regions as the unwinder needs them, sorted (one per maps line). */
/* Lookups the walk repeats, remembered per snapshot (a copy is emptied before it is
   rewritten, so an entry never outlives the regions and tables it was made from). One word
   an entry, written whole by whichever handler made it: a race costs a lookup, never a
   wrong answer. */
#define PPROF__SNAP_CACHE 1024
typedef struct pprof__snap {
    int readers;                    /* handlers using this copy */
    int nrw, nx;
    pprof__range rw[PPROF_MAX_MAPS]; /* readable and writable: stacks live here */
    pprof__range x[PPROF_MAX_MAPS];  /* readable and executable: code */
    uintptr_t ra_ok[PPROF__SNAP_CACHE]; /* return addresses found code after a call */
    uint64_t rule_of[PPROF__SNAP_CACHE]; /* pc: (offset in its region) << 32 | region << 16
                                            | rule number (0: none), +1 (0: empty) */
} pprof__snap;

static struct pprof__sig_state {
    int active;        /* handlers record only while 1 */
    int gen;           /* profile generation, carried in each timer's sigev_value */
    int inflight;      /* handlers between entry and exit */
    int accept_user;   /* tests and bench: record kill/tgkill-sent signals too */
    int itimer_only;   /* no per-thread timers here: setitimer signals count */
    int maps_miss;     /* a handler met a stack or code the snapshot lacks: refresh soon */
    int wake;          /* futex: wakes the drain thread at once (pprof__sig_miss) */
    int main_tid;      /* the process's main thread (its pid), set at start and in a child */
    int snap_cur;      /* which of the two snapshots is published */
    pprof__snap *snap; /* two copies; the drain thread fills the unpublished one */
    pprof__slot *ring;
    uint64_t enq;      /* next position a handler claims */
    uint64_t lost;     /* periods dropped because the ring was full */
    uint64_t lost_n;   /* samples dropped */
    uint64_t taken;    /* samples recorded */
    uint64_t nostack;  /* samples on a stack the snapshot did not know (checked reads) */
} pprof__sig;

static PPROF__TLS int pprof__sig_tid;     /* this thread's id, 0 until its first sample */

/* A thread dump (>>dump): one slot per thread, filled by the thread's own handler. */
enum { /* pprof__dslot.state */
    PPROF__DUMP_NONE = 0,     /* no stack (why says why) */
    PPROF__DUMP_ASKED = 1,    /* to read (asleep in a system call) or ask (by the signal) */
    PPROF__DUMP_CAPTURED = 2, /* its stack is in pc[0..n) */
    PPROF__DUMP_WRITING = 4   /* being written, by its handler or by the reader */
};
typedef struct pprof__dslot {
    int tid;
    int state;               /* atomic: PPROF__DUMP_* */
    uint32_t n;
    const char *why;         /* no stack: why */
    const char *run;         /* running, sleeping... */
    char name[24];
    uintptr_t pc[PPROF_MAX_FRAMES];
} pprof__dslot;
static struct pprof__dump_state {
    int active;              /* atomic: a dump is asking */
    int pid;                 /* tgkill'd by this process: si_pid */
    pprof__dslot *slot;
    size_t n;
} pprof__dump;

// =========================================================================================
// >>snap: the region snapshot the handler reads: binary search in the published copy.
// A handler takes the published copy by raising its reader count and checking it is still
// published; the drain thread rewrites a copy only once it is unpublished and unread.
// =========================================================================================
// sigsafe
PPROF__FN pprof__snap *pprof__maps_acquire(void) {
    pprof__snap *two = __atomic_load_n(&pprof__sig.snap, __ATOMIC_SEQ_CST);
    int i;
    if (!two) return NULL;
    for (i = 0; i < 2; i++) {
        int cur = __atomic_load_n(&pprof__sig.snap_cur, __ATOMIC_SEQ_CST);
        pprof__snap *s = &two[cur];
        __atomic_add_fetch(&s->readers, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&pprof__sig.snap_cur, __ATOMIC_SEQ_CST) == cur) return s;
        __atomic_sub_fetch(&s->readers, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}
// sigsafe
PPROF__FN void pprof__maps_release(pprof__snap *s) {
    __atomic_sub_fetch(&s->readers, 1, __ATOMIC_SEQ_CST);
}
// sigsafe: a stack or code the snapshot lacks (a new thread, dlopen): the drain thread
// refreshes it now rather than at its next tick, once per miss.
PPROF__FN void pprof__sig_miss(void) {
    if (__atomic_exchange_n(&pprof__sig.maps_miss, 1, __ATOMIC_RELAXED) == 0)
        pprof__os_wake(&pprof__sig.wake);
}
// sigsafe: the region of r[0..n) containing a: 0 if none, else 1 + its flags.
PPROF__FN int pprof__maps_find(const pprof__range *r, int n, uintptr_t a, uintptr_t *lo,
                               uintptr_t *hi) {
    int l = 0, h = n;
    while (l < h) {
        int m = l + (h - l) / 2;
        if (r[m].hi <= a) l = m + 1;
        else h = m;
    }
    if (l < n && r[l].lo <= a && a < r[l].hi) {
        *lo = r[l].lo;
        *hi = r[l].hi;
        return 1 + r[l].flags;
    }
    return 0;
}

// =========================================================================================
// >>unw: the stack walk. A frame's caller is found by the unwind table of its object (>>cfi)
// where one covers the pc; else by its frame record (frame pointers: JIT code, objects
// without .eh_frame); else, for the interrupted function alone, by the return address at
// sp (a leaf that set up no frame). Every read is justified first: stack words only inside
// the thread's stack region, code bytes only inside a readable code region. A return
// address is taken only inside code and, unless an unwind table derived it, only after a
// call instruction; the walk ends at the first that fails and says why (PPROF__END_*).
// =========================================================================================
/* One unwind rule: how a frame's caller's registers follow from the frame's own. The
   caller's stack pointer is the CFA (canonical frame address); the return address and the
   caller's frame pointer were saved relative to it or to a register, or are still there. */
#define PPROF__CFA_NONE 0  /* no rule: frame records instead */
#define PPROF__CFA_REG 1   /* CFA = reg + cfa_off */
#define PPROF__CFA_DEREF 2 /* CFA = *(reg + cfa_off) + cfa_add (code that realigns sp) */
#define PPROF__CFA_PLT 3   /* CFA = reg + cfa_off, 8 more once (pc & 15) >= cfa_add (PLT) */
#define PPROF__AT_SAME 0   /* the register still holds the caller's value */
#define PPROF__AT_CFA 1    /* saved at CFA + off */
#define PPROF__AT_SP 2     /* saved at sp + off */
#define PPROF__AT_FP 3     /* saved at fp + off */
#define PPROF__AT_UNDEF 4  /* return address: none, this is the outermost frame */
#define PPROF__AT_OTHER 5  /* a rule the walk does not apply (in a register, an expression) */
typedef struct pprof__cfirule {
    int32_t cfa_off, ra_off, fp_off;
    int16_t cfa_add;
    uint8_t cfa_how, cfa_reg;    /* cfa_reg: a DWARF register number */
    uint8_t ra_how, fp_how;
    uint8_t signal;              /* a signal trampoline's ('S'): its caller's pc is exact */
    uint8_t pad;
} pprof__cfirule;

/* The unwind table of one executable mapping, immutable once a snapshot lists it. Row i
   holds from lo + pc[i] up to the next row; rule[i] indexes rules (0: no rule). Rows that
   can hold an address of page k (PPROF__CFI_PAGE bytes from lo) are page[k]..page[k+1]. */
#define PPROF__CFI_PAGE_SHIFT 10
typedef struct pprof__cfitab {
    uintptr_t lo, hi;
    const uint32_t *pc;
    const uint16_t *rule;
    const pprof__cfirule *rules;
    const uint32_t *page;
    uint32_t nrow, nrule;
    /* >>cfi's bookkeeping, never read by a handler */
    struct pprof__cfitab *next;
    uintptr_t off;
    unsigned long long inode;
    char *path;
    void *mem;                   /* one mapping holds pc, rule, rules, page */
    size_t mem_size;
    size_t eh_size;              /* bytes of .eh_frame the rows came from */
    int64_t build_ns;
    uint64_t pub;                /* the last snapshot that listed it */
} pprof__cfitab;

/* Why a walk ended. */
#define PPROF__END_ROOT 0    /* the outermost frame: the unwind table says so, or fp is 0 */
#define PPROF__END_DEPTH 1   /* PPROF_MAX_FRAMES frames, and more above them */
#define PPROF__END_NOTCODE 2 /* the next return address is not code after a call */
#define PPROF__END_STACK 3   /* the next frame would lie outside the thread's stack */
#define PPROF__END_NOINFO 4  /* no unwind rule for the pc and no frame record */
#define PPROF__END_RULE 5    /* an unwind rule needs a register the walk no longer knows */
#define PPROF__END_N 6
/* How a frame's caller was found. */
#define PPROF__BY_CFI 0      /* an unwind table */
#define PPROF__BY_FP 1       /* a frame record */
#define PPROF__BY_SP 2       /* the return address at sp, for a leaf without a frame */
#define PPROF__BY_SIG 3      /* the context a signal saved */
#define PPROF__BY_N 4
#if defined(PPROF__X86_64)
#  define PPROF__DW_SP 7u    /* DWARF register numbers */
#  define PPROF__DW_FP 6u
#  define PPROF__RA_MASK (~(uintptr_t)0)
#else
#  define PPROF__DW_SP 31u
#  define PPROF__DW_FP 29u
#  define PPROF__RA_MASK (((uintptr_t)1 << 48) - 1) /* pointer authentication bits off */
#endif

/* A frame's registers as far as the walk knows them. */
#define PPROF__K_SP 1u
#define PPROF__K_FP 2u
#define PPROF__K_LR 4u
typedef struct pprof__ureg {
    uintptr_t pc, sp, fp, lr;
    unsigned known;              /* PPROF__K_*: which of sp, fp, lr hold the frame's value */
    int exact;                   /* pc is where the thread was, not a return address */
    int tramp;                   /* pc is a signal return trampoline (frame records found it) */
} pprof__ureg;

typedef struct pprof__uwalk {
    pprof__snap *s;              /* code regions and their tables; NULL: no caller is taken */
    uintptr_t lo, hi;            /* stack words are read only inside [lo, hi) */
    int checked;                 /* ... through a system call (a stack that may go away) */
    const uintptr_t *copy;       /* or from this copy of [clo, chi) (a sleeping thread's) */
    uintptr_t clo, chi;
    const void *uc;              /* every register of frame 0 (a signal's context), or NULL */
    int mode;                    /* PPROF_UNWIND_FP or PPROF_UNWIND_CFI */
    int end;                     /* why it ended: PPROF__END_* */
    int unknown_code;            /* an address outside every code region of the snapshot */
    uintptr_t fp_floor;          /* frame records lie above the last one followed */
    const pprof__range *x;       /* the code region of the last lookup */
    uint16_t by[PPROF__BY_N];    /* frames found each way */
} pprof__uwalk;

static int pprof__unw_mode = PPROF_UNWIND; /* atomic: pprof_set_unwind */
/* Publishing a region snapshot, the unwind tables and the never-unloaded objects (>>cfi).
   Lock order: pprof__dump_mu, pprof__cpu_mu, pprof__unw_mu, then pprof__sym_mu. */
static pthread_mutex_t pprof__unw_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pprof__unw_state {
    pprof__cfitab *tabs;      /* every table one of the two latest snapshots lists */
    uint64_t pubs;            /* snapshots published */
    size_t bytes, eh_bytes;   /* the tables' memory; the .eh_frame bytes they came from */
    int64_t build_ns;         /* time spent building them */
    int pinned;               /* pprof__sym_pin has run */
    int64_t event_ns;         /* atomic: no refresh for a heap or lock event before then */
    unsigned unmaps;          /* atomic: odd while a wrapped dlclose runs, +2 after each */
    uint64_t ends[PPROF__END_N], by[PPROF__BY_N]; /* atomic: stacks outside CPU profiles */
} pprof__unw;

// sigsafe: reads the two words at a (a frame record, code bytes) into w. With `checked` the
// read is a system call that fails instead of faulting; otherwise the caller vouches for a.
PPROF__FN PPROF__NO_SANITIZE int pprof__unw_load2(uintptr_t a, int checked, uintptr_t *w) {
    if (checked) {
        struct iovec l, r;
        l.iov_base = w;
        l.iov_len = 2 * sizeof(uintptr_t);
        r.iov_base = (void *)a;
        r.iov_len = l.iov_len;
        /* this thread's id: the process id fails once the main thread has exited */
        return syscall(SYS_process_vm_readv, (long)syscall(SYS_gettid), &l, 1L, &r, 1L, 0L) ==
               (long)l.iov_len;
    }
    w[0] = ((const uintptr_t *)a)[0];
    w[1] = ((const uintptr_t *)a)[1];
    return 1;
}

// sigsafe: the n (1 or 2) stack words at a into v: 0 unless they lie in the walk's stack.
PPROF__HOT PPROF__NO_SANITIZE int pprof__unw_words(const pprof__uwalk *w, uintptr_t a, int n,
                                                  uintptr_t *v) {
    const uintptr_t W = sizeof(uintptr_t);
    uintptr_t len = (uintptr_t)n * W;
    if (a % W != 0 || a < w->lo || a >= w->hi || w->hi - a < len) return 0;
    if (w->copy && a >= w->clo && a < w->chi && w->chi - a >= len) {
        v[0] = w->copy[(a - w->clo) / W];
        if (n == 2) v[1] = w->copy[(a - w->clo) / W + 1];
        return 1;
    }
    if (!w->checked) {
        v[0] = ((const uintptr_t *)a)[0];
        if (n == 2) v[1] = ((const uintptr_t *)a)[1];
        return 1;
    }
    if (n == 2) return pprof__unw_load2(a, 1, v);
    {
        struct iovec l, r;
        l.iov_base = v;
        l.iov_len = W;
        r.iov_base = (void *)a;
        r.iov_len = W;
        return syscall(SYS_process_vm_readv, (long)syscall(SYS_gettid), &l, 1L, &r, 1L, 0L) ==
               (long)W;
    }
}

// sigsafe: the code region holding a (the last one found is tried first), or NULL.
PPROF__HOT PPROF__NO_SANITIZE const pprof__range *pprof__unw_code(pprof__uwalk *w, uintptr_t a) {
    const pprof__range *x = w->x;
    int l = 0, h;
    if (x && x->lo <= a && a < x->hi) return x;
    if (!w->s) return NULL;
    h = w->s->nx;
    while (l < h) {
        int m = l + (h - l) / 2;
        if (w->s->x[m].hi <= a) l = m + 1;
        else h = m;
    }
    if (l < w->s->nx && w->s->x[l].lo <= a) return w->x = &w->s->x[l];
    return NULL;
}

// sigsafe: does a call instruction end at ra, inside code region x? Code of an object that
// may be unloaded (dlclose, a JIT) is read through a system call, the program's own and
// its libraries' directly.
PPROF__FN PPROF__NO_SANITIZE int pprof__unw_after_call(pprof__uwalk *w, const pprof__range *x,
                                                       uintptr_t ra) {
    uintptr_t bytes[2];
    if (ra - x->lo < 16) return 0;
    if (!pprof__unw_load2(ra - 16, !(x->flags & PPROF__R_TRUSTED), bytes)) return 0;
#if defined(PPROF__X86_64)
    {
        const unsigned char *c = (const unsigned char *)bytes + 16;
        unsigned k;
        if (c[-5] == 0xE8) { /* call rel32: its target must be code too (not pc's own
                                function: tail calls and PLT stubs get in between) */
            uint32_t u = (uint32_t)c[-4] | (uint32_t)c[-3] << 8 | (uint32_t)c[-2] << 16 |
                         (uint32_t)c[-1] << 24;
            uintptr_t target = ra + (uintptr_t)(intptr_t)(int32_t)u;
            const pprof__range *keep = w->x;
            int ok = pprof__unw_code(w, target) != NULL;
            w->x = keep;
            if (ok) return 1;
        }
        for (k = 2; k <= 7; k++) { /* call *r/m64 (FF /2): its length from ModRM, SIB, disp */
            unsigned m = c[1 - (int)k], mod = m >> 6, rm = m & 7, len = 2;
            if (c[-(int)k] != 0xFF || ((m >> 3) & 7) != 2) continue;
            if (mod != 3 && rm == 4) { /* a SIB byte; base 101 without mod: disp32 */
                if (k < 3) continue;
                len++;
                if (mod == 0 && (c[2 - (int)k] & 7) == 5) len += 4;
            } else if (mod == 0 && rm == 5) { /* disp32(%rip) */
                len += 4;
            }
            len += mod == 1 ? 1u : mod == 2 ? 4u : 0u;
            if (len == k) return 1;
        }
        return 0;
    }
#else
    {
        uint32_t insn;
        (void)w;
        if (ra % 4 != 0) return 0;
        memcpy(&insn, (const unsigned char *)bytes + 12, sizeof insn);
        return (insn & 0xFC000000u) == 0x94000000u || (insn & 0xFFFFFC1Fu) == 0xD63F0000u;
    }
#endif
}

// sigsafe: pprof__unw_after_call, remembered in the snapshot when true.
PPROF__HOT PPROF__NO_SANITIZE int pprof__unw_after_call_cached(pprof__uwalk *w, const pprof__range *x, uintptr_t ra) {
    uintptr_t *e = w->s ? &w->s->ra_ok[pprof__hash_top(ra, 10)] : NULL;
    if (e && __atomic_load_n(e, __ATOMIC_RELAXED) == ra) return 1;
    if (!pprof__unw_after_call(w, x, ra)) return 0;
    if (e) __atomic_store_n(e, ra, __ATOMIC_RELAXED);
    return 1;
}

// sigsafe: is ra code that follows a call, by the regions of snapshot s?
PPROF__FN int pprof__unw_is_return_address(pprof__snap *s, uintptr_t ra) {
    pprof__uwalk w;
    const pprof__range *x;
    memset(&w, 0, sizeof w);
    w.s = s;
    x = pprof__unw_code(&w, ra - 1);
    return x && pprof__unw_after_call(&w, x, ra);
}

// sigsafe: the rule of table t for address a, or NULL.
PPROF__HOT PPROF__NO_SANITIZE const pprof__cfirule *pprof__cfi_rule(const pprof__cfitab *t, uintptr_t a) {
    uint32_t off, l, h;
    if (!t || a < t->lo || a >= t->hi || t->nrow == 0) return NULL;
    off = (uint32_t)(a - t->lo);
    l = t->page[off >> PPROF__CFI_PAGE_SHIFT];
    h = t->page[(off >> PPROF__CFI_PAGE_SHIFT) + 1] - l + 1; /* rows l .. l + h - 1 */
    while (h > 1) { /* the last row at or below off; without branches (conditional moves) */
        uint32_t half = h / 2;
        l = t->pc[l + half] <= off ? l + half : l;
        h -= half;
    }
    if (t->pc[l] > off || t->rule[l] == 0) return NULL;
    return &t->rules[t->rule[l]];
}

// sigsafe: the unwind rule for address a in code region x (which has a table), or NULL;
// remembered in the snapshot.
PPROF__HOT PPROF__NO_SANITIZE const pprof__cfirule *pprof__unw_rule(pprof__uwalk *w, const pprof__range *x,
                                                uintptr_t a) {
    const pprof__cfitab *t = x->cfi;
    const pprof__cfirule *r;
    uint64_t key = (uint64_t)(a - x->lo) << 32 | (uint64_t)(x - w->s->x) << 16, v, *e;
    if (a - x->lo > 0xffffffffu || w->s->nx > 0xffff) return pprof__cfi_rule(t, a);
    e = &w->s->rule_of[pprof__hash_top(a, 10)];
    v = __atomic_load_n(e, __ATOMIC_RELAXED);
    if (v && ((v - 1) & ~(uint64_t)0xffff) == key)
        return ((v - 1) & 0xffff) ? &t->rules[(v - 1) & 0xffff] : NULL;
    r = pprof__cfi_rule(t, a);
    __atomic_store_n(e, (key | (uint64_t)(r ? r - t->rules : 0)) + 1, __ATOMIC_RELAXED);
    return r;
}

// sigsafe: DWARF register reg of frame st into *v, if the walk knows it (frame 0 of a
// signal's context: all of them).
PPROF__HOT PPROF__NO_SANITIZE int pprof__unw_reg(const pprof__uwalk *w, const pprof__ureg *st, int first,
                             unsigned reg, uintptr_t *v) {
    if (reg == PPROF__DW_SP && (st->known & PPROF__K_SP)) { *v = st->sp; return 1; }
    if (reg == PPROF__DW_FP && (st->known & PPROF__K_FP)) { *v = st->fp; return 1; }
    return first && w->uc && pprof__os_dwarf_reg(w->uc, reg, v);
}

// sigsafe: the stack region holding sp becomes the walk's: its own thread's stack (read
// directly), the main stack, or another (read through system calls). 0 if none is known.
PPROF__FN int pprof__unw_stack_at(pprof__uwalk *w, uintptr_t sp) {
    uintptr_t lo, hi, self = (uintptr_t)pthread_self();
    int kind = w->s ? pprof__maps_find(w->s->rw, w->s->nrw, sp, &lo, &hi) : 0;
    if (!kind) return 0;
    /* glibc keeps a thread's descriptor at the top of its stack: none of this thread's
       frames lies above it, which also guards against a stale, merged region. Direct
       reads on this thread's own glibc stack (its descriptor is above sp in the same
       guarded mapping, which lives as long as the thread; not so for the main thread,
       whose descriptor is on the heap) and on the main stack; checked reads elsewhere
       (coroutine stacks, alternate signal stacks: they may be gone since the snapshot) */
    w->checked = 1;
    if (self > sp && self < hi && ((kind - 1) & PPROF__R_GUARDED) &&
        pprof__sig_tid != __atomic_load_n(&pprof__sig.main_tid, __ATOMIC_RELAXED)) {
        hi = self;
        w->checked = 0;
    } else if ((kind - 1) & PPROF__R_TRUSTED) {
        w->checked = 0;
    }
    w->lo = sp;
    w->hi = hi;
    w->fp_floor = 0;
    return 1;
}

// sigsafe: is pc a signal return trampoline (rt_sigreturn), its context on the stack at sp?
PPROF__FN PPROF__NO_SANITIZE int pprof__unw_is_sigreturn(pprof__uwalk *w, uintptr_t pc) {
    const pprof__range *x = pprof__unw_code(w, pc);
    uintptr_t b[2];
    if (!x || x->hi - pc < 16 || !pprof__unw_load2(pc, !(x->flags & PPROF__R_TRUSTED), b))
        return 0;
#if defined(PPROF__X86_64)
    /* mov $15, %rax; syscall */
    return memcmp(b, "\x48\xc7\xc0\x0f\x00\x00\x00\x0f\x05", 9) == 0;
#else
    /* mov x8, #139; svc #0 */
    return memcmp(b, "\x68\x11\x80\xd2\x01\x00\x00\xd4", 8) == 0;
#endif
}

// sigsafe: the interrupted frame of the signal frame whose context lies at st->sp.
PPROF__FN int pprof__unw_by_sigframe(pprof__uwalk *w, const pprof__ureg *st, pprof__ureg *nx) {
    uintptr_t v[2], uc;
    if (!(st->known & PPROF__K_SP)) return PPROF__END_RULE;
#if defined(PPROF__X86_64)
    uc = st->sp + 40;                                /* ucontext_t.uc_mcontext.gregs */
    if (!pprof__unw_words(w, uc + 8 * 10, 1, &nx->fp) ||          /* REG_RBP */
        !pprof__unw_words(w, uc + 8 * 15, 2, v))                   /* REG_RSP, REG_RIP */
        return PPROF__END_STACK;
    nx->sp = v[0];
    nx->pc = v[1];
    nx->known = PPROF__K_SP | PPROF__K_FP;
#else
    uc = st->sp + 128 + 176 + 8;          /* rt_sigframe: siginfo, then uc_mcontext.regs */
    if (!pprof__unw_words(w, uc + 8 * 29, 2, v)) return PPROF__END_STACK; /* x29, x30 */
    nx->fp = v[0];
    nx->lr = v[1] & PPROF__RA_MASK;
    if (!pprof__unw_words(w, uc + 8 * 31, 2, v)) return PPROF__END_STACK; /* sp, pc */
    nx->sp = v[0];
    nx->pc = v[1];
    nx->known = PPROF__K_SP | PPROF__K_FP | PPROF__K_LR;
#endif
    nx->exact = 1;
    return -1;
}

// sigsafe: the caller of frame st by rule r, into nx: -1, or why not (PPROF__END_*).
PPROF__HOT PPROF__NO_SANITIZE int pprof__unw_by_rule(pprof__uwalk *w, const pprof__cfirule *r,
                                                    const pprof__ureg *st, int first,
                                                    pprof__ureg *nx) {
    const uintptr_t W = sizeof(uintptr_t);
    uintptr_t cfa, base, ra = 0, v;
    if (!pprof__unw_reg(w, st, first, r->cfa_reg, &base)) return PPROF__END_RULE;
    cfa = base + (uintptr_t)(intptr_t)r->cfa_off;
    if (r->cfa_how == PPROF__CFA_DEREF) {
        if (!pprof__unw_words(w, cfa, 1, &v)) return PPROF__END_STACK;
        cfa = v + (uintptr_t)(intptr_t)r->cfa_add;
    } else if (r->cfa_how == PPROF__CFA_PLT && (st->pc & 15) >= (uintptr_t)r->cfa_add) {
        cfa += W;
    }
    /* callers sit higher on the same stack; a signal's context may point anywhere */
    if (!r->signal && (cfa > w->hi || cfa < w->lo ||
                       ((st->known & PPROF__K_SP) && cfa <= st->sp && (cfa < st->sp ||
                                                                      r->ra_how != PPROF__AT_SAME))))
        return PPROF__END_STACK;
    switch (r->ra_how) {
    case PPROF__AT_CFA:
        if (!pprof__unw_words(w, cfa + (uintptr_t)(intptr_t)r->ra_off, 1, &ra)) return PPROF__END_STACK;
        break;
    case PPROF__AT_SP:
    case PPROF__AT_FP:
        if (!pprof__unw_reg(w, st, first, r->ra_how == PPROF__AT_SP ? PPROF__DW_SP : PPROF__DW_FP, &v))
            return PPROF__END_RULE;
        if (!pprof__unw_words(w, v + (uintptr_t)(intptr_t)r->ra_off, 1, &ra)) return PPROF__END_STACK;
        break;
    case PPROF__AT_SAME: /* aarch64: still in the link register (a leaf) */
        if (!(st->known & PPROF__K_LR)) return PPROF__END_RULE;
        ra = st->lr;
        break;
    case PPROF__AT_UNDEF:
        return PPROF__END_ROOT;
    default:
        return PPROF__END_RULE;
    }
    nx->known = PPROF__K_SP;
    nx->fp = 0;
    switch (r->fp_how) { /* an unreadable saved fp only costs frame records further up */
    case PPROF__AT_SAME:
        nx->fp = st->fp;
        nx->known |= st->known & PPROF__K_FP;
        break;
    case PPROF__AT_CFA:
        if (pprof__unw_words(w, cfa + (uintptr_t)(intptr_t)r->fp_off, 1, &nx->fp))
            nx->known |= PPROF__K_FP;
        break;
    case PPROF__AT_SP:
    case PPROF__AT_FP:
        if (pprof__unw_reg(w, st, first, r->fp_how == PPROF__AT_SP ? PPROF__DW_SP : PPROF__DW_FP, &v) &&
            pprof__unw_words(w, v + (uintptr_t)(intptr_t)r->fp_off, 1, &nx->fp))
            nx->known |= PPROF__K_FP;
        break;
    default:
        break;
    }
    nx->pc = ra & PPROF__RA_MASK;
    nx->sp = cfa;
    nx->exact = r->signal;
    return -1;
}

// sigsafe: the caller of frame st by the frame record at st->fp, into nx.
PPROF__HOT PPROF__NO_SANITIZE int pprof__unw_by_record(pprof__uwalk *w, const pprof__ureg *st,
                                                      pprof__ureg *nx) {
    const uintptr_t W = sizeof(uintptr_t);
    uintptr_t fp = st->fp, rec[2], ra;
    const pprof__range *x;
    if (!(st->known & PPROF__K_FP)) return PPROF__END_NOINFO;
    if (fp == 0) return PPROF__END_ROOT; /* the outermost frame clears it (both ABIs) */
    if (fp <= w->fp_floor || ((st->known & PPROF__K_SP) && fp < st->sp) ||
        !pprof__unw_words(w, fp, 2, rec))
        return PPROF__END_NOINFO;        /* no frame record here */
    ra = rec[1] & PPROF__RA_MASK;
    if (ra < 4096) return PPROF__END_ROOT;
    x = pprof__unw_code(w, ra - 1);
    if (!x || (!pprof__unw_after_call_cached(w, x, ra) && !(nx->tramp = pprof__unw_is_sigreturn(w, ra))))
        return PPROF__END_NOTCODE; /* (a handler returns to the trampoline, not after a call) */
    w->fp_floor = fp;
    nx->pc = ra;
    nx->fp = rec[0];
    nx->known = PPROF__K_FP;
#if defined(PPROF__X86_64)
    nx->sp = fp + 2 * W; /* push %rbp; mov %rsp, %rbp: the record sits just below the CFA */
    nx->known |= PPROF__K_SP;
#else
    (void)W;             /* aarch64 puts the record anywhere in the frame: sp unknown */
#endif
    nx->exact = 0;
    return -1;
}

// sigsafe: the caller of the interrupted function when it has no rule: the return address
// at sp (x86-64; with frame records only, at sp + 8 just after push %rbp) or in the link
// register (aarch64), if that is code after a call and not what its frame pointer's record
// says (then fp is its own). Code without rules that keeps stack (hand-written assembly)
// can hold a stale return address of an earlier, deeper call there: a guess, counted apart
// (PPROF__BY_SP); one word above sp that is where the ABI's alignment leaves such words,
// so the walk by rules never reads it.
PPROF__FN PPROF__NO_SANITIZE int pprof__unw_by_leaf(pprof__uwalk *w, const pprof__ureg *st,
                                                    pprof__ureg *nx) {
    const uintptr_t W = sizeof(uintptr_t);
    uintptr_t cand = 0, rec[2], v[2];
    const pprof__range *x;
    int adv = 0;
#if defined(PPROF__X86_64)
    if ((st->known & PPROF__K_SP) && pprof__unw_words(w, st->sp, 2, v)) {
        adv = v[0] == st->fp && (st->known & PPROF__K_FP) && w->mode == PPROF_UNWIND_FP ? 2 : 1;
        cand = v[adv - 1];
    }
#else
    (void)v;
    if (st->known & PPROF__K_LR) cand = st->lr;
#endif
    if (cand < 4096 || !(x = pprof__unw_code(w, cand - 1)) || !pprof__unw_after_call_cached(w, x, cand))
        return PPROF__END_NOINFO;
    if ((st->known & PPROF__K_FP) && st->fp >= st->sp && pprof__unw_words(w, st->fp, 2, rec) &&
        (rec[1] & PPROF__RA_MASK) == cand)
        return PPROF__END_NOINFO; /* the record's own: the frame-record walk takes it */
    nx->pc = cand;
    nx->fp = st->fp;
    nx->sp = st->sp + (uintptr_t)adv * W;
    nx->known = (st->known & PPROF__K_FP) | (adv ? PPROF__K_SP : 0u);
    nx->exact = 0;
    return -1;
}

// sigsafe: one frame up from st into nx: -1, or why the walk ends (PPROF__END_*). A return
// address an unwind rule derived is taken inside code (the rule is its proof); one from a
// frame record or from sp only after a call instruction (pprof__unw_after_call).
PPROF__HOT PPROF__NO_SANITIZE int pprof__unw_step(pprof__uwalk *w, const pprof__ureg *st,
                                                 int first, pprof__ureg *nx) {
    uintptr_t at = st->exact ? st->pc : st->pc - 1; /* a return address: its call */
    const pprof__range *x = pprof__unw_code(w, at);
    const pprof__cfirule *r = NULL;
    int why, by;
    nx->tramp = 0;
    if (!x && !st->tramp) w->unknown_code = 1; /* code newer than the snapshot (dlopen), a JIT's */
    else if (w->mode == PPROF_UNWIND_CFI && x && x->cfi && !st->tramp) r = pprof__unw_rule(w, x, at);
    if (r) {
        if ((why = pprof__unw_by_rule(w, r, st, first, nx)) >= 0) return why;
        if (r->signal) { /* a signal's context: maybe on another stack, any pc of code */
            if (!pprof__unw_stack_at(w, nx->sp)) return PPROF__END_STACK;
            if (!pprof__unw_code(w, nx->pc)) return PPROF__END_NOTCODE;
            by = PPROF__BY_SIG;
        } else { /* inside code; not after a call only as a handler's return address (the
                    signal trampoline, which may start its mapping) or one a rule vouches for */
            if (nx->pc < 4096) return PPROF__END_NOTCODE;
            x = pprof__unw_code(w, nx->pc - 1);
            if (!x || !pprof__unw_after_call_cached(w, x, nx->pc)) {
                if (pprof__unw_code(w, nx->pc) && pprof__unw_is_sigreturn(w, nx->pc)) nx->tramp = 1;
                else if (!x) { w->unknown_code = 1; return PPROF__END_NOTCODE; }
            }
            by = PPROF__BY_CFI;
        }
    } else if (st->tramp || (!st->exact && w->mode == PPROF_UNWIND_CFI && x &&
                             pprof__unw_is_sigreturn(w, st->pc))) {
        if ((why = pprof__unw_by_sigframe(w, st, nx)) >= 0) return why;
        if (!pprof__unw_stack_at(w, nx->sp)) return PPROF__END_STACK;
        if (!pprof__unw_code(w, nx->pc)) return PPROF__END_NOTCODE;
        by = PPROF__BY_SIG;
    } else if (!x && w->mode == PPROF_UNWIND_CFI) {
        return PPROF__END_NOINFO; /* code the snapshot does not know yet (loaded a moment ago):
                                     its table comes with the refresh this asks for; a guess
                                     at sp or through a frame pointer could be stale */
    } else {
        why = first && w->uc ? pprof__unw_by_leaf(w, st, nx) : PPROF__END_NOINFO;
        by = PPROF__BY_SP;
        if (why >= 0) {
            if ((why = pprof__unw_by_record(w, st, nx)) >= 0) return why;
            by = PPROF__BY_FP;
        }
    }
    w->by[by]++;
    return -1;
}

// sigsafe: frame st and its callers into out[n..max), st's pc first. Returns the new n;
// w->end says why it stopped and w->by how each caller was found.
PPROF__FN PPROF__NO_SANITIZE int pprof__unw_run(pprof__uwalk *w, const pprof__ureg *st0,
                                                uintptr_t *out, int n, int max) {
    const uintptr_t W = sizeof(uintptr_t);
    pprof__ureg st = *st0, nx;
    int first = 1;
    if (n >= max) { w->end = PPROF__END_DEPTH; return n; }
    out[n++] = st.pc;
    for (;;) {
        int why;
        /* the frame-record walk's fast path: a record on a directly read stack whose return
           address this snapshot already found code after a call (pprof__unw_after_call_cached);
           anything else takes the full step below */
        if (w->mode == PPROF_UNWIND_FP && !first && !st.tramp && (st.known & PPROF__K_FP) &&
            !w->checked && !w->copy && w->s) {
            const uintptr_t *ok = w->s->ra_ok;
            uintptr_t fp = st.fp, floor = w->fp_floor, lo = w->lo, hi = w->hi, ra;
            int k = n;
            if ((st.known & PPROF__K_SP) && st.sp > lo) lo = st.sp;
            while (k < max && fp > floor && fp >= lo && fp < hi && hi - fp >= 2 * W && fp % W == 0) {
                ra = ((const uintptr_t *)fp)[1] & PPROF__RA_MASK;
                if (ok[pprof__hash_top(ra, 10)] != ra) break;
                out[k++] = ra;
                floor = fp;
                fp = ((const uintptr_t *)fp)[0];
            }
            if (k > n) {
                w->by[PPROF__BY_FP] = (uint16_t)(w->by[PPROF__BY_FP] + (k - n));
                w->fp_floor = floor;
                st.pc = out[k - 1];
                st.fp = fp;
#if defined(PPROF__X86_64)
                st.sp = floor + 2 * W;
                st.known = PPROF__K_SP | PPROF__K_FP;
#else
                st.known = PPROF__K_FP;
#endif
                st.exact = 0;
                n = k;
            }
        }
        why = pprof__unw_step(w, &st, first, &nx);
        if (why >= 0) { w->end = why; return n; }
        if (n == max) { w->end = PPROF__END_DEPTH; return n; }
        out[n++] = nx.pc;
        st = nx;
        first = 0;
    }
}

// sigsafe: the interrupted thread's stack, leaf first, into out[0..max); w says how.
PPROF__FN int pprof__unw_context(const void *uc, pprof__uwalk *w, uintptr_t *out, int max) {
    pprof__ureg st;
    pprof__snap *s;
    int n;
    memset(w, 0, sizeof *w);
    pprof__os_regs(uc, &st.pc, &st.sp, &st.fp, &st.lr);
    st.known = PPROF__K_SP | PPROF__K_FP | PPROF__K_LR;
    st.exact = 1;
    st.tramp = 0;
    w->mode = __atomic_load_n(&pprof__unw_mode, __ATOMIC_RELAXED);
    w->uc = uc;
    w->end = PPROF__END_NOINFO;
    s = pprof__maps_acquire();
    if (!s) { out[0] = st.pc; return 1; }
    w->s = s;
    if (!pprof__unw_stack_at(w, st.sp)) {
        /* a stack mapped since the last snapshot (a new thread): read each word with a
           system call until the drain thread has refreshed the snapshot */
        uintptr_t self = (uintptr_t)pthread_self();
        pprof__sig_miss();
        __atomic_add_fetch(&pprof__sig.nostack, 1, __ATOMIC_SEQ_CST);
        w->lo = st.sp;
        w->hi = self > st.sp && self - st.sp < ((uintptr_t)64 << 20) ? self
                                                                      : st.sp + ((uintptr_t)8 << 20);
        w->checked = 1;
    }
    n = pprof__unw_run(w, &st, out, 0, max);
    if (w->unknown_code) pprof__sig_miss();
    pprof__maps_release(s);
    w->s = NULL;
    w->x = NULL;
    return n;
}

// =========================================================================================
// >>ring: a bounded multi-producer queue (one sequence word per slot). Handlers claim a
// position with a CAS, fill the slot and publish it; the drain thread consumes in order.
// A full ring drops the new sample and counts it: the handler never waits.
// =========================================================================================
// sigsafe
PPROF__FN void pprof__ring_push(uint64_t weight, const void *uc) {
    pprof__uwalk w;
    pprof__slot *s;
    uint64_t pos = __atomic_load_n(&pprof__sig.enq, __ATOMIC_ACQUIRE);
    int tries = 0;
    for (;;) {
        uint64_t seq;
        int64_t dif;
        /* enq before ring: a start publishes a fresh ring before it moves enq past every
           position of the old one (see pprof__cpu_ring_fresh) */
        s = &__atomic_load_n(&pprof__sig.ring, __ATOMIC_ACQUIRE)[pos & PPROF__RING_MASK];
        seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (__atomic_compare_exchange_n(&pprof__sig.enq, &pos, pos + 1, 1,
                                            __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
                break;
        } else if (dif < 0 || ++tries > 1000) { /* full (or, bounded: never spin here) */
            __atomic_add_fetch(&pprof__sig.lost, weight, __ATOMIC_SEQ_CST);
            __atomic_add_fetch(&pprof__sig.lost_n, 1, __ATOMIC_SEQ_CST);
            return;
        } else {
            pos = __atomic_load_n(&pprof__sig.enq, __ATOMIC_ACQUIRE);
        }
    }
    /* the position is ours, in the ring whose slot matched it: a handler frozen here
       across a stop and a start writes to the old ring, which the new profile never reads */
    if (pprof__sig_tid == 0) pprof__sig_tid = pprof__os_gettid();
    s->tid = pprof__sig_tid;
    s->time_ns = pprof__os_mono_ns();
    s->weight = weight;
    s->lset = pprof__ltls.cur; /* initial-exec TLS: a plain load */
    s->nframes = (uint32_t)pprof__unw_context(uc, &w, s->pc, PPROF_MAX_FRAMES);
    s->end = (uint8_t)w.end;
    memcpy(s->by, w.by, sizeof s->by);
    __atomic_add_fetch(&pprof__sig.taken, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
}

/* Drain side: the oldest published slot, or NULL. Call pprof__ring_pop_done after use. */
PPROF__FN pprof__slot *pprof__ring_peek(uint64_t deq) {
    pprof__slot *s = &pprof__sig.ring[deq & PPROF__RING_MASK];
    return __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == deq + 1 ? s : NULL;
}
PPROF__FN void pprof__ring_pop_done(pprof__slot *s, uint64_t deq) {
    __atomic_store_n(&s->seq, deq + PPROF_RING_SLOTS, __ATOMIC_RELEASE);
}

// =========================================================================================
// >>handler: the signal handler: a timer's sample into the ring, a thread dump's stack
// into its slot, and any other signal passed on as the program's view of it says.
// =========================================================================================
/* The program's view of a signal pprof.h handles (PPROF_SIGNAL; SIGPROF too where the
   setitimer fallback runs): the disposition sigaction would report had pprof.h never
   installed its handler. It starts as what the handler replaced (SIG_DFL or SIG_IGN);
   with PPROF_WRAP_SIGNAL (libpprof.so) the program's sigaction and signal on the signal
   change it instead of the real one. A signal pprof.h did not send (kill, sigqueue, a
   timer of the program's) gets that disposition from the handler: ignored, the default
   action, or the program's handler as the kernel would call it; so the program sees the
   signals it would have seen without pprof.h, and never a sampling timer's. A sequence
   count (odd while written) lets handlers read it while any thread, or a handler, writes. */
typedef struct pprof__sigview {
    int signo;           /* atomic: 0 while unused */
    unsigned seq;        /* atomic */
    struct sigaction sa;
    int kind;            /* 0 the profiling signal; 1 an exit catcher (pprof__sig_catch) */
    struct sigaction mine; /* kind 1: the catcher, live while the program's view is SIG_DFL */
} pprof__sigview;
static pprof__sigview pprof__sigv[5];

// sigsafe: sig's view, or NULL when pprof.h never installed its handler for sig.
PPROF__FN pprof__sigview *pprof__sig_view(int sig) {
    int i;
    for (i = 0; i < 5; i++)
        if (sig > 0 && __atomic_load_n(&pprof__sigv[i].signo, __ATOMIC_ACQUIRE) == sig)
            return &pprof__sigv[i];
    return NULL;
}
// sigsafe: a consistent copy of v's disposition (SIG_DFL if writers never let go).
PPROF__FN PPROF__NO_SANITIZE void pprof__sig_view_get(pprof__sigview *v, struct sigaction *out) {
    int tries;
    for (tries = 0; tries < 100000; tries++) {
        unsigned s0 = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
        if (s0 & 1) continue;
        memcpy(out, &v->sa, sizeof *out);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&v->seq, __ATOMIC_RELAXED) == s0) return;
    }
    memset(out, 0, sizeof *out);
    out->sa_handler = SIG_DFL;
}
// sigsafe: sets v's disposition. Writers take turns by the odd count; one that waited
// too long (a handler interrupted a writer of its own thread) writes anyway.
PPROF__FN PPROF__NO_SANITIZE void pprof__sig_view_put(pprof__sigview *v, const struct sigaction *in) {
    unsigned s0 = __atomic_load_n(&v->seq, __ATOMIC_RELAXED);
    int tries = 0;
    while (((s0 & 1) || !__atomic_compare_exchange_n(&v->seq, &s0, s0 + 1, 0, __ATOMIC_ACQUIRE,
                                                     __ATOMIC_RELAXED)) && ++tries < 1000000)
        s0 = __atomic_load_n(&v->seq, __ATOMIC_RELAXED);
    if (tries >= 1000000) __atomic_store_n(&v->seq, (s0 | 1u), __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(&v->sa, in, sizeof *in);
    __atomic_store_n(&v->seq, (__atomic_load_n(&v->seq, __ATOMIC_RELAXED) | 1u) + 1, __ATOMIC_RELEASE);
}

// sigsafe: signal sig, which pprof.h did not send, as the program's view says (see above).
PPROF__FN void pprof__sig_foreign(int sig, siginfo_t *si, void *uc) {
    pprof__sigview *v = pprof__sig_view(sig);
    struct sigaction sa;
    sigset_t old;
    if (!v || v->kind != 0) return;
    pprof__sig_view_get(v, &sa);
    if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN) return;
    if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) {
        /* the default action of SIGPROF and of a real-time signal: the process ends. The
           real disposition becomes SIG_DFL and the signal, blocked in this handler, is
           sent again: delivered as this handler returns */
        struct { void *h; unsigned long flags; void *restorer; uint64_t mask; } k;
        memset(&k, 0, sizeof k);
        syscall(SYS_rt_sigaction, (long)sig, &k, NULL, 8L);
        syscall(SYS_tgkill, (long)getpid(), (long)pprof__os_gettid(), (long)sig);
        return;
    }
    if ((unsigned)sa.sa_flags & (unsigned)SA_RESETHAND) { /* one-shot: the view is SIG_DFL now */
        struct sigaction d;
        memset(&d, 0, sizeof d);
        d.sa_handler = SIG_DFL;
        pprof__sig_view_put(v, &d);
    }
    pthread_sigmask(SIG_BLOCK, &sa.sa_mask, &old);
    if (sa.sa_flags & SA_SIGINFO) sa.sa_sigaction(sig, si, uc);
    else sa.sa_handler(sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

#define PPROF__TIMER_TAG 0x70707266u /* the high half of each CPU timer's sigev_value */
// sigsafe: a thread dump's request: this thread's stack into its slot.
PPROF__FN void pprof__dump_here(const void *uc) {
    int tid = pprof__os_gettid();
    pprof__dslot *s = pprof__dump.slot;
    size_t i, n = pprof__dump.n;
    for (i = 0; i < n; i++)
        if (s[i].tid == tid) {
            int asked = PPROF__DUMP_ASKED; /* -> WRITING: this handler writes the slot */
            if (__atomic_compare_exchange_n(&s[i].state, &asked, PPROF__DUMP_WRITING, 0,
                                            __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
                pprof__uwalk w;
                s[i].n = (uint32_t)pprof__unw_context(uc, &w, s[i].pc, PPROF_MAX_FRAMES);
                __atomic_store_n(&s[i].state, PPROF__DUMP_CAPTURED, __ATOMIC_RELEASE);
            }
            break;
        }
}


// sigsafe: the profiling signal's entry point.
PPROF__FN void pprof__sig_handler(int sig, siginfo_t *si, void *uc) {
    int saved_errno = errno, foreign = 0;
    __atomic_add_fetch(&pprof__sig.inflight, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&pprof__dump.active, __ATOMIC_SEQ_CST))
        pprof__dump_here(uc); /* a dump asked this thread (its tgkill may have merged with a
                                 pending timer signal: answer whatever the si_code) */
    if (si->si_code == SI_TKILL &&
        si->si_pid == __atomic_load_n(&pprof__dump.pid, __ATOMIC_RELAXED)) {
        /* the dump's own signal: no CPU sample */
    } else if (si->si_code == SI_TIMER && (uint64_t)(uintptr_t)si->si_value.sival_ptr >> 32 ==
                                              PPROF__TIMER_TAG) { /* this thread's CPU timer (a
                                              timer of the program's is the program's) */
        uint32_t gen = (uint32_t)__atomic_load_n(&pprof__sig.gen, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&pprof__sig.active, __ATOMIC_SEQ_CST) &&
            (uint32_t)(uintptr_t)si->si_value.sival_ptr == gen) {
            long ov = (long)si->si_overrun;      /* expirations the kernel tick swallowed */
            if (ov < 0) ov = 0;
            if (ov > 1000000) ov = 1000000;
            pprof__ring_push(1 + (uint64_t)ov, uc);
        }
    } else if (si->si_code == SI_KERNEL && sig == SIGPROF &&
               __atomic_load_n(&pprof__sig.itimer_only, __ATOMIC_ACQUIRE)) { /* setitimer, only as the fallback */
        if (__atomic_load_n(&pprof__sig.active, __ATOMIC_SEQ_CST)) pprof__ring_push(1, uc);
    } else if (__atomic_load_n(&pprof__sig.accept_user, __ATOMIC_ACQUIRE)) { /* tests and bench: kill/tgkill */
        if (__atomic_load_n(&pprof__sig.active, __ATOMIC_SEQ_CST)) pprof__ring_push(1, uc);
    } else {
        foreign = 1;
    }
    __atomic_add_fetch(&pprof__sig.inflight, -1, __ATOMIC_SEQ_CST);
    errno = saved_errno;
    if (foreign) { /* after leaving: the program's handler may never return (siglongjmp) */
        pprof__sig_foreign(sig, si, uc);
        errno = saved_errno;
    }
}

// =========================================================================================
// >>maps: /proc/self/maps, parsed for profile mappings and for the unwinder's snapshot.
// =========================================================================================
typedef struct pprof__mapent {
    uintptr_t lo, hi, off;
    unsigned long long inode;
    int r, w, x;
    const char *path; /* "" for anonymous; " (deleted)" already cut */
    int deleted;
} pprof__mapent;

typedef struct pprof__maps {
    char *text;
    pprof__mapent *e;
    size_t n, cap;
} pprof__maps;

PPROF__FN uintptr_t pprof__maps_hex(char **p) {
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9') v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else break;
    }
    return v;
}

PPROF__FN void pprof__maps_free(pprof__maps *m) {
    PPROF_FREE(m->text);
    PPROF_FREE(m->e);
    memset(m, 0, sizeof *m);
}

/* Parses text (NUL-terminated, in the format of /proc/self/maps), which m takes over.
   Returns 0, or -1 with nothing allocated (text freed). */
PPROF__FN int pprof__maps_parse(pprof__maps *m, char *text) {
    char *p, *line;
    memset(m, 0, sizeof *m);
    m->text = text;
    if (!m->text) return -1;
    for (line = m->text; *line; ) {
        char *end = strchr(line, '\n'), *q = line;
        pprof__mapent e;
        size_t plen;
        if (end) *end = 0;
        memset(&e, 0, sizeof e);
        e.lo = pprof__maps_hex(&q);
        if (*q == '-') q++;
        e.hi = pprof__maps_hex(&q);
        while (*q == ' ') q++;
        e.r = q[0] == 'r';
        e.w = q[0] && q[1] == 'w';
        e.x = q[0] && q[1] && q[2] == 'x';
        while (*q && *q != ' ') q++;
        while (*q == ' ') q++;
        e.off = pprof__maps_hex(&q);
        while (*q == ' ') q++;
        while (*q && *q != ' ') q++; /* dev */
        while (*q == ' ') q++;
        e.inode = 0;
        while (*q >= '0' && *q <= '9') e.inode = e.inode * 10 + (unsigned long long)(*q++ - '0');
        while (*q == ' ') q++;
        p = q;
        plen = strlen(p);
        if (plen > 10 && strcmp(p + plen - 10, " (deleted)") == 0) {
            p[plen - 10] = 0;
            e.deleted = 1;
        }
        e.path = p;
        if (e.hi > e.lo) {
            if (pprof__mem_grow((void **)&m->e, &m->cap, m->n + 1, sizeof e) != 0) {
                pprof__maps_free(m);
                return -1;
            }
            m->e[m->n++] = e;
        }
        if (!end) break;
        line = end + 1;
    }
    return 0;
}

/* Parses /proc/self/maps. Returns 0, or -1 with nothing allocated. */
PPROF__FN int pprof__maps_read(pprof__maps *m) {
    char path[32];
    return pprof__maps_parse(m, pprof__os_read_file(pprof__os_self(path, sizeof path, "maps"), NULL));
}

/* Code of objects never unloaded (see pprof__sym_pin), as mapped when pinned, and the
   vDSO. Only those exact mappings: another copy of the same file (dlmopen) is not. */
static struct { uintptr_t lo, hi, off; unsigned long long inode; char *path; }
    pprof__maps_pinned[256];
static int pprof__maps_npinned;

PPROF__FN int pprof__maps_is_pinned(const pprof__mapent *e) {
    int i;
    if (strcmp(e->path, "[vdso]") == 0) return 1;
    for (i = 0; i < pprof__maps_npinned; i++)
        if (pprof__maps_pinned[i].lo == e->lo && pprof__maps_pinned[i].hi == e->hi &&
            pprof__maps_pinned[i].off == e->off && pprof__maps_pinned[i].inode == e->inode &&
            !e->deleted && strcmp(pprof__maps_pinned[i].path, e->path) == 0)
            return 1;
    return 0;
}

/* Same object mapped the same way? */
PPROF__FN int pprof__maps_same(const pprof__mapent *a, const pprof__mapent *b) {
    return a->lo == b->lo && a->hi == b->hi && a->off == b->off && a->inode == b->inode &&
           strcmp(a->path, b->path) == 0;
}

#endif /* PPROF__SUPPORTED */

// ---------------------------- ordinary threads from here on ----------------------------

// =========================================================================================
// >>agg: stacks aggregated by the drain thread (open addressing, stacks in one pc array).
// =========================================================================================
typedef struct pprof__stk {
    uint64_t hash; /* 0 = empty slot */
    size_t off;    /* first pc in pcs */
    uint32_t n;
    uint32_t lset; /* labels (>>labels): part of the key */
    int64_t periods;
} pprof__stk;

typedef struct pprof__agg {
    pprof__stk *tab;
    size_t cap, len;
    uintptr_t *pcs;
    size_t npcs, cappcs;
} pprof__agg;

/* The hash of a stack and its labels (>>labels), never 0 (0 marks an empty slot). */
PPROF__FN uint64_t pprof__agg_hash(const uintptr_t *pc, uint32_t n, uint32_t lset) {
    return pprof__hash_bytes(lset, pc, n * sizeof *pc);
}

PPROF__FN void pprof__agg_free(pprof__agg *a) {
    PPROF_FREE(a->tab);
    PPROF_FREE(a->pcs);
    memset(a, 0, sizeof *a);
}

PPROF__FN pprof__stk *pprof__agg_find(pprof__stk *tab, size_t cap, const uintptr_t *pcs,
                                      uint64_t h, const uintptr_t *pc, uint32_t n,
                                      uint32_t lset) {
    size_t i = (size_t)h & (cap - 1);
    for (;; i = (i + 1) & (cap - 1)) {
        pprof__stk *e = &tab[i];
        if (e->hash == 0) return e;
        if (e->hash == h && e->n == n && e->lset == lset &&
            memcmp(pcs + e->off, pc, n * sizeof *pc) == 0)
            return e;
    }
}

/* Adds `periods` to the stack pc[0..n) with labels lset, whose copy starts at pcs[*off].
   Returns 0, 1 for a stack not seen before, or -1 out of memory. */
PPROF__FN int pprof__agg_add(pprof__agg *a, const uintptr_t *pc, uint32_t n, uint32_t lset,
                             int64_t periods, size_t *off) {
    int fresh = 0;
    uint64_t h = pprof__agg_hash(pc, n, lset);
    pprof__stk *e;
    if ((a->len + 1) * 2 > a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 256, i;
        pprof__stk *nt = (pprof__stk *)PPROF_MALLOC(ncap * sizeof *nt);
        if (!nt) return -1;
        memset(nt, 0, ncap * sizeof *nt);
        for (i = 0; i < a->cap; i++)
            if (a->tab[i].hash)
                *pprof__agg_find(nt, ncap, a->pcs, a->tab[i].hash, a->pcs + a->tab[i].off,
                                 a->tab[i].n, a->tab[i].lset) = a->tab[i];
        PPROF_FREE(a->tab);
        a->tab = nt;
        a->cap = ncap;
    }
    e = pprof__agg_find(a->tab, a->cap, a->pcs, h, pc, n, lset);
    if (e->hash == 0) {
        if (pprof__mem_grow((void **)&a->pcs, &a->cappcs, a->npcs + n, sizeof *pc) != 0)
            return -1;
        memcpy(a->pcs + a->npcs, pc, n * sizeof *pc);
        e->hash = h;
        e->off = a->npcs;
        e->n = n;
        e->lset = lset;
        e->periods = 0;
        a->npcs += n;
        a->len++;
        fresh = 1;
    }
    e->periods += periods;
    *off = e->off;
    return fresh;
}

// =========================================================================================
// >>pb: profile.proto encoder (github.com/google/pprof/blob/main/proto/profile.proto).
// Varint (0) and length-delimited (2) only; zero scalars omitted; a nested message reserves
// one length byte and moves its body if the length needs more. Ids are 1..N in written
// order; string 0 is "" and the string table is written last, so strings intern as we go.
// =========================================================================================
PPROF__FN int pprof__pb_varint_len(uint64_t v) {
    int n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}
PPROF__FN size_t pprof__pb_put_varint(unsigned char *o, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) { o[n++] = (unsigned char)(v | 0x80); v >>= 7; }
    o[n++] = (unsigned char)v;
    return n;
}
PPROF__FN void pprof__pb_varint(pprof__buf *b, uint64_t v) {
    unsigned char t[10];
    pprof__buf_put(b, t, pprof__pb_put_varint(t, v));
}
/* uint64 field, omitted when 0 */
PPROF__FN void pprof__pb_u64(pprof__buf *b, int field, uint64_t v) {
    if (!v) return;
    pprof__pb_varint(b, (uint64_t)field << 3);
    pprof__pb_varint(b, v);
}
/* int64 field: negatives as 10-byte two's complement, never zigzag */
PPROF__FN void pprof__pb_i64(pprof__buf *b, int field, int64_t v) {
    pprof__pb_u64(b, field, (uint64_t)v);
}
PPROF__FN void pprof__pb_open(pprof__buf *b, int field) {
    unsigned char zero = 0;
    pprof__pb_varint(b, (uint64_t)field << 3 | 2);
    if (b->depth < 8) b->open[b->depth] = b->len;
    b->depth++;
    pprof__buf_put(b, &zero, 1);
}
PPROF__FN void pprof__pb_close(pprof__buf *b) {
    size_t at, len;
    int need;
    if (--b->depth >= 8 || b->oom) { b->oom = 1; return; }
    at = b->open[b->depth];
    len = b->len - at - 1;
    need = pprof__pb_varint_len(len);
    if (need > 1) {
        pprof__buf_put(b, "\0\0\0\0\0\0\0\0\0", (size_t)need - 1);
        if (b->oom) return;
        memmove(b->p + at + need, b->p + at + 1, len);
    }
    pprof__pb_put_varint(b->p + at, len);
}
PPROF__FN void pprof__pb_bytes(pprof__buf *b, int field, const char *s, size_t n) {
    pprof__pb_varint(b, (uint64_t)field << 3 | 2);
    pprof__pb_varint(b, n);
    pprof__buf_put(b, s, n);
}

/* Open-addressing map from 64-bit keys to values (key 0, the empty mark, kept aside). */
typedef struct pprof__u64map {
    uint64_t *k, *v;
    size_t cap, len;
    int has_zero;
    uint64_t zero_v;
} pprof__u64map;

PPROF__FN void pprof__u64map_free(pprof__u64map *m) {
    PPROF_FREE(m->k);
    PPROF_FREE(m->v);
    memset(m, 0, sizeof *m);
}
/* The value slot of key (inserted as 0 when absent; *found tells which), NULL on OOM. */
PPROF__FN uint64_t *pprof__u64map_at(pprof__u64map *m, uint64_t key, int *found) {
    size_t i;
    if (key == 0) {
        *found = m->has_zero;
        if (!m->has_zero) m->zero_v = 0;
        m->has_zero = 1;
        return &m->zero_v;
    }
    if ((m->len + 1) * 2 > m->cap) {
        pprof__u64map n;
        size_t j;
        n = *m;
        n.cap = m->cap ? m->cap * 2 : 64;
        n.len = m->len;
        n.k = (uint64_t *)PPROF_MALLOC(n.cap * sizeof *n.k);
        n.v = (uint64_t *)PPROF_MALLOC(n.cap * sizeof *n.v);
        if (!n.k || !n.v) { PPROF_FREE(n.k); PPROF_FREE(n.v); return NULL; }
        memset(n.k, 0, n.cap * sizeof *n.k);
        for (j = 0; j < m->cap; j++) {
            if (!m->k[j]) continue;
            i = (size_t)pprof__hash_mix(0, m->k[j]) & (n.cap - 1);
            while (n.k[i]) i = (i + 1) & (n.cap - 1);
            n.k[i] = m->k[j];
            n.v[i] = m->v[j];
        }
        PPROF_FREE(m->k);
        PPROF_FREE(m->v);
        *m = n;
    }
    i = (size_t)pprof__hash_mix(0, key) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        if (m->k[i] == key) { *found = 1; return &m->v[i]; }
        if (m->k[i] == 0) {
            m->k[i] = key;
            m->v[i] = 0;
            m->len++;
            *found = 0;
            return &m->v[i];
        }
    }
}

/* The string table: index 0 is "". */
typedef struct pprof__strs {
    char *arena;
    size_t alen, acap;
    size_t *off; /* offset of string i in arena */
    size_t n, cap;
    pprof__u64map idx; /* hash (rehashed on collision) -> index */
    int oom;
} pprof__strs;

PPROF__FN void pprof__strs_free(pprof__strs *s) {
    PPROF_FREE(s->arena);
    PPROF_FREE(s->off);
    pprof__u64map_free(&s->idx);
    memset(s, 0, sizeof *s);
}
PPROF__FN int64_t pprof__strs_add(pprof__strs *s, const char *str) {
    size_t len = strlen(str);
    uint64_t h;
    if (s->n == 0) { /* entry 0 is "" */
        if (pprof__mem_grow((void **)&s->off, &s->cap, 1, sizeof *s->off) != 0 ||
            pprof__mem_grow((void **)&s->arena, &s->acap, 1, 1) != 0) { s->oom = 1; return 0; }
        s->off[0] = 0;
        s->arena[0] = 0;
        s->alen = 1;
        s->n = 1;
    }
    if (len == 0) return 0;
    h = pprof__hash_bytes(0, str, len);
    for (;;) {
        int found;
        uint64_t *v = pprof__u64map_at(&s->idx, h ? h : 1, &found);
        if (!v) { s->oom = 1; return 0; }
        if (!found) {
            if (pprof__mem_grow((void **)&s->off, &s->cap, s->n + 1, sizeof *s->off) != 0 ||
                pprof__mem_grow((void **)&s->arena, &s->acap, s->alen + len + 1, 1) != 0) {
                s->oom = 1;
                return 0;
            }
            memcpy(s->arena + s->alen, str, len + 1);
            s->off[s->n] = s->alen;
            s->alen += len + 1;
            *v = s->n;
            return (int64_t)s->n++;
        }
        if (strcmp(s->arena + s->off[*v], str) == 0) return (int64_t)*v;
        h = pprof__hash_mix(h, 1); /* a 64-bit collision: probe another key */
    }
}

// =========================================================================================
// >>gz: gzip framing (RFC 1952) around deflate: zlib at level 1 (Go's BestSpeed) with
// PPROF_USE_ZLIB, else stored blocks (RFC 1951 BTYPE 00), which every reader accepts.
// =========================================================================================
PPROF__FN uint32_t pprof__gz_crc32(uint32_t crc, const unsigned char *p, size_t n) {
    uint32_t table[256], c;
    unsigned i, k;
    for (i = 0; i < 256; i++) {
        c = i;
        for (k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    crc = ~crc;
    while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* Gzips d[0..n) into out. */
PPROF__FN void pprof__gz_encode(pprof__buf *out, const unsigned char *d, size_t n) {
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    unsigned char tr[8];
    uint32_t crc = pprof__gz_crc32(0, d, n);
#ifdef PPROF_USE_ZLIB
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) { out->oom = 1; return; }
    if (pprof__mem_grow((void **)&out->p, &out->cap, out->len + deflateBound(&z, (uLong)n), 1)) {
        deflateEnd(&z);
        out->oom = 1;
        return;
    }
    z.next_in = (Bytef *)(uintptr_t)d;
    z.avail_in = (uInt)n;
    z.next_out = out->p + out->len;
    z.avail_out = (uInt)(out->cap - out->len);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) out->oom = 1;
    else out->len += z.total_out;
    deflateEnd(&z);
    (void)hdr; (void)tr; (void)crc;
#else
    size_t at = 0;
    pprof__buf_put(out, hdr, sizeof hdr);
    do {
        size_t k = n - at > 65535 ? 65535 : n - at;
        unsigned char bh[5];
        bh[0] = at + k == n;                 /* BFINAL on the last block, BTYPE 00 */
        bh[1] = (unsigned char)(k & 0xFF);
        bh[2] = (unsigned char)(k >> 8);
        bh[3] = (unsigned char)(~k & 0xFF);
        bh[4] = (unsigned char)((~k >> 8) & 0xFF);
        pprof__buf_put(out, bh, 5);
        pprof__buf_put(out, d + at, k);
        at += k;
    } while (at < n);
    tr[0] = (unsigned char)crc; tr[1] = (unsigned char)(crc >> 8);
    tr[2] = (unsigned char)(crc >> 16); tr[3] = (unsigned char)(crc >> 24);
    tr[4] = (unsigned char)n; tr[5] = (unsigned char)(n >> 8);
    tr[6] = (unsigned char)(n >> 16); tr[7] = (unsigned char)(n >> 24);
    pprof__buf_put(out, tr, 8);
#endif
}

#if PPROF__SUPPORTED
// =========================================================================================
// >>sym: function names from ELF symbol tables (.symtab, else .dynsym), read from the
// files (the main program through /proc/self/exe) outside signal context and cached per
// executable mapping. An address is named only inside [st_value, st_value + st_size).
// =========================================================================================
typedef struct pprof__sym { uintptr_t lo, hi; uint32_t name; } pprof__sym;

typedef struct pprof__obj {
    struct pprof__obj *next;
    uintptr_t lo, hi, off;       /* the executable mapping this describes */
    unsigned long long inode;
    char *path;
    uintptr_t bias;              /* runtime address = symbol value + bias */
    pprof__sym *syms;
    size_t nsyms;
    char *names;
    char build_id[129];          /* lowercase hex, "" if none */
} pprof__obj;

typedef struct pprof__rawsym { uintptr_t lo, hi; const char *name; int bind; } pprof__rawsym;

static pthread_mutex_t pprof__sym_mu = PTHREAD_MUTEX_INITIALIZER;
static pprof__obj *pprof__sym_cache;

/* Drops every cached object. Under sym_mu. */
PPROF__FN void pprof__sym_flush(void) {
    while (pprof__sym_cache) {
        pprof__obj *o = pprof__sym_cache;
        pprof__sym_cache = o->next;
        PPROF_FREE(o->path);
        PPROF_FREE(o->syms);
        PPROF_FREE(o->names);
        PPROF_FREE(o);
    }
}

PPROF__FN int pprof__sym_rank(const pprof__rawsym *s) {
    int r = s->bind == STB_GLOBAL ? 0 : s->bind == STB_WEAK ? 1 : 2;
    return r;
}
/* Aliases at one address: fewer leading '_' (getpid, not __getpid), global before weak
   before local, shorter, then by bytes, so the choice never depends on table order. */
PPROF__FN int pprof__sym_cmp(const void *pa, const void *pb) {
    const pprof__rawsym *a = (const pprof__rawsym *)pa, *b = (const pprof__rawsym *)pb;
    size_t ua = strspn(a->name, "_"), ub = strspn(b->name, "_"), la, lb;
    if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
    if (ua != ub) return ua < ub ? -1 : 1;
    if (pprof__sym_rank(a) != pprof__sym_rank(b)) return pprof__sym_rank(a) - pprof__sym_rank(b);
    la = strlen(a->name);
    lb = strlen(b->name);
    if (la != lb) return la < lb ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* An ELF image to read from: a file (read with pread, so a file truncated or rewritten
   while mapped gives short reads, never SIGBUS) or memory (the vDSO). */
typedef struct pprof__img { int fd; const unsigned char *mem; uint64_t size; } pprof__img;

/* A new buffer with bytes [off, off + n) of the image, or NULL (out of range, unreadable,
   or over 1 GiB). Offsets and sizes come from the file: compared without overflow. */
PPROF__FN void *pprof__img_read(const pprof__img *im, uint64_t off, uint64_t n) {
    unsigned char *buf;
    uint64_t got = 0;
    if (off > im->size || n > im->size - off || n > ((uint64_t)1 << 30)) return NULL;
    buf = (unsigned char *)PPROF_MALLOC(n ? (size_t)n : 1);
    if (!buf) return NULL;
    if (im->mem) {
        memcpy(buf, im->mem + off, (size_t)n);
        return buf;
    }
    while (got < n) {
        ssize_t r = pread(im->fd, buf + got, (size_t)(n - got), (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { PPROF_FREE(buf); return NULL; }
        got += (uint64_t)r;
    }
    return buf;
}

PPROF__FN void pprof__img_close(pprof__img *im) {
    if (im->fd >= 0) close(im->fd);
    im->fd = -1;
}

/* The main program: its inode and path, to tell its mappings from a same-inode file. */
typedef struct pprof__exe { unsigned long long inode; char path[4096]; } pprof__exe;

PPROF__FN void pprof__sym_exe(pprof__exe *x) {
    struct stat sb;
    char self[32];
    ssize_t n = readlink(pprof__os_self(self, sizeof self, "exe"), x->path, sizeof x->path - 1);
    x->path[n > 0 ? n : 0] = 0;
    if (n > 10 && strcmp(x->path + n - 10, " (deleted)") == 0) x->path[n - 10] = 0;
    x->inode = stat(self, &sb) == 0 ? (unsigned long long)sb.st_ino : 0;
}
PPROF__FN int pprof__sym_is_exe(const pprof__exe *x, const pprof__mapent *e) {
    return x->inode && e->inode == x->inode && strcmp(e->path, x->path) == 0;
}

/* Opens the ELF image behind executable mapping e: its file (the main program through
   /proc/self/exe, a deleted file through /proc/self/map_files, never a device, and only if
   it is still the mapped inode) or, for the vDSO, memory. 0, or -1. pprof__img_close after. */
PPROF__FN int pprof__img_open(const pprof__mapent *e, const pprof__exe *exe, pprof__img *im) {
    char path[64];
    const char *open_path = e->path;
    struct stat sb;
    im->fd = -1;
    im->mem = NULL;
    im->size = 0;
    if (strcmp(e->path, "[vdso]") == 0) {
        unsigned long base = getauxval(AT_SYSINFO_EHDR);
        if (base != e->lo) return -1;
        im->mem = (const unsigned char *)base;
        im->size = e->hi - e->lo;
        return 0;
    }
    if (e->path[0] != '/') return -1;
    if (pprof__sym_is_exe(exe, e)) open_path = pprof__os_self(path, sizeof path, "exe");
    else if (e->deleted) {
        snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", (unsigned long)e->lo,
                 (unsigned long)e->hi);
        open_path = path;
    }
    im->fd = stat(open_path, &sb) == 0 && S_ISREG(sb.st_mode)
                 ? open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;
    if (im->fd >= 0 && fstat(im->fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (unsigned long long)sb.st_ino == e->inode) {
        im->size = (uint64_t)sb.st_size;
        return 0;
    }
    pprof__img_close(im);
    return -1;
}

/* The runtime bias of the executable mapping that starts at lo from file offset off: from
   the executable PT_LOAD segment holding that offset (maps offsets are paged, so a segment
   that shares its first page with another, as lld lays them out, is told by PF_X), else any
   PT_LOAD holding it. 0, or -1 if none does. */
PPROF__FN int pprof__img_bias(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, uintptr_t lo,
                              uintptr_t off, uintptr_t *bias) {
    size_t i;
    int pass;
    for (pass = 0; pass < 2; pass++)
        for (i = 0; ph && i < eh->e_phnum; i++) {
            uint64_t base = ph[i].p_offset & ~(uint64_t)0xfff;
            if (ph[i].p_type != PT_LOAD || (pass == 0 && !(ph[i].p_flags & PF_X)) || base > off ||
                off - base > ph[i].p_offset - base + ph[i].p_filesz)
                continue;
            *bias = eh->e_type == ET_EXEC ? 0
                  : (uintptr_t)(lo + ph[i].p_offset - off - ph[i].p_vaddr);
            return 0;
        }
    return -1;
}

/* The GNU build id in a note segment, as lowercase hex into o->build_id. */
PPROF__FN void pprof__sym_build_id(pprof__obj *o, const unsigned char *d, size_t end) {
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    while (end >= 12 && at <= end - 12) {
        uint32_t nh[3];
        size_t nsz, dsz;
        memcpy(nh, d + at, sizeof nh);
        nsz = ((size_t)nh[0] + 3) & ~(size_t)3;
        dsz = ((size_t)nh[1] + 3) & ~(size_t)3;
        if (nsz > end - at - 12 || dsz > end - at - 12 - nsz) break;
        if (nh[2] == NT_GNU_BUILD_ID && nh[0] == 4 && memcmp(d + at + 12, "GNU", 4) == 0 &&
            nh[1] > 0 && nh[1] <= 64) {
            const unsigned char *id = d + at + 12 + nsz;
            uint32_t k;
            for (k = 0; k < nh[1]; k++) {
                o->build_id[2 * k] = hex[id[k] >> 4];
                o->build_id[2 * k + 1] = hex[id[k] & 15];
            }
            o->build_id[2 * nh[1]] = 0;
            return;
        }
        at += 12 + nsz + dsz;
    }
}

/* Reads symbols, bias and build id of the ELF image im, mapped as o. Every offset and size
   the file gives is checked before use: a malformed file yields no names, never a fault. */
PPROF__FN void pprof__sym_parse(pprof__obj *o, const pprof__img *im) {
    Elf64_Ehdr eh;
    Elf64_Phdr *ph = NULL;
    Elf64_Shdr *sh = NULL, *st = NULL;
    Elf64_Sym *sym = NULL;
    char *str = NULL;
    pprof__rawsym *raw = NULL;
    size_t nraw = 0, capraw = 0, i, namelen = 0, nsym, strsz;
    int found_bias = 0;
    unsigned char *hdr = (unsigned char *)pprof__img_read(im, 0, sizeof eh);
    if (!hdr) return;
    memcpy(&eh, hdr, sizeof eh);
    PPROF_FREE(hdr);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) return;
    /* bias: from the PT_LOAD segment this mapping's file offset belongs to */
    if (eh.e_phentsize == sizeof(Elf64_Phdr))
        ph = (Elf64_Phdr *)pprof__img_read(im, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof *ph);
    found_bias = ph && pprof__img_bias(&eh, ph, o->lo, o->off, &o->bias) == 0;
    for (i = 0; ph && i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_NOTE && !o->build_id[0] && ph[i].p_filesz <= 65536) {
            unsigned char *note = (unsigned char *)pprof__img_read(im, ph[i].p_offset,
                                                                   ph[i].p_filesz);
            if (note) pprof__sym_build_id(o, note, (size_t)ph[i].p_filesz);
            PPROF_FREE(note);
        }
    }
    PPROF_FREE(ph);
    if (!found_bias) return; /* cannot relate symbol values to addresses: name nothing */
    if (eh.e_shentsize != sizeof(Elf64_Shdr)) return;
    sh = (Elf64_Shdr *)pprof__img_read(im, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof *sh);
    if (!sh) return;
    for (i = 0; i < eh.e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB) st = &sh[i];
    if (!st)
        for (i = 0; i < eh.e_shnum; i++)
            if (sh[i].sh_type == SHT_DYNSYM) st = &sh[i];
    if (!st || st->sh_link >= eh.e_shnum || st->sh_entsize != sizeof(Elf64_Sym)) {
        PPROF_FREE(sh);
        return;
    }
    sym = (Elf64_Sym *)pprof__img_read(im, st->sh_offset, st->sh_size);
    strsz = (size_t)sh[st->sh_link].sh_size;
    str = (char *)pprof__img_read(im, sh[st->sh_link].sh_offset, strsz);
    nsym = (size_t)(st->sh_size / sizeof(Elf64_Sym));
    PPROF_FREE(sh);
    for (i = 0; sym && str && i < nsym; i++) {
        int type = ELF64_ST_TYPE(sym[i].st_info);
        const char *nm;
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[i].st_shndx == SHN_UNDEF ||
            sym[i].st_size == 0 || sym[i].st_name == 0 || sym[i].st_name >= strsz ||
            str[sym[i].st_name] == 0)
            continue;
        nm = str + sym[i].st_name;
        if (!memchr(nm, 0, strsz - sym[i].st_name)) continue;
        if (pprof__mem_grow((void **)&raw, &capraw, nraw + 1, sizeof *raw) != 0) break;
        raw[nraw].lo = (uintptr_t)sym[i].st_value;
        raw[nraw].hi = (uintptr_t)(sym[i].st_value + sym[i].st_size);
        raw[nraw].name = nm;
        raw[nraw].bind = ELF64_ST_BIND(sym[i].st_info);
        if (raw[nraw].hi > raw[nraw].lo) nraw++; /* a size that wraps names nothing */
    }
    if (nraw) qsort(raw, nraw, sizeof *raw, pprof__sym_cmp);
    for (i = 0; i < nraw; i++) /* names are offsets in one buffer: keep it under 4 GiB */
        if (i == 0 || raw[i].lo != raw[i - 1].lo) {
            size_t l = strlen(raw[i].name) + 1;
            if (namelen + l > ((size_t)1 << 30)) { nraw = i; break; }
            namelen += l;
        }
    o->syms = (pprof__sym *)PPROF_MALLOC((nraw ? nraw : 1) * sizeof *o->syms);
    o->names = (char *)PPROF_MALLOC(namelen ? namelen : 1);
    if (o->syms && o->names) {
        size_t at = 0;
        for (i = 0; i < nraw; i++) {
            size_t l;
            if (i > 0 && raw[i].lo == raw[i - 1].lo) continue; /* an alias of the one kept */
            l = strlen(raw[i].name) + 1;
            memcpy(o->names + at, raw[i].name, l);
            o->syms[o->nsyms].lo = raw[i].lo;
            o->syms[o->nsyms].hi = raw[i].hi;
            o->syms[o->nsyms].name = (uint32_t)at;
            o->nsyms++;
            at += l;
        }
    }
    PPROF_FREE(raw);
    PPROF_FREE(sym);
    PPROF_FREE(str);
}

/* The cached object for executable mapping e, loading it on first use. Under sym_mu. */
PPROF__FN pprof__obj *pprof__sym_obj(const pprof__mapent *e, const pprof__exe *exe) {
    pprof__obj *o, **pp;
    pprof__img im;
    size_t n = 0;
    for (pp = &pprof__sym_cache; (o = *pp) != NULL; pp = &o->next, n++)
        if (o->lo == e->lo && o->hi == e->hi && o->off == e->off && o->inode == e->inode &&
            strcmp(o->path, e->path) == 0)
            return o;
    if (n >= 1024) pprof__sym_flush(); /* dlopen/dlclose churn: start over, never grow */
    o = (pprof__obj *)PPROF_MALLOC(sizeof *o);
    if (!o) return NULL;
    memset(o, 0, sizeof *o);
    o->lo = e->lo;
    o->hi = e->hi;
    o->off = e->off;
    o->inode = e->inode;
    o->path = pprof__mem_strdup(e->path);
    if (!o->path) { PPROF_FREE(o); return NULL; }
    if (pprof__img_open(e, exe, &im) == 0) {
        pprof__sym_parse(o, &im);
        pprof__img_close(&im);
    }
    o->next = pprof__sym_cache;
    pprof__sym_cache = o;
    return o;
}

/* Adds the DT_NEEDED names of the ELF file at path to *names (a NUL-separated list). */
PPROF__FN void pprof__sym_needed(const char *path, char **names, size_t *len, size_t *cap) {
    pprof__img im;
    Elf64_Ehdr eh;
    Elf64_Shdr *sh = NULL;
    struct stat sb;
    unsigned char *hdr;
    size_t i;
    im.mem = NULL;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return; /* never open a device */
    im.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (im.fd < 0) return;
    if (fstat(im.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) { close(im.fd); return; }
    im.size = (uint64_t)sb.st_size;
    hdr = (unsigned char *)pprof__img_read(&im, 0, sizeof eh);
    if (hdr) {
        memcpy(&eh, hdr, sizeof eh);
        PPROF_FREE(hdr);
        if (memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
            eh.e_shentsize == sizeof(Elf64_Shdr))
            sh = (Elf64_Shdr *)pprof__img_read(&im, eh.e_shoff,
                                               (uint64_t)eh.e_shnum * sizeof *sh);
    }
    for (i = 0; sh && i < eh.e_shnum; i++) {
        Elf64_Dyn *dyn;
        char *str;
        size_t k, strsz;
        if (sh[i].sh_type != SHT_DYNAMIC || sh[i].sh_link >= eh.e_shnum) continue;
        dyn = (Elf64_Dyn *)pprof__img_read(&im, sh[i].sh_offset, sh[i].sh_size);
        strsz = (size_t)sh[sh[i].sh_link].sh_size;
        str = (char *)pprof__img_read(&im, sh[sh[i].sh_link].sh_offset, strsz);
        for (k = 0; dyn && str && k < sh[i].sh_size / sizeof *dyn; k++) {
            size_t l;
            if (dyn[k].d_tag != DT_NEEDED || dyn[k].d_un.d_val >= strsz) continue;
            l = strnlen(str + dyn[k].d_un.d_val, strsz - dyn[k].d_un.d_val);
            if (pprof__mem_grow((void **)names, cap, *len + l + 1, 1) != 0) break;
            memcpy(*names + *len, str + dyn[k].d_un.d_val, l);
            (*names)[*len + l] = 0;
            *len += l + 1;
        }
        PPROF_FREE(dyn);
        PPROF_FREE(str);
    }
    PPROF_FREE(sh);
    close(im.fd);
}

/* Pins the executable mapping of the object whose file is `path` (a full path, or a base
   name for a DT_NEEDED entry) unless more than one executable mapping matches: another
   copy (dlmopen) or a namesake from elsewhere could be unloaded, so trust none. Returns
   the pinned mapping or NULL. */
PPROF__FN const pprof__mapent *pprof__sym_pin_one(const pprof__maps *m, const char *path,
                                                  int by_base) {
    const pprof__mapent *hit = NULL;
    size_t i, n = 0;
    for (i = 0; i < m->n; i++) {
        const pprof__mapent *e = &m->e[i];
        const char *base = strrchr(e->path, '/');
        if (!e->x || e->deleted || !base) continue;
        if (by_base ? strcmp(base + 1, path) == 0 : strcmp(e->path, path) == 0) {
            hit = e;
            n++;
        }
    }
    if (n != 1 || pprof__maps_npinned >= 256 || pprof__maps_is_pinned(hit)) return NULL;
    pprof__maps_pinned[pprof__maps_npinned].lo = hit->lo;
    pprof__maps_pinned[pprof__maps_npinned].hi = hit->hi;
    pprof__maps_pinned[pprof__maps_npinned].off = hit->off;
    pprof__maps_pinned[pprof__maps_npinned].inode = hit->inode;
    pprof__maps_pinned[pprof__maps_npinned].path = pprof__mem_strdup(hit->path);
    if (!pprof__maps_pinned[pprof__maps_npinned].path) return NULL;
    pprof__maps_npinned++;
    return hit;
}

/* Finds the objects that are never unloaded: the main program, the dynamic loader and
   everything the program needs (DT_NEEDED, transitively), as mapped in m. Once. */
PPROF__FN void pprof__sym_pin(const pprof__maps *m) {
    static int done;
    pprof__exe exe;
    char *names = NULL, *queue = NULL;
    size_t len = 0, cap = 0, qlen = 0, qcap = 0, at, i;
    uintptr_t interp = (uintptr_t)getauxval(AT_BASE);
    if (done) return;
    done = 1;
    pprof__sym_exe(&exe);
    /* a queue of full paths to read DT_NEEDED from: the program and the loader first */
    for (i = 0; i < m->n; i++) {
        const pprof__mapent *e = &m->e[i], *pinned;
        size_t l = strlen(e->path) + 1;
        int seed = (e->x && pprof__sym_is_exe(&exe, e)) ||
                   (interp && e->lo <= interp && interp < e->hi); /* the loader's first line */
        if (!seed || e->path[0] != '/' || !(pinned = pprof__sym_pin_one(m, e->path, 0))) continue;
        if (pprof__mem_grow((void **)&queue, &qcap, qlen + l, 1) != 0) break;
        memcpy(queue + qlen, e->path, l);
        qlen += l;
    }
    for (at = 0; at < qlen; at += strlen(queue + at) + 1) { /* breadth first */
        size_t p = len;
        pprof__sym_needed(queue + at, &names, &len, &cap);
        for (; p < len; p += strlen(names + p) + 1) {
            for (i = 0; i < m->n; i++) { /* the needed name's file, to read its own needs */
                const char *base = strrchr(m->e[i].path, '/');
                if (m->e[i].x && base && strcmp(base + 1, names + p) == 0) break;
            }
            if (i == m->n || pprof__maps_is_pinned(&m->e[i]) || !pprof__sym_pin_one(m, names + p, 1))
                continue;
            {
                size_t l = strlen(m->e[i].path) + 1;
                if (pprof__mem_grow((void **)&queue, &qcap, qlen + l, 1) != 0) break;
                memcpy(queue + qlen, m->e[i].path, l);
                qlen += l;
            }
        }
    }
    PPROF_FREE(names);
    PPROF_FREE(queue);
}

/* The name of the function containing runtime address a, or NULL; its start into *start. */
PPROF__FN const char *pprof__sym_lookup(const pprof__obj *o, uintptr_t a, uintptr_t *start) {
    uintptr_t rel = a - o->bias;
    size_t l = 0, h = o->nsyms, j, stop;
    if (!o->syms) return NULL;
    while (l < h) { /* first symbol starting after rel */
        size_t m = l + (h - l) / 2;
        if (o->syms[m].lo <= rel) l = m + 1;
        else h = m;
    }
    stop = l > 8 ? l - 8 : 0; /* nested symbols: look back a little, never guess */
    for (j = l; j > stop; j--)
        if (o->syms[j - 1].lo <= rel && rel < o->syms[j - 1].hi) {
            if (start) *start = o->syms[j - 1].lo + o->bias;
            return o->names + o->syms[j - 1].name;
        }
    return NULL;
}

// =========================================================================================
// >>cfi: unwind tables from each object's .eh_frame, built outside the handler: when a
// region snapshot is published (profile start, every refresh: dlopen) for the executable
// mappings it has no table for yet. The CFA program of every FDE runs once, here, into
// rows: "from this address on, the caller's registers are found so" (>>unw applies them).
// A row is 6 bytes (address from the mapping's start, rule number); the rules of an object
// are shared by its rows, and a page index bounds every binary search to one small page.
// Only the forms compilers and hand-written assembly emit are kept; a rule the walk cannot
// apply becomes no rule (frame records there). Every offset the file gives is checked: a
// malformed .eh_frame gives fewer rows, never a fault. Guarded by pprof__unw_mu (>>unw).
// =========================================================================================
typedef struct pprof__rd { const unsigned char *p, *end; int bad; } pprof__rd;

PPROF__FN uint64_t pprof__rd_n(pprof__rd *r, size_t n) { /* little-endian, n <= 8 bytes */
    uint64_t v = 0;
    size_t i;
    if ((size_t)(r->end - r->p) < n) { r->bad = 1; r->p = r->end; return 0; }
    for (i = 0; i < n; i++) v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    return v;
}
/* A LEB128 number, sign-extended when sign. */
PPROF__FN uint64_t pprof__rd_leb(pprof__rd *r, int sign) {
    uint64_t v = 0;
    unsigned s = 0;
    while (r->p < r->end) {
        unsigned char b = *r->p++;
        if (s < 64) v |= (uint64_t)(b & 0x7f) << s;
        s += 7;
        if (!(b & 0x80)) {
            if (sign && s < 64 && (b & 0x40)) v |= ~(uint64_t)0 << s;
            return v;
        }
    }
    r->bad = 1;
    return 0;
}
PPROF__FN uint64_t pprof__rd_uleb(pprof__rd *r) { return pprof__rd_leb(r, 0); }
PPROF__FN int64_t pprof__rd_sleb(pprof__rd *r) { return (int64_t)pprof__rd_leb(r, 1); }
/* A pointer in DW_EH_PE encoding enc; at is the object address of r->p (for pcrel). */
PPROF__FN uint64_t pprof__rd_ptr(pprof__rd *r, unsigned enc, uint64_t at) {
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: case 0x04: case 0x0c: v = pprof__rd_n(r, 8); break; /* absptr, (s)data8 */
    case 0x01: v = pprof__rd_uleb(r); break;
    case 0x02: v = pprof__rd_n(r, 2); break;
    case 0x03: v = pprof__rd_n(r, 4); break;
    case 0x09: v = (uint64_t)pprof__rd_sleb(r); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)(uint16_t)pprof__rd_n(r, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)(uint32_t)pprof__rd_n(r, 4); break;
    default: r->bad = 1; return 0;
    }
    if ((enc & 0x70) == 0x10) v += at;         /* pcrel */
    else if ((enc & 0x70) != 0) r->bad = 1;   /* text-, data-, func-relative: not on Linux */
    return v;
}

typedef struct pprof__cfist {    /* a CFA program's state (the registers the walk uses) */
    int cfa_how, ra_how, fp_how;
    uint64_t cfa_reg;
    int64_t cfa_off, cfa_add, ra_off, fp_off;
} pprof__cfist;

typedef struct pprof__cie {
    size_t off;                  /* in .eh_frame: the key */
    uint64_t caf, ra;            /* code alignment factor, return address column */
    int64_t daf;                 /* data alignment factor */
    unsigned enc;                /* the FDEs' pointer encoding ('R') */
    int zaug, signal, ok;        /* 'z': FDEs have augmentation data; 'S' */
    pprof__cfist init;           /* the state its initial instructions leave */
} pprof__cie;

typedef struct pprof__fde { uint64_t lo, hi; size_t ins, end; size_t cie; } pprof__fde;

typedef struct pprof__cfib {     /* a table in the making */
    const unsigned char *d;      /* .eh_frame, n bytes at object address vaddr */
    size_t n;
    uint64_t vaddr;
    uint64_t bias;               /* runtime address = object address + bias */
    uintptr_t lo, hi;            /* the mapping */
    pprof__cie *cie;
    size_t ncie, capcie;
    pprof__fde *fde;
    size_t nfde, capfde;
    uint32_t *pc;
    uint16_t *rule;
    size_t nrow, caprow;
    pprof__cfirule *rules;
    size_t nrules, caprules;
    uint32_t *rhash;             /* open addressing over rule numbers (0 empty) */
    size_t caphash;
    int oom;
} pprof__cfib;

/* The compact rule for state st, or a rule with cfa_how NONE if it does not fit one. */
PPROF__FN pprof__cfirule pprof__cfi_pack(const pprof__cfist *st, int signal) {
    pprof__cfirule r;
    memset(&r, 0, sizeof r);
    if (st->cfa_how == PPROF__CFA_NONE || st->cfa_reg > 255 || st->cfa_off != (int32_t)st->cfa_off ||
        st->cfa_add != (int16_t)st->cfa_add || st->ra_off != (int32_t)st->ra_off ||
        st->fp_off != (int32_t)st->fp_off || st->ra_how == PPROF__AT_OTHER)
        return r;
    r.cfa_how = (uint8_t)st->cfa_how;
    r.cfa_reg = (uint8_t)st->cfa_reg;
    r.cfa_off = (int32_t)st->cfa_off;
    r.cfa_add = (int16_t)st->cfa_add;
    r.ra_how = (uint8_t)st->ra_how;
    r.ra_off = (int32_t)st->ra_off;
    r.fp_how = (uint8_t)st->fp_how;
    r.fp_off = (int32_t)st->fp_off;
    r.signal = (uint8_t)(signal != 0);
    return r;
}

/* The number of rule r in b, added on first sight; 0 (no rule) if it fits none. */
PPROF__FN uint16_t pprof__cfi_rule_no(pprof__cfib *b, const pprof__cfirule *r) {
    uint64_t h;
    size_t i;
    if (r->cfa_how == PPROF__CFA_NONE) return 0;
    h = pprof__hash_bytes(0, r, sizeof *r);
    if (b->nrules * 2 + 2 > b->caphash) { /* grow, rehash; rule 0 is the empty one */
        size_t ncap = b->caphash ? b->caphash * 2 : 256, j;
        uint32_t *nh = (uint32_t *)PPROF_MALLOC(ncap * sizeof *nh);
        if (!nh) { b->oom = 1; return 0; }
        memset(nh, 0, ncap * sizeof *nh);
        for (j = 1; j < b->nrules; j++) {
            uint64_t g = pprof__hash_bytes(0, &b->rules[j], sizeof *r);
            size_t k;
            for (k = (size_t)g & (ncap - 1); nh[k]; k = (k + 1) & (ncap - 1)) {}
            nh[k] = (uint32_t)j;
        }
        PPROF_FREE(b->rhash);
        b->rhash = nh;
        b->caphash = ncap;
    }
    for (i = (size_t)h & (b->caphash - 1); b->rhash[i]; i = (i + 1) & (b->caphash - 1))
        if (memcmp(&b->rules[b->rhash[i]], r, sizeof *r) == 0) return (uint16_t)b->rhash[i];
    if (b->nrules > 65535 ||
        pprof__mem_grow((void **)&b->rules, &b->caprules, b->nrules + 1, sizeof *r) != 0) {
        if (b->nrules <= 65535) b->oom = 1;
        return 0; /* more distinct rules than a row can name: no rule for these rows */
    }
    b->rules[b->nrules] = *r;
    b->rhash[i] = (uint32_t)b->nrules;
    return (uint16_t)b->nrules++;
}

/* A row: from object address loc on, state st (NULL: no rule). Rows come in address order;
   one at the same address as the last replaces it (an FDE that starts where the previous
   one ended), one below it is dropped (overlapping FDEs), one with the last row's rule
   merges into it. */
PPROF__FN void pprof__cfi_row(pprof__cfib *b, uint64_t loc, const pprof__cfist *st, int signal) {
    uintptr_t a = (uintptr_t)(loc + b->bias);
    pprof__cfirule r;
    uint32_t off;
    uint16_t k = 0;
    if (a < b->lo || a >= b->hi) return;
    off = (uint32_t)(a - b->lo);
    if (st) {
        r = pprof__cfi_pack(st, signal);
        k = pprof__cfi_rule_no(b, &r);
    }
    if (b->nrow && b->pc[b->nrow - 1] >= off) {
        if (b->pc[b->nrow - 1] != off) return;
        b->nrow--;
    }
    if (b->nrow && b->rule[b->nrow - 1] == k) return;
    if (b->nrow == b->caprow) {
        size_t ncap = b->caprow ? b->caprow * 2 : 1024;
        uint32_t *np = (uint32_t *)PPROF_REALLOC(b->pc, ncap * sizeof *np);
        uint16_t *nr;
        if (np) b->pc = np;
        nr = np ? (uint16_t *)PPROF_REALLOC(b->rule, ncap * sizeof *nr) : NULL;
        if (!nr) { b->oom = 1; return; }
        b->rule = nr;
        b->caprow = ncap;
    }
    b->pc[b->nrow] = off;
    b->rule[b->nrow++] = k;
}

/* A factored offset: v times the data alignment factor, wrapping (a huge offset from a
   malformed file fits no rule and is dropped, see pprof__cfi_pack). */
PPROF__FN int64_t pprof__cfi_off(uint64_t v, int64_t daf) {
    return (int64_t)(v * (uint64_t)daf);
}

/* The state of register reg after "saved how, at off". Only the return address and the
   frame pointer matter to the walk (sp is the CFA by definition). */
PPROF__FN void pprof__cfi_set(pprof__cfist *st, const pprof__cie *c, uint64_t reg, int how,
                              int64_t off) {
    if (reg == c->ra) { st->ra_how = how; st->ra_off = off; }
    else if (reg == PPROF__DW_FP) { st->fp_how = how; st->fp_off = off; }
}
PPROF__FN void pprof__cfi_restore(pprof__cfist *st, const pprof__cie *c, uint64_t reg) {
    if (reg == c->ra) { st->ra_how = c->init.ra_how; st->ra_off = c->init.ra_off; }
    else if (reg == PPROF__DW_FP) { st->fp_how = c->init.fp_how; st->fp_off = c->init.fp_off; }
}

/* A register's saved place from DW_CFA_expression: "DW_OP_breg<sp|fp> off" only. */
PPROF__FN void pprof__cfi_expr_reg(pprof__cfist *st, const pprof__cie *c, uint64_t reg,
                                   pprof__rd *e) {
    unsigned op = (unsigned)pprof__rd_n(e, 1);
    int64_t off = pprof__rd_sleb(e);
    int how = PPROF__AT_OTHER;
    if (!e->bad && e->p == e->end && op == 0x70 + PPROF__DW_SP) how = PPROF__AT_SP;
    if (!e->bad && e->p == e->end && op == 0x70 + PPROF__DW_FP) how = PPROF__AT_FP;
    pprof__cfi_set(st, c, reg, how, off);
}

/* The CFA from DW_CFA_def_cfa_expression, for the forms code contains: "breg off" (a plain
   rule), "breg off; deref [; plus_uconst k]" (OpenSSL's and glibc's hand-written code,
   GCC's stack realignment) and x86-64's PLT rule "rsp+8, 8 more from byte k of each 16". */
PPROF__FN void pprof__cfi_expr_cfa(pprof__cfist *st, pprof__rd *e) {
    static const unsigned char plt[] = {0x80, 0x00, 0x3f, 0x1a}; /* breg16 0; lit15; and */
    static const unsigned char plt2[] = {0x2a, 0x33, 0x24, 0x22}; /* ge; lit3; shl; plus */
    unsigned op = (unsigned)pprof__rd_n(e, 1);
    int64_t off = pprof__rd_sleb(e), add = 0;
    st->cfa_how = PPROF__CFA_NONE;
    if (e->bad || op < 0x70 || op > 0x8f) return;            /* DW_OP_breg0..31 first */
    st->cfa_reg = op - 0x70;
    st->cfa_off = off;
    if (e->p == e->end) { st->cfa_how = PPROF__CFA_REG; return; }
    op = (unsigned)pprof__rd_n(e, 1);
    if (op == 0x06) {                                         /* DW_OP_deref */
        if (e->p < e->end && pprof__rd_n(e, 1) == 0x23) add = (int64_t)pprof__rd_uleb(e);
        else if (e->p < e->end) return;
        if (!e->bad && e->p == e->end) { st->cfa_how = PPROF__CFA_DEREF; st->cfa_add = add; }
        return;
    }
#if defined(PPROF__X86_64)
    if (op == plt[0] && st->cfa_reg == PPROF__DW_SP && e->end - e->p == 8 &&
        memcmp(e->p, plt + 1, 3) == 0 && e->p[3] >= 0x30 && e->p[3] <= 0x3f &&
        memcmp(e->p + 4, plt2, 4) == 0) {
        st->cfa_how = PPROF__CFA_PLT;
        st->cfa_add = e->p[3] - 0x30;                         /* DW_OP_lit<k> */
    }
#else
    (void)plt;
    (void)plt2;
#endif
}

#define PPROF__CFI_DEPTH 16 /* remember_state nesting kept */

/* One CFA instruction that moves no address: a register's or the CFA's rule, or the state
   remembered or restored. Returns 0, or -1 at an instruction it does not know or apply. */
PPROF__FN int pprof__cfi_rule_op(const pprof__cie *c, pprof__rd *r, unsigned op, pprof__cfist *st,
                                 pprof__cfist *saved, int *nsaved) {
    uint64_t reg, len;
    pprof__rd e;
    switch (op >> 6) {
    case 2:                                                              /* offset */
        pprof__cfi_set(st, c, op & 0x3f, PPROF__AT_CFA, pprof__cfi_off(pprof__rd_uleb(r), c->daf));
        return 0;
    case 3: pprof__cfi_restore(st, c, op & 0x3f); return 0;               /* restore */
    default: break;
    }
    switch (op) {
    case 0x00: return 0;                                                 /* nop */
    case 0x05:                                                           /* offset_extended */
        reg = pprof__rd_uleb(r);
        pprof__cfi_set(st, c, reg, PPROF__AT_CFA, pprof__cfi_off(pprof__rd_uleb(r), c->daf));
        return 0;
    case 0x06: pprof__cfi_restore(st, c, pprof__rd_uleb(r)); return 0;     /* restore_ext. */
    case 0x07: pprof__cfi_set(st, c, pprof__rd_uleb(r), PPROF__AT_UNDEF, 0); return 0;
    case 0x08: pprof__cfi_set(st, c, pprof__rd_uleb(r), PPROF__AT_SAME, 0); return 0;
    case 0x09:                                                           /* register */
        reg = pprof__rd_uleb(r);
        pprof__rd_uleb(r);
        pprof__cfi_set(st, c, reg, PPROF__AT_OTHER, 0);
        return 0;
    case 0x0a:                                                           /* remember_state */
        if (*nsaved == PPROF__CFI_DEPTH) return -1;
        saved[(*nsaved)++] = *st;
        return 0;
    case 0x0b:                                                           /* restore_state */
        if (*nsaved == 0) return -1;
        *st = saved[--*nsaved];
        return 0;
    case 0x0c:                                                           /* def_cfa */
        st->cfa_reg = pprof__rd_uleb(r);
        st->cfa_off = (int64_t)pprof__rd_uleb(r);
        st->cfa_how = PPROF__CFA_REG;
        return 0;
    case 0x0d:                                                           /* def_cfa_register */
        st->cfa_reg = pprof__rd_uleb(r);
        if (st->cfa_how != PPROF__CFA_REG) st->cfa_how = PPROF__CFA_NONE;
        return 0;
    case 0x0e: st->cfa_off = (int64_t)pprof__rd_uleb(r); return 0;        /* def_cfa_offset */
    case 0x0f:                                                           /* def_cfa_expr. */
    case 0x10: case 0x16:                                  /* expression, val_expression */
        reg = op == 0x0f ? 0 : pprof__rd_uleb(r);
        len = pprof__rd_uleb(r);
        if (r->bad || len > (uint64_t)(r->end - r->p)) return -1;
        e.p = r->p;
        e.end = r->p + len;
        e.bad = 0;
        r->p += len;
        if (op == 0x0f) pprof__cfi_expr_cfa(st, &e);
        else if (op == 0x10) pprof__cfi_expr_reg(st, c, reg, &e);
        else pprof__cfi_set(st, c, reg, PPROF__AT_OTHER, 0);
        return 0;
    case 0x11:                                                           /* offset_ext._sf */
        reg = pprof__rd_uleb(r);
        pprof__cfi_set(st, c, reg, PPROF__AT_CFA, pprof__cfi_off((uint64_t)pprof__rd_sleb(r), c->daf));
        return 0;
    case 0x12:                                                           /* def_cfa_sf */
        st->cfa_reg = pprof__rd_uleb(r);
        st->cfa_off = pprof__cfi_off((uint64_t)pprof__rd_sleb(r), c->daf);
        st->cfa_how = PPROF__CFA_REG;
        return 0;
    case 0x13: st->cfa_off = pprof__cfi_off((uint64_t)pprof__rd_sleb(r), c->daf); return 0; /* def_cfa_off._sf */
    case 0x14: case 0x15:                                      /* val_offset(_sf): a value */
        reg = pprof__rd_uleb(r);
        if (op == 0x14) pprof__rd_uleb(r);
        else pprof__rd_sleb(r);
        pprof__cfi_set(st, c, reg, PPROF__AT_OTHER, 0);
        return 0;
    case 0x2d: return 0;               /* GNU_window_save, aarch64 negate_ra_state: PAC off */
    case 0x2e: pprof__rd_uleb(r); return 0;                              /* GNU_args_size */
    case 0x2f:                                             /* GNU_negative_offset_extended */
        reg = pprof__rd_uleb(r);
        pprof__cfi_set(st, c, reg, PPROF__AT_CFA, pprof__cfi_off(0 - pprof__rd_uleb(r), c->daf));
        return 0;
    default:
        return -1;
    }
}

/* Runs the CFA instructions in r from state st: with an FDE, a row at each address advance
   and at its end. Returns 0, or -1 at an instruction it does not know (rows so far stand). */
PPROF__FN int pprof__cfi_exec(pprof__cfib *b, const pprof__cie *c, pprof__rd *r,
                              pprof__cfist *st, const pprof__fde *f) {
    pprof__cfist saved[PPROF__CFI_DEPTH];
    int nsaved = 0;
    uint64_t loc = f ? f->lo : 0;
    while (r->p < r->end && !r->bad) {
        unsigned op = *r->p++;
        uint64_t delta;
        if (op >> 6 == 1) {                                              /* advance_loc */
            delta = (op & 0x3f) * c->caf;
        } else if (op == 0x01) {                                         /* set_loc */
            uint64_t to = pprof__rd_ptr(r, c->enc, b->vaddr + (uint64_t)(r->p - b->d));
            if (to < loc) goto fail;
            delta = to - loc;
        } else if (op >= 0x02 && op <= 0x04) {                           /* advance_loc1/2/4 */
            delta = pprof__rd_n(r, op == 0x04 ? 4 : op - 1) * c->caf;
        } else {
            if (pprof__cfi_rule_op(c, r, op, st, saved, &nsaved) != 0) goto fail;
            continue;
        }
        if (!f) continue; /* a CIE's initial instructions have no address */
        if (loc >= f->hi) break;
        pprof__cfi_row(b, loc, st, c->signal);
        loc += delta;
    }
    if (r->bad) goto fail;
    if (f && loc < f->hi) pprof__cfi_row(b, loc, st, c->signal);
    return 0;
fail: /* from here on this FDE has no rule */
    if (f && loc < f->hi) pprof__cfi_row(b, loc, NULL, 0);
    return -1;
}

/* Reads one entry's header at off: its length word and where its body begins and ends. */
PPROF__FN int pprof__cfi_entry(const pprof__cfib *b, size_t off, size_t *body, size_t *end,
                               uint32_t *id) {
    pprof__rd r;
    uint64_t len;
    r.p = b->d + off;
    r.end = b->d + b->n;
    r.bad = 0;
    len = pprof__rd_n(&r, 4);
    if (len == 0xffffffffu) len = pprof__rd_n(&r, 8);
    if (r.bad || len == 0 || len > (uint64_t)(r.end - r.p) || len < 4) return -1;
    *body = (size_t)(r.p - b->d);
    *end = *body + (size_t)len;
    *id = (uint32_t)pprof__rd_n(&r, 4);
    return 0;
}

/* The CIE at off, parsed on first use. Returns its index, or (size_t)-1. */
PPROF__FN size_t pprof__cfi_cie(pprof__cfib *b, size_t off) {
    pprof__cie c;
    pprof__rd r;
    size_t body, end, i;
    uint32_t id;
    const char *aug;
    unsigned version;
    for (i = b->ncie; i > 0; i--) /* few per object, usually asked for in order */
        if (b->cie[i - 1].off == off) return b->cie[i - 1].ok ? i - 1 : (size_t)-1;
    memset(&c, 0, sizeof c);
    c.off = off;
    if (pprof__mem_grow((void **)&b->cie, &b->capcie, b->ncie + 1, sizeof c) != 0) {
        b->oom = 1;
        return (size_t)-1;
    }
    if (off < b->n && pprof__cfi_entry(b, off, &body, &end, &id) == 0 && id == 0) {
        r.p = b->d + body + 4;
        r.end = b->d + end;
        r.bad = 0;
        version = (unsigned)pprof__rd_n(&r, 1);
        aug = (const char *)r.p;
        while (r.p < r.end && *r.p) r.p++;
        if (r.p == r.end) aug = "?";                         /* unterminated */
        pprof__rd_n(&r, 1);
        if (strncmp(aug, "eh", 2) == 0) pprof__rd_n(&r, 8);   /* GCC 2's EH data pointer */
        if (version == 4) pprof__rd_n(&r, 2);                /* address and segment sizes */
        c.caf = pprof__rd_uleb(&r);
        c.daf = pprof__rd_sleb(&r);
        c.ra = version == 1 ? pprof__rd_n(&r, 1) : pprof__rd_uleb(&r);
        c.ok = !r.bad && (version == 1 || version == 3 || version == 4);
        if (c.ok && aug[0] == 'z') {
            uint64_t alen = pprof__rd_uleb(&r);
            const unsigned char *aend = r.p + (alen < (uint64_t)(r.end - r.p) ? alen : 0);
            c.zaug = 1;
            c.ok = alen <= (uint64_t)(r.end - r.p);
            for (aug++; c.ok && *aug && r.p <= aend; aug++) {
                if (*aug == 'R') c.enc = (unsigned)pprof__rd_n(&r, 1);
                else if (*aug == 'L') pprof__rd_n(&r, 1);
                else if (*aug == 'P') {
                    unsigned penc = (unsigned)pprof__rd_n(&r, 1);
                    pprof__rd_ptr(&r, penc & 0x7f, 0);
                } else if (*aug == 'S') c.signal = 1;
                else if (*aug != 'B' && *aug != 'G') break; /* unknown: the length skips it */
            }
            r.p = aend;
        } else if (c.ok && aug[0] && strncmp(aug, "eh", 2) != 0) {
            c.ok = 0; /* an augmentation without 'z' cannot be skipped */
        }
        c.ok = c.ok && !r.bad;
        if (c.ok) { /* its initial instructions, run once for all its FDEs */
            c.init.cfa_how = PPROF__CFA_NONE;
            c.init.ra_how = PPROF__AT_SAME;
            c.init.fp_how = PPROF__AT_SAME;
            c.ok = pprof__cfi_exec(b, &c, &r, &c.init, NULL) == 0;
        }
    }
    b->cie[b->ncie] = c;
    return c.ok ? b->ncie++ : (b->ncie++, (size_t)-1);
}

PPROF__FN int pprof__cfi_fde_cmp(const void *pa, const void *pb) {
    const pprof__fde *a = (const pprof__fde *)pa, *b = (const pprof__fde *)pb;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* Every FDE of .eh_frame for code inside the mapping, by address. */
PPROF__FN void pprof__cfi_fdes(pprof__cfib *b) {
    size_t off = 0, body, end;
    uint32_t id;
    int sorted = 1;
    uint64_t vlo = (uint64_t)b->lo - b->bias, vhi = (uint64_t)b->hi - b->bias;
    while (off + 4 <= b->n && pprof__cfi_entry(b, off, &body, &end, &id) == 0) {
        if (id != 0 && id <= body) { /* an FDE: id is its distance back to the CIE */
            size_t ci = pprof__cfi_cie(b, body - id);
            pprof__rd r;
            pprof__fde f;
            r.p = b->d + body + 4;
            r.end = b->d + end;
            r.bad = 0;
            if (ci != (size_t)-1) {
                const pprof__cie *c = &b->cie[ci];
                uint64_t len;
                f.lo = pprof__rd_ptr(&r, c->enc, b->vaddr + (uint64_t)(r.p - b->d));
                len = pprof__rd_ptr(&r, c->enc & 0x0f, 0);
                if (c->zaug) { /* the LSDA pointer: not ours */
                    uint64_t alen = pprof__rd_uleb(&r);
                    if (alen > (uint64_t)(r.end - r.p)) r.bad = 1;
                    else r.p += alen;
                }
                f.hi = f.lo + len;
                f.ins = (size_t)(r.p - b->d);
                f.end = end;
                f.cie = ci;
                if (!r.bad && len && f.hi > f.lo && f.lo < vhi && f.hi > vlo) {
                    if (pprof__mem_grow((void **)&b->fde, &b->capfde, b->nfde + 1, sizeof f)) {
                        b->oom = 1;
                        return;
                    }
                    if (b->nfde && f.lo < b->fde[b->nfde - 1].lo) sorted = 0;
                    b->fde[b->nfde++] = f;
                }
            }
        }
        off = end;
    }
    if (!sorted) qsort(b->fde, b->nfde, sizeof *b->fde, pprof__cfi_fde_cmp);
}

/* Where .eh_frame lies in image im: its file offset, size and object address. From the
   section headers; without them (a stripped-down file) from PT_GNU_EH_FRAME's pointer,
   up to the end of the segment holding it. */
PPROF__FN int pprof__cfi_find(const pprof__img *im, const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
                              uint64_t *off, uint64_t *size, uint64_t *vaddr) {
    Elf64_Shdr *sh = NULL;
    char *names = NULL;
    size_t i;
    int found = 0;
    if (eh->e_shentsize == sizeof(Elf64_Shdr) && eh->e_shstrndx < eh->e_shnum)
        sh = (Elf64_Shdr *)pprof__img_read(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof *sh);
    if (sh && sh[eh->e_shstrndx].sh_size < ((uint64_t)1 << 24))
        names = (char *)pprof__img_read(im, sh[eh->e_shstrndx].sh_offset,
                                        sh[eh->e_shstrndx].sh_size);
    for (i = 0; sh && names && i < eh->e_shnum && !found; i++) {
        uint64_t nsz = sh[eh->e_shstrndx].sh_size;
        if (sh[i].sh_name < nsz && nsz - sh[i].sh_name >= 10 && sh[i].sh_type != SHT_NOBITS &&
            memcmp(names + sh[i].sh_name, ".eh_frame", 10) == 0) {
            *off = sh[i].sh_offset;
            *size = sh[i].sh_size;
            *vaddr = sh[i].sh_addr;
            found = 1;
        }
    }
    PPROF_FREE(names);
    PPROF_FREE(sh);
    for (i = 0; ph && !found && i < eh->e_phnum; i++) {
        unsigned char *hdr;
        pprof__rd r;
        size_t k;
        if (ph[i].p_type != PT_GNU_EH_FRAME || ph[i].p_filesz < 8) continue;
        hdr = (unsigned char *)pprof__img_read(im, ph[i].p_offset, 8 + 4);
        if (!hdr) continue;
        r.p = hdr + 4;
        r.end = hdr + 12;
        r.bad = 0;
        *vaddr = pprof__rd_ptr(&r, hdr[1], ph[i].p_vaddr + 4); /* eh_frame_ptr */
        PPROF_FREE(hdr);
        for (k = 0; !r.bad && k < eh->e_phnum; k++)
            if (ph[k].p_type == PT_LOAD && ph[k].p_vaddr <= *vaddr &&
                *vaddr - ph[k].p_vaddr < ph[k].p_filesz) {
                *off = ph[k].p_offset + (*vaddr - ph[k].p_vaddr);
                *size = ph[k].p_filesz - (*vaddr - ph[k].p_vaddr);
                found = 1;
                break;
            }
    }
    return found;
}

/* The finished table: rows, rules and the page index in one mapping. NULL out of memory. */
PPROF__FN pprof__cfitab *pprof__cfi_seal(pprof__cfib *b) {
    size_t npage = (size_t)((b->hi - b->lo) >> PPROF__CFI_PAGE_SHIFT) + 2, k, row = 0;
    size_t o_rule = b->nrow * sizeof(uint32_t);
    size_t o_rules = (o_rule + b->nrow * sizeof(uint16_t) + 7) & ~(size_t)7;
    size_t o_page = o_rules + b->nrules * sizeof(pprof__cfirule);
    size_t size = o_page + npage * sizeof(uint32_t);
    pprof__cfitab *t = (pprof__cfitab *)PPROF_MALLOC(sizeof *t);
    unsigned char *m = t ? (unsigned char *)pprof__mem_map(size) : NULL;
    uint32_t *page;
    if (!m) { PPROF_FREE(t); return NULL; }
    memset(t, 0, sizeof *t);
    memcpy(m, b->pc, b->nrow * sizeof(uint32_t));
    memcpy(m + o_rule, b->rule, b->nrow * sizeof(uint16_t));
    memcpy(m + o_rules, b->rules, b->nrules * sizeof(pprof__cfirule));
    page = (uint32_t *)(void *)(m + o_page);
    for (k = 0; k < npage; k++) { /* the last row at or below the page's first byte */
        uint64_t at = (uint64_t)k << PPROF__CFI_PAGE_SHIFT;
        while (row + 1 < b->nrow && b->pc[row + 1] <= at) row++;
        page[k] = (uint32_t)row;
    }
    t->lo = b->lo;
    t->hi = b->hi;
    t->pc = (const uint32_t *)(void *)m;
    t->rule = (const uint16_t *)(void *)(m + o_rule);
    t->rules = (const pprof__cfirule *)(void *)(m + o_rules);
    t->page = page;
    t->nrow = (uint32_t)b->nrow;
    t->nrule = (uint32_t)b->nrules;
    t->mem = m;
    t->mem_size = size;
    mprotect(m, size, PROT_READ);
    return t;
}

/* The unwind table of code [lo, hi) (runtime addresses) from .eh_frame bytes d[0..n) at
   object address vaddr, runtime = object address + bias. NULL if no row came out (no
   usable FDE, frame records there) or memory ran out. The fuzz target's entry point. */
PPROF__FN pprof__cfitab *pprof__cfi_parse(const unsigned char *d, size_t n, uint64_t vaddr,
                                          uint64_t bias, uintptr_t lo, uintptr_t hi) {
    pprof__cfib b;
    pprof__cfitab *t = NULL;
    size_t i;
    memset(&b, 0, sizeof b);
    if (hi <= lo || hi - lo > 0xffffffffu) return NULL;
    b.d = d;
    b.n = n;
    b.vaddr = vaddr;
    b.bias = bias;
    b.lo = lo;
    b.hi = hi;
    b.nrules = 1; /* rule 0: none */
    if (pprof__mem_grow((void **)&b.rules, &b.caprules, 1, sizeof *b.rules) == 0)
        memset(&b.rules[0], 0, sizeof b.rules[0]);
    else
        b.oom = 1;
    if (!b.oom) pprof__cfi_fdes(&b);
    for (i = 0; i < b.nfde && !b.oom; i++) { /* each FDE's rows, then none past its end */
        const pprof__fde *f = &b.fde[i];
        const pprof__cie *c = &b.cie[f->cie];
        pprof__cfist st = c->init;
        pprof__rd r;
        r.p = b.d + f->ins;
        r.end = b.d + f->end;
        r.bad = 0;
        pprof__cfi_exec(&b, c, &r, &st, f);
        pprof__cfi_row(&b, f->hi, NULL, 0);
    }
    if (!b.oom && b.nrow) t = pprof__cfi_seal(&b);
    if (t) t->eh_size = n;
    PPROF_FREE(b.cie);
    PPROF_FREE(b.fde);
    PPROF_FREE(b.pc);
    PPROF_FREE(b.rule);
    PPROF_FREE(b.rules);
    PPROF_FREE(b.rhash);
    return t;
}

/* Frees a table made by pprof__cfi_parse. */
PPROF__FN void pprof__cfi_free(pprof__cfitab *t) {
    if (!t) return;
    if (t->mem) munmap(t->mem, t->mem_size);
    PPROF_FREE(t->path);
    PPROF_FREE(t);
}

/* The unwind table of executable mapping [lo, hi) at file offset off of image im, or NULL
   (no usable .eh_frame, or out of memory). */
PPROF__FN pprof__cfitab *pprof__cfi_build(const pprof__img *im, uintptr_t lo, uintptr_t hi,
                                          uintptr_t off) {
    Elf64_Ehdr eh;
    Elf64_Phdr *ph = NULL;
    pprof__cfitab *t;
    uint64_t eoff = 0, esize = 0, vaddr = 0;
    unsigned char *hdr = (unsigned char *)pprof__img_read(im, 0, sizeof eh), *d;
    uintptr_t bias = 0;
    int64_t t0 = pprof__os_mono_ns();
    if (!hdr) return NULL;
    memcpy(&eh, hdr, sizeof eh);
    PPROF_FREE(hdr);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr))
        return NULL;
    ph = (Elf64_Phdr *)pprof__img_read(im, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof *ph);
    if (!ph || pprof__img_bias(&eh, ph, lo, off, &bias) != 0 ||
        !pprof__cfi_find(im, &eh, ph, &eoff, &esize, &vaddr) || esize > ((uint64_t)1 << 30)) {
        PPROF_FREE(ph);
        return NULL;
    }
    PPROF_FREE(ph);
    d = (unsigned char *)pprof__img_read(im, eoff, esize);
    if (!d) return NULL;
    t = pprof__cfi_parse(d, (size_t)esize, vaddr, (uint64_t)bias, lo, hi);
    PPROF_FREE(d);
    if (t) t->build_ns = pprof__os_mono_ns() - t0;
    return t;
}

PPROF__FN int pprof__cfi_lo_cmp(const void *pa, const void *pb) {
    const pprof__cfitab *a = *(pprof__cfitab *const *)pa, *b = *(pprof__cfitab *const *)pb;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* Does table t cover executable mapping e: the same file, mapped at the same distance from
   its offsets (so the same load bias), e inside t's span? */
PPROF__FN int pprof__cfi_covers(const pprof__cfitab *t, const pprof__mapent *e) {
    return t->lo <= e->lo && e->hi <= t->hi && t->lo - t->off == e->lo - e->off &&
           t->inode == e->inode && strcmp(t->path, e->path) == 0;
}

/* The table of executable mapping e for the snapshot being written (number pub), built on
   first sight for every executable mapping of e's object in m at once (its .eh_frame is
   parsed once; a table spans them all); a mapping without rules gets an empty table, so it
   is not read again. sorted holds the tables known before this snapshot, by address. Under
   unw_mu. */
PPROF__FN const pprof__cfitab *pprof__cfi_get(const pprof__mapent *e, const pprof__maps *m,
                                              const pprof__exe *exe, pprof__cfitab **sorted,
                                              size_t nsorted, uint64_t pub) {
    size_t l = 0, h = nsorted, i;
    uintptr_t lo = e->lo, hi = e->hi, off = e->off;
    pprof__cfitab *t;
    pprof__img im;
    while (l < h) { /* the first known table above e->lo; the ones below may cover it */
        size_t mid = l + (h - l) / 2;
        if (sorted[mid]->lo <= e->lo) l = mid + 1;
        else h = mid;
    }
    for (i = 0; i < 8 && l > i; i++)
        if (pprof__cfi_covers(sorted[l - 1 - i], e)) { t = sorted[l - 1 - i]; goto found; }
    for (t = pprof__unw.tabs; t; t = t->next) /* made earlier in this publish */
        if (t->pub == pub && pprof__cfi_covers(t, e)) goto found;
    for (i = 0; i < m->n; i++) { /* the object's other code mappings at the same bias */
        const pprof__mapent *o = &m->e[i];
        if (!o->x || o->w || o->inode != e->inode || o->lo - o->off != e->lo - e->off ||
            strcmp(o->path, e->path) != 0 || (o->lo < lo ? hi - o->lo : o->hi - lo) > 0xffffffffu)
            continue;
        if (o->lo < lo) { lo = o->lo; off = o->off; }
        if (o->hi > hi) hi = o->hi;
    }
    t = NULL;
    if (pprof__img_open(e, exe, &im) == 0) {
        t = pprof__cfi_build(&im, lo, hi, off);
        pprof__img_close(&im);
    }
    if (!t) {
        t = (pprof__cfitab *)PPROF_MALLOC(sizeof *t);
        if (!t) return NULL;
        memset(t, 0, sizeof *t);
        t->lo = lo;
        t->hi = hi;
    }
    t->off = off;
    t->inode = e->inode;
    t->path = pprof__mem_strdup(e->path);
    if (!t->path) {
        pprof__cfi_free(t);
        return NULL;
    }
    t->next = pprof__unw.tabs;
    pprof__unw.tabs = t;
    pprof__unw.bytes += t->mem_size;
    pprof__unw.eh_bytes += t->eh_size;
    pprof__unw.build_ns += t->build_ns;
found:
    t->pub = pub;
    return t->nrow ? t : NULL;
}

/* Frees the tables neither of the two latest snapshots lists (no handler can reach them:
   the older copy was idle when the newer was written). Under unw_mu. */
PPROF__FN void pprof__cfi_retire(void) {
    pprof__cfitab **pp = &pprof__unw.tabs, *t;
    while ((t = *pp) != NULL) {
        if (t->pub + 1 >= pprof__unw.pubs) { pp = &t->next; continue; }
        *pp = t->next;
        pprof__unw.bytes -= t->mem_size;
        pprof__unw.eh_bytes -= t->eh_size;
        pprof__cfi_free(t);
    }
}

/* Fills the unpublished snapshot from m: every readable region, each executable one with
   its unwind table (built now for those new to it), publishes it and frees the tables no
   snapshot can reach any more. Maps the snapshots on first use. Returns how many regions
   (code, or writable: a new thread's stack) are new since the last snapshot, or -1 if
   handlers kept the old copy busy for too long or memory ran out (try again later), -2 if
   an object was unmapped since m was read. Under unw_mu (pprof__cfi_publish takes it). */
PPROF__FN int pprof__cfi_publish_locked(const pprof__maps *m, unsigned unmaps) {
    pprof__snap *s, *old;
    pprof__exe exe;
    pprof__cfitab **sorted = NULL, *t;
    size_t i, nsorted = 0;
    int next, spins = 0, fresh = 0;
    int cfi = __atomic_load_n(&pprof__unw_mode, __ATOMIC_RELAXED) == PPROF_UNWIND_CFI;
    if ((unmaps & 1) || __atomic_load_n(&pprof__unw.unmaps, __ATOMIC_ACQUIRE) != unmaps) {
        return -2; /* an object went away since m was read */
    }
    if (!pprof__sig.snap) {
        pprof__snap *two = (pprof__snap *)pprof__mem_map(2 * sizeof(pprof__snap));
        if (!two) return -1;
        __atomic_store_n(&pprof__sig.snap, two, __ATOMIC_SEQ_CST); /* both empty: nx = 0 */
    }
    next = 1 - __atomic_load_n(&pprof__sig.snap_cur, __ATOMIC_SEQ_CST);
    s = &pprof__sig.snap[next];
    old = &pprof__sig.snap[1 - next]; /* published: handlers only read it */
    while (__atomic_load_n(&s->readers, __ATOMIC_SEQ_CST) != 0) {
        if (++spins > 1000) return -1;
        pprof__os_sleep_ns(100000);
    }
    if (!pprof__unw.pinned) {
        pprof__sym_pin(m);
        pprof__unw.pinned = 1;
    }
    if (cfi) {
        pprof__sym_exe(&exe);
        for (t = pprof__unw.tabs; t; t = t->next) nsorted++;
        sorted = (pprof__cfitab **)PPROF_MALLOC((nsorted + 1) * sizeof *sorted);
        if (!sorted) cfi = 0;
        for (nsorted = 0, t = pprof__unw.tabs; sorted && t; t = t->next) sorted[nsorted++] = t;
        if (sorted) qsort(sorted, nsorted, sizeof *sorted, pprof__cfi_lo_cmp);
    }
    s->nrw = s->nx = 0;
    memset(s->ra_ok, 0, sizeof s->ra_ok);
    memset(s->rule_of, 0, sizeof s->rule_of);
    for (i = 0; i < m->n; i++) { /* writable: stacks may live there; executable: code (both:
                                     a JIT's pages, which no unwind table covers) */
        const pprof__mapent *e = &m->e[i];
        int guarded = i == 0 || m->e[i - 1].hi != e->lo || !m->e[i - 1].r; /* gap or guard below */
        if (!e->r) continue;
        if (e->w && s->nrw < PPROF_MAX_MAPS) { /* beyond the table: leaf-only samples there */
            pprof__range *r = &s->rw[s->nrw++];
            uintptr_t lo, hi;
            fresh += !pprof__maps_find(old->rw, old->nrw, e->lo, &lo, &hi) || lo != e->lo || hi != e->hi;
            r->lo = e->lo;
            r->hi = e->hi;
            r->flags = (strcmp(e->path, "[stack]") == 0 ? PPROF__R_TRUSTED : 0) |
                       (guarded ? PPROF__R_GUARDED : 0);
            r->cfi = NULL;
        }
        if (e->x && s->nx < PPROF_MAX_MAPS) {
            pprof__range *r = &s->x[s->nx++];
            uintptr_t lo, hi;
            r->lo = e->lo;
            r->hi = e->hi;
            r->flags = (!e->w && pprof__maps_is_pinned(e) ? PPROF__R_TRUSTED : 0) |
                       (guarded ? PPROF__R_GUARDED : 0);
            r->cfi = cfi && !e->w ? pprof__cfi_get(e, m, &exe, sorted, nsorted, pprof__unw.pubs + 1)
                                  : NULL;
            fresh += !pprof__maps_find(old->x, old->nx, e->lo, &lo, &hi) || lo != e->lo || hi != e->hi;
        }
    }
    PPROF_FREE(sorted);
    __atomic_store_n(&pprof__sig.snap_cur, next, __ATOMIC_SEQ_CST);
    pprof__unw.pubs++;
    pprof__cfi_retire();
    return fresh;
}

PPROF__FN int pprof__cfi_publish(const pprof__maps *m, unsigned unmaps) {
    int fresh;
    pprof__lock(&pprof__unw_mu);
    fresh = pprof__cfi_publish_locked(m, unmaps);
    pprof__unlock(&pprof__unw_mu);
    return fresh;
}

/* The loader's counts of objects added and removed (dl_iterate_phdr's dlpi_adds and
   dlpi_subs), declared under a name of our own so no <link.h> of the program's clashes. */
typedef struct pprof__dlpi {
    uintptr_t addr;
    const char *name;
    const void *phdr;
    uint16_t phnum;
    unsigned long long adds, subs;
} pprof__dlpi;
extern int pprof__dl_iterate(int (*cb)(pprof__dlpi *, size_t, void *), void *data)
    __asm__("dl_iterate_phdr");
PPROF__FN int pprof__dl_count(pprof__dlpi *info, size_t size, void *data) {
    unsigned long long *n = (unsigned long long *)data;
    if (size >= sizeof *info) n[0] = info->adds + info->subs;
    return 1; /* the counts are in every entry: the first will do */
}
PPROF__FN unsigned long long pprof__dl_changes(void) {
    unsigned long long n = 0;
    pprof__dl_iterate(pprof__dl_count, &n);
    return n;
}

/* Reads /proc/self/maps and publishes it (pprof__cfi_publish, whose result it returns),
   handing the maps to log first if given. A dlopen or dlclose while it ran may have made
   what it read stale (other code at an address the tables know): then again, twice at most;
   a dlclose that libpprof.so wraps (pprof__unw.unmaps) stops the stale copy from being
   published at all.
   (The loader's lock is never taken with unw_mu held: a dl_iterate_phdr callback may
   allocate, and a sampled allocation takes unw_mu.) */
PPROF__FN int pprof__cfi_refresh(void (*log)(const pprof__maps *)) {
    pprof__maps m;
    int rc = -1, tries;
    for (tries = 0; tries < 3; tries++) {
        unsigned long long loads = pprof__dl_changes();
        unsigned unmaps = __atomic_load_n(&pprof__unw.unmaps, __ATOMIC_ACQUIRE);
        if (pprof__maps_read(&m) != 0) return -1;
        if (log) log(&m);
        rc = pprof__cfi_publish(&m, unmaps);
        pprof__maps_free(&m);
        if (rc == -1 || (rc >= 0 && pprof__dl_changes() == loads)) break;
    }
    return rc < 0 ? -1 : rc;
}

/* A profile comment on the unwind tables: how many, their memory, and what built them cost. */
PPROF__FN void pprof__cfi_comment(char *buf, size_t n) {
    const pprof__cfitab *t;
    size_t objs = 0;
    pprof__lock(&pprof__unw_mu);
    for (t = pprof__unw.tabs; t; t = t->next) objs += t->nrow > 0;
    snprintf(buf, n, "unwind tables: %zu objects, %.0f KiB from %.0f KiB of .eh_frame, built in "
             "%.1f ms in all", objs, (double)pprof__unw.bytes / 1024,
             (double)pprof__unw.eh_bytes / 1024, (double)pprof__unw.build_ns / 1e6);
    pprof__unlock(&pprof__unw_mu);
}

/* A refresh for a heap or lock event that met code the snapshot lacks (force: there is no
   snapshot yet), by one thread at a time; after one that found nothing new (JIT code, a
   return address into data) not again for 200 ms. Cancellation is off meanwhile (malloc and
   lock wrappers must not become cancellation points). Returns pprof__cfi_publish's count
   of new code regions, or -1 if it did not refresh. */
PPROF__FN int pprof__cfi_event_refresh(int force) {
    int64_t now = pprof__os_mono_ns(), last = __atomic_load_n(&pprof__unw.event_ns, __ATOMIC_RELAXED);
    int cs, fresh;
    if (!force && now < last) return -1;
    if (!__atomic_compare_exchange_n(&pprof__unw.event_ns, &last, INT64_MAX, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return -1; /* another thread refreshes */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
    fresh = pprof__cfi_refresh(NULL);
    pthread_setcancelstate(cs, NULL);
    __atomic_store_n(&pprof__unw.event_ns, fresh > 0 ? now : now + 200000000, __ATOMIC_RELAXED);
    return fresh;
}

/* pprof_set_unwind's work: the walker from now on; its tables come at the next refresh. */
PPROF__FN int pprof__unw_set_mode(int mode) {
    __atomic_store_n(&pprof__unw_mode, mode, __ATOMIC_RELAXED);
    __atomic_store_n(&pprof__sig.maps_miss, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&pprof__unw.event_ns, (int64_t)0, __ATOMIC_RELAXED);
    return PPROF_OK;
}

/* fork, in the child (>>fork holds unw_mu across it): no refresh claim is held there. */
PPROF__FN void pprof__unw_fork_child(void) {
    __atomic_store_n(&pprof__unw.event_ns, (int64_t)0, __ATOMIC_RELAXED);
}

/* The registers of its caller as they will be when this call returns. */
PPROF__FN PPROF__NOINLINE void pprof__unw_here(pprof__ureg *st) {
    const uintptr_t *rec = (const uintptr_t *)__builtin_frame_address(0);
    st->pc = (uintptr_t)__builtin_return_address(0);
    st->sp = (uintptr_t)__builtin_dwarf_cfa();
    st->fp = rec[0];
    st->lr = 0;
    st->known = PPROF__K_SP | PPROF__K_FP;
    st->exact = 0;
    st->tramp = 0;
}

/* The caller's registers at its call of the public entry point whose frame record (made
   for __builtin_frame_address) is at fpw. x86-64: the record sits just below the entry's
   CFA. aarch64 places it anywhere in the frame: the walk steps up from here through the
   profiler's own frames until it leaves the entry's frame; frame records if that fails. */
PPROF__FN int pprof__unw_entry(pprof__uwalk *w, uintptr_t fpw, pprof__ureg *st) {
    uintptr_t rec[2];
#if !defined(PPROF__X86_64)
    int i;
    pprof__unw_here(st);
    if (st->sp < w->lo) w->lo = st->sp;
    for (i = 0; i < 16 && st->sp <= fpw; i++) {
        pprof__ureg nx;
        if (pprof__unw_step(w, st, 0, &nx) >= 0) break;
        *st = nx;
    }
    memset(w->by, 0, sizeof w->by);
    w->fp_floor = 0;
    if (st->sp > fpw && !st->exact) return 1;
#endif
    if (!pprof__unw_words(w, fpw, 2, rec)) return 0;
    st->pc = rec[1] & PPROF__RA_MASK;
    st->fp = rec[0];
    st->sp = fpw + 2 * sizeof(uintptr_t);
#if defined(PPROF__X86_64)
    st->known = PPROF__K_SP | PPROF__K_FP;
#else
    st->known = PPROF__K_FP;
#endif
    st->exact = 0;
    return 1;
}

/* The calling thread's stack above the public entry point (malloc, a lock wrapper, the
   dump) whose frame record is at fpw, the entry's caller first, into out. Stack words are
   read directly below hi (the thread's own stack, known to the caller), else (hi 0)
   through system calls up to 64 MiB above. Counted in pprof__unw. Refreshes the snapshot
   on first use and when it meets code the snapshot does not know (dlopen). */
PPROF__FN int pprof__cfi_stack(uintptr_t fpw, uintptr_t hi, uintptr_t *out) {
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    pprof__uwalk w;
    pprof__ureg st;
    pprof__snap *s;
    int n = 0, k, again;
    if (!__atomic_load_n(&pprof__sig.snap, __ATOMIC_ACQUIRE)) pprof__cfi_event_refresh(1);
    for (again = 0; again < 2; again++) { /* once more after a refresh that found new code */
        memset(&w, 0, sizeof w);
        memset(&st, 0, sizeof st);
        w.mode = __atomic_load_n(&pprof__unw_mode, __ATOMIC_RELAXED);
        w.end = PPROF__END_NOINFO;
        s = pprof__maps_acquire();
        w.s = s;
        w.lo = sp;
        w.hi = hi ? hi : sp + ((uintptr_t)64 << 20);
        w.checked = !hi;
        n = 0;
        if (fpw >= sp && fpw < w.hi && pprof__unw_entry(&w, fpw, &st))
            n = pprof__unw_run(&w, &st, out, 0, PPROF_MAX_FRAMES);
        if (s) pprof__maps_release(s);
        if (!w.unknown_code || pprof__cfi_event_refresh(0) <= 0) break;
    }
    __atomic_add_fetch(&pprof__unw.ends[w.end], 1, __ATOMIC_SEQ_CST);
    for (k = 0; k < PPROF__BY_N; k++)
        if (w.by[k]) __atomic_add_fetch(&pprof__unw.by[k], w.by[k], __ATOMIC_SEQ_CST);
    return n;
}

// =========================================================================================
// >>prof: the profile.proto of any kind: samples (a stack and values each) and a spec (types,
// period, times, comments) become Locations, Functions and Mappings, named from >>sym. The
// list of profile kinds (PPROF__KINDS), with what a spec takes from it, is here too.
// =========================================================================================

/* Pseudo frames: their addresses and names stand for CPU the profile could not place.
   Samples the full ring dropped (see >>ring): */
PPROF__FN PPROF__NOINLINE void pprof__lost_samples(void) { __asm__ __volatile__(""); }
/* CPU a thread created during the profile used before the scan that armed its timer: */
PPROF__FN PPROF__NOINLINE void pprof__thread_before_timer(void) { __asm__ __volatile__("nop"); }
/* A thread a dump got no stack from (it blocks the signal, or did not answer in time): */
PPROF__FN PPROF__NOINLINE void pprof__thread_without_stack(void) { __asm__ __volatile__("nop; nop"); }

/* One sample for pprof__enc: a stack (leaf first) and its values. */
typedef struct pprof__smp {
    const uintptr_t *pc;
    uint32_t n;
    uint32_t lset;        /* string labels (>>labels), 0 for none */
    int64_t v[4];
    int64_t label;        /* the spec's numeric label, when it has one */
} pprof__smp;

/* What a profile is beyond its samples: types, period, times, the mapping log. */
typedef struct pprof__spec {
    const char *const *types; /* ntypes (type, unit) pairs */
    int ntypes;
    const char *ptype, *punit;
    int64_t period;
    const char *deftype;      /* default_sample_type, or NULL */
    int leaf_pc;              /* pc[0] is an interrupted pc (CPU), not a return address */
    const char *label_key;    /* a numeric label on every sample ("bytes"), or NULL */
    int64_t time_nanos, duration_nanos;
    const pprof__mapent *xlog; /* executable mappings gone since they were seen */
    size_t nxlog;
    const char *comment[4];
} pprof__spec;

/* The profiles and endpoints by name, each said once here. Made from this list: the kinds'
   table (pprof__kinds) and ids (PPROF__K_*); every profile's sample types and period type
   (pprof__kind_spec, for the heap, sync and thread dump encoders and the empty profiles);
   the names pprof__named, the router and /flamegraph take (pprof__kind_find); the index
   page (rows sorted by name, as Go's; a flame graph link per profile, in this order); the
   record table behind each profile (pprof__named_tab); which encoder and text writer serve
   it (its source). The public documentation (ENDPOINTS, pprof_write_profile,
   PPROF_FORMAT_*) and PPROF_ERR_NAME's text name the kinds by hand (tools/lint.sh checks them
   against this list).
   X(id, name, Go's description on the index page (NULL: not listed), source, record table,
     sample types as (type, unit, ...), period type, period unit, default sample type (NULL:
     the last, as pprof takes it)) */
#define PPROF__KINDS(X) \
    X(HEAP, "heap", "A sampling of memory allocations of live objects", PPROF__SRC_HEAP, \
      &pprof__heap, PPROF__TYPES_HEAP, "space", "bytes", NULL) \
    X(ALLOCS, "allocs", "A sampling of all past memory allocations", PPROF__SRC_HEAP, \
      &pprof__heap, PPROF__TYPES_HEAP, "space", "bytes", "alloc_space") \
    X(BLOCK, "block", "Stack traces that led to blocking on synchronization primitives", \
      PPROF__SRC_SYNC, &pprof__block, PPROF__TYPES_WAIT, "contentions", "count", NULL) \
    X(MUTEX, "mutex", "Stack traces of holders of contended mutexes", PPROF__SRC_SYNC, \
      &pprof__mutex, PPROF__TYPES_WAIT, "contentions", "count", NULL) \
    X(GOROUTINE, "goroutine", "Stack traces of all current threads (Go's name, kept for " \
      "scrapers)", PPROF__SRC_DUMP, NULL, ("goroutine", "count"), "goroutine", "count", NULL) \
    X(THREADCREATE, "threadcreate", "Stack traces that led to the creation of new threads", \
      PPROF__SRC_SYNC, &pprof__tcreate, ("threadcreate", "count"), "threadcreate", "count", \
      NULL) \
    X(CMDLINE, "cmdline", "The command line of this program", PPROF__SRC_OWN, NULL, (NULL), \
      NULL, NULL, NULL) \
    X(PROFILE, "profile", "CPU profile. Add ?seconds=N (default 30); go tool pprof reads it", \
      PPROF__SRC_OWN, NULL, (NULL), NULL, NULL, NULL) \
    X(TRACE, "trace", "A timeline of CPU samples per thread, as Chrome trace-event JSON", \
      PPROF__SRC_OWN, NULL, (NULL), NULL, NULL, NULL) \
    X(SYMBOL, "symbol", NULL, PPROF__SRC_OWN, NULL, (NULL), NULL, NULL, NULL)
#define PPROF__TYPES_HEAP \
    ("alloc_objects", "count", "alloc_space", "bytes", "inuse_objects", "count", "inuse_space", \
     "bytes")
#define PPROF__TYPES_WAIT ("contentions", "count", "delay", "nanoseconds")
#define PPROF__LIST(...) __VA_ARGS__ /* (a, b) -> a, b */

/* A kind's source: where its samples come from, and so its encoder and text writer. */
enum {
    PPROF__SRC_HEAP, /* the heap's records: pprof__rec_encode, pprof__heap_text */
    PPROF__SRC_SYNC, /* a table of block, mutex or threadcreate records: pprof__rec_encode,
                        pprof__sync_text */
    PPROF__SRC_DUMP, /* a thread dump: pprof__dump_write */
    PPROF__SRC_OWN   /* not a named profile: an endpoint with a handler of its own */
};
enum {
#define PPROF__X(id, name, desc, src, tab, types, ptype, punit, deftype) PPROF__K_##id,
    PPROF__KINDS(PPROF__X)
#undef PPROF__X
    PPROF__K_N
};
typedef struct pprof__kind {
    int id;                   /* PPROF__K_* */
    const char *name, *desc;
    int src;                  /* PPROF__SRC_* */
    const char *types[8];     /* (type, unit) pairs, NULL after the last */
    const char *ptype, *punit, *deftype;
} pprof__kind;
static const pprof__kind pprof__kinds[PPROF__K_N] = {
#define PPROF__X(id, name, desc, src, tab, types, ptype, punit, deftype) \
    {PPROF__K_##id, name, desc, src, {PPROF__LIST types}, ptype, punit, deftype},
    PPROF__KINDS(PPROF__X)
#undef PPROF__X
};

/* sp for a profile of kind k: its types, period type (period 1) and default type, the time
   now and duration; nothing else (no comments, no label). */
PPROF__FN void pprof__kind_spec(pprof__spec *sp, const pprof__kind *k, int64_t duration) {
    memset(sp, 0, sizeof *sp);
    sp->types = k->types;
    while (sp->ntypes < 4 && k->types[2 * sp->ntypes]) sp->ntypes++;
    sp->ptype = k->ptype;
    sp->punit = k->punit;
    sp->deftype = k->deftype;
    sp->period = 1;
    sp->time_nanos = pprof__os_wall_ns();
    sp->duration_nanos = duration;
}

/* A profile comment on its stacks: the walker, why stacks ended, how callers were found
   (ends and by as PPROF__END_* and PPROF__BY_* counts). go tool pprof shows it atop -top. */
PPROF__FN void pprof__unw_comment(char *buf, size_t n, const uint64_t *ends, const uint64_t *by) {
    unsigned long long e[PPROF__END_N], b[PPROF__BY_N], all = 0;
    int k;
    for (k = 0; k < PPROF__END_N; k++) all += e[k] = (unsigned long long)__atomic_load_n(&ends[k], __ATOMIC_RELAXED);
    for (k = 0; k < PPROF__BY_N; k++) b[k] = (unsigned long long)__atomic_load_n(&by[k], __ATOMIC_RELAXED);
    snprintf(buf, n, "stacks (walker %s): %llu, %llu whole to the outermost frame, %llu cut at "
             "%d frames, %llu cut at a return address that is not code, %llu at the stack's "
             "edge, %llu at code with no unwind rule or frame record, %llu at an unwind rule "
             "not applied; callers found by unwind tables %llu, frame records %llu, sp of a "
             "frameless leaf %llu, signal context %llu",
             __atomic_load_n(&pprof__unw_mode, __ATOMIC_RELAXED) == PPROF_UNWIND_CFI ? "cfi" : "fp",
             all, e[PPROF__END_ROOT], e[PPROF__END_DEPTH], PPROF_MAX_FRAMES, e[PPROF__END_NOTCODE],
             e[PPROF__END_STACK], e[PPROF__END_NOINFO], e[PPROF__END_RULE], b[PPROF__BY_CFI],
             b[PPROF__BY_FP], b[PPROF__BY_SP], b[PPROF__BY_SIG]);
}

/* A Location pprof__enc makes: its address, its Mapping's and Function's ids (0: none). */
typedef struct pprof__encloc { uintptr_t addr; uint64_t mapping, func; } pprof__encloc;

/* What the phases of pprof__enc share. */
typedef struct pprof__encx {
    pprof__buf *pb;
    const pprof__spec *sp;
    pprof__maps maps;
    pprof__strs S;
    pprof__u64map locmap, funcmap; /* address -> Location id, name -> Function id */
    pprof__encloc *locs;           /* Location id - 1 */
    size_t nlocs, caplocs;
    int64_t *fnames;               /* Function id - 1: its name in S */
    size_t nf, capf;
    size_t *xm, nxm; /* maps entries that become Mappings, in emitted order */
    size_t *xs, nxs; /* the executable ones, sorted by address, for lookups */
    size_t *xl, nxl; /* mapping log entries mapped no longer, emitted after */
    pprof__exe exe;
    uint64_t *ids;   /* the Location ids of the sample at hand */
    size_t capids;
} pprof__encx;

/* pprof__enc's first phase: the maps read, which entries and logged mappings become
   Mappings. 0, or -1 out of memory. */
PPROF__FN int pprof__prof_pick_mappings(pprof__encx *x) {
    const pprof__spec *sp = x->sp;
    const pprof__mapent *e;
    size_t i, k;
    if (pprof__maps_read(&x->maps) != 0) memset(&x->maps, 0, sizeof x->maps);
    pprof__sym_exe(&x->exe);
    x->xm = (size_t *)PPROF_MALLOC((x->maps.n + 1) * sizeof *x->xm);
    x->xs = (size_t *)PPROF_MALLOC((x->maps.n + 1) * sizeof *x->xs);
    x->xl = (size_t *)PPROF_MALLOC((sp->nxlog + 1) * sizeof *x->xl);
    if (!x->xm || !x->xs || !x->xl) return -1;
    e = x->maps.e;
    /* Mappings: the executable lines of maps, in order, the main program's first. */
    for (i = 0; i < x->maps.n; i++)
        if (e[i].x && pprof__sym_is_exe(&x->exe, &e[i])) { x->xm[x->nxm++] = i; break; }
    for (k = 0; k < x->maps.n; k++)
        if (e[k].x && !(x->nxm && x->xm[0] == k)) x->xm[x->nxm++] = k;
    for (i = 0, k = 0; i < x->maps.n; i++)
        if (e[i].x) x->xs[k++] = i;
    x->nxs = k;
    /* and the objects the profile saw mapped that are gone now (or were replaced) */
    for (i = 0; i < sp->nxlog; i++) {
        size_t c;
        for (c = 0; c < k; c++)
            if (pprof__maps_same(&e[x->xs[c]], &sp->xlog[i])) break;
        if (c == k) x->xl[x->nxl++] = i;
    }
    return 0;
}

/* The Mapping id of a new Location at a into *mapping (0: none, or two objects held a)
   and a's name in that object's symbols (NULL: none). Under sym_mu. */
PPROF__FN const char *pprof__prof_owner(pprof__encx *x, uintptr_t a, uint64_t *mapping) {
    const pprof__mapent *owner = NULL;
    const pprof__obj *o;
    size_t lo = 0, hi = x->nxs, mi;
    int owners = 0;
    *mapping = 0;
    while (lo < hi) { /* the executable mapping holding a */
        size_t m = lo + (hi - lo) / 2;
        if (x->maps.e[x->xs[m]].hi <= a) lo = m + 1;
        else hi = m;
    }
    if (lo < x->nxs && x->maps.e[x->xs[lo]].lo <= a) {
        owner = &x->maps.e[x->xs[lo]];
        owners = 1;
        for (mi = 0; mi < x->nxm; mi++)
            if (x->xm[mi] == x->xs[lo]) *mapping = mi + 1;
    }
    for (mi = 0; mi < x->nxl; mi++) { /* objects mapped here earlier on */
        const pprof__mapent *g = &x->sp->xlog[x->xl[mi]];
        if (g->lo <= a && a < g->hi) {
            owner = g;
            owners++;
            *mapping = x->nxm + 1 + mi;
        }
    }
    if (owners != 1) {
        *mapping = 0; /* two objects held this address: name neither */
        return NULL;
    }
    o = pprof__sym_obj(owner, &x->exe);
    return o ? pprof__sym_lookup(o, a, NULL) : NULL;
}

/* The Function id of name into *func, a Function made the first time. 0, or -1 out of
   memory. */
PPROF__FN int pprof__prof_function(pprof__encx *x, const char *name, uint64_t *func) {
    int64_t si = pprof__strs_add(&x->S, name);
    int ff;
    uint64_t *fs = pprof__u64map_at(&x->funcmap, (uint64_t)si, &ff);
    if (!fs) return -1;
    if (!ff) {
        if (pprof__mem_grow((void **)&x->fnames, &x->capf, x->nf + 1, sizeof *x->fnames))
            return -1;
        x->fnames[x->nf++] = si;
        *fs = x->nf;
    }
    *func = *fs;
    return 0;
}

/* The Location id of address a into *id, a Location (with its Mapping and Function) made
   the first time. 0, or -1 out of memory. Under sym_mu. */
PPROF__FN int pprof__prof_location(pprof__encx *x, uintptr_t a, uint64_t *id) {
    pprof__encloc L;
    const char *name;
    int found;
    uint64_t *slot = pprof__u64map_at(&x->locmap, a, &found);
    if (!slot) return -1;
    if (!found) {
        L.addr = a;
        L.func = 0;
        name = pprof__prof_owner(x, a, &L.mapping);
        if (a == (uintptr_t)&pprof__lost_samples) name = "pprof__lost_samples";
        if (a == (uintptr_t)&pprof__thread_before_timer) name = "pprof__thread_before_timer";
        if (a == (uintptr_t)&pprof__thread_without_stack) name = "pprof__thread_without_stack";
        if (name && pprof__prof_function(x, name, &L.func) != 0) return -1;
        if (pprof__mem_grow((void **)&x->locs, &x->caplocs, x->nlocs + 1, sizeof *x->locs) != 0)
            return -1;
        x->locs[x->nlocs++] = L;
        *slot = x->nlocs;
    }
    *id = *slot;
    return 0;
}

/* The Location ids of sample s's stack into x->ids; how many. Out of memory it sets
   pb->oom. Under sym_mu. */
PPROF__FN uint32_t pprof__prof_stack(pprof__encx *x, const pprof__smp *s) {
    const uintptr_t *pc = s->pc;
    uint32_t n = s->n, f, nid = 0;
    if (pprof__mem_grow((void **)&x->ids, &x->capids, n + 1, sizeof *x->ids) != 0) {
        x->pb->oom = 1;
        return 0;
    }
    for (f = 0; f < n; f++) {
        /* an interrupted pc as it is; a return address steps back into the call
           instruction so it names the caller's line */
        uintptr_t a = f == 0 && x->sp->leaf_pc ? pc[0] : pc[f] - 1;
        if (pc[f] < 4096) continue; /* not code: no Location at address 0 */
        if (pprof__prof_location(x, a, &x->ids[nid]) != 0) { x->pb->oom = 1; break; }
        nid++;
    }
    return nid;
}

/* Profile.sample: sample s, its nid Location ids in x->ids, its values and labels. */
PPROF__FN void pprof__prof_sample(pprof__encx *x, const pprof__smp *s, uint32_t nid) {
    pprof__buf *pb = x->pb;
    uint32_t f;
    int t;
    pprof__pb_open(pb, 2);                             // Profile.sample = 2
    pprof__pb_open(pb, 1);                             //   Sample.location_id = 1 (packed)
    for (f = 0; f < nid; f++) pprof__pb_varint(pb, x->ids[f]);
    pprof__pb_close(pb);
    pprof__pb_open(pb, 2);                             //   Sample.value = 2 (packed)
    for (t = 0; t < x->sp->ntypes; t++) pprof__pb_varint(pb, (uint64_t)s->v[t]);
    pprof__pb_close(pb);
    if (x->sp->label_key) {
        pprof__pb_open(pb, 3);                         //   Sample.label = 3
        pprof__pb_i64(pb, 1, pprof__strs_add(&x->S, x->sp->label_key)); // Label.key = 1
        pprof__pb_i64(pb, 3, s->label);                //     Label.num = 3
        pprof__pb_close(pb);
    }
    if (s->lset) {
        const char *lk[PPROF__LABEL_DEPTH], *lv[PPROF__LABEL_DEPTH];
        int nl, l;
        pprof__lbl_lock();
        nl = pprof__lbl_pairs(s->lset, lk, lv);
        for (l = 0; l < nl; l++) {
            pprof__pb_open(pb, 3);                     //   Sample.label = 3
            pprof__pb_i64(pb, 1, pprof__strs_add(&x->S, lk[l])); // Label.key = 1
            pprof__pb_i64(pb, 2, pprof__strs_add(&x->S, lv[l])); // Label.str = 2
            pprof__pb_close(pb);
        }
        pprof__lbl_unlock();
    }
    pprof__pb_close(pb);
}

/* The samples, with the Locations and Functions they need made as they are met. Takes
   sym_mu. */
PPROF__FN void pprof__prof_samples(pprof__encx *x, const pprof__smp *smp, size_t nsmp) {
    size_t i;
    pprof__lock(&pprof__sym_mu);
    for (i = 0; i < nsmp; i++) {
        uint32_t nid = pprof__prof_stack(x, &smp[i]);
        if (x->pb->oom) break;
        if (nid == 0 && x->sp->leaf_pc) continue;
        pprof__prof_sample(x, &smp[i], nid);
    }
    pprof__unlock(&pprof__sym_mu);
}

/* Profile.mapping: the maps entries picked, then the logged ones gone since. Takes sym_mu
   for each. */
PPROF__FN void pprof__prof_mappings(pprof__encx *x) {
    pprof__buf *pb = x->pb;
    size_t i;
    for (i = 0; i < x->nxm + x->nxl; i++) {
        const pprof__mapent *e = i < x->nxm ? &x->maps.e[x->xm[i]]
                                            : &x->sp->xlog[x->xl[i - x->nxm]];
        const char *bid = "";
        pprof__obj *o;
        pprof__lock(&pprof__sym_mu);
        o = e->path[0] == '/' || strcmp(e->path, "[vdso]") == 0 ? pprof__sym_obj(e, &x->exe)
                                                                 : NULL;
        if (o) bid = o->build_id;
        pprof__pb_open(pb, 3);                             // Profile.mapping = 3
        pprof__pb_u64(pb, 1, i + 1);                       //   Mapping.id = 1
        pprof__pb_u64(pb, 2, e->lo);                       //   Mapping.memory_start = 2
        pprof__pb_u64(pb, 3, e->hi);                       //   Mapping.memory_limit = 3
        pprof__pb_u64(pb, 4, e->off);                      //   Mapping.file_offset = 4
        pprof__pb_i64(pb, 5, pprof__strs_add(&x->S, e->path)); // Mapping.filename = 5
        pprof__pb_i64(pb, 6, pprof__strs_add(&x->S, bid)); //   Mapping.build_id = 6
        /* a file deleted or replaced on disk must not be re-symbolized from the new file;
           otherwise leave has_* false so pprof adds file:line where it has DWARF */
        pprof__pb_u64(pb, 7, (uint64_t)e->deleted);         //   Mapping.has_functions = 7
        pprof__pb_close(pb);
        pprof__unlock(&pprof__sym_mu);
    }
}

/* Code outside every executable mapping (JIT code, a library unloaded since): one last
   mapping spans it, so every Location has one (Pyroscope needs it). */
PPROF__FN void pprof__prof_unmapped(pprof__encx *x) {
    pprof__buf *pb = x->pb;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    size_t i;
    for (i = 0; i < x->nlocs; i++) {
        if (x->locs[i].mapping) continue;
        if (x->locs[i].addr < lo) lo = x->locs[i].addr;
        if (x->locs[i].addr >= hi) hi = x->locs[i].addr + 1;
        x->locs[i].mapping = x->nxm + x->nxl + 1;
    }
    if (hi) {
        pprof__pb_open(pb, 3);
        pprof__pb_u64(pb, 1, x->nxm + x->nxl + 1);
        pprof__pb_u64(pb, 2, lo);
        pprof__pb_u64(pb, 3, hi);
        pprof__pb_i64(pb, 5, pprof__strs_add(&x->S, "[unmapped]")); /* never opened */
        pprof__pb_close(pb);
    }
}

/* Profile.location and Profile.function, by id. */
PPROF__FN void pprof__prof_locations(pprof__encx *x) {
    pprof__buf *pb = x->pb;
    size_t i;
    for (i = 0; i < x->nlocs; i++) {
        pprof__pb_open(pb, 4);                             // Profile.location = 4
        pprof__pb_u64(pb, 1, i + 1);                       //   Location.id = 1
        pprof__pb_u64(pb, 2, x->locs[i].mapping);          //   Location.mapping_id = 2
        pprof__pb_u64(pb, 3, x->locs[i].addr);             //   Location.address = 3
        if (x->locs[i].func) {
            pprof__pb_open(pb, 4);                         //   Location.line = 4
            pprof__pb_u64(pb, 1, x->locs[i].func);         //     Line.function_id = 1
            pprof__pb_close(pb);
        }
        pprof__pb_close(pb);
    }
    for (i = 0; i < x->nf; i++) {
        pprof__pb_open(pb, 5);                             // Profile.function = 5
        pprof__pb_u64(pb, 1, i + 1);                       //   Function.id = 1
        pprof__pb_i64(pb, 2, x->fnames[i]);                //   Function.name = 2
        pprof__pb_i64(pb, 3, x->fnames[i]);                //   Function.system_name = 3
        pprof__pb_close(pb);                               //   (equal: pprof demangles)
    }
}

/* The rest of the Profile: times, period, comments, default type; the string table last. */
PPROF__FN void pprof__prof_trailer(pprof__encx *x) {
    pprof__buf *pb = x->pb;
    const pprof__spec *sp = x->sp;
    pprof__strs *S = &x->S;
    size_t i;
    int t;
    pprof__pb_i64(pb, 9, sp->time_nanos);                  // Profile.time_nanos = 9
    pprof__pb_i64(pb, 10, sp->duration_nanos);             // Profile.duration_nanos = 10
    pprof__pb_open(pb, 11);                                // Profile.period_type = 11
    pprof__pb_i64(pb, 1, pprof__strs_add(S, sp->ptype));
    pprof__pb_i64(pb, 2, pprof__strs_add(S, sp->punit));
    pprof__pb_close(pb);
    pprof__pb_i64(pb, 12, sp->period);                     // Profile.period = 12
    for (t = 0; t < 4; t++)
        if (sp->comment[t]) pprof__pb_i64(pb, 13, pprof__strs_add(S, sp->comment[t])); // .comment
    if (sp->deftype) pprof__pb_i64(pb, 14, pprof__strs_add(S, sp->deftype)); // .default_sample_type
    if (S->oom) pb->oom = 1;
    for (i = 0; i < S->n; i++)                             // Profile.string_table = 6, last
        pprof__pb_bytes(pb, 6, S->arena + S->off[i], strlen(S->arena + S->off[i]));
}

/* Frees what pprof__enc's phases made. */
PPROF__FN void pprof__prof_free(pprof__encx *x) {
    PPROF_FREE(x->ids);
    PPROF_FREE(x->locs);
    PPROF_FREE(x->fnames);
    PPROF_FREE(x->xm);
    PPROF_FREE(x->xs);
    PPROF_FREE(x->xl);
    pprof__u64map_free(&x->locmap);
    pprof__u64map_free(&x->funcmap);
    pprof__strs_free(&x->S);
    pprof__maps_free(&x->maps);
}

/* Encodes a profile.proto (not gzipped) into pb: the samples, a Location per distinct
   address (return addresses step back into their call), Mappings from /proc/self/maps (the
   main program first) plus the logged ones gone since, names from the symbol tables. */
PPROF__FN void pprof__enc(pprof__buf *pb, const pprof__spec *sp, const pprof__smp *smp,
                          size_t nsmp) {
    pprof__encx x;
    int t;
    memset(&x, 0, sizeof x);
    x.pb = pb;
    x.sp = sp;
    if (pprof__prof_pick_mappings(&x) != 0) {
        pb->oom = 1;
    } else {
        pprof__strs_add(&x.S, "");
        for (t = 0; t < sp->ntypes; t++) {
            pprof__pb_open(pb, 1);                         // Profile.sample_type = 1
            pprof__pb_i64(pb, 1, pprof__strs_add(&x.S, sp->types[2 * t]));     // ValueType.type
            pprof__pb_i64(pb, 2, pprof__strs_add(&x.S, sp->types[2 * t + 1])); // ValueType.unit
            pprof__pb_close(pb);
        }
        pprof__prof_samples(&x, smp, nsmp);
        pprof__prof_mappings(&x);
        pprof__prof_unmapped(&x);
        pprof__prof_locations(&x);
        pprof__prof_trailer(&x);
    }
    pprof__prof_free(&x);
}

/* Writes the gzipped profile to fp and flushes it. */
PPROF__FN int pprof__write_gz(FILE *fp, const pprof__buf *raw) {
    pprof__buf gz;
    int rc = PPROF_OK;
    memset(&gz, 0, sizeof gz);
    if (raw->oom) return PPROF_ERR_NOMEM;
    pprof__gz_encode(&gz, raw->p, raw->len);
    if (gz.oom) rc = PPROF_ERR_NOMEM;
    else if (fwrite(gz.p, 1, gz.len, fp) != gz.len || fflush(fp) != 0 || ferror(fp)) {
        pprof__os_fail(errno);
        rc = PPROF_ERR_IO;
    }
    PPROF_FREE(gz.p);
    return rc;
}

// =========================================================================================
// >>cpu: per-thread CPU timers, the drain thread that arms them and aggregates samples, the
// CPU profile they become, and /trace's timeline (Chrome trace JSON) from the same samples.
// =========================================================================================
/* The kernel's struct sigevent, for SIGEV_THREAD_ID without glibc-private member names. */
typedef struct pprof__ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
} pprof__ksigevent;

/* A thread's timer. id -2: none, as the thread blocked the signal when first seen;
   recheck: the scans left that look again at once (then every 200 ms). */
typedef struct pprof__tmr { int tid, id; unsigned recheck; } pprof__tmr;
typedef struct pprof__tev { int64_t t; int32_t tid; uint32_t n; size_t off; } pprof__tev;

/* One sampling session (timers, the drain thread, the ring) serves every window open on
   it: a CPU profile, a /trace, flame graph pages. Each window gets the samples taken
   between its start and its stop, aggregated on its own, and its own counts; the session
   starts with the first window and ends with the last. As Go, one CPU profile at a time
   (pprof_cpu_start, pprof_write_cpu*, /profile) and one trace; pages join freely. */
static pthread_mutex_t pprof__cpu_mu = PTHREAD_MUTEX_INITIALIZER; /* start/stop/fork */
/* The windows and what they share with the drain thread: pprof__cpu.win[], the ring's
   consumer side (deq), the session's counters and mapping log. */
static pthread_mutex_t pprof__cpu_win_mu = PTHREAD_MUTEX_INITIALIZER;
enum { /* pprof__cpu.running */
    PPROF__CPU_IDLE = 0,
    PPROF__CPU_SAMPLING = 1
};
enum { /* pprof__cpu_win.mode: what pprof__cpu_stop gives */
    PPROF__CPU_TRACE_NONE = 0,     /* the profile, gzipped */
    PPROF__CPU_TRACE_TIMES = 1,    /* every sample's time and thread too: /trace's JSON */
    PPROF__CPU_TRACE_RAW_PROTO = 2 /* the profile.proto not gzipped (to fold, to draw) */
};
enum { /* pprof__cpu_win.cls: a class has one window at a time, but pages */
    PPROF__CPU_PROFILE = 0,        /* pprof_cpu_start, pprof_write_cpu*, /profile */
    PPROF__CPU_TRACE = 1,          /* /trace */
    PPROF__CPU_PAGE = 2            /* /flamegraph of the CPU */
};
#define PPROF__CPU_WINS 8          /* windows open at once */

/* A window on the session. Its counters are its own, or the session's at its stop minus
   those at its start; at its stop the session's facts its encoding needs are copied in,
   so it is encoded outside every lock while the session goes on (or another starts). */
typedef struct pprof__cpu_win {
    int id;               /* 0: a free slot */
    int cls, mode;        /* PPROF__CPU_PROFILE..., PPROF__CPU_TRACE_* */
    FILE *out;            /* pprof_cpu_start's file, or NULL (the caller takes a buffer) */
    int closing;          /* stop asked: samples from t1_mono on are not its */
    int64_t t0_wall, t0_mono, t1_mono, cpu0_ns, cpu1_ns;
    pprof__agg agg;
    pprof__tev *tlog;     /* PPROF__CPU_TRACE_TIMES: the samples in order */
    size_t ntlog, captlog;
    int *start_tids;      /* sorted: the threads alive at its start */
    size_t nstart_tids;
    int64_t unsampled_ns; /* CPU of threads it saw start, before their first timer */
    uint64_t taken, agg_oom;
    uint64_t ends[PPROF__END_N], by[PPROF__BY_N];
    /* the session's counters at its start, then (at its stop) their growth */
    uint64_t lost, lost_n, nostack, timer_fail, scan_fail, blockers;
    unsigned pauses;
    int64_t paused_ns;
    /* copied at its stop */
    int hz, per_thread, itimer, pause_sig, scan_errno;
    int64_t period_ns;
    uint64_t threads_seen;
    pprof__mapent *xlog;
    size_t nxlog;
} pprof__cpu_win;

static struct pprof__cpu_state {
    int running;          /* PPROF__CPU_IDLE, _SAMPLING */
    int hz;
    int64_t period_ns;
    int64_t t1_mono;      /* when the session's sampling ended (pprof__cpu_halt) */
    int per_thread;       /* timer_create works here */
    int timer_errno;      /* why it does not, if it does not */
    int itimer;           /* setitimer armed */
    int stop_req;
    int drain_paused;     /* tests: let the ring fill up */
    pthread_t drain;
    int drain_tid;
    uint64_t deq;         /* the ring's next position to drain (win_mu) */
    pprof__tmr *tmr;      /* sorted by tid; only the drain thread (or start/stop) */
    size_t ntmr, captmr;
    size_t check_at;      /* rotating cursor for the dead-timer check */
    unsigned scans;
    int *tids;
    size_t ntids, captids;
    pprof__mapent *xlog;  /* executable mappings seen during the session (win_mu) */
    size_t nxlog, capxlog;
    uint64_t threads_seen; /* threads given a timer */
    uint64_t timer_fail;   /* threads timer_create refused (e.g. RLIMIT_SIGPENDING) */
    pprof__fdid taskdir;  /* /proc/self/task, held by the drain thread for the profile */
    uint64_t scan_fail;   /* thread scans that could not list the threads */
    int scan_errno;       /* why the last one could not */
    uint64_t blockers;    /* times a thread was found blocking the signal (not timed then) */
    uint64_t rng;
    int paused;           /* the program set its own disposition for the signal: timers */
    int pause_sig;        /* disarmed until pprof.h's handler is back (drain thread) */
    unsigned pauses;
    int64_t paused_at, paused_ns;
    int next_id;          /* the last window's id */
    pprof__cpu_win win[PPROF__CPU_WINS]; /* (win_mu) */
} pprof__cpu;
PPROF__FN uint64_t pprof__cpu_rand(void) {
    uint64_t x = pprof__cpu.rng ? pprof__cpu.rng : 0x2545F4914F6CDD1Dull;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return pprof__cpu.rng = x;
}

/* Creates and arms tid's CPU-time timer. Returns its id, or -1 with errno set. */
PPROF__FN int pprof__cpu_timer_arm(int tid) {
    pprof__ksigevent ev;
    struct itimerspec its;
    clockid_t clk = (clockid_t)(((~(unsigned)tid) << 3) | 6u); /* tid's CPU clock */
    int id = -1;
    int64_t first;
    memset(&ev, 0, sizeof ev);
    ev.value.sival_ptr = (void *)(uintptr_t)((uint64_t)PPROF__TIMER_TAG << 32 | (uint32_t)pprof__sig.gen);
    ev.signo = PPROF_SIGNAL;
    ev.notify = 4; /* SIGEV_THREAD_ID */
    ev.tid = tid;
    if (syscall(SYS_timer_create, clk, &ev, &id) != 0) return -1;
    /* first expiry uniform in (0, period], so a thread that runs for part of a period
       gets its proportional chance (as Go does) */
    first = 1 + (int64_t)(pprof__cpu_rand() % (uint64_t)pprof__cpu.period_ns);
    its.it_interval.tv_sec = (time_t)(pprof__cpu.period_ns / 1000000000);
    its.it_interval.tv_nsec = (long)(pprof__cpu.period_ns % 1000000000);
    its.it_value.tv_sec = (time_t)(first / 1000000000);
    its.it_value.tv_nsec = (long)(first % 1000000000);
    if (syscall(SYS_timer_settime, id, 0, &its, NULL) != 0) {
        int e = errno;
        syscall(SYS_timer_delete, id);
        errno = e;
        return -1;
    }
    return id;
}

/* Does thread tid block the profiling signal (its SigBlk in /proc)? Such a thread gets no
   timer: a signal it blocks stays pending, and a sigwaitinfo, sigtimedwait or signalfd on
   a full set (servers that block every signal in their threads do this) would take it. */
PPROF__FN int pprof__cpu_blocks(int tid, int sig) {
    char path[64], *txt, *q;
    int blocks = 0;
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    if ((txt = pprof__os_read_file(path, NULL)) == NULL) return 0;
    if ((q = strstr(txt, "\nSigBlk:")) != NULL)
        blocks = (int)((strtoull(q + 8, NULL, 16) >> (sig - 1)) & 1);
    PPROF_FREE(txt);
    return blocks;
}

PPROF__FN int pprof__cpu_int_cmp(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

/* Lists /proc/self/task into b as ints, in directory order (getdents64: no libc malloc,
   so no self-profiling once allocations are wrapped). 0, or -1. With `held` (the drain
   thread's, kept for the profile) the directory is read again from its start through
   that descriptor, so a process out of descriptors (EMFILE) still has its new threads
   timed; reopened if the program closed it. */
PPROF__FN int pprof__cpu_list_tids_into(pprof__buf *b, pprof__fdid *held) {
    char buf[4096];
    long n;
    int fd = -1;
    if (held && pprof__fd_ours(held) && lseek(held->fd, 0, SEEK_SET) == 0) fd = held->fd;
    if (fd < 0) fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (held && fd != held->fd) *held = pprof__fd_id(fd); /* (first, or the old one lost) */
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        long at = 0;
        while (at + 19 < n) {
            unsigned short reclen;
            const char *name = buf + at + 19; /* d_ino 8, d_off 8, d_reclen 2, d_type 1 */
            int tid = 0;
            memcpy(&reclen, buf + at + 16, sizeof reclen);
            if (reclen == 0) break;
            while (*name >= '0' && *name <= '9') tid = tid * 10 + (*name++ - '0');
            at += reclen;
            if (tid > 0 && !*name) pprof__buf_put(b, &tid, sizeof tid);
        }
    }
    if (!held || fd != held->fd) close(fd);
    return n < 0 || b->oom ? -1 : 0;
}

/* Lists /proc/self/task into pprof__cpu.tids, sorted. */
PPROF__FN int pprof__cpu_list_tids(void) {
    pprof__buf b;
    int rc;
    memset(&b, 0, sizeof b);
    rc = pprof__cpu_list_tids_into(&b, &pprof__cpu.taskdir);
    if (rc != 0) { /* the profile says so: new threads are not timed until a scan works */
        pprof__cpu.scan_fail++;
        pprof__cpu.scan_errno = errno;
    }
    pprof__cpu.ntids = 0;
    if (rc == 0 && pprof__mem_grow((void **)&pprof__cpu.tids, &pprof__cpu.captids,
                                   b.len / sizeof(int) + 1, sizeof(int)) == 0) {
        memcpy(pprof__cpu.tids, b.p, b.len);
        pprof__cpu.ntids = b.len / sizeof(int);
        qsort(pprof__cpu.tids, pprof__cpu.ntids, sizeof(int), pprof__cpu_int_cmp);
    } else {
        rc = -1;
    }
    PPROF_FREE(b.p);
    return rc;
}

/* Thread tid, given its first timer, has used ns of CPU: the windows that started before
   it did (it is not among their start threads) had all of it in them, unsampled. Under
   win_mu. */
PPROF__FN void pprof__cpu_new_thread(int tid, int64_t ns) {
    int k;
    for (k = 0; k < PPROF__CPU_WINS; k++) {
        pprof__cpu_win *w = &pprof__cpu.win[k];
        if (w->id && !w->closing &&
            !bsearch(&tid, w->start_tids, w->nstart_tids, sizeof(int), pprof__cpu_int_cmp))
            w->unsampled_ns += ns;
    }
}

/* Gives every thread its timer: new tids get one, vanished tids lose theirs, and every
   tenth scan checks up to 16 timers for a dead target (a tid reused by a new thread).
   Under win_mu. */
PPROF__FN void pprof__cpu_scan(void) {
    size_t i = 0, j = 0, nk = 0, k;
    pprof__tmr *old;
    size_t nold;
    if (!pprof__cpu.per_thread || pprof__cpu_list_tids() != 0) return;
    if (pprof__cpu.scans++ % 10 != 0) nk = pprof__cpu.ntmr; /* checks: every 200 ms */
    for (k = 0; k < 16 && k < pprof__cpu.ntmr - nk; k++) {
        struct itimerspec cur;
        size_t at = pprof__cpu.check_at++ % pprof__cpu.ntmr;
        pprof__tmr *t = &pprof__cpu.tmr[at];
        if (t->id == -2) { /* it blocked the signal: timed once it no longer does */
            if (!pprof__cpu_blocks(t->tid, PPROF_SIGNAL)) {
                int id = pprof__cpu_timer_arm(t->tid);
                t->id = id >= 0 ? id : -1;
            }
            continue;
        }
        if (t->id < 0) continue;
        if (syscall(SYS_timer_gettime, t->id, &cur) == 0 &&
            cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0) {
            syscall(SYS_timer_delete, t->id); /* its thread is gone */
            t->id = -1;
        } /* (a timed thread that blocks the signal keeps its timer: glibc's raise,
             pthread_create and fork block every signal for a moment, and a thread that
             blocks them often would lose its samples; PPROF_WRAP_SIGNAL keeps the signal
             out of its masks and waits) */
    }
    /* merge the sorted timer list with the sorted tid list into a new timer list */
    nk = 0;
    old = pprof__cpu.tmr;
    nold = pprof__cpu.ntmr;
    pprof__cpu.tmr = NULL;
    pprof__cpu.ntmr = pprof__cpu.captmr = 0;
    if (pprof__mem_grow((void **)&pprof__cpu.tmr, &pprof__cpu.captmr, pprof__cpu.ntids + 1,
                        sizeof *old) != 0) {
        pprof__cpu.tmr = old;
        pprof__cpu.ntmr = pprof__cpu.captmr = nold;
        return;
    }
    while (i < nold || j < pprof__cpu.ntids) {
        int tid = j < pprof__cpu.ntids ? pprof__cpu.tids[j] : 0, seen;
        if (i < nold && (j == pprof__cpu.ntids || old[i].tid < tid)) { /* thread gone */
            if (old[i].id >= 0) syscall(SYS_timer_delete, old[i].id);
            i++;
            continue;
        }
        seen = i < nold && old[i].tid == tid;
        if (seen && (old[i].id >= 0 || (old[i].id == -2 && old[i].recheck == 0))) {
            pprof__cpu.tmr[nk++] = old[i];
        } else if (tid != pprof__cpu.drain_tid && pprof__cpu_blocks(tid, PPROF_SIGNAL)) {
            /* no timer while it blocks the signal. A new thread blocks every signal for a
               moment as glibc starts it: looked at again in each of the next 10 scans,
               then every 200 ms */
            pprof__cpu.tmr[nk].tid = tid;
            pprof__cpu.tmr[nk].recheck = seen && old[i].id == -2 ? old[i].recheck - 1 : 10;
            pprof__cpu.tmr[nk++].id = -2;
            if (seen && old[i].id == -2 && old[i].recheck == 1) pprof__cpu.blockers++; /* for good */
        } else if (tid != pprof__cpu.drain_tid) {
            struct timespec used;
            clockid_t clk = (clockid_t)(((~(unsigned)tid) << 3) | 6u); /* tid's CPU clock */
            int id, known = clock_gettime(clk, &used) == 0;
            id = pprof__cpu_timer_arm(tid);
            /* a thread missing from a window's start threads was created in the window:
               all its CPU so far fell in it, before its timer existed */
            if (id >= 0 && known)
                pprof__cpu_new_thread(tid, (int64_t)used.tv_sec * 1000000000 + used.tv_nsec);
            if (id >= 0) {
                pprof__cpu.tmr[nk].tid = tid;
                pprof__cpu.tmr[nk].recheck = 0;
                pprof__cpu.tmr[nk++].id = id;
                pprof__cpu.threads_seen++;
            } else if (errno != EINVAL && errno != ESRCH) { /* EINVAL/ESRCH: it exited */
                pprof__cpu.timer_fail++;
                pprof__cpu.timer_errno = errno;
                if (pprof__cpu.threads_seen == 0 && errno != EAGAIN)
                    pprof__cpu.per_thread = 0; /* none work here: setitimer only */
            }
        }
        if (i < nold && old[i].tid == tid) i++;
        j++;
    }
    pprof__cpu.ntmr = nk;
    PPROF_FREE(old);
}

/* Sample s into window w, if taken in it. 1 for a stack new to it, 0, -1 out of memory. */
PPROF__FN int pprof__cpu_take(pprof__cpu_win *w, const pprof__slot *s) {
    size_t off = 0;
    int rc, k;
    if (!w->id || s->time_ns < w->t0_mono || (w->closing && s->time_ns >= w->t1_mono))
        return 0;
    rc = pprof__agg_add(&w->agg, s->pc, s->nframes, s->lset, (int64_t)s->weight, &off);
    w->taken++;
    if (s->end < PPROF__END_N) w->ends[s->end]++;
    for (k = 0; k < PPROF__BY_N; k++) w->by[k] += s->by[k];
    if (rc < 0) w->agg_oom += s->weight;
    if (rc >= 0 && w->mode == PPROF__CPU_TRACE_TIMES && w->ntlog < ((size_t)1 << 20) &&
        pprof__mem_grow((void **)&w->tlog, &w->captlog, w->ntlog + 1, sizeof *w->tlog) == 0) {
        pprof__tev *ev = &w->tlog[w->ntlog++]; /* the timeline, for /trace */
        ev->t = s->time_ns;
        ev->tid = s->tid;
        ev->n = s->nframes;
        ev->off = off;
    }
    return rc;
}

/* Every published sample into the windows that were open when it was taken. Under
   win_mu. own: on the drain thread (or with it stopped), which alone writes the mapping
   snapshot; another thread only asks it to look again for a new stack's code. */
PPROF__FN void pprof__cpu_drain(int own) {
    pprof__slot *s;
    while ((s = pprof__ring_peek(pprof__cpu.deq)) != NULL) {
        int rc = 0, k;
        for (k = 0; k < PPROF__CPU_WINS; k++)
            if (pprof__cpu_take(&pprof__cpu.win[k], s) == 1) rc = 1;
        if (rc == 1 && !own) {
            __atomic_store_n(&pprof__sig.maps_miss, 1, __ATOMIC_RELAXED);
        } else if (rc == 1) { /* a new stack: is all its code in the mapping log's latest view? */
            const pprof__snap *sn = &pprof__sig.snap[pprof__sig.snap_cur]; /* we write it */
            uint32_t f;
            uintptr_t lo, hi;
            for (f = 0; f < s->nframes; f++) /* (rwx code, as some JITs make, is in both) */
                if (!pprof__maps_find(sn->x, sn->nx, s->pc[f], &lo, &hi) &&
                    !pprof__maps_find(sn->rw, sn->nrw, s->pc[f], &lo, &hi))
                    __atomic_store_n(&pprof__sig.maps_miss, 1, __ATOMIC_RELAXED);
        }
        pprof__ring_pop_done(s, pprof__cpu.deq);
        pprof__cpu.deq++;
    }
}

/* Records the executable mappings of m in the session's mapping log: every object whose
   code was mapped while samples were taken, even if unloaded by the time of writing. */
PPROF__FN void pprof__cpu_log_maps(const pprof__maps *m) {
    size_t i, k;
    pprof__lock(&pprof__cpu_win_mu);
    for (i = 0; i < m->n; i++) {
        const pprof__mapent *e = &m->e[i];
        pprof__mapent c;
        if (!e->x) continue;
        for (k = 0; k < pprof__cpu.nxlog; k++)
            if (pprof__maps_same(&pprof__cpu.xlog[k], e)) break;
        if (k < pprof__cpu.nxlog || pprof__cpu.nxlog >= 4096) continue;
        c = *e;
        c.path = pprof__mem_strdup(e->path);
        if (!c.path || pprof__mem_grow((void **)&pprof__cpu.xlog, &pprof__cpu.capxlog,
                                       pprof__cpu.nxlog + 1, sizeof c) != 0) {
            PPROF_FREE((void *)(uintptr_t)c.path);
            break;
        }
        pprof__cpu.xlog[pprof__cpu.nxlog++] = c;
    }
    pprof__unlock(&pprof__cpu_win_mu);
}
/* Frees a mapping log (the session's, a window's copy). */
PPROF__FN void pprof__cpu_log_free(pprof__mapent **x, size_t *n) {
    size_t k;
    for (k = 0; k < *n; k++) PPROF_FREE((void *)(uintptr_t)(*x)[k].path);
    PPROF_FREE(*x);
    *x = NULL;
    *n = 0;
}

/* Reads maps, publishes them to the unwinder and logs them. Returns the number of code
   regions new to the snapshot, or -1. */
PPROF__FN int pprof__cpu_refresh(void) {
    return pprof__cfi_refresh(pprof__cpu_log_maps);
}

PPROF__FN void pprof__cpu_itimer(int64_t period_ns);
PPROF__FN int pprof__cpu_sig_ours(int sig);

/* Arms (period > 0) or disarms every timer of the profile. */
PPROF__FN void pprof__cpu_arm_all(int64_t period_ns) {
    size_t i;
    for (i = 0; i < pprof__cpu.ntmr; i++) {
        struct itimerspec its;
        int64_t first = period_ns > 0 ? 1 + (int64_t)(pprof__cpu_rand() % (uint64_t)period_ns) : 0;
        its.it_interval.tv_sec = (time_t)(period_ns / 1000000000);
        its.it_interval.tv_nsec = (long)(period_ns % 1000000000);
        its.it_value.tv_sec = (time_t)(first / 1000000000);
        its.it_value.tv_nsec = (long)(first % 1000000000);
        if (pprof__cpu.tmr[i].id >= 0) syscall(SYS_timer_settime, pprof__cpu.tmr[i].id, 0, &its, NULL);
    }
    if (pprof__cpu.itimer) pprof__cpu_itimer(period_ns);
}

/* Every drain: is pprof.h's handler still the one installed? A program that sets its own
   disposition for the signal without PPROF_WRAP_SIGNAL (sigaction in the header build, a
   raw system call) pauses sampling: every timer is disarmed, so its handler, SIG_DFL or
   SIG_IGN gets no more timer signals (at most those of the last 20 ms). Sampling resumes
   when the handler is back; the profile says how long it paused. Drain thread, under
   win_mu. */
PPROF__FN void pprof__cpu_sig_check(void) {
    int sig = pprof__cpu.itimer ? SIGPROF : PPROF_SIGNAL, ours = pprof__cpu_sig_ours(sig);
    if (ours == 0 && !pprof__cpu.paused) {
        pprof__cpu_arm_all(0);
        pprof__cpu.paused = 1;
        pprof__cpu.pause_sig = sig;
        pprof__cpu.pauses++;
        pprof__cpu.paused_at = pprof__os_mono_ns();
    } else if (ours == 1 && pprof__cpu.paused) {
        pprof__cpu.paused = 0;
        pprof__cpu.paused_ns += pprof__os_mono_ns() - pprof__cpu.paused_at;
        pprof__cpu_arm_all(pprof__cpu.period_ns);
    }
}

/* Every 20 ms: drain the ring, arm timers for new threads. Every 500 ms, within 20 ms of a
   dlopen or dlclose, and at once when a handler meets a stack or code the snapshot lacks
   (it wakes this thread): refresh the snapshot and build the new code's unwind tables. The next such refresh waits 5 ms, or
   100 ms after one that found nothing new (code no table can cover, like a JIT's). */
PPROF__FN void *pprof__cpu_thread(void *arg) {
    PPROF__INSIDE_OWN_THREAD(); /* the profiler's own allocations are not the program's */
    int64_t now = pprof__os_mono_ns(), next = now + PPROF__DRAIN_NS, mapped = now, gap = 0;
    unsigned long long loads = pprof__dl_changes(), l;
    (void)arg;
    prctl(PR_SET_NAME, "pprof-cpu", 0, 0, 0);
    pprof__cpu.drain_tid = pprof__os_gettid(); /* read by the scans of this thread only */
    while (!__atomic_load_n(&pprof__cpu.stop_req, __ATOMIC_ACQUIRE)) {
        if (now < next) pprof__os_wait_ns(&pprof__sig.wake, next - now);
        __atomic_store_n(&pprof__sig.wake, 0, __ATOMIC_RELAXED);
        now = pprof__os_mono_ns();
        if (now >= next) {
            pprof__lock(&pprof__cpu_win_mu);
            if (!__atomic_load_n(&pprof__cpu.drain_paused, __ATOMIC_ACQUIRE)) pprof__cpu_drain(1);
            pprof__cpu_sig_check();
            if (!pprof__cpu.paused) pprof__cpu_scan(); /* (a disarmed timer looks dead) */
            pprof__unlock(&pprof__cpu_win_mu);
            next = now + PPROF__DRAIN_NS;
            if ((l = pprof__dl_changes()) != loads) { /* dlopen, dlclose: maybe other code at */
                loads = l;                            /* an address the tables know */
                mapped = now - PPROF__MAPS_NS;
            }
        }
        if (now - mapped >= PPROF__MAPS_NS ||
            (now - mapped >= gap && __atomic_exchange_n(&pprof__sig.maps_miss, 0, __ATOMIC_RELAXED))) {
            gap = pprof__cpu_refresh() > 0 ? PPROF__MAPS_NS / 100 : PPROF__MAPS_NS / 5;
            mapped = pprof__os_mono_ns();
        }
    }
    return NULL;
}

PPROF__FN void pprof__cpu_itimer(int64_t period_ns) {
    struct itimerval it;
    long us = (long)(period_ns / 1000);
    memset(&it, 0, sizeof it);
    if (period_ns > 0) {
        if (us < 1) us = 1;
        it.it_interval.tv_sec = us / 1000000;
        it.it_interval.tv_usec = us % 1000000;
        it.it_value = it.it_interval;
    }
    setitimer(ITIMER_PROF, &it, NULL);
}

static pthread_mutex_t pprof__dump_mu = PTHREAD_MUTEX_INITIALIZER; /* one thread dump at a
                                                                      time (lock 3, >>os) */
/* fork, in the child (>>fork holds cpu_mu, win_mu and dump_mu across it): no timers, no drain
   thread, no dump in progress, only this thread. */
PPROF__FN void pprof__cpu_fork_child(void) {
    __atomic_store_n(&pprof__dump.active, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pprof__sig.active, 0, __ATOMIC_SEQ_CST);
    pprof__sig.inflight = 0;
    if (pprof__sig.snap) pprof__sig.snap[0].readers = pprof__sig.snap[1].readers = 0;
    pprof__sig_tid = 0;
    if (pprof__cpu.running != PPROF__CPU_IDLE)
        pprof__fd_close(&pprof__cpu.taskdir); /* (the parent's drain's) */
    pprof__cpu.running = PPROF__CPU_IDLE;
    pprof__cpu.itimer = 0;
    pprof__sig.main_tid = (int)getpid();
    /* forget, never free, what the drain thread owned: the fork may have caught it inside
       realloc, leaving pointers that are no longer the live blocks */
    pprof__cpu.tmr = NULL;
    pprof__cpu.ntmr = pprof__cpu.captmr = 0;
    pprof__cpu.tids = NULL;
    pprof__cpu.ntids = pprof__cpu.captids = 0;
    pprof__cpu.xlog = NULL;
    pprof__cpu.nxlog = pprof__cpu.capxlog = 0;
    memset(pprof__cpu.win, 0, sizeof pprof__cpu.win); /* (the parent's threads' windows) */
}

/* Calls once, outside any handler, the C library functions a handler calls, so a program
   with lazy binding never resolves one inside a handler (the dynamic linker's resolver needs
   some 3 KiB of a stack that may be nearly full). */
PPROF__FN void pprof__sig_warm(void) {
    static volatile size_t n = 1;
    unsigned char a[8] = {0}, b[8] = {0};
    struct iovec l, r;
    pprof__os_mono_ns();
    pprof__os_gettid();
    (void)pthread_self();
    memset(a, 1, n);
    memcpy(b, a, n);
    if (memcmp(a, b, n) != 0) a[0] = 2;
    l.iov_base = a;
    l.iov_len = n;
    r.iov_base = b;
    r.iov_len = n;
    syscall(SYS_process_vm_readv, (long)pprof__os_gettid(), &l, 1L, &r, 1L, 0L);
}

/* Is pprof.h's handler the one installed for sig? 1 yes, 0 no, -1 unknown (errno). */
PPROF__FN int pprof__cpu_sig_ours(int sig) {
    struct sigaction cur;
    if (pprof__os_sigaction(sig, NULL, &cur) != 0) return -1;
    return (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == pprof__sig_handler;
}

/* Installs the handler for sig unless the program's own is there, keeping what it
   replaced as the program's view (>>handler). Under cpu_mu. */
PPROF__FN int pprof__cpu_install(int sig) {
    struct sigaction sa, old;
    int i;
    pprof__sig_warm();
    if (pprof__os_sigaction(sig, NULL, &old) != 0) { pprof__os_fail(errno); return PPROF_ERR_OS; }
    if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == pprof__sig_handler) return PPROF_OK;
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
        return PPROF_ERR_SIGNAL_BUSY;
    if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != NULL) return PPROF_ERR_SIGNAL_BUSY;
    if (!pprof__sig_view(sig)) { /* its view slot, once for the process's life */
        for (i = 0; i < 5 && __atomic_load_n(&pprof__sigv[i].signo, __ATOMIC_RELAXED); i++) {}
        if (i == 5) return PPROF_ERR_SIGNAL_BUSY; /* (cannot happen: five signals at most) */
        pprof__sig_view_put(&pprof__sigv[i], &old);
        __atomic_store_n(&pprof__sigv[i].signo, sig, __ATOMIC_RELEASE);
    } else {
        pprof__sig_view_put(pprof__sig_view(sig), &old);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = pprof__sig_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (pprof__os_sigaction(sig, &sa, NULL) != 0) { pprof__os_fail(errno); return PPROF_ERR_OS; }
    /* stays installed after stop: a late signal must meet an idle handler, never SIG_DFL */
    return PPROF_OK;
}

/* Gives the new profile a ring and positions no handler still in flight writes to.
   PPROF_OK or PPROF_ERR_NOMEM. Under cpu_mu. */
PPROF__FN int pprof__cpu_ring_fresh(void) {
    /* Handlers record nothing now (active is 0). One still in flight (a thread frozen
       inside the handler since the last profile) may yet write to the ring it took:
       give this profile a fresh ring then, starting at positions past all of the old
       one's, published before enq moves there, and leave the old ring to it. */
    uint64_t i, base = __atomic_load_n(&pprof__sig.enq, __ATOMIC_SEQ_CST);
    pprof__slot *ring = pprof__sig.ring;
    int spins = 0;
    while (__atomic_load_n(&pprof__sig.inflight, __ATOMIC_SEQ_CST) != 0 && ++spins < 100)
        pprof__os_sleep_ns(100000);
    if (spins >= 100) {
        ring = (pprof__slot *)pprof__mem_map(PPROF_RING_SLOTS * sizeof(pprof__slot));
        if (!ring) return PPROF_ERR_NOMEM;
        base += 2 * PPROF_RING_SLOTS;
    }
    for (i = 0; i < PPROF_RING_SLOTS; i++) ring[(base + i) & PPROF__RING_MASK].seq = base + i;
    __atomic_store_n(&pprof__sig.ring, ring, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pprof__sig.enq, base, __ATOMIC_SEQ_CST);
    pprof__cpu.deq = base;
    pprof__sig.lost = pprof__sig.lost_n = pprof__sig.taken = pprof__sig.nostack = 0;
    return PPROF_OK;
}

/* Forgets the last session: its counts and mapping log. Under cpu_mu. */
PPROF__FN void pprof__cpu_reset(void) {
    pprof__cpu.scans = 0;
    pprof__cpu.threads_seen = 0;
    pprof__cpu_log_free(&pprof__cpu.xlog, &pprof__cpu.nxlog);
    pprof__cpu.capxlog = 0;
}

/* The new session's rate, start time and state; handlers record from here on. Under
   cpu_mu. */
PPROF__FN void pprof__cpu_begin(void) {
    int hz = __atomic_load_n(&pprof__cpu_hz_next, __ATOMIC_RELAXED);
    pprof__cpu.hz = hz ? hz : PPROF_DEFAULT_HZ;
    pprof__cpu.period_ns = 1000000000 / pprof__cpu.hz;
    pprof__cpu.rng ^= (uint64_t)pprof__os_mono_ns();
    __atomic_store_n(&pprof__sig.gen, pprof__sig.gen + 1, __ATOMIC_SEQ_CST);
    pprof__cpu.stop_req = 0;
    pprof__cpu.per_thread = 1;
    pprof__cpu.timer_errno = 0;
    pprof__cpu.drain_tid = 0;
    pprof__cpu.timer_fail = 0;
    pprof__cpu.scan_fail = 0;
    pprof__cpu.scan_errno = 0;
    pprof__cpu.blockers = 0;
    pprof__cpu.taskdir.fd = -1;
    pprof__cpu.paused = 0;
    pprof__cpu.pauses = 0;
    pprof__cpu.paused_ns = 0;
    __atomic_store_n(&pprof__sig.main_tid, (int)getpid(), __ATOMIC_RELAXED);
    __atomic_store_n(&pprof__sig.itimer_only, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pprof__sig.active, 1, __ATOMIC_SEQ_CST);
}

/* Arms a timer per thread, else one process-wide timer, else (the program's SIGPROF) none,
   the profile paused. Under cpu_mu and win_mu. */
PPROF__FN void pprof__cpu_arm(void) {
    pprof__cpu_scan();
    if (!pprof__cpu.per_thread || pprof__cpu.threads_seen == 0) {
        /* fallback: one process-wide timer; no overrun count, uneven across threads */
        pprof__cpu.per_thread = 0;
        __atomic_store_n(&pprof__sig.itimer_only, 1, __ATOMIC_SEQ_CST);
        if (PPROF_SIGNAL == SIGPROF || pprof__cpu_install(SIGPROF) == PPROF_OK) {
            pprof__cpu_itimer(pprof__cpu.period_ns); /* (setitimer sends SIGPROF) */
            pprof__cpu.itimer = 1;
        } else { /* the program's SIGPROF: no sampling at all, as the profile says */
            pprof__cpu.paused = 1;
            pprof__cpu.pause_sig = SIGPROF;
            pprof__cpu.pauses = 1;
            pprof__cpu.paused_at = pprof__os_mono_ns();
        }
    }
}

/* Undoes pprof__cpu_begin and pprof__cpu_arm when the drain thread could not start (err:
   its error number). Under cpu_mu. */
PPROF__FN void pprof__cpu_disarm(int err) {
    size_t i;
    __atomic_store_n(&pprof__sig.active, 0, __ATOMIC_SEQ_CST);
    if (pprof__cpu.itimer) pprof__cpu_itimer(0);
    for (i = 0; i < pprof__cpu.ntmr; i++)
        if (pprof__cpu.tmr[i].id >= 0) syscall(SYS_timer_delete, pprof__cpu.tmr[i].id);
    pprof__cpu.ntmr = 0;
    pprof__cpu.itimer = 0;
    pprof__fd_close(&pprof__cpu.taskdir);
    pprof__os_fail(err);
}

/* The session's counters a window counts the growth of: at its start (close 0) their
   values, at its stop (close 1) how much they grew. Under win_mu. */
PPROF__FN void pprof__cpu_win_count(pprof__cpu_win *w, int close) {
    uint64_t c[6];
    int64_t paused = pprof__cpu.paused_ns +
                     (pprof__cpu.paused ? pprof__os_mono_ns() - pprof__cpu.paused_at : 0);
    unsigned pauses = pprof__cpu.pauses - (!close && pprof__cpu.paused); /* (one under way:
                                                                            its too) */
    c[0] = __atomic_load_n(&pprof__sig.lost, __ATOMIC_SEQ_CST);
    c[1] = __atomic_load_n(&pprof__sig.lost_n, __ATOMIC_SEQ_CST);
    c[2] = __atomic_load_n(&pprof__sig.nostack, __ATOMIC_SEQ_CST);
    c[3] = pprof__cpu.timer_fail;
    c[4] = pprof__cpu.scan_fail;
    c[5] = pprof__cpu.blockers;
    if (close) {
        w->lost = c[0] - w->lost;
        w->lost_n = c[1] - w->lost_n;
        w->nostack = c[2] - w->nostack;
        w->timer_fail = c[3] - w->timer_fail;
        w->scan_fail = c[4] - w->scan_fail;
        w->blockers = c[5] - w->blockers;
        w->pauses = pauses - w->pauses;
        w->paused_ns = paused - w->paused_ns;
    } else {
        w->lost = c[0];
        w->lost_n = c[1];
        w->nostack = c[2];
        w->timer_fail = c[3];
        w->scan_fail = c[4];
        w->blockers = c[5];
        w->pauses = pauses;
        w->paused_ns = paused;
    }
}

/* Opens window w (a free slot) from now on; tids (sorted, its own from now) are the
   threads alive. Under cpu_mu and win_mu. */
PPROF__FN void pprof__cpu_win_open(pprof__cpu_win *w, FILE *fp, int mode, int cls, int *tids,
                                   size_t ntids) {
    memset(w, 0, sizeof *w);
    if (++pprof__cpu.next_id <= 0) pprof__cpu.next_id = 1;
    w->id = pprof__cpu.next_id;
    w->cls = cls;
    w->mode = mode;
    w->out = fp;
    w->start_tids = tids;
    w->nstart_tids = ntids;
    w->t0_wall = pprof__os_wall_ns();
    w->t0_mono = pprof__os_mono_ns();
    w->cpu0_ns = pprof__os_cpu_ns();
    pprof__cpu_win_count(w, 0);
}

/* Frees what a window holds (a stopped one, out of its slot). */
PPROF__FN void pprof__cpu_win_free(pprof__cpu_win *w) {
    pprof__agg_free(&w->agg);
    PPROF_FREE(w->tlog);
    PPROF_FREE(w->start_tids);
    pprof__cpu_log_free(&w->xlog, &w->nxlog);
    memset(w, 0, sizeof *w);
}

PPROF__FN void pprof__cpu_halt(void);

/* Stops window w and moves it into *out, whole: every sample taken in it aggregated, the
   session's facts its encoding needs copied in. The session ends with its last window.
   Under cpu_mu. */
PPROF__FN void pprof__cpu_win_close(pprof__cpu_win *w, pprof__cpu_win *out) {
    int k, last = 1, spins = 0;
    for (k = 0; k < PPROF__CPU_WINS; k++)
        if (pprof__cpu.win[k].id && &pprof__cpu.win[k] != w) last = 0;
    if (last) { /* every timer stopped, every sample drained (into w, still open) */
        pprof__cpu_halt();
        pprof__lock(&pprof__cpu_win_mu);
        w->t1_mono = pprof__cpu.t1_mono;
    } else {
        pprof__lock(&pprof__cpu_win_mu);
        w->t1_mono = pprof__os_mono_ns();
        w->closing = 1;
        pprof__unlock(&pprof__cpu_win_mu);
        /* a handler under way may have taken its time before t1: its sample is published
           once no handler runs (they run for microseconds) */
        while (__atomic_load_n(&pprof__sig.inflight, __ATOMIC_SEQ_CST) != 0 && ++spins < 200)
            pprof__os_sleep_ns(100000);
        pprof__lock(&pprof__cpu_win_mu);
        pprof__cpu_drain(0); /* (a request's thread) */
    }
    w->cpu1_ns = pprof__os_cpu_ns();
    pprof__cpu_win_count(w, 1);
    w->hz = pprof__cpu.hz;
    w->period_ns = pprof__cpu.period_ns;
    w->per_thread = pprof__cpu.per_thread;
    w->itimer = pprof__cpu.itimer;
    w->pause_sig = pprof__cpu.pause_sig;
    w->scan_errno = pprof__cpu.scan_errno;
    w->threads_seen = pprof__cpu.threads_seen;
    if (last) { /* the session's log is its */
        w->xlog = pprof__cpu.xlog;
        w->nxlog = pprof__cpu.nxlog;
        pprof__cpu.xlog = NULL;
        pprof__cpu.nxlog = pprof__cpu.capxlog = 0;
    } else if ((w->xlog = (pprof__mapent *)PPROF_MALLOC((pprof__cpu.nxlog + 1) * sizeof *w->xlog)) != NULL) {
        for (k = 0; (size_t)k < pprof__cpu.nxlog; k++) {
            w->xlog[w->nxlog] = pprof__cpu.xlog[k];
            w->xlog[w->nxlog].path = pprof__mem_strdup(pprof__cpu.xlog[k].path);
            if (w->xlog[w->nxlog].path) w->nxlog++;
        }
    }
    *out = *w;
    memset(w, 0, sizeof *w);
    pprof__unlock(&pprof__cpu_win_mu);
    if (last) pprof__cpu.running = PPROF__CPU_IDLE;
}

/* Starts the session: ring, handler, timers, the drain thread, with window w opened first
   (its slot given, its other arguments as pprof__cpu_win_open's). Under cpu_mu. */
PPROF__FN int pprof__cpu_session(pprof__cpu_win *w, FILE *fp, int mode, int cls, int *tids,
                                 size_t ntids) {
    int rc;
    if (!pprof__sig.ring) { /* (the snapshots: >>cfi, at the first publish) */
        pprof__sig.ring = (pprof__slot *)pprof__mem_map(PPROF_RING_SLOTS * sizeof(pprof__slot));
        if (!pprof__sig.ring) return PPROF_ERR_NOMEM;
    }
    rc = pprof__cpu_install(PPROF_SIGNAL);
    if (rc != PPROF_OK) return rc;
    rc = pprof__cpu_ring_fresh();
    if (rc != PPROF_OK) return rc;
    pprof__cpu_reset();
    if (pprof__cpu_refresh() < 0) {
        pprof__os_fail(errno);
        return PPROF_ERR_OS;
    }
    pprof__lock(&pprof__cpu_win_mu);
    pprof__cpu_begin();
    pprof__cpu_win_open(w, fp, mode, cls, tids, ntids);
    pprof__cpu_arm();
    pprof__unlock(&pprof__cpu_win_mu);
    /* the drain thread starts with the signal blocked and never samples itself */
    rc = pprof__os_thread(&pprof__cpu.drain, pprof__cpu_thread);
    if (rc != 0) {
        pprof__cpu_disarm(rc);
        pprof__lock(&pprof__cpu_win_mu);
        w->start_tids = NULL; /* (the caller's still) */
        pprof__cpu_win_free(w);
        pprof__unlock(&pprof__cpu_win_mu);
        return PPROF_ERR_OS;
    }
    pprof__cpu.running = PPROF__CPU_SAMPLING;
    return PPROF_OK;
}

/* pprof__cpu_start's work, under cpu_mu: PPROF_OK or the error. */
PPROF__FN int pprof__cpu_start_locked(FILE *fp, int *id_out, int mode, int cls) {
    int rc = PPROF_OK, k, slot = -1, *tids, pages = 0;
    pprof__buf tl;
    size_t ntids;
    for (k = 0; k < PPROF__CPU_WINS; k++) {
        if (pprof__cpu.win[k].id && cls != PPROF__CPU_PAGE && pprof__cpu.win[k].cls == cls)
            return PPROF_ERR_BUSY; /* one profile at a time, one trace */
        pages += pprof__cpu.win[k].id && pprof__cpu.win[k].cls == PPROF__CPU_PAGE;
        if (!pprof__cpu.win[k].id && slot < 0) slot = k;
    }
    /* pages leave a slot for a profile and one for a trace: open tabs never block a scrape */
    if (slot < 0 || (cls == PPROF__CPU_PAGE && pages >= PPROF__CPU_WINS - 2)) return PPROF_ERR_BUSY;
    memset(&tl, 0, sizeof tl); /* the threads alive at its start (none known: every new
                                  thread's CPU before its timer counts) */
    if (pprof__cpu_list_tids_into(&tl, NULL) != 0) tl.len = 0;
    ntids = tl.len / sizeof(int);
    tids = (int *)tl.p;
    if (ntids) qsort(tids, ntids, sizeof(int), pprof__cpu_int_cmp);
    if (pprof__cpu.running == PPROF__CPU_IDLE) {
        rc = pprof__cpu_session(&pprof__cpu.win[slot], fp, mode, cls, tids, ntids);
    } else {
        pprof__lock(&pprof__cpu_win_mu);
        pprof__cpu_win_open(&pprof__cpu.win[slot], fp, mode, cls, tids, ntids);
        pprof__unlock(&pprof__cpu_win_mu);
    }
    if (rc != PPROF_OK) {
        PPROF_FREE(tids);
        return rc;
    }
    if (id_out) *id_out = pprof__cpu.win[slot].id;
    return PPROF_OK;
}

/* Opens a window of class cls (PPROF__CPU_PROFILE...) that pprof__cpu_stop ends with output
   mode (PPROF__CPU_TRACE_*), written to fp (NULL: the caller takes a buffer); *id_out names
   it. */
PPROF__FN int pprof__cpu_start(FILE *fp, int *id_out, int mode, int cls) {
    int rc;
    pprof__fork_init();
    pprof__lock(&pprof__cpu_mu);
    rc = pprof__cpu_start_locked(fp, id_out, mode, cls);
    pprof__unlock(&pprof__cpu_mu);
    return rc;
}

/* Stops the session's sampling: after it, no handler records or runs on our data, no
   timer exists, and every sample is in its windows. Under cpu_mu. */
PPROF__FN void pprof__cpu_halt(void) {
    size_t i;
    int spins = 0;
    __atomic_store_n(&pprof__sig.active, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pprof__cpu.stop_req, 1, __ATOMIC_RELEASE);
    pthread_join(pprof__cpu.drain, NULL);
    if (pprof__cpu.itimer) pprof__cpu_itimer(0);
    pprof__cpu.itimer = 0;
    for (i = 0; i < pprof__cpu.ntmr; i++)
        if (pprof__cpu.tmr[i].id >= 0) syscall(SYS_timer_delete, pprof__cpu.tmr[i].id);
    pprof__cpu.ntmr = 0;
    pprof__cpu.t1_mono = pprof__os_mono_ns();
    if (pprof__cpu.paused) pprof__cpu.paused_ns += pprof__cpu.t1_mono - pprof__cpu.paused_at;
    pprof__fd_close(&pprof__cpu.taskdir);
    while (__atomic_load_n(&pprof__sig.inflight, __ATOMIC_SEQ_CST) != 0 && ++spins < 10000)
        pprof__os_sleep_ns(100000); /* a handler that started before active went 0 */
    pprof__lock(&pprof__cpu_win_mu);
    pprof__cpu_drain(1); /* (the drain thread joined) */
    if (pprof__sig.enq > pprof__cpu.deq) { /* claimed, never published: a frozen handler */
        pprof__sig.lost += pprof__sig.enq - pprof__cpu.deq;
        pprof__sig.lost_n += pprof__sig.enq - pprof__cpu.deq;
    }
    pprof__unlock(&pprof__cpu_win_mu);
}

/* Builds the profile.proto of stopped window w into pb. */
PPROF__FN void pprof__cpu_encode(const pprof__cpu_win *w, pprof__buf *pb) {
    static const char *const types[] = {"samples", "count", "cpu", "nanoseconds"};
    uintptr_t lost_pc = (uintptr_t)&pprof__lost_samples;
    uintptr_t new_pc = (uintptr_t)&pprof__thread_before_timer;
    const int64_t period = w->period_ns;
    char c0[384], c1[512], c2[512], c3[256];
    pprof__spec sp;
    pprof__smp *smp;
    size_t i, n = 0;
    smp = (pprof__smp *)PPROF_MALLOC((w->agg.cap + 2) * sizeof *smp);
    if (!smp) { pb->oom = 1; return; }
    for (i = 0; i < w->agg.cap + 2; i++) {
        pprof__smp s;
        memset(&s, 0, sizeof s);
        if (i < w->agg.cap) {
            const pprof__stk *e = &w->agg.tab[i];
            if (!e->hash) continue;
            s.pc = w->agg.pcs + e->off;
            s.n = e->n;
            s.lset = e->lset;
            s.v[0] = e->periods;
        } else if (i == w->agg.cap) { /* the pseudo frames, each one sample */
            s.v[0] = (int64_t)(w->lost + w->agg_oom);
            s.pc = &lost_pc;
            s.n = 1;
        } else {
            s.v[0] = (w->unsampled_ns + period / 2) / period;
            s.pc = &new_pc;
            s.n = 1;
        }
        if (s.v[0] <= 0) continue;
        s.v[1] = s.v[0] * period;
        smp[n++] = s;
    }
    memset(&sp, 0, sizeof sp);
    sp.types = types;
    sp.ntypes = 2;
    sp.ptype = "cpu";
    sp.punit = "nanoseconds";
    sp.period = period;
    sp.leaf_pc = 1;
    sp.time_nanos = w->t0_wall;
    sp.duration_nanos = w->t1_mono - w->t0_mono;
    sp.xlog = w->xlog;
    sp.nxlog = w->nxlog;
    snprintf(c0, sizeof c0, "pprof.h %s: %d Hz asked, %s, signal %d%s", PPROF_VERSION_STRING,
             w->hz, w->per_thread
                 ? "per-thread CPU timers, weighted by overruns"
                 : "process-wide setitimer (per-thread timers unavailable here)",
             w->itimer || !w->per_thread ? SIGPROF : PPROF_SIGNAL, "");
    if (w->pauses) {
        size_t l = strlen(c0);
        snprintf(c0 + l, sizeof c0 - l, "; sampling paused %u time%s, %.3f s in all: the "
                 "program set its own disposition for signal %d (PPROF_WRAP_SIGNAL keeps it "
                 "sampling)", w->pauses, w->pauses == 1 ? "" : "s",
                 (double)w->paused_ns / 1e9, w->pause_sig);
    }
    snprintf(c1, sizeof c1,
             "samples %llu, lost %llu (ring full), on stacks newer than the region snapshot %llu, "
             "threads timed %llu, refused a timer %llu, new threads' CPU before their timer "
             "%.3f s, thread scans failed %llu%s%s%s, the process's CPU in the window %.3f s, "
             "threads found blocking the signal (untimed while they do) %llu",
             (unsigned long long)w->taken,
             (unsigned long long)w->lost_n, (unsigned long long)w->nostack,
             (unsigned long long)w->threads_seen,
             (unsigned long long)w->timer_fail, (double)w->unsampled_ns / 1e9,
             (unsigned long long)w->scan_fail, w->scan_fail ? " (" : "",
             w->scan_fail ? strerror(w->scan_errno) : "",
             w->scan_fail ? ": threads started meanwhile were timed late or never)" : "",
             (double)(w->cpu1_ns - w->cpu0_ns) / 1e9,
             (unsigned long long)w->blockers);
    pprof__unw_comment(c2, sizeof c2, w->ends, w->by);
    pprof__cfi_comment(c3, sizeof c3);
    sp.comment[0] = c0;
    sp.comment[1] = c1;
    sp.comment[2] = c2;
    sp.comment[3] = c3;
    pprof__enc(pb, &sp, smp, n);
    PPROF_FREE(smp);
}

/* The name for address a: the function of the one object that held a during window w
   (as in pprof__cpu_encode: two owners, no name), or NULL. Under sym_mu. */
PPROF__FN const char *pprof__cpu_name_of(const pprof__cpu_win *w, const pprof__maps *m,
                                         const pprof__exe *exe, uintptr_t a) {
    const pprof__mapent *owner = NULL;
    size_t i;
    int owners = 0;
    for (i = 0; i < m->n; i++)
        if (m->e[i].x && m->e[i].lo <= a && a < m->e[i].hi) { owner = &m->e[i]; owners++; }
    for (i = 0; i < w->nxlog; i++) {
        const pprof__mapent *g = &w->xlog[i];
        if (g->lo <= a && a < g->hi && !(owner && pprof__maps_same(owner, g))) {
            owner = g;
            owners++;
        }
    }
    if (owners != 1) return NULL;
    {
        pprof__obj *o = pprof__sym_obj(owner, exe);
        return o ? pprof__sym_lookup(o, a, NULL) : NULL;
    }
}

PPROF__FN int pprof__cpu_tev_cmp(const void *pa, const void *pb) {
    const pprof__tev *a = (const pprof__tev *)pa, *b = (const pprof__tev *)pb;
    if (a->tid != b->tid) return a->tid < b->tid ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

/* Appends a JSON string (quoted, escaped). */
/* The length of the well-formed UTF-8 sequence at s (1..4), or 0 (RFC 3629: no overlong
   forms, no surrogates, nothing above U+10FFFF). */
PPROF__FN int pprof__utf8_len(const unsigned char *s) {
    unsigned char c = s[0];
    int n, i;
    if (c < 0x80) return 1;
    n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* str as a JSON string: quotes, backslashes and control bytes escaped, and a byte that is
   not part of well-formed UTF-8 (a name from a symbol table can be anything) as U+FFFD. */
PPROF__FN void pprof__cpu_json_str(pprof__buf *b, const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    pprof__buf_put(b, "\"", 1);
    while (*s) {
        char e[8];
        unsigned char c = *s;
        int n = pprof__utf8_len(s);
        if (c == '"' || c == '\\') { e[0] = '\\'; e[1] = (char)c; pprof__buf_put(b, e, 2); }
        else if (c < 0x20) { snprintf(e, sizeof e, "\\u%04x", c); pprof__buf_put(b, e, 6); }
        else if (n == 0) { pprof__buf_put(b, "\\ufffd", 6); n = 1; }
        else pprof__buf_put(b, s, (size_t)n);
        s += n ? n : 1;
    }
    pprof__buf_put(b, "\"", 1);
}

/* The samples of a traced profile as Chrome trace-event JSON (Perfetto, speedscope,
   chrome://tracing): per thread, B/E events of the sampled stacks over time, so a stack
   seen in consecutive samples is one span. Times in microseconds from the start. */
PPROF__FN void pprof__cpu_trace_json(pprof__cpu_win *w, pprof__buf *b) {
    pprof__maps maps;
    pprof__exe exe;
    const uintptr_t *open_pc = NULL; /* the stack open on the current thread, root first */
    uint32_t nopen = 0;
    size_t i;
    int pid = (int)getpid(), cur_tid = 0;
    int64_t last_t = 0, t0 = w->t0_mono, period = w->period_ns;
    char line[160];
    static const char head[] = "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"source\":"
                               "\"pprof.h CPU samples\"},\"traceEvents\":[";
    const size_t hlen = sizeof head - 1;
    if (pprof__maps_read(&maps) != 0) memset(&maps, 0, sizeof maps);
    pprof__sym_exe(&exe);
    if (w->ntlog)
        qsort(w->tlog, w->ntlog, sizeof *w->tlog, pprof__cpu_tev_cmp);
    pprof__buf_put(b, head, hlen);
    pprof__lock(&pprof__sym_mu);
    for (i = 0; i <= w->ntlog; i++) {
        const pprof__tev *ev = i < w->ntlog ? &w->tlog[i] : NULL;
        const uintptr_t *pc = ev ? w->agg.pcs + ev->off : NULL;
        uint32_t keep = 0, k;
        /* the end, a new thread, or a gap of over two periods (it slept): close everything
           one period after the last sample; else close what this stack no longer shares */
        int reset = !ev || ev->tid != cur_tid || ev->t - last_t > 2 * period;
        int64_t t = reset ? last_t + period : ev->t;
        if (!reset)
            while (keep < nopen && keep < ev->n && open_pc[nopen - 1 - keep] == pc[ev->n - 1 - keep])
                keep++;
        for (k = nopen; k > keep; k--) {
            snprintf(line, sizeof line, "%s{\"ph\":\"E\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f}",
                     b->len > hlen ? "," : "", pid, cur_tid, (double)(t - t0) / 1e3);
            pprof__buf_put(b, line, strlen(line));
        }
        if (!ev) break;
        if (ev->tid != cur_tid) { /* name the thread */
            char path[64], *comm;
            snprintf(line, sizeof line, "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,"
                     "\"tid\":%d,\"args\":{\"name\":", b->len > hlen ? "," : "", pid, (int)ev->tid);
            pprof__buf_put(b, line, strlen(line));
            snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)ev->tid);
            comm = pprof__os_read_file(path, NULL); /* gone if the thread ended */
            if (comm && strchr(comm, '\n')) *strchr(comm, '\n') = 0;
            snprintf(line, sizeof line, "thread %d%s%s", (int)ev->tid, comm ? " " : "",
                     comm ? comm : "");
            PPROF_FREE(comm);
            pprof__cpu_json_str(b, line);
            pprof__buf_put(b, "}}", 2);
        }
        for (k = keep; k < ev->n; k++) { /* open the rest, root to leaf */
            uintptr_t a = pc[ev->n - 1 - k], adj = k + 1 == ev->n ? a : a - 1;
            const char *name = a < 4096 ? NULL : pprof__cpu_name_of(w, &maps, &exe, adj);
            char hex[32];
            snprintf(line, sizeof line, "%s{\"ph\":\"B\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"name\":",
                     b->len > hlen ? "," : "", pid, (int)ev->tid, (double)(ev->t - t0) / 1e3);
            pprof__buf_put(b, line, strlen(line));
            snprintf(hex, sizeof hex, "0x%lx", (unsigned long)adj);
            pprof__cpu_json_str(b, name ? name : hex);
            pprof__buf_put(b, "}", 1);
        }
        open_pc = pc;
        nopen = ev->n;
        cur_tid = ev->tid;
        last_t = ev->t;
    }
    pprof__unlock(&pprof__sym_mu);
    pprof__buf_put(b, "]}\n", 3);
    pprof__maps_free(&maps);
}

/* Stops window id (0: the one with a FILE, pprof_cpu_start's) and writes it to its FILE,
   or into `to` (gzipped, or as its mode asks) when that is not NULL. The encoding and the
   write happen outside every lock, so a slow or blocked FILE never holds up fork in
   another thread, nor another window. */
PPROF__FN int pprof__cpu_stop(int id, pprof__buf *to) {
    pprof__cpu_win w;
    pprof__buf pb;
    int rc, k;
    pprof__lock(&pprof__cpu_mu);
    for (k = 0; k < PPROF__CPU_WINS; k++) /* a window with a FILE is its starter's to stop */
        if (pprof__cpu.win[k].id && (id ? pprof__cpu.win[k].id == id : pprof__cpu.win[k].out != NULL) &&
            (to || pprof__cpu.win[k].out))
            break;
    if (k == PPROF__CPU_WINS) {
        pprof__unlock(&pprof__cpu_mu);
        return PPROF_ERR_NOT_RUNNING;
    }
    pprof__cpu_win_close(&pprof__cpu.win[k], &w);
    pprof__unlock(&pprof__cpu_mu);
    memset(&pb, 0, sizeof pb);
    if (w.mode == PPROF__CPU_TRACE_TIMES) pprof__cpu_trace_json(&w, &pb);
    else pprof__cpu_encode(&w, &pb);
    if (to && w.mode != PPROF__CPU_TRACE_NONE) { /* the timeline as JSON, or the
                                                    profile.proto to fold */
        rc = pb.oom ? PPROF_ERR_NOMEM : PPROF_OK;
        if (rc == PPROF_OK) pprof__buf_put(to, pb.p, pb.len);
        if (to->oom) rc = PPROF_ERR_NOMEM;
    } else if (to) { /* into memory (the HTTP endpoint) */
        rc = pb.oom ? PPROF_ERR_NOMEM : PPROF_OK;
        if (rc == PPROF_OK) pprof__gz_encode(to, pb.p, pb.len);
        if (to->oom) rc = PPROF_ERR_NOMEM;
    } else {
        rc = pprof__write_gz(w.out, &pb);
    }
    PPROF_FREE(pb.p);
    pprof__cpu_win_free(&w);
    return rc;
}

// =========================================================================================
// >>rec: records by stack and labels, the counters behind the heap, block, mutex and
// threadcreate profiles: one table each, a record made at first sight of its stack and never
// freed, counters updated atomically; snapshots of a table, and windows (seconds=N) as the
// difference of two snapshots. The heap's encoder (end of >>heap) writes any table's profile.
// =========================================================================================
#if PPROF__HEAP
typedef struct pprof__hrec {
    uint64_t hash;
    uint64_t allocs, alloc_bytes, frees, free_bytes; /* atomic; raw sampled numbers */
    uint64_t wallocs, walloc_bytes, wfrees, wfree_bytes; /* atomic; heap: what the samples
                                   stand for beyond themselves (counts in 1/256), fixed
                                   when each is taken (0 at rate 1: nothing to add) */
    uint32_t n;
    uint32_t lset;  /* the recording thread's labels (>>labels): part of the key */
    uintptr_t *pc;  /* return addresses, the allocating call first */
} pprof__hrec;

/* A table of records by stack: heap, block, mutex, threadcreate. Zero-initialised (an
   all-zero pthread_mutex_t is PTHREAD_MUTEX_INITIALIZER in glibc, where all of this runs). */
typedef struct pprof__rtab {
    pthread_mutex_t mu;
    pprof__hrec **tab;
    size_t cap, n;
    pprof__hrec lost;        /* events whose record could not be allocated */
} pprof__rtab;
static pprof__rtab pprof__heap, pprof__block, pprof__mutex, pprof__tcreate; /* mu: lock 9 */

/* The record of a stack in T, made on first sight. Never NULL (out of memory: `lost`).
   Callers are inside the profiler (PPROF__INSIDE_ENTER): the lock may be a wrapped one. */
PPROF__FN pprof__hrec *pprof__rec(pprof__rtab *T, const uintptr_t *pc, uint32_t n) {
    uint32_t lset = pprof__ltls.cur;
    uint64_t h = pprof__agg_hash(pc, n, lset);
    pprof__hrec *r = NULL;
    size_t i;
    pprof__lock(&T->mu);
    if (T->n * 2 >= T->cap) { /* grow to keep probes short */
        size_t ncap = T->cap ? T->cap * 2 : 1024, j;
        pprof__hrec **nt = (pprof__hrec **)PPROF_MALLOC(ncap * sizeof *nt);
        if (nt) {
            memset(nt, 0, ncap * sizeof *nt);
            for (i = 0; i < T->cap; i++) {
                pprof__hrec *e = T->tab[i];
                if (!e) continue;
                for (j = (size_t)e->hash & (ncap - 1); nt[j]; j = (j + 1) & (ncap - 1)) {}
                nt[j] = e;
            }
            PPROF_FREE(T->tab);
            T->tab = nt;
            T->cap = ncap;
        } else if (T->n + 1 >= T->cap) {
            r = &T->lost;
            goto out;
        }
    }
    for (i = (size_t)h & (T->cap - 1);; i = (i + 1) & (T->cap - 1)) {
        r = T->tab[i];
        if (!r) break;
        if (r->hash == h && r->n == n && r->lset == lset && memcmp(r->pc, pc, n * sizeof *pc) == 0)
            goto out;
    }
    r = (pprof__hrec *)PPROF_MALLOC(sizeof *r + n * sizeof *pc);
    if (!r) { r = &T->lost; goto out; }
    memset(r, 0, sizeof *r);
    r->hash = h;
    r->n = n;
    r->lset = lset;
    r->pc = (uintptr_t *)(void *)(r + 1);
    if (n) memcpy(r->pc, pc, n * sizeof *pc);
    T->tab[i] = r;
    T->n++;
out:
    pprof__unlock(&T->mu);
    return r;
}

/* A record's counters as read: allocations (cumulative, or a window's after _delta) and
   what is still in use; avg = raw bytes per allocation, the `bytes` label. */
typedef struct pprof__hval {
    const pprof__hrec *r;
    uint64_t ao, ab, io, ib, avg;
    uint64_t wao, wab, wio, wib; /* heap: the estimates (objects in 1/256) */
} pprof__hval;

/* Every record's counters (frees read first: a counted free's allocation is counted). */
PPROF__FN pprof__hval *pprof__rec_snapshot(pprof__rtab *T, size_t *n_out) {
    pprof__hval *v;
    size_t i, n = 0;
    pprof__lock(&T->mu);
    v = (pprof__hval *)PPROF_MALLOC((T->n + 2) * sizeof *v);
    if (v) {
        for (i = 0; i < T->cap; i++)
            if (T->tab[i]) v[n++].r = T->tab[i];
        v[n++].r = &T->lost;
    }
    pprof__unlock(&T->mu);
    for (i = 0; i < n; i++) {
        pprof__hrec *r = (pprof__hrec *)(uintptr_t)v[i].r;
        uint64_t fo = __atomic_load_n(&r->frees, __ATOMIC_ACQUIRE);
        uint64_t fb = __atomic_load_n(&r->free_bytes, __ATOMIC_ACQUIRE);
        uint64_t wfo = fo * 256 + __atomic_load_n(&r->wfrees, __ATOMIC_ACQUIRE);
        uint64_t wfb = fb + __atomic_load_n(&r->wfree_bytes, __ATOMIC_ACQUIRE);
        v[i].ao = __atomic_load_n(&r->allocs, __ATOMIC_ACQUIRE);
        v[i].ab = __atomic_load_n(&r->alloc_bytes, __ATOMIC_ACQUIRE);
        v[i].io = v[i].ao - (fo < v[i].ao ? fo : v[i].ao);
        v[i].ib = v[i].ab - (fb < v[i].ab ? fb : v[i].ab);
        v[i].avg = v[i].ao ? v[i].ab / v[i].ao : 0;
        v[i].wao = v[i].ao * 256 + __atomic_load_n(&r->wallocs, __ATOMIC_ACQUIRE);
        v[i].wab = v[i].ab + __atomic_load_n(&r->walloc_bytes, __ATOMIC_ACQUIRE);
        v[i].wio = v[i].wao - (wfo < v[i].wao ? wfo : v[i].wao);
        v[i].wib = v[i].wab - (wfb < v[i].wab ? wfb : v[i].wab);
    }
    *n_out = n;
    return v;
}

PPROF__FN int pprof__rec_val_cmp(const void *pa, const void *pb) {
    uintptr_t a = (uintptr_t)((const pprof__hval *)pa)->r;
    uintptr_t b = (uintptr_t)((const pprof__hval *)pb)->r;
    return a < b ? -1 : a > b;
}

/* A window: subtracts base's cumulative columns (base sorted by record). In-use columns
   stay the state at the end (decided; Go subtracts them too, golang/go#67942). */
PPROF__FN void pprof__rec_delta(pprof__hval *v, size_t n, const pprof__hval *base, size_t nb) {
    size_t i;
    for (i = 0; i < n; i++) {
        const pprof__hval *b = (const pprof__hval *)bsearch(&v[i], base, nb, sizeof *base,
                                                             pprof__rec_val_cmp);
        if (!b) continue;
        v[i].ao -= b->ao < v[i].ao ? b->ao : v[i].ao;
        v[i].ab -= b->ab < v[i].ab ? b->ab : v[i].ab;
        v[i].wao -= b->wao < v[i].wao ? b->wao : v[i].wao;
        v[i].wab -= b->wab < v[i].wab ? b->wab : v[i].wab;
    }
}

/* Whether record v has nothing to show: heap's four counts all zero; a block, mutex or
   threadcreate record's count and total zero (not its in-use columns: copies of them that
   a window leaves whole). */
PPROF__FN int pprof__rec_empty(const pprof__hval *v, int heap) {
    return heap ? !(v->ao | v->ab | v->io | v->ib) : !(v->ao | v->ab);
}

#endif /* PPROF__HEAP */

// =========================================================================================
// >>heap: sampled allocations, Go's MemProfileRate design. Each thread counts requested bytes
// down from an exponential draw of mean `rate`; the allocation that reaches zero is sampled
// whole. A sampled block is allocated 48 bytes (or its alignment) larger from the allocator
// beneath and carries a header in front of the pointer it returns: size, record, offset,
// the rate it was sampled at, a check of all of these, and last a tag, the pointer xor a
// process key. free() tells a sampled block by that tag in the word just before the pointer,
// whatever the allocator: that word is in the block's own page unless the pointer is
// page-aligned, and page-aligned sampled blocks (alignment 4096 or more) are also listed in
// a small table that free consults instead. Each sample counts in its stack's record (>>rec):
// sampled allocs/bytes and frees/bytes, and what they stand for.
// Then the wrappers (PPROF_WRAP_MALLOC: the malloc family, other allocators' own calls,
// operator new and delete) and the profile.proto of any record table (heap's, and block,
// mutex and threadcreate's from >>sync).
// =========================================================================================
#if PPROF__HEAP
#define PPROF__HEAP_RATE 524288 /* Go's default MemProfileRate */

typedef struct pprof__hhdr { /* the 48 bytes before a sampled block */
    uint64_t check;          /* pprof__heap_check of the block and the fields below */
    uint64_t size;           /* bytes requested */
    pprof__hrec *rec;
    uint64_t off;            /* from the allocator's block to the pointer returned */
    double w;                /* its weight (what the sample stands for), fixed when taken */
    uint64_t tag;            /* the pointer ^ pprof__heap_key: "sampled"; 0 once freed */
} pprof__hhdr;

static size_t pprof__heap_rate = PPROF__HEAP_RATE; /* atomic */
static uint32_t pprof__heap_epoch = 1;             /* atomic; a rate change bumps it */

#if PPROF__INTERPOSE
/* The allocator beneath the wrappers: the malloc family of the next object after this one
   that defines it (dlsym RTLD_NEXT): glibc's, or jemalloc, tcmalloc or mimalloc when the
   program links or preloads one after this file, so a block always goes back to the
   allocator that made it, sampled or not. Resolved at the first allocation; dlsym may
   allocate meanwhile, from a static arena that is never freed. */
#include <dlfcn.h>
typedef struct pprof__alloc {
    void *(*malloc_)(size_t);
    void *(*calloc_)(size_t, size_t);
    void *(*realloc_)(void *, size_t);
    void (*free_)(void *);
    void *(*memalign_)(size_t, size_t);
    size_t (*usable_)(void *);
    int glibc;       /* atomic: they are glibc's (0 until resolved: nothing is sampled
                        before, so no sampled block can meet another allocator's free) */
    int state;       /* atomic: 0 unresolved, 1 being resolved, 2 resolved */
    size_t boot_used; /* atomic: bytes of the arena handed out */
} pprof__alloc;
static unsigned char pprof__boot_arena[64 * 1024] __attribute__((aligned(64)));
PPROF__FN void *pprof__boot_malloc(size_t n);
PPROF__FN void *pprof__boot_calloc(size_t count, size_t size);
PPROF__FN void *pprof__boot_realloc(void *p, size_t n);
PPROF__FN void pprof__boot_free(void *p);
PPROF__FN void *pprof__boot_memalign(size_t a, size_t n);
PPROF__FN size_t pprof__boot_usable(void *p);
static pprof__alloc pprof__next = {pprof__boot_malloc, pprof__boot_calloc, pprof__boot_realloc,
                                   pprof__boot_free, pprof__boot_memalign, pprof__boot_usable,
                                   0, 0, 0};

static inline __attribute__((always_inline)) int pprof__boot_has(const void *p) {
    return (uintptr_t)p - (uintptr_t)pprof__boot_arena < sizeof pprof__boot_arena;
}
/* n bytes of the arena (zeroed, 16-aligned, their size in the 16 bytes before), or NULL. */
PPROF__FN void *pprof__boot_take(size_t n) {
    size_t need, at;
    if (n > sizeof pprof__boot_arena) return NULL;
    need = (n + 31) & ~(size_t)15;
    at = __atomic_fetch_add(&pprof__next.boot_used, need, __ATOMIC_RELAXED);
    if (at + need > sizeof pprof__boot_arena) { errno = ENOMEM; return NULL; }
    memcpy(pprof__boot_arena + at, &n, sizeof n);
    return pprof__boot_arena + at + 16;
}
PPROF__FN size_t pprof__boot_size(const void *p) {
    size_t n;
    memcpy(&n, (const unsigned char *)p - 16, sizeof n);
    return n;
}
PPROF__FN void *pprof__next_sym(const char *name) {
    return dlsym((void *)-1l /* RTLD_NEXT */, name);
}
/* Resolves pprof__next: 1 once it holds the real functions, 0 while another thread (or
   this one, inside dlsym) resolves them. */
PPROF__FN int pprof__next_resolve(void) {
    int z = 0;
    void *m, *c, *r, *f, *ma, *u;
    if (__atomic_load_n(&pprof__next.state, __ATOMIC_ACQUIRE) == 2) return 1;
    if (!__atomic_compare_exchange_n(&pprof__next.state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return __atomic_load_n(&pprof__next.state, __ATOMIC_ACQUIRE) == 2;
    m = pprof__next_sym("malloc");
    c = pprof__next_sym("calloc");
    r = pprof__next_sym("realloc");
    f = pprof__next_sym("free");
    ma = pprof__next_sym("memalign");
    if (!ma) ma = pprof__next_sym("aligned_alloc");
    u = pprof__next_sym("malloc_usable_size");
    if (!m || !c || !r || !f || !ma) { /* none beneath (a static program): glibc's own */
        m = (void *)(uintptr_t)&__libc_malloc;
        c = (void *)(uintptr_t)&__libc_calloc;
        r = (void *)(uintptr_t)&__libc_realloc;
        f = (void *)(uintptr_t)&__libc_free;
        ma = (void *)(uintptr_t)&__libc_memalign;
        u = NULL;
    }
    memcpy(&pprof__next.malloc_, &m, sizeof m);
    memcpy(&pprof__next.calloc_, &c, sizeof c);
    memcpy(&pprof__next.realloc_, &r, sizeof r);
    memcpy(&pprof__next.free_, &f, sizeof f);
    memcpy(&pprof__next.memalign_, &ma, sizeof ma);
    if (u) memcpy(&pprof__next.usable_, &u, sizeof u);
    else pprof__next.usable_ = NULL;
    {   /* glibc's own malloc, asked of libc itself: &__libc_malloc will not do, as other
           allocators (mimalloc) define __libc_malloc too */
        void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD), *gm = NULL, *gf = NULL;
        if (libc) { /* (never closed: libc stays, and a wrapped dlclose takes locks that a
                       caller of this malloc may hold) */
            gm = dlsym(libc, "malloc");
            gf = dlsym(libc, "free");
        }
        __atomic_store_n(&pprof__next.glibc, gm && m == gm && f == gf, __ATOMIC_RELEASE);
    }
#ifdef PPROF__HEAP_RATE_AT_START
    /* the rate from the process's first allocation on, before any constructor could set
       it (libpprof.so: from PPROF_HEAP and PPROF_HEAP_RATE, read without allocating) */
    __atomic_store_n(&pprof__heap_rate, PPROF__HEAP_RATE_AT_START(), __ATOMIC_RELAXED);
#endif
    __atomic_store_n(&pprof__next.state, 2, __ATOMIC_RELEASE);
    __atomic_add_fetch(&pprof__heap_epoch, 1, __ATOMIC_RELEASE); /* countdowns drawn before
                                                  (sampling off until now) are drawn again */
    return 1;
}
PPROF__FN void *pprof__boot_malloc(size_t n) {
    return pprof__next_resolve() ? pprof__next.malloc_(n) : pprof__boot_take(n);
}
PPROF__FN void *pprof__boot_calloc(size_t count, size_t size) {
    size_t n;
    if (pprof__next_resolve()) return pprof__next.calloc_(count, size);
    if (__builtin_mul_overflow(count, size, &n)) { errno = ENOMEM; return NULL; }
    return pprof__boot_take(n); /* (the arena is zero and never reused) */
}
PPROF__FN void *pprof__boot_realloc(void *p, size_t n) {
    return pprof__next_resolve() ? pprof__next.realloc_(p, n) : NULL; /* (p: never the arena's) */
}
PPROF__FN void pprof__boot_free(void *p) {
    if (pprof__next_resolve()) pprof__next.free_(p);
}
PPROF__FN void *pprof__boot_memalign(size_t a, size_t n) {
    void *p;
    if (pprof__next_resolve()) return pprof__next.memalign_(a, n);
    if (a > 4096 || !(p = pprof__boot_take(n + a))) return NULL;
    return (void *)(((uintptr_t)p + a - 1) & ~(uintptr_t)(a - 1)); /* (never freed) */
}
PPROF__FN size_t pprof__boot_usable(void *p) {
    return pprof__next_resolve() && pprof__next.usable_ ? pprof__next.usable_(p) : 0;
}
#define PPROF__A_MALLOC(n) pprof__next.malloc_(n)
#define PPROF__A_CALLOC(c, n) pprof__next.calloc_(c, n)
#define PPROF__A_REALLOC(p, n) pprof__next.realloc_(p, n)
#define PPROF__A_FREE(p) pprof__next.free_(p)
#define PPROF__A_MEMALIGN(a, n) pprof__next.memalign_(a, n)
#define PPROF__A_GLIBC() __atomic_load_n(&pprof__next.glibc, __ATOMIC_RELAXED)
#else
#define PPROF__A_MALLOC(n) __libc_malloc(n)
#define PPROF__A_CALLOC(c, n) __libc_calloc(c, n)
#define PPROF__A_REALLOC(p, n) __libc_realloc(p, n)
#define PPROF__A_FREE(p) __libc_free(p)
#define PPROF__A_MEMALIGN(a, n) __libc_memalign(a, n)
#define PPROF__A_GLIBC() 1
static inline __attribute__((always_inline)) int pprof__boot_has(const void *p) { (void)p; return 0; }
#endif
#if PPROF__INTERPOSE
PPROF__FN int pprof__proc_ours(void); /* is the process's malloc this file's? (below) */
#endif
/* The interposed libc functions: exported even under -fvisibility=hidden, never inlined
   (their frame starts the stack), with glibc's exception specification in C++. */
#define PPROF__WRAP __attribute__((visibility("default"), noinline, used))
#ifdef __cplusplus
#  if __cplusplus >= 201103L
#    define PPROF__THROW noexcept(true)
#  else
#    define PPROF__THROW throw()
#  endif
#else
#  define PPROF__THROW
#endif

/* The fast path of every allocation: counts n down, 0 when it must take the slow path. */
static inline __attribute__((always_inline)) int pprof__heap_quick(size_t n) {
    if (PPROF__LIKELY(pprof__heap_t.epoch == __atomic_load_n(&pprof__heap_epoch, __ATOMIC_RELAXED) &&
                      n < pprof__heap_t.left)) {
        pprof__heap_t.left -= n;
        return 1;
    }
    return 0;
}

/* ln(u) for 0 < u <= 1 without libm: u = m 2^e, m in [0.7, 1.4), atanh series for ln m. */
PPROF__FN double pprof__heap_ln(double u) {
    uint64_t bits;
    int e;
    double m, s, s2, sum;
    memcpy(&bits, &u, sizeof bits);
    e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) { m *= 0.5; e++; }
    s = (m - 1) / (m + 1);
    s2 = s * s;
    sum = s * (1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 *
              (1.0 / 11 + s2 * (1.0 / 13 + s2 / 15)))))));
    return 2 * sum + e * 0.6931471805599453;
}

/* e^-x for x >= 0 without libm: halve until x <= 1/64, Taylor, square back. */
PPROF__FN double pprof__heap_exp_neg(double x) {
    int k = 0, i;
    double r, term = 1, sum = 1;
    if (x > 700) return 0;
    for (r = x; r > 1.0 / 64; r *= 0.5) k++;
    for (i = 1; i < 12; i++) { term *= -r / i; sum += term; }
    while (k-- > 0) sum *= sum;
    return sum;
}

/* Uniform in [0, 1) from the thread's generator (heap countdowns, block/mutex sampling). */
PPROF__FN double pprof__sync_rand(pprof__htls *t) {
    uint64_t x;
    if (!t->rng) t->rng = pprof__hash_mix((uint64_t)pprof__os_mono_ns(), (uint64_t)(uintptr_t)t) | 1;
    x = t->rng;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    t->rng = x;
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/* The next countdown: exponential with mean rate (0 for rate 1: sample everything). */
PPROF__FN size_t pprof__heap_draw(pprof__htls *t, size_t rate) {
    double v;
    if (rate <= 1) return 0;
    v = -pprof__heap_ln(1.0 - pprof__sync_rand(t)) * (double)rate; /* of a u in (0, 1] */
    return v < 4.0e18 ? (size_t)v : (size_t)4000000000000000000ull;
}

/* The slow half of the countdown: 1 when this allocation of n bytes is sampled. */
PPROF__FN PPROF__NOINLINE int pprof__heap_tick(size_t n) {
    pprof__htls *t = &pprof__heap_t;
    uint32_t ep;
#if PPROF__INTERPOSE
    if (!__atomic_load_n(&pprof__next.state, __ATOMIC_ACQUIRE)) { /* the process's first */
        PPROF__INSIDE_ENTER();     /* allocation (sampled too): dlsym's and dlopen's are not */
        pprof__next_resolve();
        PPROF__INSIDE_LEAVE();
    }
#endif
    ep = __atomic_load_n(&pprof__heap_epoch, __ATOMIC_ACQUIRE); /* then its rate */
    size_t rate = __atomic_load_n(&pprof__heap_rate, __ATOMIC_RELAXED);
    if (pprof__inside.depth) return 0;
    if (pprof__inside.own_thread || rate == 0) { t->left = SIZE_MAX; t->epoch = ep; return 0; }
    if (t->epoch != ep) { /* a new thread, or the rate changed: a fresh countdown */
        t->epoch = ep;
        t->left = pprof__heap_draw(t, rate);
        if (n < t->left) { t->left -= n; return 0; }
    }
    t->left = pprof__heap_draw(t, rate);
    return 1;
}

/* The key of the tags: a constant until the first sample, then mixed once (before any
   block is tagged with it) with the clock and this run's addresses. Its top bit is set, so
   a tag is never an address or a size a program keeps next to its blocks. */
#define PPROF__HEAP_KEY0 0xC6A4A7935BD1E995ull
static uint64_t pprof__heap_key = PPROF__HEAP_KEY0; /* atomic */

PPROF__FN uint64_t pprof__heap_key_get(void) {
    uint64_t k = __atomic_load_n(&pprof__heap_key, __ATOMIC_ACQUIRE), z = PPROF__HEAP_KEY0;
    if (PPROF__LIKELY(k != PPROF__HEAP_KEY0)) return k;
    k = pprof__hash_mix((uint64_t)pprof__os_mono_ns() ^ (uint64_t)(uintptr_t)&k,
                        (uint64_t)(uintptr_t)&pprof__heap_key << 17) | 1ull << 63;
    __atomic_compare_exchange_n(&pprof__heap_key, &z, k, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&pprof__heap_key, __ATOMIC_ACQUIRE);
}

PPROF__FN uint64_t pprof__heap_check(uintptr_t p, const pprof__hhdr *h) {
    uint64_t wb, x = pprof__hash_mix((uint64_t)(uintptr_t)&pprof__heap_rate, p);
    memcpy(&wb, &h->w, sizeof wb);
    x = pprof__hash_mix(x, h->size);
    x = pprof__hash_mix(x, (uint64_t)(uintptr_t)h->rec);
    x = pprof__hash_mix(x, h->off);
    return pprof__hash_mix(x, wb);
}

/* The word before block p (its page is p's: callers make sure p is not page-aligned).
   The empty asm keeps the compiler from judging the read by what it knows of p. */
static inline __attribute__((always_inline)) uint64_t pprof__heap_word(const void *p) {
    const unsigned char *q = (const unsigned char *)p;
    __asm__("" : "+r"(q));
    return ((const uint64_t *)(const void *)q)[-1];
}

/* Sampled blocks at page-aligned addresses, where the word before an unsampled block of
   another allocator may be unmapped: a set of their addresses (open addressing, 1 marks a
   freed slot, probes bounded), which free looks in only while any lives. A block that
   finds no slot is not sampled (thousands of live sampled blocks aligned to 4096 or more). */
#define PPROF__HEAP_PAGED 16384
#define PPROF__HEAP_PROBES 64
static uintptr_t pprof__heap_paged[PPROF__HEAP_PAGED]; /* atomic; 0 never used, 1 freed */
static int pprof__heap_npaged;                          /* atomic */
static uint64_t pprof__heap_paged_lost; /* atomic: samples not taken, the set being full */

static inline size_t pprof__heap_paged_slot(uintptr_t p) {
    return pprof__hash_top((uint64_t)p >> 12, 14) & (PPROF__HEAP_PAGED - 1);
}
PPROF__FN int pprof__heap_paged_add(uintptr_t p) {
    size_t i = pprof__heap_paged_slot(p), k;
    for (k = 0; k < PPROF__HEAP_PROBES; k++, i = (i + 1) & (PPROF__HEAP_PAGED - 1)) {
        uintptr_t v = __atomic_load_n(&pprof__heap_paged[i], __ATOMIC_RELAXED);
        if (v > 1) continue;
        if (__atomic_compare_exchange_n(&pprof__heap_paged[i], &v, p, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            __atomic_add_fetch(&pprof__heap_npaged, 1, __ATOMIC_RELEASE);
            return 1;
        }
    }
    return 0;
}
/* 1 if p is in the set; taken out too if `take`. */
PPROF__FN PPROF__NOINLINE int pprof__heap_paged_has(uintptr_t p, int take) {
    size_t i = pprof__heap_paged_slot(p), k;
    if (!p || !__atomic_load_n(&pprof__heap_npaged, __ATOMIC_ACQUIRE)) return 0;
    for (k = 0; k < PPROF__HEAP_PROBES; k++, i = (i + 1) & (PPROF__HEAP_PAGED - 1)) {
        uintptr_t v = __atomic_load_n(&pprof__heap_paged[i], __ATOMIC_ACQUIRE);
        if (v == 0) return 0;
        if (v != p) continue;
        if (take) {
            __atomic_store_n(&pprof__heap_paged[i], 1, __ATOMIC_RELEASE);
            __atomic_sub_fetch(&pprof__heap_npaged, 1, __ATOMIC_RELEASE);
        }
        return 1;
    }
    return 0;
}

/* Live sampled blocks per hash of their address: free reads the word before a block only
   where this says one may be sampled (another allocator's free does not touch the block:
   the read would be a cache miss of its own). A count that reaches the top stays there. */
#define PPROF__HEAP_FILTER 4096
static uint16_t pprof__heap_filter[PPROF__HEAP_FILTER]; /* atomic */
static inline __attribute__((always_inline)) uint16_t *pprof__heap_filter_of(uintptr_t p) {
    return &pprof__heap_filter[pprof__hash_top((uint64_t)p >> 4, 12)];
}
PPROF__FN void pprof__heap_filter_add(uintptr_t p, int d) {
    uint16_t *c = pprof__heap_filter_of(p), v = __atomic_load_n(c, __ATOMIC_RELAXED);
    do {
        if (v == 0xFFFF) return;
    } while (!__atomic_compare_exchange_n(c, &v, (uint16_t)(v + d), 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* Does p carry a sampled block's tag? (The fast test of every free: while nothing was
   ever sampled the key is still the constant, and p's memory is not even read.) */
static inline __attribute__((always_inline)) int pprof__heap_tagged(const void *p) {
    uintptr_t a = (uintptr_t)p;
    uint64_t k = __atomic_load_n(&pprof__heap_key, __ATOMIC_RELAXED);
    if (PPROF__LIKELY(k == PPROF__HEAP_KEY0)) return 0;
    if (PPROF__LIKELY(!__atomic_load_n(pprof__heap_filter_of(a), __ATOMIC_ACQUIRE))) return 0;
    if (PPROF__UNLIKELY((a & 4095) == 0)) return pprof__heap_paged_has(a, 0);
    return pprof__heap_word(p) == ((uint64_t)a ^ k);
}

/* What one sample of a block of n bytes taken at rate R stands for, as Go unsamples:
   1/(1 - e^(-n/R)) blocks, and that many times n bytes. Fixed when the sample is taken
   (kept in the block's header), so a later rate change or other sizes on the same stack
   never bias it. */
PPROF__FN double pprof__heap_weight(uint64_t n, uint64_t rate) {
    return rate <= 1 || n == 0 ? 1.0 : 1.0 / (1.0 - pprof__heap_exp_neg((double)n / (double)rate));
}
/* Counts a sampled allocation or free of n bytes of weight w in r: the raw numbers, and
   what the samples stand for beyond themselves (objects in 1/256). */
PPROF__FN void pprof__heap_count(pprof__hrec *r, uint64_t n, double w, int is_free) {
    uint64_t wo = (uint64_t)(w * 256.0 + 0.5), wb = (uint64_t)(w * (double)n + 0.5);
    __atomic_add_fetch(is_free ? &r->frees : &r->allocs, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(is_free ? &r->free_bytes : &r->alloc_bytes, n, __ATOMIC_RELAXED);
    if (wo > 256) __atomic_add_fetch(is_free ? &r->wfrees : &r->wallocs, wo - 256, __ATOMIC_RELAXED);
    if (wb > n) __atomic_add_fetch(is_free ? &r->wfree_bytes : &r->walloc_bytes, wb - n, __ATOMIC_RELAXED);
}

/* The header of p, which carries the tag, if its check holds too, else NULL. */
static inline __attribute__((always_inline)) pprof__hhdr *pprof__heap_hdr_at(void *p) {
    pprof__hhdr *h = (pprof__hhdr *)(uintptr_t)((uintptr_t)p - sizeof *h);
    return h->check == pprof__heap_check((uintptr_t)p, h) ? h : NULL;
}
/* The header of p if p is a sampled block, else NULL. */
static inline __attribute__((always_inline)) pprof__hhdr *pprof__heap_hdr(void *p) {
    if (PPROF__LIKELY(!pprof__heap_tagged(p)) || pprof__boot_has(p)) return NULL;
    return pprof__heap_hdr_at(p);
}

/* This thread's own stack above sp, into *hi (frames lie below it): 1 if sp is on it.
   Found once per thread in /proc/self/maps: the region holding sp is the thread's own
   when glibc's thread descriptor sits at its top, or it is the main [stack]. A thread on
   another stack (a coroutine) gets 0 and a walk by checked reads. */
PPROF__FN int pprof__heap_own_stack(pprof__htls *t, uintptr_t sp, uintptr_t *hi) {
    pprof__maps m;
    size_t i;
    uintptr_t self = (uintptr_t)pthread_self();
    int ok = 0;
    if (sp >= t->stk_lo && sp < t->stk_hi) { *hi = t->stk_hi; return 1; }
    t->stk_miss++;
    if (t->stk_miss & (t->stk_miss - 1)) return 0; /* look again at the 1st, 2nd, 4th.. miss */
    {   /* open and read are cancellation points; malloc must not be one */
        int cs, rc;
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cs);
        rc = pprof__maps_read(&m);
        pthread_setcancelstate(cs, NULL);
        if (rc != 0) return 0;
    }
    for (i = 0; i < m.n; i++) {
        const pprof__mapent *e = &m.e[i];
        if (sp < e->lo || sp >= e->hi) continue;
        if (self > sp && self < e->hi) { t->stk_lo = e->lo; t->stk_hi = self; ok = 1; }
        else if (strcmp(e->path, "[stack]") == 0) { t->stk_lo = e->lo; t->stk_hi = e->hi; ok = 1; }
        break;
    }
    pprof__maps_free(&m);
    if (ok) { t->stk_miss = 0; *hi = t->stk_hi; }
    return ok;
}

/* The stack of an allocation or lock event from the public entry point (malloc,
   pprof_malloc, operator new, a pthread wrapper) whose frame record is at fpw, so the
   allocating call comes first. */
PPROF__FN int pprof__heap_stack(pprof__htls *t, uintptr_t fpw, uintptr_t *out) {
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), hi;
    if (pprof__heap_own_stack(t, sp, &hi)) return fpw >= sp && fpw < hi ? pprof__cfi_stack(fpw, hi, out) : 0;
    return pprof__cfi_stack(fpw, 0, out);
}


/* A sampled allocation of n bytes aligned to a (a power of two >= 16), zeroed if asked.
   Below 4096 the block is a bytes larger than it needs, so it never starts a page. */
PPROF__FN PPROF__NOINLINE void *pprof__heap_sampled(size_t n, size_t a, int zero, uintptr_t fpw) {
    pprof__htls *t = &pprof__heap_t;
    uintptr_t pcs[PPROF_MAX_FRAMES], p = 0;
    size_t extra = a < 4096 ? sizeof(pprof__hhdr) + 2 * a - 16 : a;
    unsigned char *base;
    int saved = errno; /* a successful malloc leaves errno alone, whatever the walk met */
    if (a > (size_t)PTRDIFF_MAX / 4 || n > (size_t)PTRDIFF_MAX - extra) { errno = ENOMEM; return NULL; }
    PPROF__INSIDE_ENTER();
    base = (unsigned char *)(a >= 4096 ? PPROF__A_MEMALIGN(a, n + extra)
                             : zero ? PPROF__A_CALLOC(1, n + extra) : PPROF__A_MALLOC(n + extra));
    if (base) {
        int depth;
        pprof__hhdr *h;
        size_t rate = __atomic_load_n(&pprof__heap_rate, __ATOMIC_RELAXED);
        p = ((uintptr_t)base + sizeof *h + a - 1) & ~(uintptr_t)(a - 1);
        if ((p & 4095) == 0 && a < 4096) p += a;
        if (a >= 4096 && zero) memset((void *)p, 0, n);
        if (a >= 4096 && !pprof__heap_paged_add(p)) { /* the set is full: not sampled */
            __atomic_add_fetch(&pprof__heap_paged_lost, 1, __ATOMIC_RELAXED);
            PPROF__A_FREE(base);
            base = (unsigned char *)PPROF__A_MEMALIGN(a, n);
            if (base && zero) memset(base, 0, n);
            PPROF__INSIDE_LEAVE();
            return base;
        }
        depth = pprof__heap_stack(t, fpw, pcs);
        h = (pprof__hhdr *)p - 1;
        h->size = n;
        h->rec = pprof__rec(&pprof__heap, pcs, (uint32_t)depth);
        h->off = p - (uintptr_t)base;
        h->w = pprof__heap_weight(n, rate);
        pprof__heap_count(h->rec, n, h->w, 0);
        h->check = pprof__heap_check(p, h);
        pprof__heap_filter_add(p, 1);
        h->tag = (uint64_t)p ^ pprof__heap_key_get();
        errno = saved;
    }
    PPROF__INSIDE_LEAVE();
    return (void *)p;
}

PPROF__FN PPROF__NOINLINE void *pprof__heap_alloc(size_t n, int zero, uintptr_t fpw) {
    if (!pprof__heap_tick(n)) return zero ? PPROF__A_CALLOC(1, n) : PPROF__A_MALLOC(n);
    return pprof__heap_sampled(n, 16, zero, fpw);
}

/* Frees sampled block p (header h): counted, then its allocator's block goes back. */
PPROF__FN PPROF__NOINLINE void pprof__heap_release(void *p, pprof__hhdr *h) {
    pprof__heap_count(h->rec, h->size, h->w, 1);
    h->tag = 0; /* a second free of p goes to the allocator, which judges it */
    h->check = 0;
    pprof__heap_filter_add((uintptr_t)p, -1);
    if (((uintptr_t)p & 4095) == 0) pprof__heap_paged_has((uintptr_t)p, 1);
    PPROF__A_FREE((unsigned char *)p - h->off);
}
PPROF__FN PPROF__NOINLINE void pprof__heap_free_sampled(void *p) { /* p: tagged */
    pprof__hhdr *h = pprof__heap_hdr_at(p);
    if (!h) { PPROF__A_FREE(p); return; } /* not a block of ours: its allocator judges it */
    pprof__heap_release(p, h);
}

static inline __attribute__((always_inline)) void pprof__heap_free(void *p) {
    if (PPROF__UNLIKELY(pprof__boot_has(p))) return; /* (dlsym's, while resolving) */
    if (PPROF__UNLIKELY(pprof__heap_tagged(p))) pprof__heap_free_sampled(p);
    else PPROF__A_FREE(p);
}

/* The usable size of p: a sampled block's requested size; else the allocator's own answer;
   without one (a static program, or pprof_malloc's blocks), glibc's chunk size word. */
PPROF__FN size_t pprof__heap_usable(void *p) {
    uint64_t w;
    pprof__hhdr *h;
    if (!p) return 0;
#if PPROF__INTERPOSE
    if (pprof__boot_has(p)) return pprof__boot_size(p);
#endif
    if ((h = pprof__heap_hdr(p)) != NULL) return (size_t)h->size;
#if PPROF__INTERPOSE
    if (pprof__next.usable_) return pprof__next.usable_(p);
    if (!PPROF__A_GLIBC()) return 0;
#endif
    w = pprof__heap_word(p);
    return (size_t)((w & ~(uint64_t)7) - ((w & 2) ? 16 : 8)); /* 2: IS_MMAPPED */
}

/* realloc: NULL allocates; size 0 frees and returns NULL (glibc's meaning, and a sampled
   block's; another allocator's unsampled block gets that allocator's); counts as a free of
   the old block and an allocation of n at this call site. Over an allocator that cannot tell
   a block's size, an unsampled block stays unsampled (realloc'd by it). */
PPROF__FN PPROF__NOINLINE void *pprof__heap_realloc(void *p, size_t n, uintptr_t fpw) {
    pprof__hhdr *h;
    size_t old;
    int sample;
    void *q;
    if (!p) return pprof__heap_quick(n) ? PPROF__A_MALLOC(n) : pprof__heap_alloc(n, 0, fpw);
    h = pprof__heap_hdr(p);
    if (n == 0 && (h || PPROF__A_GLIBC() || pprof__boot_has(p))) { pprof__heap_free(p); return NULL; }
    if (n == 0) return PPROF__A_REALLOC(p, 0); /* (its allocator's meaning: mimalloc's is a block) */
    sample = pprof__heap_quick(n) ? 0 : pprof__heap_tick(n);
    if (!h && !sample && !pprof__boot_has(p)) return PPROF__A_REALLOC(p, n);
    old = pprof__heap_usable(p); /* (a sampled block's size, the arena's, the allocator's) */
    if (!old && !h && !pprof__boot_has(p)) return PPROF__A_REALLOC(p, n); /* it cannot tell */
    q = sample ? pprof__heap_sampled(n, 16, 0, fpw) : PPROF__A_MALLOC(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    pprof__heap_free(p);
    return q;
}

#if PPROF__INTERPOSE
/* memalign's rules as glibc's: up to 16 is malloc's alignment, a non-power of two rounds
   up, more than half the address space is EINVAL. */
PPROF__FN PPROF__NOINLINE void *pprof__heap_memalign(size_t align, size_t n, uintptr_t fpw) {
    size_t a;
    if (align <= 16 && PPROF__UNLIKELY(align > 8 && n < 16 && !PPROF__A_GLIBC())) {
        if (pprof__heap_quick(n) || !pprof__heap_tick(n)) /* (others give tiny blocks 8 */
            return PPROF__A_MEMALIGN(16, 16);                /* bytes of alignment) */
        return pprof__heap_sampled(n, 16, 0, fpw);
    }
    if (align <= 16) return pprof__heap_quick(n) ? PPROF__A_MALLOC(n) : pprof__heap_alloc(n, 0, fpw);
    if (align > SIZE_MAX / 2 + 1) { errno = EINVAL; return NULL; }
    for (a = 32; a < align; a <<= 1) {}
    if (pprof__heap_quick(n) || !pprof__heap_tick(n)) return PPROF__A_MEMALIGN(a, n);
    return pprof__heap_sampled(n, a, 0, fpw);
}
#endif

/* pprof_set_heap_rate's work: every thread draws a new countdown at its next allocation. */
PPROF__FN int pprof__heap_set_rate(size_t bytes) {
    __atomic_store_n(&pprof__heap_rate, bytes, __ATOMIC_RELAXED);
    __atomic_add_fetch(&pprof__heap_epoch, 1, __ATOMIC_RELEASE);
    return PPROF_OK;
}

/* The bodies of malloc and calloc, for the wrappers and for pprof_malloc and pprof_calloc,
   as expressions: the frame where a sampled stack starts (PPROF__FPW, the caller's) is
   taken on the slow path only, so the fast path sets up no frame. n: a size_t variable. */
#define PPROF__HEAP_MALLOC(n) \
    (pprof__heap_quick(n) ? PPROF__A_MALLOC(n) : pprof__heap_alloc(n, 0, PPROF__FPW))
#define PPROF__HEAP_CALLOC(count, size, n)                                                  \
    (__builtin_mul_overflow(count, size, &(n)) ? pprof__heap_nomem()                       \
     : pprof__heap_quick(n) ? PPROF__A_CALLOC(count, size) : pprof__heap_alloc(n, 1, PPROF__FPW))
static inline void *pprof__heap_nomem(void) {
    errno = ENOMEM;
    return NULL;
}

#endif /* PPROF__HEAP */

#if PPROF__INTERPOSE
/* PPROF_WRAP_MALLOC: the malloc family of the whole process, by symbol interposition: the
   program's calls and its libraries' (strdup, fopen, the C++ runtime) land here first.
   Each takes its own frame address: the stack starts at its caller. */
#ifdef __cplusplus
extern "C" {
#endif
PPROF__WRAP void *malloc(size_t n) PPROF__THROW { return PPROF__HEAP_MALLOC(n); }
PPROF__WRAP void free(void *p) PPROF__THROW { pprof__heap_free(p); }
PPROF__WRAP void *calloc(size_t count, size_t size) PPROF__THROW {
    size_t n;
    return PPROF__HEAP_CALLOC(count, size, n);
}
PPROF__WRAP void *realloc(void *p, size_t n) PPROF__THROW {
    return pprof__heap_realloc(p, n, PPROF__FPW);
}
#ifdef __cplusplus
} /* extern "C" */
#endif

/* The process's malloc, free, realloc and memalign (the first definitions in the global
   scope, dlsym RTLD_DEFAULT), for what else this file defines (reallocarray, operator new
   and delete): they are these wrappers where this object comes first (the program's own
   file, or LD_PRELOAD=libpprof.so alone), else another allocator's (preloaded before
   libpprof.so, like libc_malloc_debug.so or jemalloc), whose blocks only it may free. */
__asm__(".set pprof__malloc_self, malloc"); /* this file's malloc, by an address no other */
extern char pprof__malloc_self_at[] __asm__("pprof__malloc_self") /* definition interposes */
    __attribute__((visibility("hidden")));
static struct pprof__proc_state {
    void *(*malloc_)(size_t);
    void (*free_)(void *);
    void *(*realloc_)(void *, size_t);
    void *(*memalign_)(size_t, size_t);
    int state; /* atomic: 0, 1 resolving, 2 ours, 3 another allocator's */
} pprof__proc;
/* 1 when the process's malloc family is this file's. */
PPROF__FN int pprof__proc_ours(void) {
    int st = __atomic_load_n(&pprof__proc.state, __ATOMIC_ACQUIRE), z = 0;
    void *m, *f, *r, *a;
    if (st >= 2) return st == 2;
    if (!__atomic_compare_exchange_n(&pprof__proc.state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return 1; /* being resolved (by dlsym's own allocations, even): ours meanwhile */
    m = dlsym(NULL /* RTLD_DEFAULT */, "malloc");
    f = dlsym(NULL, "free");
    r = dlsym(NULL, "realloc");
    a = dlsym(NULL, "memalign");
    if (!a) a = dlsym(NULL, "aligned_alloc");
    if (!m || !f || !r || !a || m == (void *)pprof__malloc_self_at) {
        __atomic_store_n(&pprof__proc.state, 2, __ATOMIC_RELEASE);
        return 1;
    }
    memcpy(&pprof__proc.malloc_, &m, sizeof m);
    memcpy(&pprof__proc.free_, &f, sizeof f);
    memcpy(&pprof__proc.realloc_, &r, sizeof r);
    memcpy(&pprof__proc.memalign_, &a, sizeof a);
    __atomic_store_n(&pprof__proc.state, 3, __ATOMIC_RELEASE);
    return 0;
}
/* operator delete, all of its forms: the process's free. */
PPROF__FN void pprof__proc_free(void *p) {
    if (pprof__proc_ours()) pprof__heap_free(p);
    else pprof__proc.free_(p);
}

#ifdef __cplusplus
extern "C" {
#endif
PPROF__WRAP void *reallocarray(void *p, size_t count, size_t size) PPROF__THROW {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) { errno = ENOMEM; return NULL; }
    if (!pprof__proc_ours()) return pprof__proc.realloc_(p, n);
    return pprof__heap_realloc(p, n, PPROF__FPW);
}
PPROF__WRAP void *memalign(size_t align, size_t n) PPROF__THROW {
    return pprof__heap_memalign(align, n, PPROF__FPW);
}
PPROF__WRAP void *aligned_alloc(size_t align, size_t n) PPROF__THROW {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 38)
    if (align == 0 || (align & (align - 1)) != 0) { errno = EINVAL; return NULL; } /* 2.38+ */
#endif
    return pprof__heap_memalign(align, n, PPROF__FPW);
}
PPROF__WRAP int posix_memalign(void **out, size_t align, size_t n) PPROF__THROW {
    void *p;
    if (align == 0 || align % sizeof(void *) != 0 || (align & (align - 1)) != 0) return EINVAL;
    p = pprof__heap_memalign(align, n, PPROF__FPW);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
PPROF__WRAP void *valloc(size_t n) PPROF__THROW {
    return pprof__heap_memalign((size_t)sysconf(_SC_PAGESIZE), n, PPROF__FPW);
}
PPROF__WRAP void *pvalloc(size_t n) PPROF__THROW {
    size_t ps = (size_t)sysconf(_SC_PAGESIZE), r;
    if (__builtin_add_overflow(n, ps - 1, &r)) { errno = ENOMEM; return NULL; }
    return pprof__heap_memalign(ps, r & ~(ps - 1), PPROF__FPW);
}
PPROF__WRAP size_t malloc_usable_size(void *p) PPROF__THROW { return pprof__heap_usable(p); }
#ifdef __cplusplus
} /* extern "C" */
#endif

/* The rest of the family: entries that take a block and that an allocator beneath may
   export (C23's sized frees, cfree and malloc_size; jemalloc's *allocx, mimalloc's mi_*,
   tcmalloc's tc_*), so that none meets a sampled block it did not make. A sampled block is
   handled here; any other goes on to the next definition (dlsym RTLD_NEXT, looked up once),
   or, where there is none, to what the name means for the allocator beneath. */
PPROF__FN void *pprof__next_fn(void **slot, const char *name) {
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (PPROF__LIKELY(f != NULL)) return f == (void *)slot ? NULL : f;
    f = pprof__next_sym(name);
    __atomic_store_n(slot, f ? f : (void *)slot, __ATOMIC_RELEASE);
    return f;
}
/* The sampled block's header if p is one (boot arena blocks: *boot set). */
static inline __attribute__((always_inline)) pprof__hhdr *pprof__heap_own(void *p, int *boot) {
    *boot = pprof__boot_has(p);
    return !*boot && PPROF__UNLIKELY(pprof__heap_tagged(p)) ? pprof__heap_hdr_at(p) : NULL;
}
typedef void (*pprof__fv_p)(void *);
typedef void (*pprof__fv_pz)(void *, size_t);
typedef void (*pprof__fv_pzz)(void *, size_t, size_t);
typedef void (*pprof__fv_pp)(void *, const void *);
typedef void (*pprof__fv_pzp)(void *, size_t, const void *);
typedef void (*pprof__fv_pi)(void *, int);
typedef void (*pprof__fv_pzi)(void *, size_t, int);
typedef size_t (*pprof__fz_p)(void *);
typedef size_t (*pprof__fz_cpi)(const void *, int);
typedef size_t (*pprof__fz_pzzi)(void *, size_t, size_t, int);
typedef void *(*pprof__fp_pz)(void *, size_t);
typedef void *(*pprof__fp_pzi)(void *, size_t, int);
typedef void *(*pprof__fp_zi)(size_t, int);
/* A free-like entry `name` of type T called with args; without a next one, free(p). */
#define PPROF__FREE_LIKE(T, name, params, args, throws) \
    PPROF__WRAP void name params throws { \
        static void *next_; \
        int boot; \
        pprof__hhdr *h = pprof__heap_own(p, &boot); \
        void *f; \
        T fn; \
        if (boot) return; \
        if (h) { pprof__heap_release(p, h); return; } \
        if (!(f = pprof__next_fn(&next_, #name))) { PPROF__A_FREE(p); return; } \
        memcpy(&fn, &f, sizeof fn); \
        fn args; \
    }
/* A size query `name`; without a next one, malloc_usable_size(p). */
#define PPROF__SIZE_LIKE(T, name, params, args, throws) \
    PPROF__WRAP size_t name params throws { \
        static void *next_; \
        int boot; \
        pprof__hhdr *h = pprof__heap_own((void *)(uintptr_t)p, &boot); \
        void *f; \
        T fn; \
        if (boot || h) return pprof__heap_usable((void *)(uintptr_t)p); \
        if (!(f = pprof__next_fn(&next_, #name))) return pprof__heap_usable((void *)(uintptr_t)p); \
        memcpy(&fn, &f, sizeof fn); \
        return fn args; \
    }
/* A realloc `name` (p, n, ...): a sampled block moves to a block from alloc (the
   allocator's own, honouring the call's flags), unsampled ones go on to the next. */
PPROF__FN void *pprof__heap_move(void *p, pprof__hhdr *h, int boot, void *q, size_t n) {
    size_t old = boot ? pprof__boot_size(p) : (size_t)h->size;
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    if (h) pprof__heap_release(p, h);
    return q;
}
#ifdef __cplusplus
extern "C" {
#endif
PPROF__FREE_LIKE(pprof__fv_p, cfree, (void *p), (p), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, free_sized, (void *p, size_t n), (p, n), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pzz, free_aligned_sized, (void *p, size_t a, size_t n), (p, a, n), PPROF__THROW)
PPROF__SIZE_LIKE(pprof__fz_p, malloc_size, (const void *p), ((void *)(uintptr_t)p), PPROF__THROW)
/* jemalloc */
PPROF__FREE_LIKE(pprof__fv_pi, dallocx, (void *p, int flags), (p, flags), )
PPROF__FREE_LIKE(pprof__fv_pzi, sdallocx, (void *p, size_t n, int flags), (p, n, flags), )
PPROF__SIZE_LIKE(pprof__fz_cpi, sallocx, (const void *p, int flags), (p, flags), )
PPROF__WRAP void *rallocx(void *p, size_t n, int flags) {
    static void *next_, *mallocx_;
    int boot;
    pprof__hhdr *h = pprof__heap_own(p, &boot);
    void *f = pprof__next_fn(h || boot ? &mallocx_ : &next_, h || boot ? "mallocx" : "rallocx");
    pprof__fp_pzi re;
    pprof__fp_zi al;
    if (!f) return h || boot ? pprof__heap_move(p, h, boot, PPROF__A_MALLOC(n), n) : pprof__heap_realloc(p, n, PPROF__FPW);
    if (!h && !boot) { memcpy(&re, &f, sizeof re); return re(p, n, flags); }
    memcpy(&al, &f, sizeof al);
    return pprof__heap_move(p, h, boot, al(n, flags), n);
}
PPROF__WRAP size_t xallocx(void *p, size_t n, size_t extra, int flags) {
    static void *next_;
    int boot;
    pprof__hhdr *h = pprof__heap_own(p, &boot);
    void *f;
    pprof__fz_pzzi fn;
    if (h || boot || !(f = pprof__next_fn(&next_, "xallocx"))) return pprof__heap_usable(p); /* not resized */
    memcpy(&fn, &f, sizeof fn);
    return fn(p, n, extra, flags);
}
/* mimalloc */
PPROF__FREE_LIKE(pprof__fv_p, mi_free, (void *p), (p), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, mi_free_size, (void *p, size_t n), (p, n), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, mi_free_aligned, (void *p, size_t a), (p, a), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pzz, mi_free_size_aligned, (void *p, size_t n, size_t a), (p, n, a), PPROF__THROW)
PPROF__SIZE_LIKE(pprof__fz_p, mi_usable_size, (const void *p), ((void *)(uintptr_t)p), PPROF__THROW)
/* tcmalloc */
PPROF__FREE_LIKE(pprof__fv_p, tc_free, (void *p), (p), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, tc_free_sized, (void *p, size_t n), (p, n), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_p, tc_cfree, (void *p), (p), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_p, tc_delete, (void *p), (p), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_p, tc_deletearray, (void *p), (p), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, tc_delete_sized, (void *p, size_t n), (p, n), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, tc_deletearray_sized, (void *p, size_t n), (p, n), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pp, tc_delete_nothrow, (void *p, const void *t), (p, t), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pp, tc_deletearray_nothrow, (void *p, const void *t), (p, t), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, tc_delete_aligned, (void *p, size_t a), (p, a), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pz, tc_deletearray_aligned, (void *p, size_t a), (p, a), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pzz, tc_delete_sized_aligned, (void *p, size_t n, size_t a), (p, n, a), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pzz, tc_deletearray_sized_aligned, (void *p, size_t n, size_t a), (p, n, a), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pzp, tc_delete_aligned_nothrow, (void *p, size_t a, const void *t), (p, a, t), PPROF__THROW)
PPROF__FREE_LIKE(pprof__fv_pzp, tc_deletearray_aligned_nothrow, (void *p, size_t a, const void *t), (p, a, t), PPROF__THROW)
PPROF__SIZE_LIKE(pprof__fz_p, MallocExtension_GetAllocatedSize, (const void *p), ((void *)(uintptr_t)p), PPROF__THROW)
PPROF__SIZE_LIKE(pprof__fz_p, tc_malloc_size, (void *p), (p), PPROF__THROW)
#ifdef __cplusplus
} /* extern "C" */
#endif
/* mi_realloc and tc_realloc: realloc's meaning, so realloc's sampling */
#define PPROF__REALLOC_LIKE(name, throws) \
    PPROF__WRAP void *name(void *p, size_t n) throws { return pprof__heap_realloc(p, n, PPROF__FPW); }
/* mimalloc's other reallocs: a sampled block moves to a new one from the same function
   called with NULL (so with its heap, alignment and zeroing), then is freed (reallocf's
   kind frees it on failure too); any other block goes on to it. (mi_heap_t is mimalloc's
   name for struct mi_heap_s: the declarations agree with mimalloc.h's.) */
struct mi_heap_s;
#define PPROF__MOVE_LIKE(name, params, args, nullargs, nsize, free_on_fail) \
    PPROF__WRAP void *name params PPROF__THROW { \
        typedef void *(*fn_t) params; \
        static void *next_; \
        int boot; \
        pprof__hhdr *h = pprof__heap_own(p, &boot); \
        void *f = pprof__next_fn(&next_, #name), *q; \
        size_t n_; \
        fn_t fn; \
        if (!f) { errno = ENOMEM; return NULL; } \
        memcpy(&fn, &f, sizeof fn); \
        if (!h && !boot) return fn args; \
        if (!(nsize)) n_ = SIZE_MAX; \
        q = n_ == SIZE_MAX ? NULL : fn nullargs; \
        if (!q && (free_on_fail) && h) pprof__heap_release(p, h); \
        return q ? pprof__heap_move(p, h, boot, q, n_) : NULL; \
    }
#define PPROF__MUL(c, z) !__builtin_mul_overflow(c, z, &n_)
#define PPROF__SET(x) (n_ = (x), 1)
/* mi_expand: in place or not at all (never a sampled block beyond its size) */
#define PPROF__EXPAND_LIKE(name) \
    PPROF__WRAP void *name(void *p, size_t n) PPROF__THROW { \
        static void *next_; \
        int boot; \
        pprof__hhdr *h = pprof__heap_own(p, &boot); \
        void *f = pprof__next_fn(&next_, #name); \
        pprof__fp_pz fn; \
        if (h) return n <= h->size ? p : NULL; \
        if (boot || !f) return NULL; \
        memcpy(&fn, &f, sizeof fn); \
        return fn(p, n); \
    }
/* reallocarr (NetBSD's, mimalloc's): the block through *pp, 0 or an errno */
#define PPROF__REALLOCARR_LIKE(name) \
    PPROF__WRAP int name(void *pp, size_t count, size_t size) PPROF__THROW { \
        typedef int (*fn_t)(void *, size_t, size_t); \
        static void *next_; \
        int boot; \
        void *p, *q, *f = pprof__next_fn(&next_, #name); \
        pprof__hhdr *h; \
        size_t n; \
        fn_t fn; \
        memcpy(&p, pp, sizeof p); \
        h = pprof__heap_own(p, &boot); \
        if (f && !h && !boot) { memcpy(&fn, &f, sizeof fn); return fn(pp, count, size); } \
        if (__builtin_mul_overflow(count, size, &n)) return EOVERFLOW; \
        q = pprof__heap_realloc(p, n, PPROF__FPW); \
        if (!q && n) return ENOMEM; \
        memcpy(pp, &q, sizeof q); \
        return 0; \
    }
#ifdef __cplusplus
extern "C" {
#endif
PPROF__REALLOC_LIKE(mi_realloc, PPROF__THROW)
PPROF__REALLOC_LIKE(tc_realloc, PPROF__THROW)
PPROF__MOVE_LIKE(reallocf, (void *p, size_t n), (p, n), (NULL, n), PPROF__SET(n), 1)
PPROF__MOVE_LIKE(mi_reallocf, (void *p, size_t n), (p, n), (NULL, n), PPROF__SET(n), 1)
PPROF__MOVE_LIKE(mi_reallocn, (void *p, size_t c, size_t z), (p, c, z), (NULL, c, z), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_reallocarray, (void *p, size_t c, size_t z), (p, c, z), (NULL, c, z), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_rezalloc, (void *p, size_t n), (p, n), (NULL, n), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_recalloc, (void *p, size_t c, size_t z), (p, c, z), (NULL, c, z), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_realloc_aligned, (void *p, size_t n, size_t a), (p, n, a), (NULL, n, a), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_realloc_aligned_at, (void *p, size_t n, size_t a, size_t o), (p, n, a, o),
                 (NULL, n, a, o), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_rezalloc_aligned, (void *p, size_t n, size_t a), (p, n, a), (NULL, n, a), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_rezalloc_aligned_at, (void *p, size_t n, size_t a, size_t o), (p, n, a, o),
                 (NULL, n, a, o), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_recalloc_aligned, (void *p, size_t c, size_t z, size_t a), (p, c, z, a),
                 (NULL, c, z, a), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_recalloc_aligned_at, (void *p, size_t c, size_t z, size_t a, size_t o),
                 (p, c, z, a, o), (NULL, c, z, a, o), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_aligned_recalloc, (void *p, size_t c, size_t z, size_t a), (p, c, z, a),
                 (NULL, c, z, a), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_aligned_offset_recalloc, (void *p, size_t c, size_t z, size_t a, size_t o),
                 (p, c, z, a, o), (NULL, c, z, a, o), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_heap_realloc, (struct mi_heap_s *heap, void *p, size_t n), (heap, p, n), (heap, NULL, n),
                 PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_heap_reallocf, (struct mi_heap_s *heap, void *p, size_t n), (heap, p, n), (heap, NULL, n),
                 PPROF__SET(n), 1)
PPROF__MOVE_LIKE(mi_heap_reallocn, (struct mi_heap_s *heap, void *p, size_t c, size_t z), (heap, p, c, z),
                 (heap, NULL, c, z), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_heap_rezalloc, (struct mi_heap_s *heap, void *p, size_t n), (heap, p, n), (heap, NULL, n),
                 PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_heap_recalloc, (struct mi_heap_s *heap, void *p, size_t c, size_t z), (heap, p, c, z),
                 (heap, NULL, c, z), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_heap_realloc_aligned, (struct mi_heap_s *heap, void *p, size_t n, size_t a), (heap, p, n, a),
                 (heap, NULL, n, a), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_heap_realloc_aligned_at, (struct mi_heap_s *heap, void *p, size_t n, size_t a, size_t o),
                 (heap, p, n, a, o), (heap, NULL, n, a, o), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_heap_rezalloc_aligned, (struct mi_heap_s *heap, void *p, size_t n, size_t a), (heap, p, n, a),
                 (heap, NULL, n, a), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_heap_rezalloc_aligned_at, (struct mi_heap_s *heap, void *p, size_t n, size_t a, size_t o),
                 (heap, p, n, a, o), (heap, NULL, n, a, o), PPROF__SET(n), 0)
PPROF__MOVE_LIKE(mi_heap_recalloc_aligned, (struct mi_heap_s *heap, void *p, size_t c, size_t z, size_t a),
                 (heap, p, c, z, a), (heap, NULL, c, z, a), PPROF__MUL(c, z), 0)
PPROF__MOVE_LIKE(mi_heap_recalloc_aligned_at, (struct mi_heap_s *heap, void *p, size_t c, size_t z, size_t a, size_t o),
                 (heap, p, c, z, a, o), (heap, NULL, c, z, a, o), PPROF__MUL(c, z), 0)
PPROF__EXPAND_LIKE(mi_expand)
PPROF__EXPAND_LIKE(mi__expand)
PPROF__REALLOCARR_LIKE(reallocarr)
PPROF__REALLOCARR_LIKE(mi_reallocarr)
#ifdef __cplusplus
} /* extern "C" */
#endif
#undef PPROF__MOVE_LIKE
#undef PPROF__MUL
#undef PPROF__SET
#undef PPROF__EXPAND_LIKE
#undef PPROF__REALLOCARR_LIKE
#undef PPROF__FREE_LIKE
#undef PPROF__SIZE_LIKE
#undef PPROF__REALLOC_LIKE
#endif /* PPROF__INTERPOSE */

#if PPROF__INTERPOSE && !defined(__cplusplus) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
/* A C implementation file in a C++ program: operator new under its mangled names, for the
   same reason as in C++ below. A failed allocation goes on to the C++ runtime's own new
   (found with dlsym, in libc since glibc 2.34), which runs the new_handler loop and throws
   std::bad_alloc or returns NULL; the exception unwinds through this frame (.eh_frame). */
#include <dlfcn.h>
PPROF__FN void *pprof__cnew(size_t n, size_t align, uintptr_t fpw) {
    if (!pprof__proc_ours())
        return align > 16 ? pprof__proc.memalign_(align, n) : pprof__proc.malloc_(n ? n : 1);
    if (align > 16) return pprof__heap_memalign(align, n, fpw);
    return pprof__heap_quick(n) ? PPROF__A_MALLOC(n) : pprof__heap_alloc(n, 0, fpw);
}
typedef void *(*pprof__new1)(size_t);
typedef void *(*pprof__new2)(size_t, size_t); /* the second: align_val_t, or &std::nothrow */
PPROF__FN pprof__new1 pprof__cnew_next1(const char *sym) {
    void *v = dlsym((void *)-1l /* RTLD_NEXT */, sym);
    pprof__new1 f;
    if (!v) abort(); /* operator new called, no C++ runtime loaded: cannot happen */
    memcpy(&f, &v, sizeof f);
    return f;
}
PPROF__FN pprof__new2 pprof__cnew_next2(const char *sym) {
    void *v = dlsym((void *)-1l, sym);
    pprof__new2 f;
    if (!v) abort();
    memcpy(&f, &v, sizeof f);
    return f;
}
#define PPROF__CNEW(fn, sym, call_next, align) \
    PPROF__WRAP void *fn __asm__(sym); \
    PPROF__WRAP void *fn { \
        void *p = pprof__cnew(n, align, PPROF__FPW); \
        return p ? p : call_next; \
    }
PPROF__CNEW(pprof__cnew_w(size_t n), "_Znwm", pprof__cnew_next1("_Znwm")(n), 0)
PPROF__CNEW(pprof__cnew_a(size_t n), "_Znam", pprof__cnew_next1("_Znam")(n), 0)
PPROF__CNEW(pprof__cnew_wn(size_t n, const void *t), "_ZnwmRKSt9nothrow_t",
            pprof__cnew_next2("_ZnwmRKSt9nothrow_t")(n, (size_t)(uintptr_t)t), 0)
PPROF__CNEW(pprof__cnew_an(size_t n, const void *t), "_ZnamRKSt9nothrow_t",
            pprof__cnew_next2("_ZnamRKSt9nothrow_t")(n, (size_t)(uintptr_t)t), 0)
PPROF__CNEW(pprof__cnew_wa(size_t n, size_t al), "_ZnwmSt11align_val_t",
            pprof__cnew_next2("_ZnwmSt11align_val_t")(n, al), al)
PPROF__CNEW(pprof__cnew_aa(size_t n, size_t al), "_ZnamSt11align_val_t",
            pprof__cnew_next2("_ZnamSt11align_val_t")(n, al), al)
#undef PPROF__CNEW
/* operator delete in every form, so that no other allocator's delete (jemalloc's,
   tcmalloc's) meets a block of this new */
#define PPROF__CDEL(fn, sym, args) \
    PPROF__WRAP void fn args __asm__(sym); \
    PPROF__WRAP void fn args { pprof__proc_free(p); }
PPROF__CDEL(pprof__cdel_w, "_ZdlPv", (void *p))
PPROF__CDEL(pprof__cdel_a, "_ZdaPv", (void *p))
PPROF__CDEL(pprof__cdel_ws, "_ZdlPvm", (void *p, size_t n __attribute__((unused))))
PPROF__CDEL(pprof__cdel_as, "_ZdaPvm", (void *p, size_t n __attribute__((unused))))
PPROF__CDEL(pprof__cdel_wn, "_ZdlPvRKSt9nothrow_t", (void *p, const void *t __attribute__((unused))))
PPROF__CDEL(pprof__cdel_an, "_ZdaPvRKSt9nothrow_t", (void *p, const void *t __attribute__((unused))))
PPROF__CDEL(pprof__cdel_wa, "_ZdlPvSt11align_val_t", (void *p, size_t al __attribute__((unused))))
PPROF__CDEL(pprof__cdel_aa, "_ZdaPvSt11align_val_t", (void *p, size_t al __attribute__((unused))))
PPROF__CDEL(pprof__cdel_wsa, "_ZdlPvmSt11align_val_t", (void *p, size_t n __attribute__((unused)), size_t al __attribute__((unused))))
PPROF__CDEL(pprof__cdel_asa, "_ZdaPvmSt11align_val_t", (void *p, size_t n __attribute__((unused)), size_t al __attribute__((unused))))
PPROF__CDEL(pprof__cdel_wan, "_ZdlPvSt11align_val_tRKSt9nothrow_t", (void *p, size_t al __attribute__((unused)), const void *t __attribute__((unused))))
PPROF__CDEL(pprof__cdel_aan, "_ZdaPvSt11align_val_tRKSt9nothrow_t", (void *p, size_t al __attribute__((unused)), const void *t __attribute__((unused))))
#undef PPROF__CDEL
#endif
#if PPROF__INTERPOSE && defined(__cplusplus) && __cplusplus >= 201103L
/* The C++ runtime's operator new saves no frame pointer: wrapping only its malloc would
   lose the caller of new. So new is wrapped too (delete reaches free by itself). */
#include <new>
PPROF__FN void *pprof__heap_new(std::size_t n, std::size_t align, bool nothrow, uintptr_t fpw) {
    for (;;) {
        void *p = !pprof__proc_ours()
                      ? (align > 16 ? pprof__proc.memalign_(align, n) : pprof__proc.malloc_(n ? n : 1))
                  : align > 16 ? pprof__heap_memalign(align, n, fpw)
                  : pprof__heap_quick(n) ? PPROF__A_MALLOC(n) : pprof__heap_alloc(n, 0, fpw);
        std::new_handler h;
        if (p) return p;
        h = std::get_new_handler();
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
        if (!h) {
            if (nothrow) return NULL;
            throw std::bad_alloc();
        }
        if (nothrow) {
            try { h(); } catch (...) { return NULL; }
        } else {
            h();
        }
#else
        if (!h) {
            if (nothrow) return NULL;
            abort();
        }
        h();
#endif
    }
}
PPROF__WRAP void *operator new(std::size_t n) { return pprof__heap_new(n, 0, false, PPROF__FPW); }
PPROF__WRAP void *operator new[](std::size_t n) { return pprof__heap_new(n, 0, false, PPROF__FPW); }
PPROF__WRAP void *operator new(std::size_t n, const std::nothrow_t &) PPROF__THROW {
    return pprof__heap_new(n, 0, true, PPROF__FPW);
}
PPROF__WRAP void *operator new[](std::size_t n, const std::nothrow_t &) PPROF__THROW {
    return pprof__heap_new(n, 0, true, PPROF__FPW);
}
#if defined(__cpp_aligned_new)
PPROF__WRAP void *operator new(std::size_t n, std::align_val_t a) {
    return pprof__heap_new(n, (std::size_t)a, false, PPROF__FPW);
}
PPROF__WRAP void *operator new[](std::size_t n, std::align_val_t a) {
    return pprof__heap_new(n, (std::size_t)a, false, PPROF__FPW);
}
PPROF__WRAP void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) PPROF__THROW {
    return pprof__heap_new(n, (std::size_t)a, true, PPROF__FPW);
}
PPROF__WRAP void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) PPROF__THROW {
    return pprof__heap_new(n, (std::size_t)a, true, PPROF__FPW);
}
#endif
/* operator delete in every form, so that no other allocator's delete (jemalloc's,
   tcmalloc's) meets a block of this new */
PPROF__WRAP void operator delete(void *p) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete[](void *p) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete(void *p, const std::nothrow_t &) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete[](void *p, const std::nothrow_t &) PPROF__THROW { pprof__proc_free(p); }
#if defined(__cpp_sized_deallocation)
PPROF__WRAP void operator delete(void *p, std::size_t) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete[](void *p, std::size_t) PPROF__THROW { pprof__proc_free(p); }
#endif
#if defined(__cpp_aligned_new)
PPROF__WRAP void operator delete(void *p, std::align_val_t) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete[](void *p, std::align_val_t) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete(void *p, std::size_t, std::align_val_t) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete[](void *p, std::size_t, std::align_val_t) PPROF__THROW { pprof__proc_free(p); }
PPROF__WRAP void operator delete(void *p, std::align_val_t, const std::nothrow_t &) PPROF__THROW {
    pprof__proc_free(p);
}
PPROF__WRAP void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) PPROF__THROW {
    pprof__proc_free(p);
}
#endif
#endif

#if PPROF__HEAP
/* The profile.proto of records v[0, n) of a kind with a record table (heap, allocs, block,
   mutex, threadcreate): a sample per record with something to show. Heap values are the
   estimates with the `bytes` label, at the sampling rate as the period; the others' are
   (count, total). */
PPROF__FN void pprof__rec_encode(pprof__buf *pb, const pprof__kind *kind, const pprof__hval *v,
                                 size_t n, int64_t duration) {
    int heap = kind->src == PPROF__SRC_HEAP;
    size_t i, k = 0;
    pprof__smp *smp = (pprof__smp *)PPROF_MALLOC((n + 1) * sizeof *smp);
    pprof__spec sp;
    char c[512], c2[160];
    if (!smp) { pb->oom = 1; return; }
    for (i = 0; i < n; i++) {
        pprof__smp *s = &smp[k];
        if (pprof__rec_empty(&v[i], heap)) continue;
        memset(s, 0, sizeof *s);
        s->pc = v[i].r->pc;
        s->n = v[i].r->n;
        s->lset = v[i].r->lset;
        if (heap) {
            s->v[0] = (int64_t)(v[i].wao / 256); /* each sample's own weight (Go truncates) */
            s->v[1] = (int64_t)v[i].wab;
            s->v[2] = (int64_t)(v[i].wio / 256);
            s->v[3] = (int64_t)v[i].wib;
            s->label = (int64_t)v[i].avg;
        } else {
            s->v[0] = (int64_t)v[i].ao;
            s->v[1] = (int64_t)v[i].ab;
        }
        k++;
    }
    pprof__kind_spec(&sp, kind, duration);
    pprof__unw_comment(c, sizeof c, pprof__unw.ends, pprof__unw.by);
    sp.comment[0] = c;
    if (heap) {
        uint64_t lost = __atomic_load_n(&pprof__heap_paged_lost, __ATOMIC_RELAXED);
        sp.period = (int64_t)__atomic_load_n(&pprof__heap_rate, __ATOMIC_RELAXED);
        sp.label_key = "bytes";
#if PPROF__INTERPOSE
        if (!pprof__proc_ours()) /* the process's malloc */
            sp.comment[1] = "heap sampling off: the process's malloc is not pprof.h's "
                            "(another allocator is preloaded before it: put libpprof.so "
                            "first in LD_PRELOAD)";
#endif
        if (lost) {
            snprintf(c2, sizeof c2, "%llu allocations aligned to 4096 or more not sampled: %d "
                     "such sampled blocks live at once at most", (unsigned long long)lost,
                     PPROF__HEAP_PAGED);
            sp.comment[2] = c2;
        }
    }
    pprof__enc(pb, &sp, smp, k);
    PPROF_FREE(smp);
}
#endif


// =========================================================================================
// >>sync: block, mutex and threadcreate events from the pthread functions (PPROF_WRAP_PTHREAD
// interposes them, as PPROF_WRAP_MALLOC does malloc). block: how long a thread waited, at the
// waiter's stack, sampled as Go's SetBlockProfileRate. mutex: the delay a lock holder caused
// its waiters, charged when it unlocks, at its stack, 1 in `fraction` as Go's
// SetMutexProfileFraction. Waiters of a contended lock register in a small table keyed by the
// lock's address; an unlock charges the time they have waited since the last unlock.
// Then the pthread wrappers (PPROF_WRAP_PTHREAD). The profiles: >>heap's pprof__rec_encode.
// =========================================================================================
#if PPROF__HEAP
static long pprof__block_rate;      /* atomic: ns; 0 off */
static int pprof__mutex_fraction;   /* atomic: 1 in n; 0 off */

/* Adds (count, ns) to the record of the stack above fpw in T, inside the profiler. */
PPROF__FN void pprof__sync_record(pprof__rtab *T, uint64_t count, uint64_t ns, uintptr_t fpw) {
    pprof__htls *t = &pprof__heap_t;
    uintptr_t pcs[PPROF_MAX_FRAMES];
    pprof__hrec *r;
    int depth, saved = errno;
    PPROF__INSIDE_ENTER();
    depth = pprof__heap_stack(t, fpw, pcs);
    r = pprof__rec(T, pcs, (uint32_t)depth);
    __atomic_add_fetch(&r->allocs, count, __ATOMIC_RELAXED);
    __atomic_add_fetch(&r->alloc_bytes, ns, __ATOMIC_RELAXED);
    PPROF__INSIDE_LEAVE();
    errno = saved;
}

/* A wait of d ns at the stack above fpw, as Go's block profile: at least the rate always
   (1, d); shorter with probability d/rate as (rate/d, rate), rounded without bias. */
PPROF__FN void pprof__block_event(int64_t d, uintptr_t fpw) {
    long rate = __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED);
    pprof__htls *t = &pprof__heap_t;
    if (rate <= 0 || d < 0) return;
    if (d >= rate) { pprof__sync_record(&pprof__block, 1, (uint64_t)d, fpw); return; }
    if (d == 0) d = 1;
    if (pprof__sync_rand(t) * (double)rate < (double)d) {
        double c = (double)rate / (double)d;
        uint64_t whole = (uint64_t)c;
        if (pprof__sync_rand(t) < c - (double)whole) whole++;
        pprof__sync_record(&pprof__block, whole, (uint64_t)rate, fpw);
    }
}

/* Waiters of contended locks, by lock address (a collision leaves a waiter untracked). */
typedef struct pprof__wslot {
    int spin;
    uint32_t nwait;
    uintptr_t lock;
    int64_t sum_start;       /* sum of the waiters' start times (or of the last charge) */
    int64_t last_charge;
} pprof__wslot;
#define PPROF__WSLOTS 4096
static pprof__wslot pprof__wslots[PPROF__WSLOTS];

PPROF__FN pprof__wslot *pprof__wslot_of(const void *lock) {
    pprof__wslot *s = &pprof__wslots[pprof__hash_top((uintptr_t)lock, 12)];
    while (__atomic_exchange_n(&s->spin, 1, __ATOMIC_ACQUIRE)) {}
    return s;
}
PPROF__FN void pprof__wslot_done(pprof__wslot *s) { __atomic_store_n(&s->spin, 0, __ATOMIC_RELEASE); }

/* fork, in the child: its waiters are not the parent's, and no slot is held there. */
PPROF__FN void pprof__sync_fork_child(void) { memset(pprof__wslots, 0, sizeof pprof__wslots); }

/* A thread starts waiting for lock at t0: registered for the unlocker to charge. */
PPROF__FN pprof__wslot *pprof__wait_begin(const void *lock, int64_t t0) {
    pprof__wslot *s;
    if (__atomic_load_n(&pprof__mutex_fraction, __ATOMIC_RELAXED) <= 0) return NULL;
    s = pprof__wslot_of(lock);
    if (s->nwait && s->lock != (uintptr_t)lock) { pprof__wslot_done(s); return NULL; }
    if (!s->nwait) { s->lock = (uintptr_t)lock; s->sum_start = 0; s->last_charge = 0; }
    __atomic_store_n(&s->nwait, s->nwait + 1, __ATOMIC_RELAXED);
    s->sum_start += t0;
    pprof__wslot_done(s);
    return s;
}
PPROF__FN void pprof__wait_end(pprof__wslot *reg, const void *lock, int64_t t0) {
    pprof__wslot *s;
    if (!reg) return;
    s = pprof__wslot_of(lock);
    if (s == reg && s->lock == (uintptr_t)lock && s->nwait) {
        __atomic_store_n(&s->nwait, s->nwait - 1, __ATOMIC_RELAXED);
        s->sum_start -= t0 > s->last_charge ? t0 : s->last_charge;
    }
    pprof__wslot_done(s);
}
/* Does an unlock of lock have waiters to charge (mutex profile on, someone registered)? */
static inline __attribute__((always_inline)) int pprof__unlock_watched(const void *lock) {
    return __atomic_load_n(&pprof__mutex_fraction, __ATOMIC_RELAXED) > 0 &&
           __atomic_load_n(&pprof__wslots[pprof__hash_top((uintptr_t)lock, 12)].nwait, __ATOMIC_RELAXED) &&
           !PPROF__INSIDE();
}

/* The unlocker of lock: charged with what its waiters waited since the last charge
   (returned; record it with pprof__unlock_record once the lock is released). */
PPROF__FN int64_t pprof__unlock_charge(const void *lock) {
    int n = __atomic_load_n(&pprof__mutex_fraction, __ATOMIC_RELAXED);
    pprof__wslot *s;
    int64_t charge = 0;
    if (n <= 0) return 0;
    s = pprof__wslot_of(lock);
    if (s->nwait && s->lock == (uintptr_t)lock) {
        int64_t now = pprof__os_mono_ns();
        charge = (int64_t)s->nwait * now - s->sum_start;
        s->sum_start = (int64_t)s->nwait * now;
        s->last_charge = now;
    }
    pprof__wslot_done(s);
    return charge;
}
PPROF__FN void pprof__unlock_record(int64_t charge, uintptr_t fpw) {
    int n = __atomic_load_n(&pprof__mutex_fraction, __ATOMIC_RELAXED);
    if (charge > 0 && n > 0 && (n == 1 || pprof__sync_rand(&pprof__heap_t) * n < 1))
        pprof__sync_record(&pprof__mutex, (uint64_t)n, (uint64_t)n * (uint64_t)charge, fpw);
}

/* pprof_set_mutex_fraction's and pprof_set_block_rate's work (n, ns >= 0). */
PPROF__FN int pprof__sync_set_fraction(int n) {
    __atomic_store_n(&pprof__mutex_fraction, n, __ATOMIC_RELAXED);
    return PPROF_OK;
}
PPROF__FN int pprof__sync_set_block_rate(long ns) {
    __atomic_store_n(&pprof__block_rate, ns, __ATOMIC_RELAXED);
    return PPROF_OK;
}
#endif /* PPROF__HEAP */

#if PPROF__WRAPSYNC
/* The real functions, from the next object that defines them (libc). */
#include <dlfcn.h>
#include <semaphore.h>
typedef int (*pprof__fn_m)(pthread_mutex_t *);
typedef int (*pprof__fn_mt)(pthread_mutex_t *, const struct timespec *);
typedef int (*pprof__fn_rw)(pthread_rwlock_t *);
typedef int (*pprof__fn_rwt)(pthread_rwlock_t *, const struct timespec *);
typedef int (*pprof__fn_cw)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*pprof__fn_ctw)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*pprof__fn_s)(sem_t *);
typedef int (*pprof__fn_st)(sem_t *, const struct timespec *);
typedef int (*pprof__fn_j)(pthread_t, void **);
typedef int (*pprof__fn_c)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static struct pprof__real {
    pprof__fn_m mutex_lock, mutex_trylock, mutex_unlock;
    pprof__fn_mt mutex_timedlock;
    pprof__fn_rw rd, wr, tryrd, trywr, rwunlock;
    pprof__fn_rwt timedrd, timedwr;
    pprof__fn_cw cond_wait;
    pprof__fn_ctw cond_timedwait;
    pprof__fn_s sem_wait, sem_trywait;
    pprof__fn_st sem_timedwait;
    pprof__fn_j join;
    pprof__fn_c create;
    int ready;
} pprof__real;

PPROF__FN void pprof__real_one(void *slot, const char *name) {
    void *f = dlsym((void *)-1l /* RTLD_NEXT */, name);
    if (!f) abort(); /* libc always has these */
    memcpy(slot, &f, sizeof f);
}
/* Resolves them all (at load time; again, harmlessly, if a lock comes first). */
__attribute__((constructor(101))) static void pprof__real_init(void) {
    struct pprof__real r;
    if (__atomic_load_n(&pprof__real.ready, __ATOMIC_ACQUIRE)) return;
    pprof__real_one(&r.mutex_lock, "pthread_mutex_lock");
    pprof__real_one(&r.mutex_trylock, "pthread_mutex_trylock");
    pprof__real_one(&r.mutex_unlock, "pthread_mutex_unlock");
    pprof__real_one(&r.mutex_timedlock, "pthread_mutex_timedlock");
    pprof__real_one(&r.rd, "pthread_rwlock_rdlock");
    pprof__real_one(&r.wr, "pthread_rwlock_wrlock");
    pprof__real_one(&r.tryrd, "pthread_rwlock_tryrdlock");
    pprof__real_one(&r.trywr, "pthread_rwlock_trywrlock");
    pprof__real_one(&r.rwunlock, "pthread_rwlock_unlock");
    pprof__real_one(&r.timedrd, "pthread_rwlock_timedrdlock");
    pprof__real_one(&r.timedwr, "pthread_rwlock_timedwrlock");
    pprof__real_one(&r.cond_wait, "pthread_cond_wait");
    pprof__real_one(&r.cond_timedwait, "pthread_cond_timedwait");
    pprof__real_one(&r.sem_wait, "sem_wait");
    pprof__real_one(&r.sem_trywait, "sem_trywait");
    pprof__real_one(&r.sem_timedwait, "sem_timedwait");
    pprof__real_one(&r.join, "pthread_join");
    pprof__real_one(&r.create, "pthread_create");
    r.ready = 1;
    pprof__real = r; /* every field the same in every thread that gets here */
}
/* The real functions, resolved first if a lock comes before the constructor ran. */
static inline __attribute__((always_inline)) const struct pprof__real *pprof__real_fns(void) {
    if (PPROF__UNLIKELY(!__atomic_load_n(&pprof__real.ready, __ATOMIC_ACQUIRE))) pprof__real_init();
    return &pprof__real;
}
/* Nothing to record: both profiles off, or the profiler itself is working. */
#define PPROF__SYNC_OFF() \
    ((__atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) | \
      __atomic_load_n(&pprof__mutex_fraction, __ATOMIC_RELAXED)) == 0 || \
     PPROF__INSIDE())

/* A blocking call being timed, by the wrapper that makes it. A contended acquisition tries
   first (no wait, no record), then times the blocking call from pprof__wtimer_start, which
   registers it as a waiter of the lock (mutex profile); a wait that always blocks (a
   condition, a semaphore, a join: lock NULL) is only timed. */
typedef struct pprof__wtimer { const void *lock; pprof__wslot *w; int64_t t0; } pprof__wtimer;
PPROF__FN void pprof__wtimer_start(pprof__wtimer *tm, const void *lock) {
    tm->lock = lock;
    tm->t0 = pprof__os_mono_ns();
    tm->w = lock ? pprof__wait_begin(lock, tm->t0) : NULL;
}
/* The wait is over: recorded (block profile) at the stack above fpw, the wrapper's own
   frame (PPROF__FPW). Returns rc, the blocking call's result. */
PPROF__FN int pprof__wtimer_stop(const pprof__wtimer *tm, int rc, uintptr_t fpw) {
    pprof__wait_end(tm->w, tm->lock, tm->t0);
    pprof__block_event(pprof__os_mono_ns() - tm->t0, fpw);
    return rc;
}

#ifdef __cplusplus
extern "C" {
#endif
PPROF__WRAP int pthread_mutex_lock(pthread_mutex_t *m) PPROF__THROW {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    /* a free lock word (glibc's layout, read racily): no contention to time, lock at once */
    if (PPROF__LIKELY(__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0))
        return f->mutex_lock(m);
    if (PPROF__SYNC_OFF()) return f->mutex_lock(m);
    if ((rc = f->mutex_trylock(m)) != EBUSY) return rc;
    pprof__wtimer_start(&tm, m);
    rc = f->mutex_lock(m);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts) PPROF__THROW {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF()) return f->mutex_timedlock(m, ts);
    if ((rc = f->mutex_trylock(m)) != EBUSY) return rc;
    pprof__wtimer_start(&tm, m);
    rc = f->mutex_timedlock(m, ts);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_mutex_trylock(pthread_mutex_t *m) PPROF__THROW {
    return pprof__real_fns()->mutex_trylock(m);
}
PPROF__WRAP int pthread_mutex_unlock(pthread_mutex_t *m) PPROF__THROW {
    if (PPROF__UNLIKELY(pprof__unlock_watched(m))) { /* record once unlocked */
        int64_t charge = pprof__unlock_charge(m);
        int rc = pprof__real_fns()->mutex_unlock(m);
        pprof__unlock_record(charge, PPROF__FPW);
        return rc;
    }
    return pprof__real_fns()->mutex_unlock(m);
}
PPROF__WRAP int pthread_rwlock_rdlock(pthread_rwlock_t *l) PPROF__THROW {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF()) return f->rd(l);
    if ((rc = f->tryrd(l)) != EBUSY) return rc;
    pprof__wtimer_start(&tm, l);
    rc = f->rd(l);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_rwlock_wrlock(pthread_rwlock_t *l) PPROF__THROW {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF()) return f->wr(l);
    if ((rc = f->trywr(l)) != EBUSY) return rc;
    pprof__wtimer_start(&tm, l);
    rc = f->wr(l);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts) PPROF__THROW {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF()) return f->timedrd(l, ts);
    if ((rc = f->tryrd(l)) != EBUSY) return rc;
    pprof__wtimer_start(&tm, l);
    rc = f->timedrd(l, ts);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts) PPROF__THROW {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF()) return f->timedwr(l, ts);
    if ((rc = f->trywr(l)) != EBUSY) return rc;
    pprof__wtimer_start(&tm, l);
    rc = f->timedwr(l, ts);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_rwlock_unlock(pthread_rwlock_t *l) PPROF__THROW {
    if (PPROF__UNLIKELY(pprof__unlock_watched(l))) { /* record once unlocked */
        int64_t charge = pprof__unlock_charge(l);
        int rc = pprof__real_fns()->rwunlock(l);
        pprof__unlock_record(charge, PPROF__FPW);
        return rc;
    }
    return pprof__real_fns()->rwunlock(l);
}
/* The waits that always block: timed when the block profile is on. */
PPROF__WRAP int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->cond_wait(c, m);
    pprof__wtimer_start(&tm, NULL);
    rc = f->cond_wait(c, m);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                       const struct timespec *ts) {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->cond_timedwait(c, m, ts);
    pprof__wtimer_start(&tm, NULL);
    rc = f->cond_timedwait(c, m, ts);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int sem_wait(sem_t *s) {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int e = errno, rc;
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->sem_wait(s);
    pthread_testcancel(); /* as glibc's, before anything */
    if (f->sem_trywait(s) == 0) return 0;
    errno = e; /* the try's EAGAIN is not the caller's business */
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->sem_wait(s); /* (turned off meanwhile) */
    pprof__wtimer_start(&tm, NULL);
    rc = f->sem_wait(s);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int sem_timedwait(sem_t *s, const struct timespec *ts) {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int e = errno, rc;
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->sem_timedwait(s, ts);
    pthread_testcancel(); /* as glibc's, before anything */
    if (ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000 && f->sem_trywait(s) == 0)
        return 0;
    errno = e;
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->sem_timedwait(s, ts); /* (turned off meanwhile) */
    pprof__wtimer_start(&tm, NULL);
    rc = f->sem_timedwait(s, ts);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
PPROF__WRAP int pthread_join(pthread_t th, void **ret) {
    const struct pprof__real *f = pprof__real_fns();
    pprof__wtimer tm;
    int rc;
    if (PPROF__SYNC_OFF() || __atomic_load_n(&pprof__block_rate, __ATOMIC_RELAXED) == 0)
        return f->join(th, ret);
    pprof__wtimer_start(&tm, NULL);
    rc = f->join(th, ret);
    return pprof__wtimer_stop(&tm, rc, PPROF__FPW);
}
/* Every thread created is counted at its creator's stack (threadcreate), always. */
PPROF__WRAP int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                               void *arg) PPROF__THROW {
    int rc = pprof__real_fns()->create(th, attr, fn, arg);
    if (rc == 0 && !PPROF__INSIDE())
        pprof__sync_record(&pprof__tcreate, 1, 0, PPROF__FPW);
    return rc;
}
#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* PPROF__WRAPSYNC */
// =========================================================================================
// >>sigwrap: the program's own signal calls on the profiling signal (PPROF_WRAP_SIGNAL,
// libpprof.so): they change its view (>>handler), never the real handler.
// =========================================================================================

#if PPROF__WRAPSIG
/* PPROF_WRAP_SIGNAL: the program's sigaction and signal (bsd_signal, sysv_signal) on a
   signal pprof.h handles change the program's view of it (>>handler), never pprof.h's
   handler: a program that resets every signal at start, ignores the profiling signal or
   installs its own handler for it keeps being sampled, and gets exactly the signals it
   would have got without pprof.h. Any other signal goes straight to the C library. */
typedef void (*pprof__sighandler)(int);
PPROF__FN int pprof__sig_wrap(int sig, const struct sigaction *act, struct sigaction *old) {
    pprof__sigview *v = pprof__sig_view(sig);
    struct sigaction prev;
    if (!v) return pprof__os_sigaction(sig, act, old);
    pprof__sig_view_get(v, &prev);
    if (act && v->kind == 1) { /* an exit catcher: the program's handler or SIG_IGN goes
                                  live, SIG_DFL puts the catcher back */
        int dfl = !(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_DFL;
        if (pprof__os_sigaction(sig, dfl ? &v->mine : act, NULL) != 0) return -1;
    }
    if (act) pprof__sig_view_put(v, act);
    if (old) *old = prev;
    return 0;
}

/* Installs h for sig (SIGINT, SIGTERM, SIGHUP: libpprof.so writes its profiles before
   the process ends by them) if the program leaves sig at SIG_DFL, which stays what the
   program sees: a program that asks (CPython installs its KeyboardInterrupt handler only
   over SIG_DFL) finds SIG_DFL, one that installs its own handler replaces h, and h is back
   when it sets SIG_DFL again. 1 if installed. */
PPROF__FN int pprof__sig_catch(int sig, void (*h)(int)) {
    struct sigaction now;
    int i;
    if (pprof__sig_view(sig) || pprof__os_sigaction(sig, NULL, &now) != 0 ||
        (now.sa_flags & SA_SIGINFO) || now.sa_handler != SIG_DFL)
        return 0;
    for (i = 0; i < 5 && __atomic_load_n(&pprof__sigv[i].signo, __ATOMIC_RELAXED); i++) {}
    if (i == 5) return 0;
    memset(&pprof__sigv[i].mine, 0, sizeof pprof__sigv[i].mine);
    pprof__sigv[i].mine.sa_handler = h;
    pprof__sigv[i].mine.sa_flags = SA_RESTART;
    sigemptyset(&pprof__sigv[i].mine.sa_mask);
    pprof__sigv[i].kind = 1;
    pprof__sig_view_put(&pprof__sigv[i], &now);
    if (pprof__os_sigaction(sig, &pprof__sigv[i].mine, NULL) != 0) return 0;
    __atomic_store_n(&pprof__sigv[i].signo, sig, __ATOMIC_RELEASE);
    return 1;
}
PPROF__WRAP int sigaction(int sig, const struct sigaction *act, struct sigaction *old) PPROF__THROW {
    return pprof__sig_wrap(sig, act, old);
}
/* signal() with flags: BSD semantics (glibc's signal and bsd_signal) or System V's. */
PPROF__FN pprof__sighandler pprof__sig_wrap_signal(int sig, pprof__sighandler h, int flags) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (!(flags & SA_NODEFER) && sigaddset(&sa.sa_mask, sig) != 0) return SIG_ERR;
    if (pprof__sig_wrap(sig, &sa, &old) != 0) return SIG_ERR;
    if (old.sa_flags & SA_SIGINFO) {
        pprof__sighandler f;
        memcpy(&f, &old.sa_sigaction, sizeof f);
        return f;
    }
    return old.sa_handler;
}
PPROF__WRAP pprof__sighandler signal(int sig, pprof__sighandler h) PPROF__THROW {
    return pprof__sig_wrap_signal(sig, h, SA_RESTART);
}
PPROF__WRAP pprof__sighandler bsd_signal(int sig, pprof__sighandler h) PPROF__THROW {
    return pprof__sig_wrap_signal(sig, h, SA_RESTART);
}
PPROF__WRAP pprof__sighandler sysv_signal(int sig, pprof__sighandler h) PPROF__THROW {
    return pprof__sig_wrap_signal(sig, h, (int)((unsigned)SA_RESETHAND | (unsigned)SA_NODEFER));
}

/* The program's signal masks and waits never take the profiling signal (the one pprof.h
   handles, once it does): a thread that blocks every signal (worker threads of xz, of most
   servers, which leave signals to one thread) still gets its CPU timer's signals and is
   sampled; a sigwait, sigwaitinfo, sigtimedwait or signalfd on a full set never returns
   it. The timers' signals go to one thread each, never to the process, so no signal the
   program routes changes its way. What is asked for every other signal is done as asked. */
#include <sys/signalfd.h>
PPROF__FN const sigset_t *pprof__sig_strip(const sigset_t *in, sigset_t *buf) {
    if (!in || !pprof__sig_view(PPROF_SIGNAL) || sigismember(in, PPROF_SIGNAL) != 1) return in;
    memcpy(buf, in, sizeof *buf);
    sigdelset(buf, PPROF_SIGNAL);
    return buf;
}
PPROF__FN void *pprof__sig_next(void **slot, const char *name) {
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym((void *)-1l /* RTLD_NEXT */, name);
        if (!f) abort(); /* libc has them all */
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    return f;
}
#define PPROF__SIG_NEXT(type, name) \
    static void *slot_; \
    type next_; \
    void *v_ = pprof__sig_next(&slot_, name); \
    memcpy(&next_, &v_, sizeof next_)
typedef int (*pprof__fn_mask)(int, const sigset_t *, sigset_t *);
PPROF__WRAP int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) PPROF__THROW {
    sigset_t b;
    PPROF__SIG_NEXT(pprof__fn_mask, "pthread_sigmask");
    return next_(how, how == SIG_UNBLOCK ? set : pprof__sig_strip(set, &b), old);
}
PPROF__WRAP int sigprocmask(int how, const sigset_t *set, sigset_t *old) PPROF__THROW {
    sigset_t b;
    PPROF__SIG_NEXT(pprof__fn_mask, "sigprocmask");
    return next_(how, how == SIG_UNBLOCK ? set : pprof__sig_strip(set, &b), old);
}
typedef int (*pprof__fn_sigwait)(const sigset_t *, int *);
PPROF__WRAP int sigwait(const sigset_t *set, int *sig) {
    sigset_t b;
    PPROF__SIG_NEXT(pprof__fn_sigwait, "sigwait");
    return next_(pprof__sig_strip(set, &b), sig);
}
typedef int (*pprof__fn_sigwaitinfo)(const sigset_t *, siginfo_t *);
PPROF__WRAP int sigwaitinfo(const sigset_t *set, siginfo_t *info) {
    sigset_t b;
    PPROF__SIG_NEXT(pprof__fn_sigwaitinfo, "sigwaitinfo");
    return next_(pprof__sig_strip(set, &b), info);
}
typedef int (*pprof__fn_sigtimedwait)(const sigset_t *, siginfo_t *, const struct timespec *);
PPROF__WRAP int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t) {
    sigset_t b;
    PPROF__SIG_NEXT(pprof__fn_sigtimedwait, "sigtimedwait");
    return next_(pprof__sig_strip(set, &b), info, t);
}
typedef int (*pprof__fn_signalfd)(int, const sigset_t *, int);
PPROF__WRAP int signalfd(int fd, const sigset_t *mask, int flags) PPROF__THROW {
    sigset_t b;
    PPROF__SIG_NEXT(pprof__fn_signalfd, "signalfd");
    return next_(fd, pprof__sig_strip(mask, &b), flags);
}
#undef PPROF__SIG_NEXT
#endif /* PPROF__WRAPSIG */
// =========================================================================================
// >>text: Go's legacy text profiles (debug=1): "#" frame lines, heap, block, mutex and
// threadcreate records; what every text writer symbolizes with (>>dump's too).
// =========================================================================================

/* Go's "#" lines for a stack of return addresses: "#\t0x<ret-1>\t<func>+0x<offset>". A
   frame no symbol covers gets no line, as in Go (runtime.CallersFrames skips a PC it
   cannot name); the "@" line above keeps every address. Under sym_mu. */
PPROF__FN void pprof__text_frames(pprof__buf *b, const uintptr_t *pc, uint32_t n,
                                  const pprof__maps *m, const pprof__exe *exe) {
    uint32_t f;
    size_t i;
    char line[600];
    for (f = 0; f < n; f++) {
        uintptr_t a = pc[f] - 1, start = 0;
        const char *name = NULL;
        for (i = 0; i < m->n; i++)
            if (m->e[i].x && m->e[i].lo <= a && a < m->e[i].hi) {
                pprof__obj *o = pprof__sym_obj(&m->e[i], exe);
                if (o) name = pprof__sym_lookup(o, a, &start);
                break;
            }
        if (!name) continue;
        snprintf(line, sizeof line, "#\t0x%llx\t%.500s+0x%llx\n", (unsigned long long)a, name,
                 (unsigned long long)(a - start));
        pprof__buf_put(b, line, strlen(line));
    }
}

/* What a text writer symbolizes with: maps, the executable, and sym_mu, held until
   pprof__text_close. */
PPROF__FN void pprof__text_open(pprof__maps *maps, pprof__exe *exe) {
    if (pprof__maps_read(maps) != 0) memset(maps, 0, sizeof *maps);
    pprof__sym_exe(exe);
    pprof__lock(&pprof__sym_mu);
}
PPROF__FN void pprof__text_close(pprof__maps *maps) {
    pprof__unlock(&pprof__sym_mu);
    pprof__maps_free(maps);
}

/* The head of block's, mutex's and threadcreate's text; total: threadcreate's count. */
PPROF__FN void pprof__text_head(pprof__buf *b, const pprof__kind *kind,
                                unsigned long long total) {
    char line[160];
    int fraction = 0;
#if PPROF__HEAP
    fraction = __atomic_load_n(&pprof__mutex_fraction, __ATOMIC_RELAXED);
#endif
    if (kind->id == PPROF__K_THREADCREATE)
        snprintf(line, sizeof line, "threadcreate profile: total %llu\n", total);
    else if (kind->id == PPROF__K_MUTEX)
        snprintf(line, sizeof line, "--- mutex:\ncycles/second=1000000000\nsampling period=%d\n",
                 fraction);
    else
        snprintf(line, sizeof line, "--- contention:\ncycles/second=1000000000\n");
    pprof__buf_put(b, line, strlen(line));
}

#if PPROF__HEAP
/* One record of Go's legacy text: "<values> @ 0x<ret> ...", its "#" lines, an empty line.
   Under sym_mu. */
PPROF__FN void pprof__text_record(pprof__buf *b, const char *values, const pprof__hrec *r,
                                  const pprof__maps *m, const pprof__exe *exe) {
    char word[32];
    uint32_t f;
    pprof__buf_put(b, values, strlen(values));
    pprof__buf_put(b, " @", 2);
    for (f = 0; f < r->n; f++) {
        snprintf(word, sizeof word, " 0x%llx", (unsigned long long)r->pc[f]);
        pprof__buf_put(b, word, strlen(word));
    }
    pprof__buf_put(b, "\n", 1);
    pprof__text_frames(b, r->pc, r->n, m, exe);
    pprof__buf_put(b, "\n", 1);
}

/* The records v[0, n) of a kind with a record table in Go's text but the empty ones, each
   "<values> @ ..." with its "#" lines. Values: heap's "<in-use objects>: <in-use bytes>
   [<allocated objects>: <allocated bytes>]", threadcreate's "<count>", block's and mutex's
   "<delay> <count>". */
PPROF__FN void pprof__text_records(pprof__buf *b, const pprof__kind *kind, const pprof__hval *v,
                                   size_t n) {
    int heap = kind->src == PPROF__SRC_HEAP;
    char line[160];
    size_t i;
    pprof__maps maps;
    pprof__exe exe;
    pprof__text_open(&maps, &exe);
    for (i = 0; i < n; i++) {
        unsigned long long ao = v[i].ao, ab = v[i].ab;
        if (pprof__rec_empty(&v[i], heap)) continue;
        if (heap)
            snprintf(line, sizeof line, "%llu: %llu [%llu: %llu]", (unsigned long long)v[i].io,
                     (unsigned long long)v[i].ib, ao, ab);
        else if (kind->id == PPROF__K_THREADCREATE)
            snprintf(line, sizeof line, "%llu", ao);
        else
            snprintf(line, sizeof line, "%llu %llu", ab, ao);
        pprof__text_record(b, line, v[i].r, &maps, &exe);
    }
    pprof__text_close(&maps);
}
#endif
#if PPROF__HEAP
PPROF__FN int pprof__heap_inuse_cmp(const void *pa, const void *pb) {
    const pprof__hval *a = (const pprof__hval *)pa, *b = (const pprof__hval *)pb;
    if (a->ib != b->ib) return a->ib > b->ib ? -1 : 1;
    return a->ab > b->ab ? -1 : a->ab < b->ab;
}

/* Go's legacy text (debug=1), records by in-use bytes. Go prints raw sampled numbers and
   its rate, which the reader unsamples by each record's average size; a record here holds
   samples of many sizes, taken at whatever rate was set then, so it prints the estimates
   themselves (the protobuf's numbers) as a rate-1 profile ("@ heap/2": nothing to
   unsample), and the sampling rate in the trailer. (Decided: unbiased beats raw.) */
PPROF__FN void pprof__heap_text(pprof__buf *b, const pprof__kind *kind, pprof__hval *v,
                                size_t n) {
    unsigned long long io = 0, ib = 0, ao = 0, ab = 0;
    size_t i, rate = __atomic_load_n(&pprof__heap_rate, __ATOMIC_RELAXED);
    char line[256];
    struct rusage ru;
    for (i = 0; i < n; i++) { /* the estimates, objects truncated as in the protobuf */
        v[i].io = v[i].wio / 256;
        v[i].ao = v[i].wao / 256;
        v[i].ib = v[i].wib;
        v[i].ab = v[i].wab;
        io += v[i].io; ib += v[i].ib; ao += v[i].ao; ab += v[i].ab;
    }
    if (ab == ib) ab++; /* as newer Go: the legacy parser must not see two columns */
    snprintf(line, sizeof line, "heap profile: %llu: %llu [%llu: %llu] @ heap/2\n", io, ib,
             ao, ab);
    pprof__buf_put(b, line, strlen(line));
    qsort(v, n, sizeof *v, pprof__heap_inuse_cmp);
    pprof__text_records(b, kind, v, n);
    memset(&ru, 0, sizeof ru);
    getrusage(RUSAGE_SELF, &ru);
    snprintf(line, sizeof line, "\n# pprof.h heap sampling\n# Rate = %llu\n# Records = %llu\n"
             "# MaxRSS = %llu\n", (unsigned long long)rate, (unsigned long long)n,
             (unsigned long long)ru.ru_maxrss * 1024);
    pprof__buf_put(b, line, strlen(line));
}

PPROF__FN int pprof__sync_delay_cmp(const void *pa, const void *pb) {
    const pprof__hval *a = (const pprof__hval *)pa, *b = (const pprof__hval *)pb;
    if (a->ab != b->ab) return a->ab > b->ab ? -1 : 1;
    return a->ao > b->ao ? -1 : a->ao < b->ao;
}

/* Go's legacy text: "--- contention:" / "--- mutex:" with "<delay> <count> @ ..." records,
   or "threadcreate profile: total N" with "<count> @ ..." groups. */
PPROF__FN void pprof__sync_text(pprof__buf *b, const pprof__kind *kind, pprof__hval *v,
                                size_t n) {
    unsigned long long total = 0;
    size_t i;
    for (i = 0; i < n; i++) total += v[i].ao;
    pprof__text_head(b, kind, total);
    qsort(v, n, sizeof *v, pprof__sync_delay_cmp);
    pprof__text_records(b, kind, v, n);
}
#endif

// =========================================================================================
// >>dump: the stack of every thread (goroutine profile), each captured by the thread itself
// in the signal handler on a directed signal (tgkill), all at once, waiting at most
// PPROF__DUMP_WAIT_NS. A thread that blocks the signal is listed without a stack, unasked.
// =========================================================================================
#define PPROF__DUMP_WAIT_NS 100000000L

PPROF__FN void pprof__dump_thread_info(pprof__dslot *d, int sig) {
    char path[64], *txt, *q;
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", d->tid);
    if ((txt = pprof__os_read_file(path, NULL)) != NULL) {
        snprintf(d->name, sizeof d->name, "%s", txt);
        if (strchr(d->name, '\n')) *strchr(d->name, '\n') = 0;
        PPROF_FREE(txt);
    }
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", d->tid);
    d->run = "?";
    if ((txt = pprof__os_read_file(path, NULL)) != NULL) {
        q = strrchr(txt, ')');
        if (q && q[1] == ' ') {
            switch (q[2]) {
            case 'R': d->run = "running"; break;
            case 'S': d->run = "sleeping"; break;
            case 'D': d->run = "waiting on I/O"; break;
            case 'T': case 't': d->run = "stopped"; break;
            case 'Z': d->run = "exited"; break;
            case 'I': d->run = "idle"; break;
            default: break;
            }
        }
        PPROF_FREE(txt);
    }
    if (pprof__cpu_blocks(d->tid, sig)) d->why = "it blocks the profiling signal";
}

/* /proc/self/task/<tid>/syscall, opened (-1 if it cannot be). */
PPROF__FN int pprof__dump_sys_open(int tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* A thread asleep in a system call: 1 with its pc and sp from its syscall file, opened as
   fd (0 if it is not). One pread: the moment it is read is as close as can be to the
   signal that follows when the thread runs. */
PPROF__FN int pprof__dump_in_syscall_fd(int fd, uintptr_t *pc, uintptr_t *sp) {
    char txt[256], *q;
    unsigned long long v[8];
    int i, ok = 0;
    ssize_t k = fd >= 0 ? pread(fd, txt, sizeof txt - 1, 0) : -1;
    if (k <= 0) return 0;
    txt[k] = 0;
    q = txt;
    if (*q >= '0' && *q <= '9') { /* "nr arg1..arg6 sp pc"; "running" or "-1 sp pc" else */
        while (*q >= '0' && *q <= '9') q++;
        for (i = 0; i < 8; i++) {
            char *end;
            v[i] = strtoull(q, &end, 16);
            if (end == q) break;
            q = end;
        }
        if (i == 8 && v[6] && v[7]) {
            *sp = (uintptr_t)v[6];
            *pc = (uintptr_t)v[7];
            ok = 1;
        }
    }
    return ok;
}
PPROF__FN int pprof__dump_in_syscall(int tid, uintptr_t *pc, uintptr_t *sp) {
    int fd = pprof__dump_sys_open(tid), ok = pprof__dump_in_syscall_fd(fd, pc, sp);
    if (fd >= 0) close(fd);
    return ok;
}

/* The stack of a thread asleep in a system call, read without waking it (a signal would
   end its sleep with EINTR), from a copy of the 16 KiB above its sp (one system call; the
   thread may wake and move on meanwhile, so words beyond the copy are read checked too).
   The call's pc and sp are exact, so the unwind tables walk it whole where they cover its
   code. Else by scanning: the return addresses above sp up to a frame record (the C
   library's functions keep none), then the frame records from it. Stale words of earlier,
   deeper calls lie in the frames of the sleeping ones, also records that link into the
   live chain; of the records that link where the lowest one does, the highest is taken
   (the last callee's own), and the return addresses of the records passed over are left
   out. A stale return address can still show as a frame there. */
PPROF__FN int pprof__dump_scan(uintptr_t pc, uintptr_t sp, uintptr_t *out, int max) {
    const uintptr_t W = sizeof(uintptr_t);
    enum { SCAN = 2048 }; /* words above sp (16 KiB), read in one system call */
    pprof__snap *s = pprof__maps_acquire();
    uintptr_t lo = 0, hi = 0, up[2], *st, link = 0;
    unsigned char *rec;
    size_t k, got = 0, best = 0;
    int n = 0, found = 0, i;
    pprof__uwalk w;
    memset(&w, 0, sizeof w);
    out[n++] = pc;
    if (!s) return n;
    st = (uintptr_t *)PPROF_MALLOC((SCAN + 1) * (sizeof *st + 1));
    rec = (unsigned char *)(st + SCAN + 1);
    if (st && sp % W == 0 && pprof__maps_find(s->rw, s->nrw, sp, &lo, &hi)) {
        struct iovec l, r;
        l.iov_base = st;
        l.iov_len = (hi - sp) / W < SCAN ? (size_t)(hi - sp) : SCAN * W;
        r.iov_base = (void *)sp;
        r.iov_len = l.iov_len;
        if (syscall(SYS_process_vm_readv, (long)pprof__os_gettid(), &l, 1L, &r, 1L, 0L) == (long)l.iov_len)
            got = l.iov_len / W;
    }
    w.s = s;
    w.mode = __atomic_load_n(&pprof__unw_mode, __ATOMIC_RELAXED);
    w.lo = sp;
    w.hi = hi;
    w.checked = 1;
    w.copy = st;
    w.clo = sp;
    w.chi = sp + got * W;
    if (got && w.mode == PPROF_UNWIND_CFI) {
        pprof__ureg r0;
        memset(&r0, 0, sizeof r0);
        r0.pc = pc;
        r0.sp = sp;
        r0.known = PPROF__K_SP;
        r0.exact = 1;
        n = pprof__unw_run(&w, &r0, out, 0, max);
        if (w.end == PPROF__END_ROOT || w.end == PPROF__END_DEPTH) got = 0; /* whole */
        else n = 1;
    }
    for (k = 0; k + 1 < got; k++) { /* frame records: a link up the stack, a return address */
        uintptr_t a = sp + k * W, fp = st[k];
        rec[k] = fp > a && fp < hi && fp % W == 0 && hi - fp >= 2 * W &&
                 (!found || fp == link) && pprof__unw_is_return_address(s, st[k + 1]) &&
                 pprof__unw_load2(fp, 1, up) && (up[0] == 0 || (up[0] > fp && up[0] < hi));
        if (rec[k]) {
            found = 1;
            link = fp;
            best = k;
        }
    }
    for (k = 0; found && k < best && n < max; k++) /* skipped records' words are stale */
        if (!rec[k] && !(k > 0 && rec[k - 1]) && pprof__unw_is_return_address(s, st[k]))
            out[n++] = st[k];
    if (found) {
        pprof__ureg a, b;
        memset(&a, 0, sizeof a);
        a.fp = sp + best * W;
        a.known = PPROF__K_FP;
        memset(w.by, 0, sizeof w.by);
        w.lo = lo;
        if (pprof__unw_by_record(&w, &a, &b) < 0 && n < max) n = pprof__unw_run(&w, &b, out, n, max);
    }
    for (k = 0; !found && k < got && n < max; k++) /* no record at all: what looks like code */
        if (pprof__unw_is_return_address(s, st[k])) out[n++] = st[k];
    PPROF_FREE(st);
    pprof__maps_release(s);
    __atomic_add_fetch(&pprof__unw.ends[w.end], 1, __ATOMIC_SEQ_CST);
    for (i = 0; i < PPROF__BY_N; i++)
        if (w.by[i]) __atomic_add_fetch(&pprof__unw.by[i], w.by[i], __ATOMIC_SEQ_CST);
    return n;
}

/* Every thread of the process in a slot (one more, zeroed, after them) with its name and
   state, *n_out of them; *asked of them to read or ask below, *me this thread's ((size_t)-1
   if not listed). NULL out of memory. */
PPROF__FN pprof__dslot *pprof__dump_list(size_t *n_out, size_t *asked, size_t *me) {
    pprof__buf tids;
    pprof__dslot *s;
    size_t n, i;
    int self = pprof__os_gettid();
    memset(&tids, 0, sizeof tids);
    if (pprof__cpu_list_tids_into(&tids, NULL) != 0) { PPROF_FREE(tids.p); return NULL; }
    n = tids.len / sizeof(int);
    s = (pprof__dslot *)PPROF_MALLOC((n + 1) * sizeof *s);
    if (!s) { PPROF_FREE(tids.p); return NULL; }
    memset(s, 0, (n + 1) * sizeof *s);
    for (i = 0; i < n; i++) {
        memcpy(&s[i].tid, tids.p + i * sizeof(int), sizeof(int));
        snprintf(s[i].name, sizeof s[i].name, "?");
        pprof__dump_thread_info(&s[i], PPROF_SIGNAL);
        if (s[i].tid == self) { /* this thread: its own walk, from here (below) */
            s[i].state = PPROF__DUMP_CAPTURED;
            s[i].why = NULL;
            *me = i;
        } else if (!s[i].why && strcmp(s[i].run, "exited") == 0) {
            s[i].why = "it exited";
        } else { /* read if asleep, else asked if it takes the signal: below */
            s[i].state = PPROF__DUMP_ASKED;
            (*asked)++;
        }
    }
    PPROF_FREE(tids.p);
    *n_out = n;
    return s;
}

/* The stack of thread d, claimed asleep in a system call at pc and sp: read until the call
   it sleeps in is the same before and after (it may wake, run and sleep again elsewhere
   while its stack is copied), else its pc alone. Without snap (no snapshot) its pc. */
PPROF__FN void pprof__dump_asleep(pprof__dslot *d, uintptr_t pc, uintptr_t sp, int snap) {
    uintptr_t pc2, sp2;
    int tries = 0;
    do {
        d->n = snap ? (uint32_t)pprof__dump_scan(pc, sp, d->pc, PPROF_MAX_FRAMES) : 1;
        if (!pprof__dump_in_syscall(d->tid, &pc2, &sp2)) { d->n = 1; break; }
        if (pc2 == pc && sp2 == sp) break;
        pc = pc2;
        sp = sp2;
        d->n = 1;
    } while (++tries < 3);
    d->pc[0] = pc;
    d->why = NULL;
    d->run = "sleeping in a system call";
    __atomic_store_n(&d->state, PPROF__DUMP_CAPTURED, __ATOMIC_RELEASE);
}

/* Reads thread slot d if it is asleep in a system call (a signal would end its sleep with
   EINTR), else asks it with the signal (can: the handler is armed for the dump) unless it
   blocks the signal. Its state is read just before: a thread asleep when listed may run
   now, and the other way round. Slots are claimed by compare-and-swap (a thread answers
   any profiling signal). */
PPROF__FN void pprof__dump_reach(pprof__dslot *d, int pid, int can, int snap) {
    uintptr_t pc, sp;
    int claim = PPROF__DUMP_ASKED, fd, asleep;
    if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != PPROF__DUMP_ASKED) return;
    fd = pprof__dump_sys_open(d->tid); /* opened first: read, then signalled at once */
    asleep = pprof__dump_in_syscall_fd(fd, &pc, &sp);
    if (!asleep && claim == PPROF__DUMP_ASKED && !d->why && can &&
        syscall(SYS_tgkill, (long)pid, (long)d->tid, (long)PPROF_SIGNAL) != 0) {
        d->state = PPROF__DUMP_NONE;
        d->why = "it exited";
    }
    if (fd >= 0) close(fd);
    if (asleep &&
        __atomic_compare_exchange_n(&d->state, &claim, PPROF__DUMP_WRITING, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED)) {
        pprof__dump_asleep(d, pc, sp, snap);
    } else if (!asleep && d->why && __atomic_load_n(&d->state, __ATOMIC_RELAXED) == PPROF__DUMP_ASKED) {
        /* it blocks the signal: not asked */
        __atomic_compare_exchange_n(&d->state, &claim, PPROF__DUMP_NONE, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
    }
}

/* Waits (PPROF__DUMP_WAIT_NS at most) for the threads asked to answer, ends the dump for
   the handler and waits for handlers to leave. s, or a copy of it (NULL out of memory)
   when one never does: it may still write into s. */
PPROF__FN pprof__dslot *pprof__dump_wait(pprof__dslot *s, size_t n) {
    int64_t deadline = pprof__os_mono_ns() + PPROF__DUMP_WAIT_NS;
    size_t done, i;
    do {
        for (i = 0, done = 0; i < n; i++) done += __atomic_load_n(&s[i].state, __ATOMIC_ACQUIRE) != PPROF__DUMP_ASKED;
        if (done == n) break;
        pprof__os_sleep_ns(200000);
    } while (pprof__os_mono_ns() < deadline);
    __atomic_store_n(&pprof__dump.active, 0, __ATOMIC_SEQ_CST);
    for (i = 0; i < 5000 && __atomic_load_n(&pprof__sig.inflight, __ATOMIC_SEQ_CST); i++)
        pprof__os_sleep_ns(200000); /* a handler still at work writes into s */
    if (i == 5000) { /* never seen idle: leave s to it, answer from a copy */
        pprof__dslot *c = (pprof__dslot *)PPROF_MALLOC((n + 1) * sizeof *c);
        if (c) memcpy(c, s, (n + 1) * sizeof *c);
        s = c;
    }
    return s;
}

/* pprof__dump_take's work under dump_mu and cpu_mu on the n slots s from pprof__dump_list:
   this thread's stack from its frame record fpw, the others' read or asked for (*can 1
   when asked). s, or (see pprof__dump_wait) a copy of it or NULL. */
PPROF__FN pprof__dslot *pprof__dump_gather(pprof__dslot *s, size_t n, size_t asked, size_t me,
                                           uintptr_t fpw, int *can) {
    int pid = (int)getpid(), snap;
    size_t i;
    /* the drain thread keeps the snapshot fresh during a profile */
    snap = pprof__cpu.running != PPROF__CPU_IDLE ? pprof__sig.snap != NULL
                                                 : pprof__cfi_refresh(NULL) >= 0;
    if (me != (size_t)-1) s[me].n = (uint32_t)pprof__cfi_stack(fpw, 0, s[me].pc);
    if (asked && snap && pprof__cpu_install(PPROF_SIGNAL) == PPROF_OK) {
        *can = 1;
        __atomic_store_n(&pprof__sig.main_tid, pid, __ATOMIC_RELAXED);
        pprof__dump.slot = s;
        pprof__dump.n = n;
        __atomic_store_n(&pprof__dump.pid, pid, __ATOMIC_RELAXED); /* read by any handler */
        __atomic_store_n(&pprof__dump.active, 1, __ATOMIC_SEQ_CST);
    }
    for (i = 0; i < n; i++) pprof__dump_reach(&s[i], pid, *can, snap);
    return *can ? pprof__dump_wait(s, n) : s;
}

/* Every thread with its name, state and stack; *n_out of them. NULL out of memory. */
PPROF__FN pprof__dslot *pprof__dump_take(size_t *n_out) {
    pprof__dslot *s;
    size_t n, i, asked = 0, me = (size_t)-1;
    int can = 0;
    s = pprof__dump_list(&n, &asked, &me);
    if (!s) return NULL;
    pprof__fork_init();
    pprof__lock(&pprof__dump_mu);
    pprof__lock(&pprof__cpu_mu); /* no CPU profile starts (and publishes) meanwhile */
    s = pprof__dump_gather(s, n, asked, me, (uintptr_t)__builtin_frame_address(0), &can);
    pprof__unlock(&pprof__cpu_mu);
    pprof__unlock(&pprof__dump_mu);
    for (i = 0; s && i < n; i++)
        if (s[i].state == PPROF__DUMP_ASKED ||
            s[i].state == PPROF__DUMP_WRITING) { /* WRITING: a handler that never finished */
            s[i].state = PPROF__DUMP_NONE;
            s[i].why = can ? "no answer within 100 ms" : "the profiling signal has a handler that is not pprof.h's";
        }
    *n_out = n;
    return s;
}

/* Name, offset in its function, file and offset in it for address a. Under sym_mu. */
PPROF__FN const char *pprof__dump_where(const pprof__maps *m, const pprof__exe *exe, uintptr_t a,
                                        uintptr_t *foff, const char **file, uintptr_t *start) {
    size_t i;
    *file = "?";
    *foff = a;
    *start = a;
    for (i = 0; i < m->n; i++)
        if (m->e[i].x && m->e[i].lo <= a && a < m->e[i].hi) {
            pprof__obj *o = pprof__sym_obj(&m->e[i], exe);
            *file = m->e[i].path[0] ? m->e[i].path : "?";
            *foff = a - m->e[i].lo + m->e[i].off;
            return o ? pprof__sym_lookup(o, a, start) : NULL;
        }
    return NULL;
}

PPROF__FN int pprof__dump_cmp(const void *pa, const void *pb) {
    const pprof__dslot *a = *(const pprof__dslot *const *)pa, *b = *(const pprof__dslot *const *)pb;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    return memcmp(a->pc, b->pc, a->n * sizeof a->pc[0]);
}

/* The goroutine profile from a dump: debug 0 proto (goroutine/count per stack, duration
   the window's length for ?seconds=N, else 0), 1 Go's grouped text, 2 every thread with
   name, state and symbolized frames. */
PPROF__FN void pprof__dump_write(pprof__buf *out, pprof__buf *pb, pprof__dslot *s, size_t n,
                                 int debug, int64_t duration) {
    pprof__dslot **g = (pprof__dslot **)PPROF_MALLOC((n + 1) * sizeof *g);
    uintptr_t nostack = (uintptr_t)&pprof__thread_without_stack;
    char line[700];
    size_t i, j;
    if (!g) { out->oom = pb->oom = 1; return; }
    for (i = 0; i < n; i++) {
        g[i] = &s[i];
        if (s[i].n == 0) { s[i].pc[0] = nostack; s[i].n = 1; } /* a pseudo frame */
    }
    if (debug >= PPROF_FORMAT_THREADS) {
        pprof__maps maps;
        pprof__exe exe;
        pprof__text_open(&maps, &exe);
        for (i = 0; i < n; i++) {
            snprintf(line, sizeof line, "thread %d [%s, %s]:\n", s[i].tid, s[i].name, s[i].run ? s[i].run : "?");
            pprof__buf_put(out, line, strlen(line));
            if (s[i].state != PPROF__DUMP_CAPTURED) {
                snprintf(line, sizeof line, "(no stack: %s)\n", s[i].why ? s[i].why : "?");
                pprof__buf_put(out, line, strlen(line));
            } else {
                for (j = 0; j < s[i].n; j++) {
                    uintptr_t a = j == 0 ? s[i].pc[0] : s[i].pc[j] - 1, foff, start;
                    const char *file, *fn = pprof__dump_where(&maps, &exe, a, &foff, &file, &start);
                    snprintf(line, sizeof line, "%.300s(...)\n\t%.300s +0x%llx\n", fn ? fn : "?", file,
                             (unsigned long long)foff);
                    pprof__buf_put(out, line, strlen(line));
                }
            }
            pprof__buf_put(out, "\n", 1);
        }
        pprof__text_close(&maps);
    } else {
        pprof__smp *smp = (pprof__smp *)PPROF_MALLOC((n + 1) * sizeof *smp);
        size_t k = 0;
        if (!smp) { out->oom = pb->oom = 1; PPROF_FREE(g); return; }
        qsort(g, n, sizeof *g, pprof__dump_cmp);
        for (i = 0; i < n; i = j) { /* groups of equal stacks */
            for (j = i + 1; j < n && pprof__dump_cmp(&g[i], &g[j]) == 0; j++) {}
            memset(&smp[k], 0, sizeof smp[k]);
            smp[k].pc = g[i]->pc;
            smp[k].n = g[i]->n;
            smp[k].v[0] = (int64_t)(j - i);
            k++;
        }
        if (debug == PPROF_FORMAT_PROTO) {
            pprof__spec sp;
            pprof__kind_spec(&sp, &pprof__kinds[PPROF__K_GOROUTINE], duration);
            sp.leaf_pc = 1;
            pprof__enc(pb, &sp, smp, k);
        } else {
            pprof__maps maps;
            pprof__exe exe;
            for (i = 1; i < k; i++) { /* by count, largest first (stable) */
                pprof__smp x = smp[i];
                for (j = i; j > 0 && smp[j - 1].v[0] < x.v[0]; j--) smp[j] = smp[j - 1];
                smp[j] = x;
            }
            snprintf(line, sizeof line, "goroutine profile: total %llu\n", (unsigned long long)n);
            pprof__buf_put(out, line, strlen(line));
            pprof__text_open(&maps, &exe);
            for (i = 0; i < k; i++) {
                snprintf(line, sizeof line, "%lld @", (long long)smp[i].v[0]);
                pprof__buf_put(out, line, strlen(line));
                for (j = 0; j < smp[i].n; j++) { /* as return addresses, as Go prints them */
                    snprintf(line, sizeof line, " 0x%llx",
                             (unsigned long long)(smp[i].pc[j] + (j == 0)));
                    pprof__buf_put(out, line, strlen(line));
                }
                pprof__buf_put(out, "\n", 1);
                {
                    uintptr_t leaf = smp[i].pc[0] + 1;
                    pprof__text_frames(out, &leaf, 1, &maps, &exe);
                    pprof__text_frames(out, smp[i].pc + 1, smp[i].n - 1, &maps, &exe);
                }
                pprof__buf_put(out, "\n", 1);
            }
            pprof__text_close(&maps);
        }
        PPROF_FREE(smp);
    }
    PPROF_FREE(g);
}

// =========================================================================================
// >>page: the flame graph page around its data (HTML, CSS and script). Its source is
// tools/flame.html, a real page; tools/flame.sh writes it in below (make test checks it).
// =========================================================================================

/* BEGIN generated by tools/flame.sh from tools/flame.html: edit that, run tools/flame.sh */
/* The page before its data: one element per line of tools/flame.html, its source
   (C99 promises 4095-byte literals). */
static const char *const pprof__flame_head[] = {
    "<!DOCTYPE html>\n",
    "<html><head><meta charset=\"utf-8\">\n",
    "<meta http-equiv=\"Content-Security-Policy\"\n",
    " content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    "<title>flame graph - pprof.h</title>\n",
    "<style>\n",
    "body{font:13px sans-serif;margin:8px;color:#222}\n",
    "#bar{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:6px}\n",
    "#bar input{width:16em}\n",
    "#match{font-weight:bold}\n",
    ".pane{position:relative;width:100%;margin:6px 0}\n",
    ".cap{color:#666;margin-top:8px}\n",
    ".f{position:absolute;height:17px;line-height:17px;font:11px monospace;overflow:hidden;\n",
    "white-space:nowrap;text-overflow:ellipsis;box-sizing:border-box;border:1px solid #fff;\n",
    "padding-left:2px;cursor:pointer}\n",
    ".f.dim{opacity:.55}\n",
    ".f.m{background:#c5f!important}\n",
    "#tip{position:fixed;display:none;pointer-events:none;background:#fffbe8;\n",
    "border:1px solid #aaa;padding:4px 6px;font:12px monospace;white-space:pre;\n",
    "max-width:60em;overflow:hidden}\n",
    "</style></head><body>\n",
    "<div id=\"bar\"><b id=\"title\"></b>\n",
    "<button id=\"reset\">Reset zoom</button><button id=\"invert\">Invert</button>\n",
    "<button id=\"sandwich\" title=\"callers and callees of the selected function\">\n",
    "Sandwich</button>\n",
    "<input id=\"search\" placeholder=\"search function names\" spellcheck=\"false\">\n",
    "<span id=\"match\"></span></div>\n",
    "<div id=\"main\"></div><div id=\"tip\"></div>\n",
    "<script type=\"application/json\" id=\"data\">\n",
};
/* The page after its data: the viewer. */
static const char *const pprof__flame_tail[] = {
    "</script>\n",
    "<script>\n",
    "(function () {\n",
    "'use strict';\n",
    "var B = document.body, errors = 0;\n",
    "B.setAttribute('data-errors', '0');\n",
    "window.addEventListener('error', function () {\n",
    "  B.setAttribute('data-errors', String(++errors));\n",
    "});\n",
    "var $ = function (id) { return document.getElementById(id); };\n",
    "var D = JSON.parse($('data').textContent), H = 18, total = 0, stacks = [];\n",
    "/* \"a;b;c 123\": the value follows the last space */\n",
    "D.folded.split('\\n').forEach(function (l) {\n",
    "  var i = l.lastIndexOf(' '), v = Number(l.slice(i + 1));\n",
    "  if (!(i > 0 && v > 0)) return;\n",
    "  stacks.push({f: l.slice(0, i).split(';'), v: v});\n",
    "  total += v;\n",
    "});\n",
    "/* A tree of frames: name, value (with descendants), children by name, parent. */\n",
    "function build(list, name) {\n",
    "  var root = {n: name, v: 0, c: Object.create(null), p: null};\n",
    "  list.forEach(function (s) {\n",
    "    var t = root;\n",
    "    t.v += s.v;\n",
    "    s.f.forEach(function (n) {\n",
    "      t = t.c[n] || (t.c[n] = {n: n, v: 0, c: Object.create(null), p: t});\n",
    "      t.v += s.v;\n",
    "    });\n",
    "  });\n",
    "  return root;\n",
    "}\n",
    "function kids(t) {\n",
    "  if (!t.k) t.k = Object.keys(t.c).sort().map(function (n) { return t.c[n]; });\n",
    "  return t.k;\n",
    "}\n",
    "var all = build(stacks, 'all');\n",
    "var st = {zoom: all, inv: false, fn: null, sel: null, q: ''};\n",
    "function fmt(v) {\n",
    "  var u = D.unit, k = [[1e9, ' s'], [1e6, ' ms'], [1e3, ' us'], [1, ' ns']], i;\n",
    "  if (u === 'bytes')\n",
    "    k = [[1 << 30, ' GiB'], [1 << 20, ' MiB'], [1024, ' KiB'], [1, ' B']];\n",
    "  else if (u !== 'nanoseconds') return v + (u === 'count' || !u ? '' : ' ' + u);\n",
    "  for (i = 0; i < 3 && v < k[i][0]; i++);\n",
    "  return (v / k[i][0]).toFixed(i === 3 ? 0 : 2) + k[i][1];\n",
    "}\n",
    "function pct(v, of) { return of > 0 ? (100 * v / of).toFixed(2) + '%' : '-'; }\n",
    "function color(n) { /* warm colours, stable per name */\n",
    "  var h = 0, i;\n",
    "  for (i = 0; i < n.length; i++) h = (h * 31 + n.charCodeAt(i)) >>> 0;\n",
    "  return 'hsl(' + (h % 50) + ',' + (70 + h % 20) + '%,' + (58 + (h >> 8) % 14) + '%)';\n",
    "}\n",
    "function matches(n) { return st.q !== '' && n.toLowerCase().indexOf(st.q) >= 0; }\n",
    "/* Draws the tree under zoom (its ancestors full width, dimmed) into a new pane:\n",
    "   root at the bottom (a flame graph), or at the top when down (an icicle). */\n",
    "function pane(root, zoom, down, caption) {\n",
    "  var main = $('main'), W = main.clientWidth || 1000;\n",
    "  var el = document.createElement('div');\n",
    "  var rows = [], anc = [], depth = 0, a;\n",
    "  if (caption) {\n",
    "    a = document.createElement('div');\n",
    "    a.className = 'cap';\n",
    "    a.textContent = caption;\n",
    "    main.appendChild(a);\n",
    "  }\n",
    "  for (a = zoom; a; a = a.p) anc.unshift(a);\n",
    "  anc.forEach(function (t, d) {\n",
    "    rows.push({t: t, x: 0, w: 1, d: d, dim: t !== zoom});\n",
    "  });\n",
    "  (function walk(t, x, d) {\n",
    "    kids(t).forEach(function (c) {\n",
    "      var w = c.v / zoom.v;\n",
    "      if (w * W >= 0.5) { rows.push({t: c, x: x, w: w, d: d}); walk(c, x, d + 1); }\n",
    "      x += w;\n",
    "    });\n",
    "  })(zoom, 0, anc.length);\n",
    "  rows.forEach(function (r) { depth = Math.max(depth, r.d + 1); });\n",
    "  el.className = 'pane';\n",
    "  el.style.height = depth * H + 'px';\n",
    "  rows.forEach(function (r) {\n",
    "    var f = document.createElement('div');\n",
    "    f.className = 'f' + (r.dim ? ' dim' : '') + (matches(r.t.n) ? ' m' : '');\n",
    "    f.style.left = 100 * r.x + '%';\n",
    "    f.style.width = 100 * r.w + '%';\n",
    "    f.style.top = (down ? r.d : depth - 1 - r.d) * H + 'px';\n",
    "    f.style.background = color(r.t.n);\n",
    "    f.textContent = r.t.n;\n",
    "    f.frame = r.t;\n",
    "    f.zoom = zoom;\n",
    "    el.appendChild(f);\n",
    "  });\n",
    "  main.appendChild(el);\n",
    "}\n",
    "/* Sandwich: the callers of fn above it (a flame graph rooted at fn), its callees\n",
    "   below (an icicle). A stack counts once, at its outermost fn: recursion is not\n",
    "   doubled. */\n",
    "function sandwich(fn) {\n",
    "  var up = [], dn = [];\n",
    "  stacks.forEach(function (s) {\n",
    "    var i = s.f.indexOf(fn);\n",
    "    if (i < 0) return;\n",
    "    up.push({f: s.f.slice(0, i).reverse(), v: s.v});\n",
    "    dn.push({f: s.f.slice(i + 1), v: s.v});\n",
    "  });\n",
    "  var t = build(up, fn);\n",
    "  pane(t, t, false, 'callers of ' + fn + ' (' + fmt(t.v) + ', ' + pct(t.v, total) +\n",
    "    ')');\n",
    "  t = build(dn, fn);\n",
    "  pane(t, t, true, 'callees of ' + fn);\n",
    "}\n",
    "/* The share of the total in frames that match, each counted once (not again inside a\n",
    "   matching ancestor). */\n",
    "function share(t) {\n",
    "  if (t !== all && matches(t.n)) return t.v;\n",
    "  return kids(t).reduce(function (s, c) { return s + share(c); }, 0);\n",
    "}\n",
    "function draw() {\n",
    "  var main = $('main'), v;\n",
    "  main.textContent = '';\n",
    "  B.setAttribute('data-view', st.fn ? 'sandwich' : st.inv ? 'icicle' : 'flame');\n",
    "  B.setAttribute('data-zoom', st.zoom.n);\n",
    "  if (!total) main.textContent = 'No samples in this profile.';\n",
    "  else if (st.fn) sandwich(st.fn);\n",
    "  else pane(all, st.zoom, st.inv, '');\n",
    "  v = st.q ? share(all) : 0;\n",
    "  $('match').textContent =\n",
    "    st.q ? 'matched: ' + pct(v, total) + ' (' + fmt(v) + ')' : '';\n",
    "  $('invert').textContent = st.inv ? 'Flame graph' : 'Invert (icicle)';\n",
    "  $('sandwich').textContent = st.fn ? 'Back to graph' : 'Sandwich';\n",
    "}\n",
    "/* The widest frame named n, for #zoom= and #sandwich=. */\n",
    "function find(n) {\n",
    "  var best = null;\n",
    "  (function walk(t) {\n",
    "    if (t.n === n && (!best || t.v > best.v)) best = t;\n",
    "    kids(t).forEach(walk);\n",
    "  })(all);\n",
    "  return best;\n",
    "}\n",
    "$('main').addEventListener('click', function (e) {\n",
    "  var f = e.target.frame;\n",
    "  if (!f) return;\n",
    "  st.sel = f.n;\n",
    "  if (st.fn) st.fn = f.n; /* in a sandwich: the sandwich of what was clicked */\n",
    "  else st.zoom = f;\n",
    "  draw();\n",
    "});\n",
    "$('main').addEventListener('mousemove', function (e) {\n",
    "  var f = e.target.frame, tip = $('tip');\n",
    "  if (!f) { tip.style.display = 'none'; return; }\n",
    "  var z = e.target.zoom;\n",
    "  tip.textContent = f.n + '\\n' + fmt(f.v) + ', ' + pct(f.v, total) + ' of all' +\n",
    "    (z !== all ? ', ' + pct(f.v, z.v) + ' of ' + z.n : '');\n",
    "  tip.style.display = 'block';\n",
    "  tip.style.left =\n",
    "    Math.min(e.clientX + 12, window.innerWidth - tip.offsetWidth - 4) + 'px';\n",
    "  tip.style.top = e.clientY + 16 + 'px';\n",
    "});\n",
    "$('main').addEventListener('mouseleave', function () {\n",
    "  $('tip').style.display = 'none';\n",
    "});\n",
    "$('reset').onclick = function () { st.zoom = all; st.fn = null; draw(); };\n",
    "$('invert').onclick = function () { st.inv = !st.inv; st.fn = null; draw(); };\n",
    "$('sandwich').onclick = function () {\n",
    "  st.fn = st.fn ? null : st.sel || (st.zoom !== all ? st.zoom.n : null);\n",
    "  draw();\n",
    "};\n",
    "$('search').oninput = function () { st.q = this.value.toLowerCase(); draw(); };\n",
    "window.addEventListener('resize', draw);\n",
    "/* #search=x&zoom=f&invert=1&sandwich=f: a view to link to (the tests drive it too) */\n",
    "function fromHash() {\n",
    "  location.hash.slice(1).split('&').forEach(function (kv) {\n",
    "    var i = kv.indexOf('='), k = kv.slice(0, i);\n",
    "    var v = decodeURIComponent(kv.slice(i + 1));\n",
    "    if (k === 'search') { st.q = v.toLowerCase(); $('search').value = v; }\n",
    "    if (k === 'zoom') st.zoom = find(v) || all;\n",
    "    if (k === 'invert') st.inv = v === '1';\n",
    "    if (k === 'sandwich' && find(v)) st.fn = st.sel = v;\n",
    "  });\n",
    "  draw();\n",
    "}\n",
    "window.addEventListener('hashchange', fromHash);\n",
    "$('title').textContent = D.title + ': ' + fmt(total);\n",
    "document.title = D.title + ' - flame graph';\n",
    "fromHash();\n",
    "B.setAttribute('data-ready', '1');\n",
    "})();\n",
    "</script></body></html>\n",
};
/* END generated by tools/flame.sh */

// =========================================================================================
// >>flame: folded stacks and the flame graph page, both made from an encoded profile.proto
// (not gzipped), so every profile kind gets them from the one encoder, names and all.
// Folded: "root;caller;leaf value" per unique stack, sorted; the value is the profile's
// default sample type (default_sample_type, else the last type, as pprof shows it).
// =========================================================================================
typedef struct pprof__pbr { const unsigned char *p, *end; } pprof__pbr;

/* One varint of r, or -1 at its end or on a malformed one. */
PPROF__FN int pprof__flame_varint(pprof__pbr *r, uint64_t *v) {
    int shift;
    *v = 0;
    for (shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        unsigned char c = *r->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return 0;
    }
    return -1;
}

/* The next field of r: its number, and its varint value or (LEN) its body in sub (else
   sub->p is NULL). 0, or -1 on malformed input; fixed32/64 fields are skipped. */
PPROF__FN int pprof__flame_field(pprof__pbr *r, uint32_t *field, uint64_t *v, pprof__pbr *sub) {
    uint64_t key;
    for (;;) {
        size_t skip;
        if (pprof__flame_varint(r, &key) != 0) return -1;
        sub->p = sub->end = NULL;
        if ((key & 7) == 0) {
            if (pprof__flame_varint(r, v) != 0) return -1;
        } else if ((key & 7) == 2) {
            if (pprof__flame_varint(r, v) != 0 || *v > (uint64_t)(r->end - r->p)) return -1;
            sub->p = r->p;
            sub->end = r->p + (size_t)*v;
            r->p = sub->end;
        } else if ((key & 7) == 1 || (key & 7) == 5) {
            skip = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(r->end - r->p) < skip) return -1;
            r->p += skip;
            continue;
        } else {
            return -1;
        }
        *field = (uint32_t)(key >> 3);
        return 0;
    }
}

/* The varints of a repeated field, packed (LEN, in packed) or not (one in *single), one
   per call; 0 at the end. */
PPROF__FN int pprof__flame_next(pprof__pbr *packed, uint64_t *single, int *have, uint64_t *v) {
    if (!packed->p) {
        if (!*have) return 0;
        *have = 0;
        *v = *single;
        return 1;
    }
    return pprof__flame_varint(packed, v) == 0;
}

/* Appends (id, the value of field `want`) of message m to the pairs in *a (*n pairs, room for
   *cap numbers): a function's name, a mapping's file. 0, or -1 out of memory. */
PPROF__FN int pprof__flame_pair(pprof__pbr *m, uint32_t want, uint64_t **a, size_t *cap,
                                size_t *n) {
    uint64_t id = 0, val = 0, v;
    uint32_t f;
    pprof__pbr sub;
    while (m->p < m->end && pprof__flame_field(m, &f, &v, &sub) == 0) {
        if (f == 1) id = v;
        if (f == want) val = v;
    }
    if (pprof__mem_grow((void **)a, cap, 2 * *n + 2, sizeof **a)) return -1;
    (*a)[2 * *n] = id;
    (*a)[2 * (*n)++ + 1] = val;
    return 0;
}

typedef struct pprof__fline { const char *s; size_t off, n; int64_t v; } pprof__fline;
PPROF__FN int pprof__flame_line_cmp(const void *pa, const void *pb) {
    const pprof__fline *a = (const pprof__fline *)pa, *b = (const pprof__fline *)pb;
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* What the passes of pprof__flame_fold share: where the profile's parts are (by pass 1),
   the sample type shown, the lines made (by pass 2). */
typedef struct pprof__flamex {
    pprof__pbr *strs, *locs, *smps; /* Profile.string_table, .location, .sample */
    uint64_t *types;                /* each sample_type's type */
    uint64_t *fname, *mfile;        /* (id, name) of each Function, (id, file) of each Mapping */
    uint64_t *lid;                  /* each Location's id */
    uint64_t deft;                  /* default_sample_type */
    size_t ns, cs, nt, ct, nl, cl, nsm, csm, nf, cf, nm_, cm, clid;
    size_t vi;                      /* the sample type shown */
    pprof__buf arena;               /* the lines' text */
    pprof__fline *lines;
    size_t cln, nln;
} pprof__flamex;

/* pprof__flame_fold's pass 1: where the parts of profile.proto p[0, n) are. 0, or -1 out
   of memory. */
PPROF__FN int pprof__flame_index(pprof__flamex *x, const unsigned char *p, size_t n) {
    pprof__pbr top, sub, s2, s3;
    uint64_t v;
    uint32_t f, f2;
    top.p = p;
    top.end = p + n;
    while (top.p < top.end) { /* pass 1: where everything is */
        if (pprof__flame_field(&top, &f, &v, &sub) != 0) break;
        if (f == 6 && sub.p) { /* Profile.string_table */
            if (pprof__mem_grow((void **)&x->strs, &x->cs, x->ns + 1, sizeof *x->strs)) return -1;
            x->strs[x->ns++] = sub;
        } else if (f == 1 && sub.p) { /* Profile.sample_type: ValueType.type = 1 */
            uint64_t t = 0;
            while (sub.p < sub.end && pprof__flame_field(&sub, &f2, &v, &s2) == 0)
                if (f2 == 1) t = v;
            if (pprof__mem_grow((void **)&x->types, &x->ct, x->nt + 1, sizeof *x->types)) return -1;
            x->types[x->nt++] = t;
        } else if (f == 2 && sub.p) { /* Profile.sample */
            if (pprof__mem_grow((void **)&x->smps, &x->csm, x->nsm + 1, sizeof *x->smps)) return -1;
            x->smps[x->nsm++] = sub;
        } else if (f == 4 && sub.p) { /* Profile.location, looked up by Location.id = 1 */
            uint64_t id = 0;
            s3 = sub;
            while (s3.p < s3.end && pprof__flame_field(&s3, &f2, &v, &s2) == 0)
                if (f2 == 1) id = v;
            if (pprof__mem_grow((void **)&x->locs, &x->cl, x->nl + 1, sizeof *x->locs) ||
                pprof__mem_grow((void **)&x->lid, &x->clid, x->nl + 1, sizeof *x->lid))
                return -1;
            x->lid[x->nl] = id;
            x->locs[x->nl++] = sub;
        } else if (f == 5 && sub.p) { /* Profile.function: id = 1, name = 2 */
            if (pprof__flame_pair(&sub, 2, &x->fname, &x->cf, &x->nf) != 0) return -1;
        } else if (f == 3 && sub.p) { /* Profile.mapping: id = 1, filename = 5 */
            if (pprof__flame_pair(&sub, 5, &x->mfile, &x->cm, &x->nm_) != 0) return -1;
        } else if (f == 14) {
            x->deft = v; /* Profile.default_sample_type */
        }
    }
    return 0;
}

/* The sample type shown (x->vi): the default one, else the last. *type and *unit (each
   may be NULL) become its name and unit in p[0, n). */
PPROF__FN void pprof__flame_type(pprof__flamex *x, const unsigned char *p, size_t n,
                                 pprof__pbr *type, pprof__pbr *unit) {
    pprof__pbr top, sub, s2;
    uint64_t v;
    uint32_t f, f2;
    size_t i;
    if (x->nt) x->vi = x->nt - 1;
    for (i = 0; x->deft && i < x->nt; i++)
        if (x->types[i] == x->deft) x->vi = i;
    if (type) {
        type->p = type->end = NULL;
        if (x->nt && x->types[x->vi] < x->ns) *type = x->strs[x->types[x->vi]];
    }
    if (unit) unit->p = unit->end = NULL;
    if (unit && x->nt) { /* the unit: ValueType.unit = 2 of the chosen sample_type */
        size_t seen = 0;
        top.p = p;
        top.end = p + n;
        while (top.p < top.end && pprof__flame_field(&top, &f, &v, &sub) == 0)
            if (f == 1 && sub.p && seen++ == x->vi)
                while (sub.p < sub.end && pprof__flame_field(&sub, &f2, &v, &s2) == 0)
                    if (f2 == 2 && v < x->ns) *unit = x->strs[v];
    }
}

/* The function ids of Location id into fn[16], innermost first; how many. hex[nhex]
   becomes its address ("0x..."), or "[its file]" when it has no function (then fn[0] is
   0, the one id). */
PPROF__FN size_t pprof__flame_loc(pprof__flamex *x, uint64_t id, uint64_t *fn, char *hex,
                                  size_t nhex) {
    pprof__pbr loc, s2, s3;
    size_t nfn = 0, j, li = x->nl, q;
    uint64_t map = 0, v;
    uint32_t f, f2;
    if (id >= 1 && id <= x->nl && x->lid[id - 1] == id) li = id - 1;
    for (j = 0; li == x->nl && j < x->nl; j++)
        if (x->lid[j] == id) li = j;
    hex[0] = 0;
    if (li < x->nl) { /* Location.address = 3; Location.line = 4 { function_id = 1 } */
        loc = x->locs[li];
        while (loc.p < loc.end && pprof__flame_field(&loc, &f, &v, &s2) == 0) {
            if (f == 2) map = v; /* Location.mapping_id */
            if (f == 3) snprintf(hex, nhex, "0x%llx", (unsigned long long)v);
            if (f == 4 && s2.p && nfn < 16)
                while (s2.p < s2.end && pprof__flame_field(&s2, &f2, &v, &s3) == 0)
                    if (f2 == 1) fn[nfn++] = v;
        }
    }
    if (!nfn) { /* no function: "[its file]" as pprof shows it, else its address */
        fn[nfn++] = 0;
        for (q = 0; map && q < x->nm_; q++)
            if (x->mfile[2 * q] == map && x->mfile[2 * q + 1] && x->mfile[2 * q + 1] < x->ns) {
                const pprof__pbr *fs = &x->strs[x->mfile[2 * q + 1]];
                const unsigned char *b = fs->end;
                while (b > fs->p && b[-1] != '/') b--; /* the base name */
                if (fs->end > b)
                    snprintf(hex, nhex, "[%.*s]", (int)(fs->end - b), (const char *)b);
                break;
            }
    }
    return nfn;
}

/* Appends the frames of Location id to the line in x->arena, outermost first, ';' before
   each but the line's *first; ';' in a name becomes ':', spaces and control bytes '_'. */
PPROF__FN void pprof__flame_frame(pprof__flamex *x, uint64_t id, int *first) {
    uint64_t fn[16];
    char hex[96];
    size_t nfn = pprof__flame_loc(x, id, fn, hex, sizeof hex), j;
    for (j = nfn; j-- > 0;) { /* Location.line is innermost first */
        const char *nm = hex[0] ? hex : "?";
        size_t nmlen = strlen(nm), q;
        for (q = 0; fn[j] && q < x->nf; q++)
            if (x->fname[2 * q] == fn[j] && x->fname[2 * q + 1] && x->fname[2 * q + 1] < x->ns) {
                nm = (const char *)x->strs[x->fname[2 * q + 1]].p;
                nmlen = (size_t)(x->strs[x->fname[2 * q + 1]].end - x->strs[x->fname[2 * q + 1]].p);
                break;
            }
        if (!*first) pprof__buf_put(&x->arena, ";", 1);
        *first = 0;
        for (q = 0; q < nmlen; q++) {
            unsigned char c = (unsigned char)nm[q];
            if (c == ';') c = ':';
            else if (c <= ' ' || c == 0x7f) c = '_';
            pprof__buf_put(&x->arena, &c, 1);
        }
    }
}

/* pprof__flame_fold's pass 2 for Profile.sample sub: its line, root first, and its value
   (none for a value of 0). 0, or -1 out of memory. */
PPROF__FN int pprof__flame_line(pprof__flamex *x, pprof__pbr sub) {
    pprof__pbr ids, vals, s2;
    uint64_t one_id = 0, one_v = 0, id, val = 0, v;
    int have_id = 0, have_v = 0, first = 1;
    uint64_t stack[512]; /* location ids, leaf first as in Sample.location_id */
    size_t depth = 0, off = x->arena.len, d, k;
    uint32_t f;
    ids.p = ids.end = vals.p = vals.end = NULL;
    while (sub.p < sub.end && pprof__flame_field(&sub, &f, &v, &s2) == 0) {
        if (f == 1) { if (s2.p) ids = s2; else { one_id = v; have_id = 1; } }
        if (f == 2) { if (s2.p) vals = s2; else { one_v = v; have_v = 1; } }
    }
    for (k = 0; pprof__flame_next(&vals, &one_v, &have_v, &v); k++)
        if (k == x->vi) val = v;
    if (val == 0) return 0;
    while (depth < sizeof stack / sizeof stack[0] &&
           pprof__flame_next(&ids, &one_id, &have_id, &id))
        stack[depth++] = id;
    for (d = depth; d-- > 0;) pprof__flame_frame(x, stack[d], &first);
    if (first) pprof__buf_put(&x->arena, "[no_stack]", 10);
    if (pprof__mem_grow((void **)&x->lines, &x->cln, x->nln + 1, sizeof *x->lines)) return -1;
    x->lines[x->nln].s = NULL; /* the arena may move: offsets now, pointers once it is whole */
    x->lines[x->nln].off = off;
    x->lines[x->nln].n = x->arena.len - off;
    x->lines[x->nln++].v = (int64_t)val;
    return 0;
}

/* The lines sorted, equal ones summed, into out as "frames value" (sums of 0 left out). */
PPROF__FN void pprof__flame_sum(pprof__flamex *x, pprof__buf *out) {
    size_t i, k;
    for (i = 0; i < x->nln; i++) x->lines[i].s = (const char *)x->arena.p + x->lines[i].off;
    if (x->nln) qsort(x->lines, x->nln, sizeof *x->lines, pprof__flame_line_cmp);
    for (i = 0; i < x->nln; i = k) {
        char num[32];
        int64_t sum = 0;
        for (k = i; k < x->nln && pprof__flame_line_cmp(&x->lines[i], &x->lines[k]) == 0; k++)
            sum += x->lines[k].v;
        if (sum == 0) continue;
        snprintf(num, sizeof num, " %lld\n", (long long)sum);
        pprof__buf_put(out, x->lines[i].s, x->lines[i].n);
        pprof__buf_put(out, num, strlen(num));
    }
}

/* Frees what pprof__flame_fold's passes made. */
PPROF__FN void pprof__flame_free(pprof__flamex *x) {
    PPROF_FREE(x->strs); PPROF_FREE(x->locs); PPROF_FREE(x->smps); PPROF_FREE(x->types);
    PPROF_FREE(x->fname); PPROF_FREE(x->lid); PPROF_FREE(x->lines); PPROF_FREE(x->arena.p);
    PPROF_FREE(x->mfile);
}

/* The folded stacks of profile.proto p[0, n) into out; *type and *unit (may be NULL)
   become the sample type shown, as pointers into p with lengths. A name's ';' becomes ':'
   and its spaces and control bytes '_', so every line parses as "frames value". */
PPROF__FN void pprof__flame_fold(pprof__buf *out, const unsigned char *p, size_t n,
                                 pprof__pbr *type, pprof__pbr *unit) {
    pprof__flamex x;
    size_t i;
    int oom;
    memset(&x, 0, sizeof x);
    if (type) type->p = type->end = NULL; /* none, should the first pass run out of memory */
    if (unit) unit->p = unit->end = NULL;
    oom = pprof__flame_index(&x, p, n) != 0;
    if (!oom) {
        pprof__flame_type(&x, p, n, type, unit);
        for (i = 0; !oom && i < x.nsm; i++) /* pass 2: each sample's line, root first */
            oom = pprof__flame_line(&x, x.smps[i]) != 0;
        oom = oom || x.arena.oom;
    }
    if (oom) out->oom = 1;
    else pprof__flame_sum(&x, out);
    pprof__flame_free(&x);
}

/* s[0, n) as the inside of a JSON string; '<', '>' and '&' escaped too, so nothing in it
   ("</script>", "<!--") can end the script element that holds it. Names are untrusted. */
PPROF__FN void pprof__flame_json(pprof__buf *b, const unsigned char *s, size_t n) {
    size_t i, from = 0;
    if (!n) return; /* s may be NULL */
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        char e[8];
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') continue;
        pprof__buf_put(b, s + from, i - from);
        from = i + 1;
        if (c == '\n') memcpy(e, "\\n", 3);
        else snprintf(e, sizeof e, "\\u%04x", c);
        pprof__buf_put(b, e, strlen(e));
    }
    pprof__buf_put(b, s + from, n - from);
}

/* The flame graph page of profile.proto p[0, n): the viewer, with the folded stacks as
   JSON inside it. title: the profile's name ("heap", "CPU 10 s"); the type follows it. */
PPROF__FN void pprof__flame_html(pprof__buf *out, const unsigned char *p, size_t n,
                                 const char *title) {
    pprof__buf fold;
    pprof__pbr type, unit;
    size_t i;
    memset(&fold, 0, sizeof fold);
    pprof__flame_fold(&fold, p, n, &type, &unit);
    if (fold.oom) out->oom = 1;
    for (i = 0; i < sizeof pprof__flame_head / sizeof pprof__flame_head[0]; i++)
        pprof__buf_put(out, pprof__flame_head[i], strlen(pprof__flame_head[i]));
    pprof__buf_put(out, "{\"title\":\"", 10);
    pprof__flame_json(out, (const unsigned char *)title, strlen(title));
    if (type.p) {
        pprof__buf_put(out, ", ", 2);
        pprof__flame_json(out, type.p, (size_t)(type.end - type.p));
    }
    pprof__buf_put(out, "\",\"unit\":\"", 10);
    if (unit.p) pprof__flame_json(out, unit.p, (size_t)(unit.end - unit.p));
    pprof__buf_put(out, "\",\"folded\":\"", 12);
    pprof__flame_json(out, fold.p, fold.len);
    pprof__buf_put(out, "\"}\n", 3);
    for (i = 0; i < sizeof pprof__flame_tail / sizeof pprof__flame_tail[0]; i++)
        pprof__buf_put(out, pprof__flame_tail[i], strlen(pprof__flame_tail[i]));
    PPROF_FREE(fold.p);
}

// =========================================================================================
// >>named: profiles by name (the named ones of PPROF__KINDS, in >>prof) in each format: the
// one entry the API and the HTTP endpoints share.
// =========================================================================================
/* The entry of a profile or endpoint by name ("threads": the goroutine profile, named for
   what it is here), or NULL. */
PPROF__FN const pprof__kind *pprof__kind_find(const char *name) {
    size_t i;
    if (strcmp(name, "threads") == 0) return &pprof__kinds[PPROF__K_GOROUTINE];
    for (i = 0; i < sizeof pprof__kinds / sizeof pprof__kinds[0]; i++)
        if (strcmp(name, pprof__kinds[i].name) == 0) return &pprof__kinds[i];
    return NULL;
}

/* The empty profile of a kind pprof.h does not record (yet): its types, no samples. Heap and
   allocs get the goroutine profile's types, as they always have here (kept byte for byte). */
PPROF__FN void pprof__named_empty(const pprof__kind *kind, int64_t duration, pprof__buf *pb) {
    pprof__spec sp;
    if (kind->src == PPROF__SRC_HEAP) kind = &pprof__kinds[PPROF__K_GOROUTINE];
    pprof__kind_spec(&sp, kind, duration);
    pprof__enc(pb, &sp, NULL, 0);
}

#if PPROF__HEAP
/* The record table behind a named profile, or NULL. */
PPROF__FN pprof__rtab *pprof__named_tab(const pprof__kind *kind) {
    static pprof__rtab *const tabs[PPROF__K_N] = {
#define PPROF__X(id, name, desc, src, tab, types, ptype, punit, deftype) tab,
        PPROF__KINDS(PPROF__X)
#undef PPROF__X
    };
    return tabs[kind->id];
}
#endif

/* The number the index page shows for a kind, as Go's: what its profile holds now (the
   samples a profile of its records has; threads for goroutine, threads created for
   threadcreate); 0 for the others. */
PPROF__FN long pprof__named_count(const pprof__kind *kind) {
    long count = 0;
    if (kind->src == PPROF__SRC_DUMP) {
        pprof__buf tids;
        memset(&tids, 0, sizeof tids);
        if (pprof__cpu_list_tids_into(&tids, NULL) == 0) count = (long)(tids.len / sizeof(int));
        PPROF_FREE(tids.p);
    }
#if PPROF__HEAP
    else if (kind->src != PPROF__SRC_OWN) {
        size_t n, i;
        pprof__hval *v = pprof__rec_snapshot(pprof__named_tab(kind), &n);
        for (i = 0; v && i < n; i++) /* threadcreate: threads, as its "total" (and Go's) */
            count += kind->id == PPROF__K_THREADCREATE ? (long)v[i].ao
                   : !pprof__rec_empty(&v[i], kind->src == PPROF__SRC_HEAP);
        PPROF_FREE(v);
    }
#endif
    return count;
}

/* /debug/pprof/<name>?debug=N into out: gzipped profile.proto (debug 0) or text; 3 folded
   stacks, 4 the flame graph page (PPROF_FORMAT_*), both from the profile.proto. With base
   (counters at the start of a window, from pprof__named_base), the window's events (heap:
   its allocations, in-use as at the end); duration its length. */
PPROF__FN int pprof__named(const char *name, int debug, const void *base, size_t nbase,
                           int64_t duration, pprof__buf *out) {
    pprof__buf pb;
    const pprof__kind *kind = pprof__kind_find(name);
    int format = debug;
    if (debug >= PPROF_FORMAT_FOLDED) debug = PPROF_FORMAT_PROTO;
    memset(&pb, 0, sizeof pb);
    if (!kind || kind->src == PPROF__SRC_OWN) return PPROF_ERR_NAME;
    PPROF__INSIDE_ENTER();
    if (kind->src == PPROF__SRC_DUMP) {
        size_t n;
        pprof__dslot *s = pprof__dump_take(&n);
        if (!s) out->oom = 1;
        else pprof__dump_write(out, &pb, s, n, debug, duration);
        PPROF_FREE(s);
    } else {
#if PPROF__HEAP
        size_t n;
        pprof__hval *v = pprof__rec_snapshot(pprof__named_tab(kind), &n);
        if (!v) out->oom = 1;
        else {
            if (base) pprof__rec_delta(v, n, (const pprof__hval *)base, nbase);
            if (debug == PPROF_FORMAT_PROTO) pprof__rec_encode(&pb, kind, v, n, duration);
            else if (kind->src == PPROF__SRC_HEAP) pprof__heap_text(out, kind, v, n);
            else pprof__sync_text(out, kind, v, n);
        }
        PPROF_FREE(v);
#else
        (void)base; (void)nbase;
        if (debug == PPROF_FORMAT_PROTO) {
            pprof__named_empty(kind, duration, &pb);
        } else if (kind->src == PPROF__SRC_HEAP) {
            static const char text[] = "heap profile: 0: 0 [0: 1] @ heap/1048576\n\n"
                                       "# pprof.h: no heap profiling on this platform\n";
            pprof__buf_put(out, text, sizeof text - 1);
        } else {
            pprof__text_head(out, kind, 0);
        }
#endif
    }
    if (debug == PPROF_FORMAT_PROTO) {
        if (pb.oom) out->oom = 1;
        else if (format == PPROF_FORMAT_FOLDED) pprof__flame_fold(out, pb.p, pb.len, NULL, NULL);
        else if (format == PPROF_FORMAT_FLAMEGRAPH)
            pprof__flame_html(out, pb.p, pb.len, kind->name);
        else pprof__gz_encode(out, pb.p, pb.len);
    }
    PPROF_FREE(pb.p);
    PPROF__INSIDE_LEAVE();
    return out->oom ? PPROF_ERR_NOMEM : PPROF_OK;
}

/* The start of a named profile's window: its counters now (NULL for the thread dump). */
PPROF__FN void *pprof__named_base(const char *name, size_t *n) {
    *n = 0;
#if PPROF__HEAP
    {
        const pprof__kind *kind = pprof__kind_find(name);
        pprof__rtab *T = kind ? pprof__named_tab(kind) : NULL;
        if (T) {
            pprof__hval *v;
            PPROF__INSIDE_ENTER();
            v = pprof__rec_snapshot(T, n);
            if (v) qsort(v, *n, sizeof *v, pprof__rec_val_cmp);
            PPROF__INSIDE_LEAVE();
            return v;
        }
    }
#else
    (void)name;
#endif
    return NULL;
}

// =========================================================================================
// >>http: the /debug/pprof/ listener. One thread polls the listening socket and the
// connections still sending their request (at most PPROF_HTTP_MAX_PENDING); a whole request
// gets a thread of its own (at most PPROF_HTTP_MAX_CONN; the excess gets 503 at once), so a
// 30-second CPU profile never delays another request. Every size and wait a client
// controls is bounded: request line (414), headers (431), body (413), reads (408).
// =========================================================================================
#ifndef PPROF_NO_HTTP
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#ifndef POLLRDHUP
#define POLLRDHUP 0x2000 /* (glibc names it with _GNU_SOURCE only) */
#endif

/* A connection being served, by a thread of its own: its request, then (HTTP/1.1
   keep-alive) the next ones already sent; when none is whole, the connection goes back
   to the listener to wait. */
enum { PPROF__CONN_FREE = 0, PPROF__CONN_SERVING = 1, PPROF__CONN_DONE = 2 }; /* pprof__conn.state */
typedef struct pprof__conn {
    pprof__fdid id;
    int state;  /* PPROF__CONN_FREE, _SERVING, _DONE (to be joined) */
    pthread_t th;
    char *buf;  /* PPROF_HTTP_MAX_HEADER + 1 bytes: the request as the listener read it
                   (head, maybe some body, maybe the next requests); the request thread
                   frees it or gives it back with the connection */
    size_t len;
} pprof__conn;

/* A connection whose request is still arriving, or (idle) a kept-alive one waiting for
   its next. The listener reads these in its poll loop, so idle and byte-at-a-time clients
   hold no thread and cannot starve others. */
typedef struct pprof__pend {
    pprof__fdid id; /* id.fd -1: free */
    char *buf;  /* PPROF_HTTP_MAX_HEADER + 1 bytes */
    size_t len;
    int64_t t0; /* accepted, or its last request answered, or (idle) the first byte of its
                   next request seen at (monotonic ns) */
    int idle;   /* kept alive, nothing of its next request yet */
} pprof__pend;

static pthread_mutex_t pprof__http_mu = PTHREAD_MUTEX_INITIALIZER;   /* listen/shutdown */
static pthread_mutex_t pprof__http_conn_mu = PTHREAD_MUTEX_INITIALIZER; /* conn[], pend[] */
static struct pprof__http_state {
    int listening;
    pprof__fdid lsn;  /* the listening socket (non-blocking); shutdown(2) on it wakes the
                         listener's poll (pprof_shutdown) */
    int lost;         /* atomic: the program closed or replaced it: no longer served */
    int port;
    int stopping;     /* shutdown asked: connections end, long waits return */
    int bodies;       /* atomic: request threads waiting for a body larger than a head */
    pprof__fdid wake; /* an eventfd: a request thread giving a connection back wakes the
                         listener's poll with it */
    pthread_t th;
    pprof__conn conn[PPROF_HTTP_MAX_CONN];
    pprof__pend pend[PPROF_HTTP_MAX_PENDING];
} pprof__http;

/* The access token ("": none). Read by the listener for every request. */
static pthread_mutex_t pprof__http_token_mu = PTHREAD_MUTEX_INITIALIZER;
static char pprof__http_token[PPROF__TOKEN_MAX + 1];
static int pprof__http_token_set; /* pprof_set_token was called: PPROF_TOKEN is not read */

typedef struct pprof__req {
    int fd;
    char method[32];
    char path[1024];     /* percent-decoded */
    char query[2048];    /* as sent; pprof__http_param decodes a value */
    const char *auth;    /* the Authorization value, inside the request buffer */
    size_t auth_len;
    long content_length; /* -1: none */
    int minor;           /* HTTP/1.<minor> */
    int close;           /* "Connection: close" */
    int keep;            /* "Connection: keep-alive" */
    int form;            /* Content-Type: application/x-www-form-urlencoded */
    int expect;          /* "Expect: 100-continue": the client waits for a go-ahead */
    char *body;
    size_t body_len;
    pprof__conn *conn;   /* its connection (where bytes read while it waits go) */
} pprof__req;

/* The connection a request thread serves: every read and write on it checks it is still
   the socket accepted (the program may have closed the number and reused it). */
static PPROF__TLS pprof__fdid pprof__http_cur = {-1, 0, 0};
/* What the request thread's answers say of the connection: PPROF__KEEP_*. */
enum { PPROF__KEEP_NO = 0, PPROF__KEEP_11 = 1, PPROF__KEEP_10 = 2 };
static PPROF__TLS int pprof__http_keep;
static PPROF__TLS int pprof__http_minor = 1; /* the request's HTTP/1.<minor>: the answer's */
static PPROF__TLS int pprof__http_head;      /* a HEAD: no answer of it has a body */
PPROF__FN int pprof__http_fd_ok(int fd) {
    return fd != pprof__http_cur.fd || pprof__fd_ours(&pprof__http_cur);
}

/* Sends a then b (either may be empty) whole, in as few system calls as the socket takes
   (a client gone away is no signal: MSG_NOSIGNAL): an answer that fits the send buffer
   goes out in one, so a shutdown racing with it (see pprof__http_shutdown) leaves the
   client all of it or none, never headers alone. */
PPROF__FN int pprof__http_send2(int fd, const void *a, size_t na, const void *b, size_t nb) {
    struct iovec v[2];
    struct msghdr mh;
    if (!pprof__http_fd_ok(fd)) { errno = EBADF; return -1; }
    v[0].iov_base = (void *)(uintptr_t)a;
    v[0].iov_len = na;
    v[1].iov_base = (void *)(uintptr_t)b;
    v[1].iov_len = nb;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = v[0].iov_len ? v : v + 1;
    mh.msg_iovlen = v[0].iov_len ? 2 : 1;
    while (v[0].iov_len + v[1].iov_len > 0) {
        ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
        size_t k = w > 0 ? (size_t)w : 0;
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        if (k >= v[0].iov_len) {
            k -= v[0].iov_len;
            v[0].iov_len = 0;
            if (k) v[1].iov_base = (char *)v[1].iov_base + k;
            v[1].iov_len -= k;
            mh.msg_iov = v + 1;
            mh.msg_iovlen = 1;
        } else {
            v[0].iov_base = (char *)v[0].iov_base + k;
            v[0].iov_len -= k;
        }
    }
    return 0;
}
PPROF__FN int pprof__http_send(int fd, const void *d, size_t n) {
    return pprof__http_send2(fd, d, n, NULL, 0);
}

PPROF__FN const char *pprof__http_reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

/* "Date: Wed, 02 Dec 2026 19:00:00 GMT\r\n" (RFC 9110 IMF-fixdate) into d (48 bytes). */
PPROF__FN void pprof__http_date(char *d, size_t n) {
    static const char days[] = "SunMonTueWedThuFriSat", mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    time_t t = time(NULL);
    struct tm g;
    if (!gmtime_r(&t, &g)) { d[0] = 0; return; }
    snprintf(d, n, "Date: %.3s, %02d %.3s %04d %02d:%02d:%02d GMT\r\n", days + 3 * (g.tm_wday % 7),
             g.tm_mday, mons + 3 * (g.tm_mon % 12), g.tm_year + 1900, g.tm_hour, g.tm_min, g.tm_sec);
}

/* One whole response. `extra` holds more header lines, each ending in \r\n; type NULL: no
   Content-Type; len (size_t)-1 with head_only: a HEAD answer whose length is not known
   without doing the work (no Content-Length). The connection stays open after it when the
   request thread's pprof__http_keep says so (never on the listener's thread). */
PPROF__FN void pprof__http_reply(int fd, int status, const char *type, const char *extra,
                                 const void *body, size_t len, int head_only) {
    char hdr[1024], date[48], ctype[96], clen[48];
    int keep = fd == pprof__http_cur.fd ? pprof__http_keep : PPROF__KEEP_NO, n;
    int minor = fd == pprof__http_cur.fd ? pprof__http_minor : 1; /* Go answers in kind */
    if (fd == pprof__http_cur.fd && pprof__http_head) head_only = 1; /* errors too */
    pprof__http_date(date, sizeof date);
    ctype[0] = clen[0] = 0;
    if (type) snprintf(ctype, sizeof ctype, "Content-Type: %s\r\n", type);
    if (len != (size_t)-1) snprintf(clen, sizeof clen, "Content-Length: %lu\r\n", (unsigned long)len);
    /* (Go's redirects carry no nosniff; a 1.0 client expects the close, Go does not say it) */
    n = snprintf(hdr, sizeof hdr, "HTTP/1.%d %d %s\r\n%s%s%s%s%s%s\r\n", minor ? 1 : 0, status,
                 pprof__http_reason(status), ctype, clen, date,
                 status == 301 ? "" : "X-Content-Type-Options: nosniff\r\n",
                 keep == PPROF__KEEP_NO ? (minor ? "Connection: close\r\n" : "")
                 : keep == PPROF__KEEP_10 ? "Connection: keep-alive\r\n" : "",
                 extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof hdr) { pprof__http_keep = PPROF__KEEP_NO; return; }
    if (pprof__http_send2(fd, hdr, (size_t)n, body, head_only || len == (size_t)-1 ? 0 : len) != 0 &&
        fd == pprof__http_cur.fd)
        pprof__http_keep = PPROF__KEEP_NO; /* a part sent: the connection cannot go on */
}

/* Go's error helper: text/plain, X-Go-Pprof: 1 (so pprof shows the text), body + "\n". */
PPROF__FN void pprof__http_error(int fd, int status, const char *msg) {
    char body[512];
    int n = snprintf(body, sizeof body, "%s\n", msg);
    pprof__http_reply(fd, status, "text/plain; charset=utf-8", "X-Go-Pprof: 1\r\n", body,
                      n > 0 ? (size_t)n : 0, 0);
}

PPROF__FN int pprof__http_hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes s[0, n) into out (size len, NUL-terminated), '+' as a space when plus.
   0; -1 for a bad escape or a NUL byte; -2 when it does not fit. */
PPROF__FN int pprof__http_unescape(const char *s, size_t n, char *out, size_t len, int plus) {
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi, lo;
            if (n - i < 3) return -1;
            hi = pprof__http_hex(s[i + 1]);
            lo = pprof__http_hex(s[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0) return -1;
        if (o + 1 >= len) return -2;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return 0;
}

/* The value of query parameter `key`, percent-decoded, into out ("" if absent); 1 if
   present. As Go's ParseQuery, a pair with a bad escape counts as absent. */
PPROF__FN int pprof__http_param(const char *query, const char *key, char *out, size_t len) {
    const char *p = query;
    out[0] = 0;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t seg = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = (const char *)memchr(p, '=', seg);
        size_t nl = eq ? (size_t)(eq - p) : seg;
        char name[64]; /* the name decoded, as Go's (?%64ebug=1 is debug) */
        if (pprof__http_unescape(p, nl, name, sizeof name, 1) == 0 && strcmp(name, key) == 0) {
            size_t vl = eq ? seg - nl - 1 : 0;
            int rc = pprof__http_unescape(eq ? eq + 1 : p + seg, vl, out, len, 1);
            if (rc == 0) return 1;
            out[0] = 0;
            if (rc == -2) return 1; /* too long for any valid value: present, and bad */
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* Go's FormValue: the value of parameter key in an application/x-www-form-urlencoded body
   (POST, PUT, PATCH), else in the query; as pprof__http_param. */
PPROF__FN int pprof__http_form(const pprof__req *r, const char *key, char *out, size_t len) {
    if (r->form && r->body &&
        (!strcmp(r->method, "POST") || !strcmp(r->method, "PUT") || !strcmp(r->method, "PATCH")) &&
        pprof__http_param(r->body, key, out, len))
        return 1;
    return pprof__http_param(r->query, key, out, len);
}

/* Go's strconv.Atoi on a parameter: 1 and *v when the whole text is a decimal integer. */
PPROF__FN int pprof__http_int(const char *s, long *v) {
    char *end;
    long x;
    if (*s != '+' && *s != '-' && (*s < '0' || *s > '9')) return 0; /* strtol skips spaces */
    errno = 0;
    x = strtol(s, &end, 10);
    if (*end || errno) return 0;
    *v = x;
    return 1;
}

/* Waits up to ns, in steps, until shutdown or the client hangs up. 0 if the whole wait
   ran. What the client sends meanwhile (its next requests) is kept in its connection's
   buffer while there is room, then left in the socket. */
PPROF__FN int pprof__http_wait(const pprof__req *r, int64_t ns) {
    int64_t end = pprof__os_mono_ns() + ns;
    int fd = r->fd;
    for (;;) {
        struct pollfd p;
        int64_t left = end - pprof__os_mono_ns();
        pprof__conn *c = r->conn;
        char junk[512], *to = junk;
        size_t room = sizeof junk;
        if (__atomic_load_n(&pprof__http.stopping, __ATOMIC_ACQUIRE)) return -1;
        if (left <= 0) return 0;
        if (!pprof__http_fd_ok(fd)) return -1;
        if (c && c->buf) {
            to = c->buf + c->len;
            room = PPROF_HTTP_MAX_HEADER - c->len;
        }
        p.fd = fd;
        p.events = room ? POLLIN : POLLRDHUP; /* full: only a hang-up matters */
        p.revents = 0;
        if (poll(&p, 1, (int)(left > 100000000 ? 100 : left / 1000000 + 1)) > 0) {
            ssize_t n;
            if (p.revents & (POLLERR | POLLHUP | POLLRDHUP)) return -1;
            if (!(p.revents & POLLIN)) continue;
            /* a closed client ends the window early, as Go does */
            if ((n = recv(fd, to, room, MSG_DONTWAIT)) == 0) return -1;
            if (n > 0 && to != junk) {
                c->len += (size_t)n;
                c->buf[c->len] = 0;
            }
        }
    }
}

/* The index page: the kinds with a description (PPROF__KINDS), sorted by name as Go's, then
   a flame graph link for each named profile. */
PPROF__FN void pprof__http_index(int fd, int head) {
    pprof__buf b;
    const pprof__kind *rows[PPROF__K_N];
    size_t i, j, nrows = 0;
    char row[512];
    memset(&b, 0, sizeof b);
    for (i = 0; i < PPROF__K_N; i++) {
        if (!pprof__kinds[i].desc) continue;
        for (j = nrows++; j > 0 && strcmp(rows[j - 1]->name, pprof__kinds[i].name) > 0; j--)
            rows[j] = rows[j - 1];
        rows[j] = &pprof__kinds[i];
    }
#define PPROF__S(str) pprof__buf_put(&b, str, strlen(str))
    PPROF__S("<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n"
             "<p>Set debug=1 as a query parameter to export in legacy text format</p>\n"
             "<br>\nTypes of profiles available:\n<table>\n<thead><td>Count</td><td>Profile"
             "</td></thead>\n");
    for (i = 0; i < nrows; i++) {
        const char *nm = rows[i]->name;
        snprintf(row, sizeof row, "<tr><td>%ld</td><td><a href='%s?debug=1'>%s</a></td></tr>\n",
                 pprof__named_count(rows[i]), nm, nm);
        PPROF__S(row);
    }
    PPROF__S("</table>\n<a href=\"goroutine?debug=2\">full goroutine stack dump</a>\n<br>\n"
             "<p>Flame graphs (one HTML page each; add format=folded to any profile for "
             "folded stacks): <a href=\"flamegraph?seconds=10\">CPU, 10 s</a>");
    for (i = 0; i < PPROF__K_N; i++) {
        const char *nm = pprof__kinds[i].name;
        if (pprof__kinds[i].src == PPROF__SRC_OWN) continue;
        snprintf(row, sizeof row, " <a href=\"flamegraph?profile=%s\">%s</a>", nm, nm);
        PPROF__S(row);
    }
    PPROF__S("</p>\n<p>\nProfile Descriptions:\n<ul>\n");
    for (i = 0; i < nrows; i++) {
        snprintf(row, sizeof row, "<li><div class=profile-name>%s: </div> %s</li>\n",
                 rows[i]->name, rows[i]->desc);
        PPROF__S(row);
    }
    PPROF__S("</ul>\n</p>\n</body>\n</html>\n");
#undef PPROF__S
    if (b.oom) pprof__http_error(fd, 500, "out of memory");
    else pprof__http_reply(fd, 200, "text/html; charset=utf-8", NULL, b.p, b.len, head);
    PPROF_FREE(b.p);
}

/* Samples the CPU for ns, then answers with the profile; with `trace` 1 the timeline, 2
   folded stacks, 3 the flame graph page (pprof__cpu_start's 2: the profile, to convert).
   Nothing is sent before the end, as Go does; the client leaving ends the window early. */
PPROF__FN void pprof__http_sampled(const pprof__req *r, int head, int64_t ns, int trace) {
    static const char *const types[] = {"application/octet-stream", "application/json",
                                        "text/plain; charset=utf-8", "text/html; charset=utf-8"};
    static const char *const disp[] = {
        "Content-Disposition: attachment; filename=\"profile\"\r\n",
        "Content-Disposition: attachment; filename=\"trace.json\"\r\n", NULL, NULL};
    int gen, rc;
    pprof__buf out;
    if (head) { /* the headers only, length unknown: no profile is taken for them */
        pprof__http_reply(r->fd, 200, types[trace], disp[trace], NULL, (size_t)-1, 1);
        return;
    }
    rc = pprof__cpu_start(NULL, &gen, trace == 1 ? PPROF__CPU_TRACE_TIMES
                                      : trace ? PPROF__CPU_TRACE_RAW_PROTO : PPROF__CPU_TRACE_NONE,
                          trace == 1 ? PPROF__CPU_TRACE : trace == 3 ? PPROF__CPU_PAGE : PPROF__CPU_PROFILE);
    if (rc != PPROF_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "Could not enable %s: %s", trace == 1 ? "tracing" : "CPU profiling",
                 trace == 1 && rc == PPROF_ERR_BUSY ? "tracing is already enabled"
                 : trace == 3 && rc == PPROF_ERR_BUSY ? "too many flame graph pages at once"
                 : pprof_strerror(rc));
        pprof__http_error(r->fd, 500, msg);
        return;
    }
    pprof__http_wait(r, ns);
    memset(&out, 0, sizeof out);
    rc = pprof__cpu_stop(gen, &out);
    if (rc == PPROF_OK && trace >= 2) { /* out holds the profile.proto: convert it */
        pprof__buf conv;
        char title[48];
        memset(&conv, 0, sizeof conv);
        snprintf(title, sizeof title, "CPU %.0f s", (double)ns / 1e9);
        if (trace == 2) pprof__flame_fold(&conv, out.p, out.len, NULL, NULL);
        else pprof__flame_html(&conv, out.p, out.len, title);
        PPROF_FREE(out.p);
        out = conv;
        if (out.oom) rc = PPROF_ERR_NOMEM;
    }
    if (rc != PPROF_OK) pprof__http_error(r->fd, 500, pprof_strerror(rc));
    else pprof__http_reply(r->fd, 200, types[trace], disp[trace], out.p, out.len, 0);
    PPROF_FREE(out.p);
}

/* ?format=: PPROF_FORMAT_PROTO absent (or "proto"), PPROF_FORMAT_FOLDED "folded", -1
   anything else (a 400, sent here). */
PPROF__FN int pprof__http_format(const pprof__req *r) {
    char v[32];
    if (!pprof__http_form(r, "format", v, sizeof v) || !v[0] || strcmp(v, "proto") == 0)
        return PPROF_FORMAT_PROTO;
    if (strcmp(v, "folded") == 0) return PPROF_FORMAT_FOLDED;
    pprof__http_error(r->fd, 400, "unknown format (want folded or proto)");
    return -1;
}

/* GET /debug/pprof/profile?seconds=N[&format=folded]: a CPU profile of N seconds; also
   /debug/pprof/flamegraph?seconds=N (default 10) as its flame graph page (flame = 1). */
PPROF__FN void pprof__http_cpu(const pprof__req *r, int head, int flame) {
    char v[32];
    long secs = flame ? 10 : 30;
    int format = flame ? PPROF_FORMAT_PROTO : pprof__http_format(r);
    if (format < 0) return;
    if (pprof__http_form(r, "seconds", v, sizeof v) &&
        (!pprof__http_int(v, &secs) || secs <= 0))
        secs = flame ? 10 : 30; /* Go: missing, bad or <= 0 means 30, no error */
    if (secs > 86400) secs = 86400; /* a day at most: no overflow, no profiler held for good */
    pprof__http_sampled(r, head, (int64_t)secs * 1000000000,
                        flame ? 3 : format == PPROF_FORMAT_FOLDED ? 2 : 0);
}

/* GET /debug/pprof/trace?seconds=N: Go's execution trace has no C counterpart; this is the
   CPU samples of N seconds (default 1) per thread over time, as Chrome trace-event JSON. */
PPROF__FN void pprof__http_trace(const pprof__req *r, int head) {
    char v[32];
    double secs = 1;
    if (pprof__http_form(r, "seconds", v, sizeof v)) {
        char *end;
        secs = strtod(v, &end);
        if (!v[0] || *end || !(secs > 0) || secs > 86400) secs = 1; /* Go: bad means 1 */
    }
    pprof__http_sampled(r, head, (int64_t)(secs * 1e9), 1);
}

/* GET /debug/pprof/<name>[?debug=N][&seconds=N]: the named profiles. */
PPROF__FN void pprof__http_named(const pprof__req *r, const char *name, int head, int flame) {
    char v[64], disp[160];
    long debug = 0, secs = 0;
    int64_t t0 = pprof__os_mono_ns();
    pprof__buf out;
    void *base = NULL;
    size_t nbase = 0;
    int rc, format = flame ? PPROF_FORMAT_FLAMEGRAPH : pprof__http_format(r);
    if (format < 0) return; /* answered */
    if (pprof__http_form(r, "seconds", v, sizeof v) && v[0]) {
        if (!pprof__http_int(v, &secs) || secs <= 0) {
            pprof__http_error(r->fd, 400, "invalid value for \"seconds\" - must be a positive integer");
            return;
        }
        if (secs > 86400) secs = 86400; /* a day at most */
    }
    if (pprof__http_form(r, "debug", v, sizeof v) && !pprof__http_int(v, &debug))
        debug = 0; /* Go: garbage means 0 */
    if (secs > 0 && debug != PPROF_FORMAT_PROTO) {
        pprof__http_error(r->fd, 400, "seconds and debug params are incompatible");
        return;
    }
    if (format != PPROF_FORMAT_PROTO && debug != PPROF_FORMAT_PROTO) {
        pprof__http_error(r->fd, 400, "format and debug params are incompatible");
        return;
    }
    if (secs > 0) { /* a window: counters now, again at the end */
        base = pprof__named_base(name, &nbase);
        if (pprof__http_wait(r, (int64_t)secs * 1000000000) != 0) {
            PPROF_FREE(base);
            pprof__http_error(r->fd, 500, "context canceled");
            return;
        }
    }
    memset(&out, 0, sizeof out);
    if (format == PPROF_FORMAT_PROTO) /* no format=: debug= as Go reads it, above 2 as 2 */
        format = debug >= PPROF_FORMAT_THREADS ? PPROF_FORMAT_THREADS
               : debug != PPROF_FORMAT_PROTO ? PPROF_FORMAT_TEXT : PPROF_FORMAT_PROTO;
    rc = pprof__named(name, format, base, nbase, secs > 0 ? pprof__os_mono_ns() - t0 : 0, &out);
    PPROF_FREE(base);
    snprintf(disp, sizeof disp, "Content-Disposition: attachment; filename=\"%s%s\"\r\n", name,
             secs > 0 ? "-delta" : "");
    if (rc != PPROF_OK) pprof__http_error(r->fd, 500, "failed to collect profile");
    else if (format == PPROF_FORMAT_FLAMEGRAPH)
        pprof__http_reply(r->fd, 200, "text/html; charset=utf-8", NULL, out.p, out.len, head);
    else if (format != PPROF_FORMAT_PROTO)
        pprof__http_reply(r->fd, 200, "text/plain; charset=utf-8", NULL, out.p, out.len, head);
    else pprof__http_reply(r->fd, 200, "application/octet-stream", disp, out.p, out.len, head);
    PPROF_FREE(out.p);
}

/* GET /debug/pprof/flamegraph[?seconds=N | ?profile=heap|allocs|block|mutex|goroutine|
   threadcreate[&seconds=N]]: a profile as one self-contained HTML page; CPU by default. */
PPROF__FN void pprof__http_flame(const pprof__req *r, int head) {
    const pprof__kind *kind;
    char v[32];
    if (!pprof__http_form(r, "profile", v, sizeof v) || !v[0] ||
        strcmp(v, "profile") == 0 || strcmp(v, "cpu") == 0) {
        pprof__http_cpu(r, head, 1);
        return;
    }
    kind = pprof__kind_find(v);
    if (kind && kind->src != PPROF__SRC_OWN) pprof__http_named(r, kind->name, head, 1);
    else pprof__http_error(r->fd, 404, "Unknown profile");
}

/* /debug/pprof/symbol: GET answers the count line; POST (or a GET query) takes addresses
   "0x1+0x2" and answers "0x<addr> <name>" for each one a symbol covers. */
/* The next address of a symbol request ("0x4a1b+0x4a2c", as pprof sends) at *p, moving
   *p past it and its '+'; 0 for a word that is not a number. */
PPROF__FN unsigned long long pprof__http_symbol_next(const char **p) {
    char *end;
    unsigned long long a = strtoull(*p, &end, 0);
    if (end == *p || (*end && *end != '+')) { /* not a number: skip the word */
        a = 0;
        while (**p && **p != '+') (*p)++;
    } else {
        *p = end;
    }
    if (**p == '+') (*p)++;
    return a;
}

PPROF__FN void pprof__http_symbol(const pprof__req *r, int head) {
    pprof__buf out;
    pprof__maps maps;
    pprof__exe exe;
    const char *in = strcmp(r->method, "POST") == 0 ? (r->body ? r->body : "") : r->query;
    memset(&out, 0, sizeof out);
    pprof__buf_put(&out, "num_symbols: 1\n", 15);
    if (*in && pprof__maps_read(&maps) == 0) {
        const char *p = in;
        pprof__sym_exe(&exe);
        pprof__lock(&pprof__sym_mu);
        while (*p) {
            unsigned long long a = pprof__http_symbol_next(&p);
            size_t i;
            if (a == 0) continue;
            for (i = 0; i < maps.n; i++) {
                const pprof__mapent *e = &maps.e[i];
                if (e->x && e->lo <= a && a < e->hi) {
                    pprof__obj *o = pprof__sym_obj(e, &exe);
                    const char *name = o ? pprof__sym_lookup(o, (uintptr_t)a, NULL) : NULL;
                    if (name) {
                        char line[64];
                        snprintf(line, sizeof line, "0x%llx ", a);
                        pprof__buf_put(&out, line, strlen(line));
                        pprof__buf_put(&out, name, strlen(name));
                        pprof__buf_put(&out, "\n", 1);
                    }
                    break;
                }
            }
        }
        pprof__unlock(&pprof__sym_mu);
        pprof__maps_free(&maps);
    }
    if (out.oom) pprof__http_error(r->fd, 500, "out of memory");
    else pprof__http_reply(r->fd, 200, "text/plain; charset=utf-8", NULL, out.p, out.len, head);
    PPROF_FREE(out.p);
}

PPROF__FN void pprof__http_cmdline(int fd, int head) {
    size_t len = 0;
    char path[32];
    char *c = pprof__os_read_file(pprof__os_self(path, sizeof path, "cmdline"), &len);
    if (!c) { pprof__http_error(fd, 500, "cannot read /proc/self/cmdline"); return; }
    if (len > 0 && c[len - 1] == 0) len--; /* NUL-joined, no trailing NUL, as Go */
    pprof__http_reply(fd, 200, "text/plain; charset=utf-8", NULL, c, len, head);
    PPROF_FREE(c);
}

/* Go's cleanPath: path p with "//", "." and ".." resolved, rooted, its trailing slash
   kept, into out (size n, as big as p's: it never grows but by the root). */
PPROF__FN void pprof__http_clean(const char *p, char *out, size_t n) {
    size_t o = 0, len = strlen(p);
    const char *c = p;
    while (*c && o + 2 < n) {
        const char *e = c;
        size_t l;
        while (*e && *e != '/') e++;
        l = (size_t)(e - c);
        if (l == 2 && c[0] == '.' && c[1] == '.') { /* up one, never above the root */
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
        } else if (l > 0 && !(l == 1 && c[0] == '.') && o + 1 + l < n) {
            out[o++] = '/';
            memcpy(out + o, c, l);
            o += l;
        }
        c = *e ? e + 1 : e;
    }
    if (o == 0) out[o++] = '/';
    else if (len > 0 && p[len - 1] == '/' && o + 1 < n) out[o++] = '/';
    out[o] = 0;
}

/* Go's redirect to `path` (then ?query when there is one): 301, Location escaped as a
   URL path, and for GET its short HTML body. */
PPROF__FN void pprof__http_moved(const pprof__req *r, const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    char loc[sizeof r->path * 3 + sizeof r->query + 16], hdr[sizeof loc + 16];
    char body[sizeof loc * 6 + 64];
    size_t o = 0, b;
    const char *q;
    for (q = path; *q && o + 4 < sizeof loc; q++) { /* (what Go's URL.EscapedPath keeps) */
        unsigned char ch = (unsigned char)*q;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("-_.~$&+,/:;=@", ch)) {
            loc[o++] = (char)ch;
        } else {
            loc[o++] = '%';
            loc[o++] = hex[ch >> 4];
            loc[o++] = hex[ch & 15];
        }
    }
    loc[o] = 0;
    if (r->query[0]) snprintf(loc + o, sizeof loc - o, "?%s", r->query);
    snprintf(hdr, sizeof hdr, "Location: %s\r\n", loc);
    if (strcmp(r->method, "GET") != 0) { /* Go: a body for GET only, a type for HEAD too */
        int head = strcmp(r->method, "HEAD") == 0; /* (Go sends a HEAD no length) */
        pprof__http_reply(r->fd, 301, head ? "text/html; charset=utf-8" : NULL, hdr, NULL,
                          head ? (size_t)-1 : 0, 1);
        return;
    }
    b = (size_t)snprintf(body, sizeof body, "<a href=\"");
    for (q = loc; *q && b + 8 < sizeof body; q++) { /* HTML-escaped */
        const char *e = *q == '&' ? "&amp;" : *q == '<' ? "&lt;" : *q == '>' ? "&gt;"
                      : *q == '"' ? "&#34;" : *q == '\'' ? "&#39;" : NULL;
        if (e) { memcpy(body + b, e, strlen(e)); b += strlen(e); }
        else body[b++] = *q;
    }
    b += (size_t)snprintf(body + b, sizeof body - b, "\">Moved Permanently</a>.\n\n");
    pprof__http_reply(r->fd, 301, "text/html; charset=utf-8", hdr, body, b, 0);
}

/* Serves r as Go's mux and net/http/pprof do: every method alike (HEAD without a body;
   /symbol reads a POST's body), an unclean path redirected to its clean form. */
PPROF__FN void pprof__http_route(const pprof__req *r) {
    static const char pre[] = "/debug/pprof/";
    int head = strcmp(r->method, "HEAD") == 0;
    const pprof__kind *kind;
    const char *name;
    char clean[sizeof r->path + 2];
    pprof__http_clean(r->path[0] ? r->path : "/", clean, sizeof clean); /* Go: "" is "/" */
    /* Go's mux: the subtree's slash first (/debug/pprof/heap/.. goes there in one step),
       then the clean path */
    if (strcmp(clean, "/debug/pprof") == 0) { pprof__http_moved(r, "/debug/pprof/"); return; }
    if (strcmp(clean, r->path) != 0) { pprof__http_moved(r, clean); return; }
    if (strncmp(r->path, pre, sizeof pre - 1) != 0) {
        pprof__http_reply(r->fd, 404, "text/plain; charset=utf-8", NULL,
                          "404 page not found\n", 19, head);
        return;
    }
    name = r->path + sizeof pre - 1;
    kind = pprof__kind_find(name);
    if (!*name) pprof__http_index(r->fd, head);
    else if (strcmp(name, "flamegraph") == 0) pprof__http_flame(r, head);
    else if (!kind) pprof__http_error(r->fd, 404, "Unknown profile");
    else if (kind->id == PPROF__K_SYMBOL) pprof__http_symbol(r, head);
    else if (kind->id == PPROF__K_PROFILE) pprof__http_cpu(r, head, 0);
    else if (kind->id == PPROF__K_CMDLINE) pprof__http_cmdline(r->fd, head);
    else if (kind->id == PPROF__K_TRACE) pprof__http_trace(r, head);
    else pprof__http_named(r, kind->name, head, 0);
}

/* Whether s[0, n) starts with lit, ignoring ASCII case. */
PPROF__FN int pprof__http_ci(const char *s, size_t n, const char *lit) {
    size_t i, l = strlen(lit);
    if (n < l) return 0;
    for (i = 0; i < l; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != lit[i]) return 0;
    return 1;
}

/* A token's characters (header names, methods) (RFC 9110 tchar). */
PPROF__FN int pprof__http_tchar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Parses the request head in buf[0, len) (buf[len] is 0). Returns 0 when it is complete
   and well-formed (r filled, *used = its size with the blank line), -1 while more bytes
   are needed, else the HTTP status that refuses it, with *why. Lines end in CRLF or LF.
   No I/O: the fuzz target calls it as it is. */
PPROF__FN int pprof__http_parse(const char *buf, size_t len, pprof__req *r, size_t *used,
                                const char **why) {
    const char *end = buf + len, *nl, *lend, *sp, *t, *te, *q, *line;
    size_t skip;
    int fd = r->fd, rc;
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->content_length = -1;
    *used = 0;
    *why = "Bad Request";
    for (t = buf; t < end && (t = (const char *)memchr(t, '\n', (size_t)(end - t))) != NULL; t++)
        if ((t + 1 < end && t[1] == '\n') || (t + 2 < end && t[1] == '\r' && t[2] == '\n'))
            break; /* the end of the head: a body (or the next request) may hold any byte */
    if (memchr(buf, 0, t && t < end ? (size_t)(t - buf) : len)) {
        *why = "NUL byte in the request";
        return 400;
    }
    nl = (const char *)memchr(buf, '\n', len);
    if (!nl || (size_t)(nl - buf) > PPROF_HTTP_MAX_LINE) {
        if (nl || len > PPROF_HTTP_MAX_LINE) { *why = "URI Too Long"; return 414; }
        return -1;
    }
    lend = nl > buf && nl[-1] == '\r' ? nl - 1 : nl;
    /* the request line: METHOD SP target SP HTTP/1.x */
    for (sp = buf; sp < lend && pprof__http_tchar((unsigned char)*sp); sp++) {} /* any token, as Go */
    if (sp == buf || sp == lend || *sp != ' ' || (size_t)(sp - buf) >= sizeof r->method) {
        *why = "malformed request line";
        return 400;
    }
    memcpy(r->method, buf, (size_t)(sp - buf));
    t = sp + 1;
    te = (const char *)memchr(t, ' ', (size_t)(lend - t));
    if (!te) { *why = "malformed request line (no HTTP version)"; return 400; }
    if (te == t) { *why = "malformed request line (no URL)"; return 400; }
    if (lend - te - 1 != 8 || memcmp(te + 1, "HTTP/1.", 7) != 0 || (te[8] != '0' && te[8] != '1')) {
        if (lend - te - 1 == 8 && memcmp(te + 1, "HTTP/", 5) == 0 && te[6] >= '0' &&
            te[6] <= '9' && te[7] == '.' && te[8] >= '0' && te[8] <= '9') { /* well formed */
            *why = "HTTP Version Not Supported";
            return 505;
        }
        *why = "malformed request line";
        return 400;
    }
    r->minor = te[8] - '0';
    for (q = t; q < te; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f) { *why = "control byte in the URL"; return 400; }
    /* absolute form (what a proxy sends): keep the path */
    skip = pprof__http_ci(t, (size_t)(te - t), "http://") ? 7
         : pprof__http_ci(t, (size_t)(te - t), "https://") ? 8 : 0;
    if (skip) {
        const char *sl = (const char *)memchr(t + skip, '/', (size_t)(te - t) - skip);
        t = sl ? sl : te;
    }
    if (t < te && *t != '/') { *why = "the URL must be a path"; return 400; }
    q = t < te ? (const char *)memchr(t, '?', (size_t)(te - t)) : NULL;
    if (t == te) r->path[0] = 0; /* "http://host": Go redirects to "/" */
    else if ((rc = pprof__http_unescape(t, (size_t)((q ? q : te) - t), r->path, sizeof r->path, 0)) != 0) {
        *why = rc == -2 ? "URI Too Long" : "invalid URL escape";
        return rc == -2 ? 414 : 400;
    }
    if (q) {
        if ((size_t)(te - q - 1) >= sizeof r->query) { *why = "URI Too Long"; return 414; }
        memcpy(r->query, q + 1, (size_t)(te - q - 1));
        r->query[te - q - 1] = 0;
    }
    /* header lines, up to the blank line */
    for (line = nl + 1;; line = nl + 1) {
        const char *colon, *v, *ve, *h;
        nl = (const char *)memchr(line, '\n', (size_t)(end - line));
        if (!nl) {
            if (len >= PPROF_HTTP_MAX_HEADER) { *why = "Request Header Fields Too Large"; return 431; }
            return -1;
        }
        lend = nl > line && nl[-1] == '\r' ? nl - 1 : nl;
        if (lend == line) break;
        colon = (const char *)memchr(line, ':', (size_t)(lend - line));
        for (h = line; h < (colon ? colon : lend) && pprof__http_tchar((unsigned char)*h); h++) {}
        if (!colon || colon == line || h != colon) { /* folded lines too */
            *why = "malformed header line";
            return 400;
        }
        for (v = colon + 1; v < lend && (*v == ' ' || *v == '\t'); v++) {}
        for (ve = lend; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {}
        if (colon - line == 14 && pprof__http_ci(line, 14, "content-length")) {
            long n = 0;
            if (v == ve) { *why = "bad Content-Length"; return 400; }
            for (h = v; h < ve; h++) {
                if (*h < '0' || *h > '9') { *why = "bad Content-Length"; return 400; }
                if (n <= PPROF_HTTP_MAX_BODY) n = n * 10 + (*h - '0'); /* past it: too large */
            }
            if (r->content_length >= 0 && r->content_length != n) {
                *why = "conflicting Content-Length";
                return 400;
            }
            r->content_length = n;
        } else if (colon - line == 17 && pprof__http_ci(line, 17, "transfer-encoding")) {
            *why = "Length Required (send Content-Length)";
            return 411;
        } else if (colon - line == 13 && pprof__http_ci(line, 13, "authorization") && !r->auth) {
            r->auth = v;
            r->auth_len = (size_t)(ve - v);
        } else if (colon - line == 10 && pprof__http_ci(line, 10, "connection")) {
            for (h = v; h < ve;) { /* a list of options: close, keep-alive */
                const char *te2 = h;
                while (te2 < ve && *te2 != ',') te2++;
                while (h < te2 && (*h == ' ' || *h == '\t')) h++;
                if (te2 - h >= 5 && pprof__http_ci(h, 5, "close") &&
                    (te2 - h == 5 || h[5] == ' ' || h[5] == '\t'))
                    r->close = 1;
                if (te2 - h >= 10 && pprof__http_ci(h, 10, "keep-alive") &&
                    (te2 - h == 10 || h[10] == ' ' || h[10] == '\t'))
                    r->keep = 1;
                h = te2 < ve ? te2 + 1 : te2;
            }
        } else if (colon - line == 6 && pprof__http_ci(line, 6, "expect")) {
            r->expect = ve - v == 12 && pprof__http_ci(v, 12, "100-continue");
        } else if (colon - line == 12 && pprof__http_ci(line, 12, "content-type")) {
            r->form = ve - v >= 33 && pprof__http_ci(v, 33, "application/x-www-form-urlencoded") &&
                      (ve - v == 33 || v[33] == ';' || v[33] == ' ' || v[33] == '\t');
        }
    }
    *used = (size_t)(nl + 1 - buf);
    if (r->content_length > PPROF_HTTP_MAX_BODY) { *why = "Request Entity Too Large"; return 413; }
    return 0;
}

/* Whether r may be served: no token set, or "Authorization: Bearer <token>". The time
   taken depends on the token's length only, never on how much of it a guess matches. */
PPROF__FN int pprof__http_authorized(const pprof__req *r) {
    char tok[PPROF__TOKEN_MAX + 1];
    size_t tl, al, i;
    const char *a;
    unsigned diff;
    pprof__lock(&pprof__http_token_mu);
    memcpy(tok, pprof__http_token, sizeof tok);
    pprof__unlock(&pprof__http_token_mu);
    tl = strlen(tok);
    if (tl == 0) return 1;
    if (!r->auth || r->auth_len < 7 || !pprof__http_ci(r->auth, r->auth_len, "bearer ")) return 0;
    for (a = r->auth + 7, al = r->auth_len - 7; al > 0 && *a == ' '; a++, al--) {}
    diff = al != tl;
    for (i = 0; i < tl; i++) diff |= (unsigned)(unsigned char)tok[i] ^ (unsigned)(i < al ? (unsigned char)a[i] : 0);
    memset(tok, 0, sizeof tok);
    return diff == 0;
}

/* Answers status and closes, letting the answer arrive before the close (not a reset).
   fd is a pending connection the caller has just checked is still its own. */
PPROF__FN void pprof__http_refuse(int fd, int status, const char *msg) {
    char junk[512];
    if (status == 401)
        pprof__http_reply(fd, 401, "text/plain; charset=utf-8",
                          "WWW-Authenticate: Bearer realm=\"pprof\"\r\n",
                          "Unauthorized: send Authorization: Bearer <token>\n", 49, 0);
    else if (status)
        pprof__http_error(fd, status, msg);
    shutdown(fd, SHUT_WR);
    while (recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0) {}
    close(fd);
}

/* Whether buf[0, len), whose head of `used` bytes is whole as r, still lacks a body that
   fits the buffer beside it: then the listener waits for it (no thread held meanwhile). A
   larger body is read by the request's thread. */
PPROF__FN int pprof__http_body_due(const pprof__req *r, size_t used, size_t len) {
    size_t need = used + (r->content_length > 0 ? (size_t)r->content_length : 0);
    return len < need && need <= PPROF_HTTP_MAX_HEADER;
}

/* Serves the request at the start of c->buf (its head whole and checked), reading the
   rest of its body. Returns how many bytes of c->buf it was (head, and the body's part
   there); pprof__http_keep says after it whether the connection carries another. */
PPROF__FN size_t pprof__http_serve(pprof__conn *c) {
    pprof__req r;
    size_t used = 0, have, want, took;
    const char *why;
    int counted = 0;
    int64_t deadline = pprof__os_mono_ns() + (int64_t)PPROF_HTTP_TIMEOUT_S * 1000000000;
    r.fd = c->id.fd;
    pprof__http_keep = PPROF__KEEP_NO;
    pprof__http_minor = 1;
    pprof__http_head = 0;
    if (pprof__http_parse(c->buf, c->len, &r, &used, &why) != 0) return c->len; /* (checked) */
    r.conn = c;
    pprof__http_minor = r.minor;
    pprof__http_head = strcmp(r.method, "HEAD") == 0;
    /* HTTP/1.1 keeps the connection unless told to close; 1.0 closes unless asked not to */
    pprof__http_keep = r.close ? PPROF__KEEP_NO : r.minor >= 1 ? PPROF__KEEP_11
                     : r.keep ? PPROF__KEEP_10 : PPROF__KEEP_NO;
    want = r.content_length > 0 ? (size_t)r.content_length : 0; /* at most the limit */
    have = c->len - used < want ? c->len - used : want;
    took = used + have;
    if (want || strcmp(r.method, "POST") == 0) { /* the body, whatever the method */
        r.body = (char *)PPROF_MALLOC(want + 1);
        if (!r.body) {
            pprof__http_keep = PPROF__KEEP_NO;
            pprof__http_error(r.fd, 500, "out of memory");
            return c->len;
        }
        memcpy(r.body, c->buf + used, have);
        if (have < want && __atomic_add_fetch(&pprof__http.bodies, 1, __ATOMIC_RELAXED) >
                               PPROF_HTTP_MAX_CONN / 4) { /* slow large bodies: a few threads */
            __atomic_sub_fetch(&pprof__http.bodies, 1, __ATOMIC_RELAXED);
            pprof__http_keep = PPROF__KEEP_NO;
            pprof__http_error(r.fd, 503, "too many large request bodies at once");
            PPROF_FREE(r.body);
            return c->len;
        }
        if (have < want && r.expect && r.minor >= 1) /* as Go: go ahead, send it */
            (void)pprof__http_send2(r.fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, NULL, 0);
        counted = have < want;
        while (have < want) {
            ssize_t n = pprof__os_mono_ns() > deadline
                            ? (errno = EAGAIN, -1) /* the whole body has one deadline */
                            : !pprof__http_fd_ok(r.fd) ? (errno = EBADF, -1)
                            : recv(r.fd, r.body + have, want - have, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                pprof__http_keep = PPROF__KEEP_NO;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    pprof__http_error(r.fd, 408, "Request Timeout");
                __atomic_sub_fetch(&pprof__http.bodies, 1, __ATOMIC_RELAXED);
                PPROF_FREE(r.body);
                return c->len;
            }
            have += (size_t)n;
        }
        if (counted) __atomic_sub_fetch(&pprof__http.bodies, 1, __ATOMIC_RELAXED);
        r.body[have] = 0;
        r.body_len = have;
    }
    if (__atomic_load_n(&pprof__http.stopping, __ATOMIC_ACQUIRE)) pprof__http_keep = PPROF__KEEP_NO;
    pprof__http_route(&r);
    pprof__http_head = 0;
    PPROF_FREE(r.body);
    return took;
}

PPROF__FN void pprof__http_pend_drop(pprof__pend *p);

/* Gives kept-alive connection c back to the listener (its buffer holds c->len bytes of its
   next request, maybe none) and wakes it; 0, or -1 when it is not the profiler's socket
   any more. Under conn_mu. */
PPROF__FN int pprof__http_give_back(pprof__conn *c) {
    int i, slot = -1;
    uint64_t one = 1;
    struct timeval tv;
    if (!pprof__fd_ours(&c->id)) return -1;
    tv.tv_sec = 0;
    tv.tv_usec = 100000; /* the listener's own short answers never wait long */
    setsockopt(c->id.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    for (i = 0; i < PPROF_HTTP_MAX_PENDING; i++) { /* a free slot, else the oldest */
        pprof__pend *p = &pprof__http.pend[i];
        if (p->id.fd < 0) { slot = i; break; }
        if (slot < 0 || p->t0 < pprof__http.pend[slot].t0) slot = i;
    }
    if (pprof__http.pend[slot].id.fd >= 0) pprof__http_pend_drop(&pprof__http.pend[slot]);
    pprof__http.pend[slot].id = c->id;
    pprof__http.pend[slot].buf = c->buf;
    pprof__http.pend[slot].len = c->len;
    pprof__http.pend[slot].t0 = pprof__os_mono_ns();
    pprof__http.pend[slot].idle = c->len == 0;
    c->id.fd = -1;
    c->buf = NULL;
    if (pprof__fd_ours(&pprof__http.wake) && write(pprof__http.wake.fd, &one, sizeof one) < 0) {}
    return 0;
}

/* The thread of a connection: its requests one after another while the client keeps it
   and sends them; then it closes it, or gives it back to the listener to wait for the
   next. */
PPROF__FN void *pprof__http_conn_main(void *arg) {
    PPROF__INSIDE_OWN_THREAD(); /* the profiler's own allocations are not the program's */
    pprof__conn *c = (pprof__conn *)arg;
    pprof__fdid id;
    struct timeval tv;
    int back = 0;
    prctl(PR_SET_NAME, "pprof-http-req", 0, 0, 0);
    pprof__http_cur = c->id;
    tv.tv_sec = PPROF_HTTP_TIMEOUT_S;
    tv.tv_usec = 0;
    if (pprof__fd_ours(&c->id)) {
        setsockopt(c->id.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(c->id.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    for (;;) {
        pprof__req r;
        size_t took, used;
        const char *why;
        int rc;
        if (!pprof__fd_ours(&c->id)) break;
        took = pprof__http_serve(c);
        if (pprof__http_keep == PPROF__KEEP_NO ||
            __atomic_load_n(&pprof__http.stopping, __ATOMIC_ACQUIRE))
            break;
        memmove(c->buf, c->buf + took, c->len - took); /* the next request's bytes */
        c->len -= took;
        c->buf[c->len] = 0;
        if (c->len == 0) { back = 1; break; }
        r.fd = c->id.fd;
        rc = pprof__http_parse(c->buf, c->len, &r, &used, &why);
        if (rc == 0 && !pprof__http_authorized(&r)) rc = 401;
        if (rc < 0 || (rc == 0 && pprof__http_body_due(&r, used, c->len))) {
            back = 1; /* not whole yet: the listener waits for it */
            break;
        }
        if (rc > 0) { /* refused, as the listener would */
            pprof__http_keep = PPROF__KEEP_NO;
            if (rc == 401)
                pprof__http_reply(c->id.fd, 401, "text/plain; charset=utf-8",
                                  "WWW-Authenticate: Bearer realm=\"pprof\"\r\n",
                                  "Unauthorized: send Authorization: Bearer <token>\n", 49, 0);
            else pprof__http_error(c->id.fd, rc, why);
            break;
        }
    }
    pprof__lock(&pprof__http_conn_mu);
    if (back && pprof__http_give_back(c) == 0) id.fd = -1;
    else id = c->id; /* done before the client sees the close: its next request finds a slot */
    c->id.fd = -1;
    PPROF_FREE(c->buf);
    c->buf = NULL;
    c->state = PPROF__CONN_DONE;
    pprof__unlock(&pprof__http_conn_mu);
    if (id.fd >= 0 && pprof__fd_ours(&id)) shutdown(id.fd, SHUT_RDWR);
    pprof__fd_close(&id);
    return NULL;
}

PPROF__FN void pprof__http_pend_drop(pprof__pend *p) {
    pprof__fd_close(&p->id);
    PPROF_FREE(p->buf);
    p->id.fd = -1;
    p->buf = NULL;
    p->len = 0;
}

/* Gives p's complete request to a thread of its own (the slot is then free), or refuses
   it with 503 when PPROF_HTTP_MAX_CONN are busy. Under conn_mu. */
PPROF__FN void pprof__http_dispatch(pprof__pend *p) {
    int i, slot = -1, failed = 0;
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++) {
        pprof__conn *c = &pprof__http.conn[i];
        if (c->state == PPROF__CONN_DONE) { /* finished: reap it (it has let go of the lock) */
            pprof__unlock(&pprof__http_conn_mu);
            pthread_join(c->th, NULL);
            pprof__lock(&pprof__http_conn_mu);
            c->state = PPROF__CONN_FREE;
        }
        if (c->state == PPROF__CONN_FREE && slot < 0) slot = i;
    }
    if (slot >= 0) {
        pprof__conn *c = &pprof__http.conn[slot];
        pthread_attr_t at;
        c->id = p->id;
        c->buf = p->buf;
        c->len = p->len;
        c->state = PPROF__CONN_SERVING;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 256 * 1024); /* a request needs little */
        /* a program whose static TLS fills that stack (EINVAL): the default size */
        if (pthread_create(&c->th, &at, pprof__http_conn_main, c) == 0 ||
            pthread_create(&c->th, NULL, pprof__http_conn_main, c) == 0) {
            p->id.fd = -1;
            p->buf = NULL;
            p->len = 0;
        } else { /* (the system's thread limit, memory) */
            c->state = PPROF__CONN_FREE;
            c->id.fd = -1;
            c->buf = NULL;
            slot = -1;
            failed = 1;
        }
        pthread_attr_destroy(&at);
    }
    if (slot < 0 && pprof__fd_ours(&p->id)) { /* every worker busy: refuse at once */
        pprof__http_refuse(p->id.fd, 503, failed ? "no thread could be started for the request"
                                                 : "too many concurrent requests");
        p->id.fd = -1;
        pprof__http_pend_drop(p);
    }
}

/* Reads what arrived on pending connection p and acts once its request head is whole.
   Under conn_mu. */
PPROF__FN void pprof__http_pend_read(pprof__pend *p) {
    pprof__req r;
    size_t used;
    const char *why;
    int rc;
    ssize_t n = !pprof__fd_ours(&p->id) ? 0 /* lost: dropped, never touched */
              : recv(p->id.fd, p->buf + p->len, PPROF_HTTP_MAX_HEADER - p->len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) { pprof__http_pend_drop(p); return; } /* gone before it asked anything */
    if (p->idle) { /* a kept-alive connection's next request: it has the time a new one has */
        p->idle = 0;
        p->t0 = pprof__os_mono_ns();
    }
    p->len += (size_t)n;
    p->buf[p->len] = 0;
    r.fd = p->id.fd;
    rc = pprof__http_parse(p->buf, p->len, &r, &used, &why);
    if (rc < 0 && p->len >= PPROF_HTTP_MAX_HEADER) { rc = 431; why = "Request Header Fields Too Large"; }
    if (rc < 0) return;
    if (rc == 0 && !pprof__http_authorized(&r)) rc = 401;
    if (rc == 0 && pprof__http_body_due(&r, used, p->len)) { /* its body is on the way */
        if (r.expect && r.minor >= 1 && p->len == used) /* as Go: go ahead, send it */
            (void)!send(p->id.fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL | MSG_DONTWAIT);
        return;
    }
    if (rc == 0) { pprof__http_dispatch(p); return; }
    pprof__http_refuse(p->id.fd, rc, why);
    p->id.fd = -1;
    pprof__http_pend_drop(p);
}

/* Takes a new connection into pend[], closing the oldest pending one if all are taken. */
PPROF__FN void pprof__http_accept(int fd) {
    int i, slot = -1;
    struct timeval tv;
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* accept4 is GNU-only: a child exec'ed in this instant
                                       may keep it */
    tv.tv_sec = 0;
    tv.tv_usec = 100000; /* the listener's own short answers never wait long */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    pprof__lock(&pprof__http_conn_mu);
    for (i = 0; i < PPROF_HTTP_MAX_PENDING; i++) {
        pprof__pend *p = &pprof__http.pend[i];
        if (p->id.fd < 0) { slot = i; break; }
        if (slot < 0 || p->t0 < pprof__http.pend[slot].t0) slot = i;
    }
    if (pprof__http.pend[slot].id.fd >= 0) pprof__http_pend_drop(&pprof__http.pend[slot]);
    pprof__http.pend[slot].buf = (char *)PPROF_MALLOC(PPROF_HTTP_MAX_HEADER + 1);
    if (pprof__http.pend[slot].buf) {
        pprof__http.pend[slot].id = pprof__fd_id(fd);
        pprof__http.pend[slot].len = 0;
        pprof__http.pend[slot].t0 = pprof__os_mono_ns();
        pprof__http.pend[slot].idle = 0;
    } else {
        close(fd);
    }
    pprof__unlock(&pprof__http_conn_mu);
}

/* The listener: one poll over the listening socket, its wake-up descriptor and every
   pending connection. A pending connection is served once its request head is whole,
   refused when it is malformed, and gets 408 when it is not whole within
   PPROF_HTTP_TIMEOUT_S; a kept-alive one is closed after PPROF_HTTP_IDLE_S without a
   request. Each round
   checks the listening socket is still the one it bound: if the program closed it (or
   its number is now the program's file, pipe or socket), the listener says so once on
   stderr and stops, touching nothing of it. */
PPROF__FN void *pprof__http_main(void *arg) {
    PPROF__INSIDE_OWN_THREAD(); /* the profiler's own allocations are not the program's */
    static struct pollfd pf[PPROF_HTTP_MAX_PENDING + 2]; /* only this thread uses it */
    int idx[PPROF_HTTP_MAX_PENDING + 2];
    const int64_t limit = (int64_t)PPROF_HTTP_TIMEOUT_S * 1000000000;
    const int64_t idle_limit = (int64_t)PPROF_HTTP_IDLE_S * 1000000000;
    (void)arg;
    prctl(PR_SET_NAME, "pprof-http", 0, 0, 0);
    while (!__atomic_load_n(&pprof__http.stopping, __ATOMIC_ACQUIRE)) {
        int i, n = 2, k, ms = 1000;
        int64_t now = pprof__os_mono_ns();
        if (!pprof__fd_ours(&pprof__http.lsn)) {
            __atomic_store_n(&pprof__http.lost, 1, __ATOMIC_RELEASE);
            fprintf(stderr, "pprof.h: the program closed or reused descriptor %d, the "
                            "/debug/pprof/ listener's socket (port %d): no longer serving\n",
                    pprof__http.lsn.fd, pprof__http.port);
            break;
        }
        pf[0].fd = pprof__http.lsn.fd;
        pprof__lock(&pprof__http_conn_mu);
        if (!pprof__fd_ours(&pprof__http.wake)) { /* (the program closed it: a new one) */
            pprof__http.wake.fd = -1;
            pprof__http.wake = pprof__fd_id(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        }
        pf[1].fd = pprof__http.wake.fd; /* (-1: none, poll skips it; gives back then wait up
                                            to a second) */
        for (i = 0; i < PPROF_HTTP_MAX_PENDING; i++) {
            pprof__pend *p = &pprof__http.pend[i];
            int64_t left;
            if (p->id.fd < 0) continue;
            left = p->t0 + (p->idle ? idle_limit : limit) - now;
            if (left <= 0) { /* too slow: 408 if it sent anything, else just close */
                if (p->len && pprof__fd_ours(&p->id)) {
                    pprof__http_refuse(p->id.fd, 408, "Request Timeout");
                    p->id.fd = -1;
                }
                pprof__http_pend_drop(p);
                continue;
            }
            if (!pprof__fd_ours(&p->id)) { /* the program's now: forget it */
                pprof__http_pend_drop(p);
                continue;
            }
            if (left / 1000000 + 1 < ms) ms = (int)(left / 1000000 + 1);
            pf[n].fd = p->id.fd;
            idx[n++] = i;
        }
        pprof__unlock(&pprof__http_conn_mu);
        for (k = 0; k < n; k++) {
            pf[k].events = POLLIN;
            pf[k].revents = 0;
        }
        if (poll(pf, (nfds_t)n, ms) <= 0) continue; /* EINTR or the next deadline */
        if (__atomic_load_n(&pprof__http.stopping, __ATOMIC_ACQUIRE)) break;
        pprof__lock(&pprof__http_conn_mu);
        if (pf[1].revents && pprof__http.wake.fd == pf[1].fd && pprof__fd_ours(&pprof__http.wake)) {
            uint64_t junk;
            if (read(pf[1].fd, &junk, sizeof junk) < 0) {} /* (counter reset: woken) */
        }
        for (k = 2; k < n; k++)
            if (pf[k].revents && pprof__http.pend[idx[k]].id.fd == pf[k].fd)
                pprof__http_pend_read(&pprof__http.pend[idx[k]]);
        pprof__unlock(&pprof__http_conn_mu);
        if (pf[0].revents && pprof__fd_ours(&pprof__http.lsn)) {
            for (k = 0; k < 16; k++) { /* a burst, then the pending ones get their turn */
                int fd = accept(pprof__http.lsn.fd, NULL, NULL);
                if (fd >= 0) { pprof__http_accept(fd); continue; }
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) /* out of descriptors or */
                    pprof__os_sleep_ns(50000000);             /* worse: no spinning on it */
                break;
            }
        }
    }
    pprof__lock(&pprof__http_conn_mu);
    for (int i = 0; i < PPROF_HTTP_MAX_PENDING; i++)
        if (pprof__http.pend[i].id.fd >= 0) pprof__http_pend_drop(&pprof__http.pend[i]);
    pprof__unlock(&pprof__http_conn_mu);
    return NULL;
}

/* Parses "host:port", "[v6]:port" or ":port" into a socket address. */
PPROF__FN int pprof__http_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len) {
    char host[128];
    const char *colon;
    long port;
    char *end;
    memset(ss, 0, sizeof *ss);
    if (!addr) return -1;
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - addr - 1) >= sizeof host) return -1;
        memcpy(host, addr + 1, (size_t)(rb - addr - 1));
        host[rb - addr - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = 0;
        if (!host[0]) strcpy(host, PPROF_HTTP_DEFAULT_BIND);
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 0 || port > 65535) return -1;
    if (addr[0] == '[') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) return -1;
        *len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) return -1;
        *len = sizeof *s4;
    }
    return 0;
}

/* fork, in the child (>>fork holds http_mu and conn_mu across it): none of the listener's
   threads are there; it closes the inherited sockets and starts out not listening (it may
   listen itself). */
PPROF__FN void pprof__http_fork_child(void) {
    int i;
    if (pprof__http.listening) {
        pprof__fd_close(&pprof__http.lsn);
        pprof__fd_close(&pprof__http.wake);
        for (i = 0; i < PPROF_HTTP_MAX_PENDING; i++) pprof__http_pend_drop(&pprof__http.pend[i]);
    }
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++) {
        if (pprof__http.conn[i].state == PPROF__CONN_SERVING)
            pprof__fd_close(&pprof__http.conn[i].id);
        pprof__http.conn[i].state = PPROF__CONN_FREE;
    }
    pprof__http.lost = 0;
    pprof__http.listening = 0;
    pprof__http.port = 0;
}

/* At listen: PPROF_TOKEN when pprof_set_token was never called; a warning on stderr when
   the address is not loopback and no token guards it. */
PPROF__FN void pprof__http_token_check(const struct sockaddr_storage *ss) {
    int loopback, have;
    pprof__lock(&pprof__http_token_mu);
    if (!pprof__http_token_set) {
        const char *env = getenv("PPROF_TOKEN");
        size_t n = env ? strlen(env) : 0;
        if (n > PPROF__TOKEN_MAX) {
            fprintf(stderr, "pprof.h: PPROF_TOKEN is longer than %d bytes: ignored\n",
                    PPROF__TOKEN_MAX);
            n = 0;
        }
        memcpy(pprof__http_token, env ? env : "", n);
        pprof__http_token[n] = 0;
    }
    have = pprof__http_token[0] != 0;
    pprof__unlock(&pprof__http_token_mu);
    if (ss->ss_family == AF_INET) {
        const unsigned char *a =
            (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
        loopback = a[0] == 127;
    } else {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        loopback = IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
    }
    if (!loopback && !have)
        fprintf(stderr, "pprof.h: warning: serving /debug/pprof/ beyond loopback without a "
                        "token: anyone who reaches the port reads profiles, the command "
                        "line and symbols (set PPROF_TOKEN or call pprof_set_token)\n");
}

/* pprof__http_listen's work under http_mu, on the parsed address ss: PPROF_OK or the error. */
PPROF__FN int pprof__http_listen_locked(struct sockaddr_storage *ss, socklen_t len) {
    int fd, one = 1, rc;
    if (pprof__http.listening) return PPROF_ERR_LISTENING;
    fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        pprof__os_fail(errno);
        return PPROF_ERR_OS;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)ss, len) != 0 || listen(fd, 128) != 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        pprof__os_fail(e);
        return e == EADDRINUSE ? PPROF_ERR_ADDR_IN_USE
             : e == EADDRNOTAVAIL || e == EAFNOSUPPORT ? PPROF_ERR_ADDRESS : PPROF_ERR_OS;
    }
    len = sizeof *ss;
    getsockname(fd, (struct sockaddr *)ss, &len);
    pprof__http.port = ntohs(ss->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)ss)->sin6_port
                                                       : ((struct sockaddr_in *)ss)->sin_port);
    for (one = 0; one < PPROF_HTTP_MAX_PENDING; one++) pprof__http.pend[one].id.fd = -1;
    pprof__http_token_check(ss);
    pprof__http.lsn = pprof__fd_id(fd);
    pprof__http.wake = pprof__fd_id(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    __atomic_store_n(&pprof__http.lost, 0, __ATOMIC_RELEASE);
    pprof__http.listening = 1;
    __atomic_store_n(&pprof__http.stopping, 0, __ATOMIC_RELEASE);
    /* the listener's threads (and the request threads it starts) never take the signal */
    rc = pprof__os_thread(&pprof__http.th, pprof__http_main);
    if (rc != 0) {
        close(fd);
        pprof__http.lsn.fd = -1;
        pprof__fd_close(&pprof__http.wake);
        pprof__http.listening = 0;
        pprof__os_fail(rc);
        return PPROF_ERR_OS;
    }
    return PPROF_OK;
}

PPROF__FN int pprof__http_listen(const char *addr) {
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int rc;
    if (pprof__http_addr(addr, &ss, &len) != 0) return PPROF_ERR_ADDRESS;
    pprof__fork_init();
    pprof__lock(&pprof__http_mu);
    rc = pprof__http_listen_locked(&ss, len);
    pprof__unlock(&pprof__http_mu);
    return rc;
}

/* pprof__http_shutdown's work under http_mu, the listener running: it and every request in
   flight end, their threads joined. */
PPROF__FN void pprof__http_stop_locked(void) {
    int i, live[PPROF_HTTP_MAX_CONN];
    __atomic_store_n(&pprof__http.stopping, 1, __ATOMIC_RELEASE);
    if (pprof__fd_ours(&pprof__http.lsn)) /* wakes its poll (POLLHUP; it waits 1 s at most) */
        shutdown(pprof__http.lsn.fd, SHUT_RDWR);
    pthread_join(pprof__http.th, NULL);
    pprof__fd_close(&pprof__http.lsn);
    pprof__http.listening = 0;
    pprof__lock(&pprof__http_conn_mu);
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++) { /* abort requests in flight */
        live[i] = pprof__http.conn[i].state != PPROF__CONN_FREE;
        if (pprof__http.conn[i].state == PPROF__CONN_SERVING &&
            pprof__fd_ours(&pprof__http.conn[i].id))
            shutdown(pprof__http.conn[i].id.fd, SHUT_RDWR);
    }
    pprof__unlock(&pprof__http_conn_mu);
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++)
        if (live[i]) pthread_join(pprof__http.conn[i].th, NULL); /* each ends within ~100 ms */
    pprof__lock(&pprof__http_conn_mu);
    for (i = 0; i < PPROF_HTTP_MAX_CONN; i++) pprof__http.conn[i].state = PPROF__CONN_FREE;
    for (i = 0; i < PPROF_HTTP_MAX_PENDING; i++) /* (given back as the listener ended) */
        if (pprof__http.pend[i].id.fd >= 0) pprof__http_pend_drop(&pprof__http.pend[i]);
    pprof__fd_close(&pprof__http.wake);
    pprof__unlock(&pprof__http_conn_mu);
    pprof__http.port = 0;
}

PPROF__FN int pprof__http_shutdown(void) {
    int rc = PPROF_ERR_NOT_LISTENING;
    pprof__lock(&pprof__http_mu);
    if (pprof__http.listening) {
        pprof__http_stop_locked();
        rc = PPROF_OK;
    }
    pprof__unlock(&pprof__http_mu);
    return rc;
}

PPROF__FN int pprof__http_port(void) {
    int port;
    pprof__lock(&pprof__http_mu);
    port = pprof__http.listening ? pprof__http.port : 0;
    pprof__unlock(&pprof__http_mu);
    return port;
}

/* pprof_set_token's work, token[0, n) checked: the token every request must carry. */
PPROF__FN int pprof__http_set_token(const char *token, size_t n) {
    pprof__lock(&pprof__http_token_mu);
    memcpy(pprof__http_token, token ? token : "", n);
    pprof__http_token[n] = 0;
    pprof__http_token_set = 1;
    pprof__unlock(&pprof__http_token_mu);
    return PPROF_OK;
}
#endif /* PPROF_NO_HTTP */

// =========================================================================================
// >>fork: the one fork handler. Registered once, at load or at the first call that starts
// something (whichever comes first), it takes every lock in the order >>os lists, so the
// child inherits each free with the state it guards whole, then resets what the child does
// not have: timers, the drain thread, the listener and its sockets, waiters.
// =========================================================================================
static pthread_mutex_t *const pprof__locks[] = { /* the lock order (>>os) */
#ifndef PPROF_NO_HTTP
    &pprof__http_mu, &pprof__http_conn_mu,
#endif
    &pprof__dump_mu, &pprof__cpu_mu, &pprof__cpu_win_mu, &pprof__unw_mu, &pprof__sym_mu,
    &pprof__lbl.mu,
#if PPROF__HEAP
    &pprof__heap.mu, &pprof__block.mu, &pprof__mutex.mu, &pprof__tcreate.mu,
#endif
#ifndef PPROF_NO_HTTP
    &pprof__http_token_mu,
#endif
};
#define PPROF__NLOCKS (sizeof pprof__locks / sizeof pprof__locks[0])

#ifdef PPROF_DEBUG_LOCKS
static PPROF__TLS unsigned pprof__locks_held; /* bit k: pprof__locks[k] is held */
PPROF__FN int pprof__lock_rank(const pthread_mutex_t *m) {
    int k;
    for (k = 0; k < (int)PPROF__NLOCKS; k++)
        if (pprof__locks[k] == m) return k;
    return -1;
}
/* A lock taken against the order (one further down the list is held) aborts. */
PPROF__FN void pprof__lock(pthread_mutex_t *m) {
    int k = pprof__lock_rank(m);
    if (k < 0 || (pprof__locks_held >> k) != 0) {
        fprintf(stderr, "pprof.h: lock order broken: lock %d taken while holding 0x%x\n", k,
                pprof__locks_held);
        abort();
    }
    pthread_mutex_lock(m);
    pprof__locks_held |= 1u << k;
}
PPROF__FN void pprof__unlock(pthread_mutex_t *m) {
    int k = pprof__lock_rank(m);
    pprof__locks_held &= ~(1u << k);
    pthread_mutex_unlock(m);
}
#endif

/* Set by prepare for the parent and child handlers of the same fork (the forking thread). */
static PPROF__TLS int pprof__fork_masked;
static PPROF__TLS sigset_t pprof__fork_oldmask;

/* The forking thread blocks the profiling signal across the fork (a fork slower than a
   period would be restarted forever) and samples none of its allocations (fork handlers
   the program registered earlier run after this one and may allocate). */
PPROF__FN void pprof__fork_prepare(void) {
    sigset_t s;
    size_t k;
    sigemptyset(&s);
    sigaddset(&s, PPROF_SIGNAL);
    pprof__fork_masked = pthread_sigmask(SIG_BLOCK, &s, &pprof__fork_oldmask) == 0;
    PPROF__INSIDE_ENTER();
    for (k = 0; k < PPROF__NLOCKS; k++) pprof__lock(pprof__locks[k]);
}
PPROF__FN void pprof__fork_release(void) {
    size_t k;
    for (k = PPROF__NLOCKS; k-- > 0;) pprof__unlock(pprof__locks[k]);
    PPROF__INSIDE_LEAVE();
    if (pprof__fork_masked) pthread_sigmask(SIG_SETMASK, &pprof__fork_oldmask, NULL);
}
PPROF__FN void pprof__fork_parent(void) { pprof__fork_release(); }
PPROF__FN void pprof__fork_child(void) {
#ifndef PPROF_NO_HTTP
    pprof__http_fork_child();
#endif
    pprof__cpu_fork_child();
    pprof__unw_fork_child();
#if PPROF__HEAP
    pprof__sync_fork_child();
#endif
    pprof__fork_release();
}

static pthread_once_t pprof__fork_once = PTHREAD_ONCE_INIT;
PPROF__FN void pprof__fork_register(void) {
    pthread_atfork(pprof__fork_prepare, pprof__fork_parent, pprof__fork_child);
}
PPROF__FN void pprof__fork_init(void) { pthread_once(&pprof__fork_once, pprof__fork_register); }
__attribute__((constructor)) static void pprof__fork_ctor(void) { pprof__fork_init(); }
#endif /* PPROF__SUPPORTED */

// =========================================================================================
// >>none: what this build compiles out answers here, as a dummy backend: the platform
// (anything but Linux on x86-64 or aarch64), the heap and lock profiles (glibc only), or
// the listener (PPROF_NO_HTTP). So each public function in >>api has one body.
// =========================================================================================
#if !PPROF__SUPPORTED
PPROF__FN void pprof__fork_init(void) {}
PPROF__FN void pprof__os_sleep_ns(int64_t ns) { (void)ns; } /* unreached: no profile starts */
PPROF__FN int pprof__unw_set_mode(int mode) { (void)mode; return PPROF_ERR_UNSUPPORTED; }
enum { PPROF__CPU_TRACE_NONE, PPROF__CPU_TRACE_RAW_PROTO, PPROF__CPU_PROFILE }; /* >>api's */
PPROF__FN int pprof__cpu_start(FILE *fp, int *id, int mode, int cls) {
    (void)fp; (void)id; (void)mode; (void)cls;
    return PPROF_ERR_UNSUPPORTED;
}
PPROF__FN int pprof__cpu_stop(int id, pprof__buf *to) { (void)id; (void)to; return PPROF_ERR_NOT_RUNNING; }
PPROF__FN int pprof__named(const char *name, int debug, const void *base, size_t nbase,
                           int64_t duration, pprof__buf *out) {
    (void)name; (void)debug; (void)base; (void)nbase; (void)duration; (void)out;
    return PPROF_ERR_UNSUPPORTED;
}
PPROF__FN void pprof__flame_fold(pprof__buf *out, const unsigned char *p, size_t n,
                                 const void *type, const void *unit) {
    (void)out; (void)p; (void)n; (void)type; (void)unit;
}
PPROF__FN void pprof__flame_html(pprof__buf *out, const unsigned char *p, size_t n,
                                 const char *title) {
    (void)out; (void)p; (void)n; (void)title;
}
#endif
#if !PPROF__HEAP
PPROF__FN int pprof__heap_set_rate(size_t bytes) { (void)bytes; return PPROF_ERR_UNSUPPORTED; }
PPROF__FN int pprof__sync_set_fraction(int n) { (void)n; return PPROF_ERR_UNSUPPORTED; }
PPROF__FN int pprof__sync_set_block_rate(long ns) { (void)ns; return PPROF_ERR_UNSUPPORTED; }
#define PPROF__HEAP_MALLOC(n) malloc(n)
#define PPROF__HEAP_CALLOC(count, size, n) ((void)sizeof(n), calloc(count, size))
static inline void *pprof__heap_realloc(void *p, size_t n, uintptr_t fpw) {
    (void)fpw;
    return realloc(p, n);
}
static inline void pprof__heap_free(void *p) { free(p); }
#endif
#if !PPROF__SUPPORTED || defined(PPROF_NO_HTTP)
#define PPROF__HTTP_OFF (PPROF__SUPPORTED ? PPROF_ERR_DISABLED : PPROF_ERR_UNSUPPORTED)
PPROF__FN int pprof__http_listen(const char *addr) { (void)addr; return PPROF__HTTP_OFF; }
PPROF__FN int pprof__http_shutdown(void) { return PPROF_ERR_NOT_LISTENING; }
PPROF__FN int pprof__http_port(void) { return 0; }
PPROF__FN int pprof__http_set_token(const char *token, size_t n) {
    (void)token; (void)n;
    return PPROF__HTTP_OFF;
}
#endif

// =========================================================================================
// >>api: the public functions, each once: its arguments checked here, its work done by the
// section that owns it (or by >>none where this build leaves that section out).
// =========================================================================================
PPROF_API const char *pprof_strerror(int code) {
    switch (code) {
#define PPROF__X(name, num, text) case num: return text;
        PPROF__RESULTS(PPROF__X)
#undef PPROF__X
    default: return "unknown pprof.h result code";
    }
}
PPROF_API int pprof_last_os_error(void) {
    return __atomic_load_n(&pprof__os_errno, __ATOMIC_RELAXED);
}
PPROF_API const char *pprof_version(void) { return PPROF_VERSION_STRING; }

PPROF_API int pprof_label_push(const char *key, const char *value) {
    pprof__ltls_t *t = &pprof__ltls;
    uint32_t id;
    if (!key || !value) return PPROF_ERR_NULL;
    if (t->depth >= PPROF__LABEL_DEPTH) return PPROF_ERR_LABELS;
    PPROF__INSIDE_ENTER();
    pprof__fork_init();
    pprof__lbl_lock();
    id = pprof__lbl_intern(t->cur, key, value);
    pprof__lbl_unlock();
    PPROF__INSIDE_LEAVE();
    if (!id) return PPROF_ERR_LABELS;
    t->prev[t->depth++] = t->cur;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* the handler sees the old set or the new */
    t->cur = id;
    return PPROF_OK;
}
PPROF_API void pprof_label_pop(void) {
    pprof__ltls_t *t = &pprof__ltls;
    if (t->depth == 0) return;
    t->cur = t->prev[--t->depth];
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

PPROF_API int pprof_set_cpu_rate(int hz) {
    if (hz < 1 || hz > 10000) return PPROF_ERR_RATE;
    __atomic_store_n(&pprof__cpu_hz_next, hz, __ATOMIC_RELAXED);
    return PPROF_OK;
}
PPROF_API int pprof_set_unwind(int mode) {
    if (mode != PPROF_UNWIND_FP && mode != PPROF_UNWIND_CFI) return PPROF_ERR_UNWIND;
    return pprof__unw_set_mode(mode);
}

/* Entry points that work on the caller's thread keep what they allocate (thread starts,
   libc buffers) out of the heap profile. */
PPROF_API int pprof_cpu_start(FILE *fp) {
    int rc;
    if (!fp) return PPROF_ERR_NULL;
    PPROF__INSIDE_ENTER();
    rc = pprof__cpu_start(fp, NULL, PPROF__CPU_TRACE_NONE, PPROF__CPU_PROFILE);
    PPROF__INSIDE_LEAVE();
    return rc;
}
PPROF_API int pprof_cpu_stop(void) {
    int rc;
    PPROF__INSIDE_ENTER();
    rc = pprof__cpu_stop(0, NULL);
    PPROF__INSIDE_LEAVE();
    return rc;
}
PPROF_API int pprof_write_cpu(FILE *fp, int seconds) {
    int rc, gen;
    if (!fp) return PPROF_ERR_NULL;
    if (seconds < 1) return PPROF_ERR_DURATION;
    PPROF__INSIDE_ENTER();
    rc = pprof__cpu_start(fp, &gen, PPROF__CPU_TRACE_NONE, PPROF__CPU_PROFILE);
    if (rc == PPROF_OK) {
        pprof__os_sleep_ns((int64_t)seconds * 1000000000);
        rc = pprof__cpu_stop(gen, NULL);
    }
    PPROF__INSIDE_LEAVE();
    return rc;
}
PPROF_API int pprof_write_cpu_format(FILE *fp, int seconds, int format) {
    pprof__buf raw, out;
    int rc, gen;
    char title[48];
    if (!fp) return PPROF_ERR_NULL;
    if (format == PPROF_FORMAT_PROTO) return pprof_write_cpu(fp, seconds);
    if (format != PPROF_FORMAT_FOLDED && format != PPROF_FORMAT_FLAMEGRAPH) return PPROF_ERR_DEBUG;
    if (seconds < 1) return PPROF_ERR_DURATION;
    memset(&raw, 0, sizeof raw);
    memset(&out, 0, sizeof out);
    PPROF__INSIDE_ENTER();
    rc = pprof__cpu_start(NULL, &gen, PPROF__CPU_TRACE_RAW_PROTO, PPROF__CPU_PROFILE); /* no FILE:
                                                                                not pprof_cpu_stop's */
    if (rc == PPROF_OK) {
        pprof__os_sleep_ns((int64_t)seconds * 1000000000);
        rc = pprof__cpu_stop(gen, &raw);
    }
    snprintf(title, sizeof title, "CPU %d s", seconds);
    if (rc == PPROF_OK && format == PPROF_FORMAT_FOLDED)
        pprof__flame_fold(&out, raw.p, raw.len, NULL, NULL);
    else if (rc == PPROF_OK)
        pprof__flame_html(&out, raw.p, raw.len, title);
    if (rc == PPROF_OK && out.oom) rc = PPROF_ERR_NOMEM;
    if (rc == PPROF_OK && (fwrite(out.p, 1, out.len, fp) != out.len || fflush(fp) != 0)) {
        pprof__os_fail(errno);
        rc = PPROF_ERR_IO;
    }
    PPROF__INSIDE_LEAVE();
    PPROF_FREE(raw.p);
    PPROF_FREE(out.p);
    return rc;
}
PPROF_API int pprof_write_profile(const char *name, FILE *fp, int debug) {
    pprof__buf out;
    int rc;
    if (!name || !fp) return PPROF_ERR_NULL;
    if (debug < 0 || debug > PPROF_FORMAT_FLAMEGRAPH) return PPROF_ERR_DEBUG;
    memset(&out, 0, sizeof out);
    rc = pprof__named(name, debug, NULL, 0, 0, &out);
    PPROF__INSIDE_ENTER();
    if (rc == PPROF_OK && (fwrite(out.p, 1, out.len, fp) != out.len || fflush(fp) != 0))
        rc = PPROF_ERR_IO;
    PPROF__INSIDE_LEAVE();
    PPROF_FREE(out.p);
    return rc;
}
PPROF_API int pprof_write_heap(FILE *fp) { return pprof_write_profile("heap", fp, 0); }

PPROF_API int pprof_set_mutex_fraction(int n) {
    if (n < 0) return PPROF_ERR_FRACTION;
    return pprof__sync_set_fraction(n);
}
PPROF_API int pprof_set_block_rate(long ns) {
    if (ns < 0) return PPROF_ERR_FRACTION;
    return pprof__sync_set_block_rate(ns);
}
PPROF_API int pprof_set_heap_rate(size_t bytes) { return pprof__heap_set_rate(bytes); }
PPROF_API __attribute__((noinline)) void *pprof_malloc(size_t n) { return PPROF__HEAP_MALLOC(n); }
PPROF_API __attribute__((noinline)) void *pprof_calloc(size_t count, size_t size) {
    size_t n;
    return PPROF__HEAP_CALLOC(count, size, n);
}
PPROF_API __attribute__((noinline)) void *pprof_realloc(void *p, size_t n) {
    return pprof__heap_realloc(p, n, PPROF__FPW);
}
PPROF_API void pprof_free(void *p) { pprof__heap_free(p); }

PPROF_API int pprof_listen_addr(const char *addr) {
    int rc;
    PPROF__INSIDE_ENTER();
    rc = pprof__http_listen(addr);
    PPROF__INSIDE_LEAVE();
    return rc;
}
PPROF_API int pprof_listen(int port) {
    char addr[64];
    if (port < 0 || port > 65535) return PPROF_ERR_ADDRESS;
    snprintf(addr, sizeof addr, "%s:%d", PPROF_HTTP_DEFAULT_BIND, port);
    return pprof_listen_addr(addr);
}
PPROF_API int pprof_listen_port(void) { return pprof__http_port(); }
PPROF_API int pprof_shutdown(void) {
    int rc;
    PPROF__INSIDE_ENTER();
    rc = pprof__http_shutdown();
    PPROF__INSIDE_LEAVE();
    return rc;
}
PPROF_API int pprof_set_token(const char *token) {
    size_t i, n = token ? strlen(token) : 0;
    if (n > PPROF__TOKEN_MAX) return PPROF_ERR_TOKEN;
    for (i = 0; i < n; i++)
        if (token[i] < '!' || token[i] > '~') return PPROF_ERR_TOKEN;
    return pprof__http_set_token(token, n);
}
#endif /* PPROF_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the pprof.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
