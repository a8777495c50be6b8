// Package splunkd runs a chunked (SCP v2) custom search command the way
// splunkd does, and checks everything the command writes.
//
// It is the other end of the protocol: it starts the command with no
// arguments, sends getinfo with a searchinfo, then execute requests with CSV
// bodies, reads exactly one reply to each, closes the command's input and
// waits for it to exit. Every reply is held to what splunkd and the
// protocol require (see Violation): a canonical header, a JSON object with
// only known keys, finished echoed, a CSV body that parses, and for a
// streaming command every input record back once, in order, with its
// _chunked_idx. A command that is silent for longer than the timeout is
// killed and reported, so a hang fails a test instead of stalling it.
//
// It knows nothing of what the command computes, so it serves any chunked
// command, not only bitsscore.
package splunkd
