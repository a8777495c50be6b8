package cli

import "bitsscore/src/winevent"

// fromExport reads a CSV row as the tool that wrote it meant it: a _raw of
// event XML as raw=t reads it (withRaw), columns of a known export
// (EvtxECmd, Elastic's ECS) under the names the XML gives
// (winevent.FromExport); any other row keeps its columns.
func fromExport(ev *inputEvent) error {
	mapped, ok, err := winevent.FromExport(ev.names, ev.fields)
	if err != nil {
		return err
	}
	if ok {
		ev.fields, ev.names = mapped.Fields, mapped.Names
		return nil
	}
	return withRaw(ev)
}
