// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// gostop: a Go program as PID 1, for the stops of a Go runtime. It prints
// "ready" once its signal set-up is done, then waits. Its argument is what
// it does with SIGTERM:
//
//	default  nothing: the runtime's own handler re-raises SIGTERM with the
//	         default action (dieFromSignal), then calls exit(2)
//	notify   signal.Notify: print "stopping", then exit 0
//	ignore   signal.Ignore: SIGTERM is set to SIG_IGN
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	mode := "default"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "default":
	case "notify":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		go func() {
			<-c
			fmt.Println("stopping")
			os.Exit(0)
		}()
	case "ignore":
		signal.Ignore(syscall.SIGTERM)
	default:
		fmt.Fprintf(os.Stderr, "gostop: unknown mode %q (default, notify, ignore)\n", mode)
		os.Exit(64)
	}
	fmt.Println("ready")
	for {
		time.Sleep(time.Hour)
	}
}
