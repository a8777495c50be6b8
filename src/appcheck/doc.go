// Package appcheck has no code of its own: its tests check the packaged
// Splunk app, dist/bitsscore-<version>.tar.gz, the way Splunk AppInspect
// would (AppInspect is a Python tool the build machines cannot install), and
// guard the app's copy of the original T1197 SPL against drift from
// testdata/detection-spl.txt and from detect.SPLRules.
//
// The tests read the newest tarball in dist/ (or $DIST_DIR), so run them
// after packaging:
//
//	make package && go test ./src/appcheck/
package appcheck
