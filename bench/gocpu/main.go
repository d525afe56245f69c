// The overhead workload of bench/bench.c, in Go, profiled by runtime/pprof: the Go column of
// `make bench`. Usage: gocpu HZ ROUNDS OUT   (HZ 0: unprofiled). Prints "wall_ns cpu_ns".
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"
)

//go:noinline
func leaf0(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1
	}
	return x
}

//go:noinline
func leaf1(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x = x*2862933555777941757 + 3
	}
	return x
}

//go:noinline
func leaf2(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x = (x ^ (x >> 7)) * 3202034522624059733
	}
	return x
}

//go:noinline
func leaf3(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x = x*3935559000370003845 + 5
	}
	return x
}

//go:noinline
func descend(depth int, which int, x uint64) uint64 {
	if depth > 0 {
		return descend(depth-1, which, x) + 0
	}
	switch which & 3 {
	case 0:
		return leaf0(x, 3000)
	case 1:
		return leaf1(x, 3000)
	case 2:
		return leaf2(x, 3000)
	}
	return leaf3(x, 3000)
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

var sink uint64

func main() {
	hz, _ := strconv.Atoi(os.Args[1])
	rounds, _ := strconv.ParseInt(os.Args[2], 10, 64)
	const threads = 4
	var f *os.File
	if hz > 0 {
		if hz != 100 {
			runtime.SetCPUProfileRate(hz) // StartCPUProfile then keeps it (and says so on stderr)
		}
		var err error
		if f, err = os.Create(os.Args[3]); err != nil {
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
	}
	w0, c0 := time.Now(), cpuNs()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(x uint64) {
			runtime.LockOSThread()
			for r := int64(0); r < rounds/threads; r++ {
				x = descend(int(x%24), int(x>>20), x)
			}
			mu.Lock()
			sink += x
			mu.Unlock()
			wg.Done()
		}(uint64(t)*7919 + 1)
	}
	wg.Wait()
	w, c := time.Since(w0).Nanoseconds(), cpuNs()-c0
	if hz > 0 {
		pprof.StopCPUProfile()
		f.Close()
	}
	fmt.Println(w, c)
}
