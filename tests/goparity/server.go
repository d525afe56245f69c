// The Go side of tests/goparity.sh: net/http/pprof on 127.0.0.1:PORT (0: a free port; the
// first line printed names it), with a workload that gives every profile records: a spinning
// goroutine, goroutines blocked on a channel and on a contended mutex, allocations kept live.
// Standard library only: GO111MODULE=off go build -o server server.go
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var sink [][]byte

func spin() {
	x := uint64(1)
	for {
		x = x*6364136223846793005 + 1
		if x == 0 {
			fmt.Println(x)
		}
	}
}

func waitChannel(ch chan int) {
	for {
		<-ch
	}
}

func feedChannel(ch chan int) {
	for {
		time.Sleep(2 * time.Millisecond)
		ch <- 1
	}
}

func contend(mu *sync.Mutex) {
	for {
		mu.Lock()
		time.Sleep(time.Millisecond)
		mu.Unlock()
	}
}

func allocate() {
	for i := 0; i < 200; i++ {
		sink = append(sink, make([]byte, 64<<10))
	}
}

func main() {
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	allocate()
	go spin()
	ch := make(chan int)
	go waitChannel(ch)
	go feedChannel(ch)
	var mu sync.Mutex
	for i := 0; i < 3; i++ {
		go contend(&mu)
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	fmt.Fprintln(os.Stderr, http.Serve(ln, nil))
	os.Exit(1)
}
