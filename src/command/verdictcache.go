package command

import "bitsscore/src/detect"

// A verdictCache holds, per chunk, the encoded cells that chunk appends to
// a record of each verdict of a detect.Verdicter: a record is then written
// as two copies, its own bytes and its verdict's cells, instead of a dozen
// small encodings.
//
// The verdict decides every appended cell but those of outputs named like
// inputs (CommandLine in a chunk that has only ProcessCommandLine,
// __mv_Image in one without __mv_ columns), so the cache serves the records
// where those cells are empty anyway: aliasValues (appended value cells)
// empty, as when their inputs are absent, and aliasMV (appended __mv_
// cells) single-valued, and only when the detector's Verdict is not
// detect.NoVerdict (mode=hardened's outputs for an event that uses BITS are
// the event's own, unless its memo answered the event). Verdicts stand for
// the same cells only within a chunk (detect.Verdicter.ForgetVerdicts).
// Empty when there is no verdicter.
type verdictCache struct {
	verdicter            detect.Verdicter // the detector, when it is one
	verdictCells         []cachedCells    // by verdict
	aliasValues, aliasMV []int
	cellArena            []byte       // the cached cells' bytes, reset per chunk
	cellBuilder          *replyWriter // encodes a verdict's cells the first time
}

// cachedCells are the encoded cells of one verdict, once seen.
type cachedCells struct {
	cells []byte
	ok    bool
}

// reset empties the cache for a chunk laid out as l (cached cells depend
// on which columns the chunk lacks) and lists the appended outputs named
// like inputs, whose cells the verdict does not decide. aliasOf[k] is the
// input that output k overwrites, or -1.
func (c *verdictCache) reset(l *columnLayout, aliasOf []int) {
	c.verdictCells, c.cellArena = c.verdictCells[:0], c.cellArena[:0]
	c.aliasValues, c.aliasMV = c.aliasValues[:0], c.aliasMV[:0]
	if c.verdicter == nil || len(l.appendValue)+len(l.appendMV) == 0 {
		return
	}
	for _, k := range l.appendValue {
		if aliasOf[k] >= 0 {
			c.aliasValues = append(c.aliasValues, k)
		}
	}
	for _, k := range l.appendMV {
		if aliasOf[k] >= 0 {
			c.aliasMV = append(c.aliasMV, k)
		}
	}
	if c.cellBuilder == nil {
		c.cellBuilder = newReplyWriter()
	}
	c.verdicter.ForgetVerdicts() // the cells of the last chunk are gone
	c.verdictCells = append(c.verdictCells, make([]cachedCells, c.verdicter.Verdicts())...)
}

// verdict returns the verdict whose cached cells a record scored to out
// appends, or detect.NoVerdict when it must encode its own: there is no
// cache, the detector's verdict does not decide this event's outputs, or
// a cell the verdict does not decide is not empty.
func (c *verdictCache) verdict(out []detect.Values) int {
	if len(c.verdictCells) == 0 {
		return detect.NoVerdict
	}
	v := c.verdicter.Verdict()
	if v < 0 || v >= len(c.verdictCells) || !c.aliasCellsEmpty(out) {
		return detect.NoVerdict
	}
	return v
}

// aliasCellsEmpty reports whether every cell a record appends for an
// output named like an input is empty (writeValue and writeMultivalue
// write nothing for it), so that the record's appended cells are its
// verdict's.
func (c *verdictCache) aliasCellsEmpty(out []detect.Values) bool {
	for _, k := range c.aliasValues {
		if v := out[k]; len(v) > 1 || len(v) == 1 && len(v[0]) > 0 {
			return false
		}
	}
	for _, k := range c.aliasMV {
		if len(out[k]) > 1 {
			return false
		}
	}
	return true
}

// cached returns the cells of verdict v, if they are cached.
func (c *verdictCache) cached(v int) ([]byte, bool) {
	cc := c.verdictCells[v]
	return cc.cells, cc.ok
}

// builder returns the writer, emptied, into which a verdict's cells are
// encoded before store.
func (c *verdictCache) builder() *replyWriter {
	c.cellBuilder.Reset(nil)
	return c.cellBuilder
}

// store caches what the builder holds as the cells of verdict v, and
// returns them.
func (c *verdictCache) store(v int) []byte {
	start := len(c.cellArena)
	c.cellArena = append(c.cellArena, c.cellBuilder.Encoded()...)
	cells := c.cellArena[start:len(c.cellArena):len(c.cellArena)]
	c.verdictCells[v] = cachedCells{cells: cells, ok: true}
	return cells
}
