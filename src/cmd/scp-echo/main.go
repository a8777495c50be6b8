// Command scp-echo is the ceiling of the chunked-protocol path, for
// benchmarks only: it answers getinfo as a streaming command and sends every
// execute chunk's body straight back. A real command run the same way can
// be no faster than this.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"bitsscore/src/scp"
)

func main() {
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
