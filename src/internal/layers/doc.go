// Package layers holds the test that keeps bitsscore's packages layered as
// docs/architecture.md draws them: which package may import which. It has
// no code of its own.
package layers
