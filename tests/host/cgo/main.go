// A Go program with cgo, for tests/host.sh (issue 14, case 5). The Go runtime finds the
// auxiliary vector after envp's NULL, so a preloaded library that edits the environment in
// place must leave that layout intact. Prints the page size the runtime found, how many
// PPROF_ variables the program sees, a result computed in C and one computed in Go.
package main

/*
static long mix(long a, long b) { return a * 31 + b; }
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	var c C.long
	for i := 0; i < 1000000; i++ {
		c = C.mix(c%1000003, C.long(i))
	}
	g := map[int]string{}
	for i := 0; i < 200000; i++ {
		g[i%5000] = strings.Repeat("x", i%64)
	}
	n := 0
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "PPROF_") {
			n++
			fmt.Println("env", e)
		}
	}
	fmt.Println("pagesize", os.Getpagesize())
	fmt.Println("pprof_vars", n)
	fmt.Println("c", c, "go", len(g))
}
