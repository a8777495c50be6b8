// Command scp-echo is the ceiling of the chunked-protocol path, for
// benchmarks only: it answers getinfo as a streaming command and sends every
// execute chunk's body straight back. A real command run the same way can
// be no faster than this.
//
// With -grow-pipes it first grows its stdin's and stdout's pipes as
// bitsscore does (internal/pipes): the ceiling of a command that does. The
// default leaves the pipes as splunkd made them, the yardstick the
// performance targets were set against.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"bitsscore/src/internal/pipes"
	"bitsscore/src/scp"
)

func main() {
	growPipes := flag.Bool("grow-pipes", false, "grow stdin's and stdout's pipes to 1 MiB first, as bitsscore does")
	flag.Parse()
	if *growPipes {
		for _, f := range []*os.File{os.Stdin, os.Stdout} {
			if _, err := pipes.Grow(f, pipes.DefaultSize); err != nil {
				fmt.Fprintln(os.Stderr, "scp-echo:", err)
				os.Exit(1)
			}
		}
	}
	if err := echo(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scp-echo:", err)
		os.Exit(1)
	}
}

func echo(in io.Reader, out io.Writer) error {
	r, w := scp.NewReader(in), scp.NewWriter(out)
	for {
		msg, err := r.ReadMessage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		req, err := scp.DecodeRequest(msg.Metadata)
		if err != nil {
			return err
		}
		if req.Action == scp.ActionGetInfo {
			meta, _ := json.Marshal(scp.GetInfoReply{Type: "streaming", RequiredFields: []string{"*"}})
			if err := w.WriteMessage(meta, nil); err != nil {
				return err
			}
			continue
		}
		meta, _ := json.Marshal(scp.ExecuteReply{Finished: req.Finished})
		if err := w.WriteMessage(meta, msg.Body); err != nil {
			return err
		}
	}
}
