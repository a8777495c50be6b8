package hardened

// vendorUpdateSource is where one vendor's updater downloads from with
// BITS, and where it writes. A Bits-Client 59/60/61 or 16403 event carries
// no process, so its remote host and local file are all there is to judge
// it by: a transfer whose every host is a vendor's update host (and, when
// the vendor publishes other content on that host, whose path is the
// updater's) and whose every destination is one of that vendor's download
// folders is the vendor's, not an attacker's.
type vendorUpdateSource struct {
	vendor string
	// hosts are domains (a subdomain matches too).
	hosts []string
	// paths, when set, are the URL path prefixes the updater uses: the
	// host serves other people's content elsewhere.
	paths []string
	// destinations are globs (lowercase, '*' for any run) over the local
	// files the updater writes.
	destinations []string
}

// vendorUpdateSources is built from the vendors' published endpoint lists
// (Microsoft's "Windows 10/11 connection endpoints" and Delivery
// Optimization and Microsoft 365 URL lists, Google's Chrome Enterprise
// network requirements, Mozilla's and Adobe's firewall allow-lists,
// Zoom's, Slack's, Spotify's and Brave's update host documentation).
var vendorUpdateSources = []vendorUpdateSource{
	{"Microsoft Windows Update and Delivery Optimization",
		[]string{"windowsupdate.com", "update.microsoft.com", "delivery.mp.microsoft.com", "download.microsoft.com",
			"emdl.ws.microsoft.com", "wustat.windows.com", "dl.delivery.mp.microsoft.com", "download.windowsupdate.com",
			"definitionupdates.microsoft.com", "go.microsoft.com", "officecdn.microsoft.com", "officecdn.microsoft.com.edgesuite.net",
			"c2rsetup.officeapps.live.com", "cdn.office.net", "oneclient.sfx.ms", "g.live.com", "msedge.net",
			"edge.microsoft.com", "msedgesetup.azureedge.net", "statics.teams.cdn.office.net"},
		nil,
		[]string{`*\softwaredistribution\*`, `*\windows\servicing\*`, `*\deliveryoptimization\*`, `*\windows\systemtemp\*`,
			`*\microsoft\onedrive\*`, `*\microsoft onedrive\*`, `*\microsoft shared\clicktorun\*`, `*\microsoft office\*`,
			`*\microsoft\edgeupdate\*`, `*\microsoft\edge\*`, `*\microsoft\edgewebview\*`, `*\msedge_bits_*`, `*\edge_bits_*`,
			`*\microsoft\teams\*`, `*\windows defender\*`, `*\microsoft\windows defender\*`, `*\ccmcache\*`}},
	{"Google Update and Chrome components",
		[]string{"dl.google.com", "dl.l.google.com", "gvt1.com", "update.googleapis.com", "edgedl.me.gvt1.com"},
		nil,
		[]string{`*\google\update\*`, `*\google\googleupdater\*`, `*\google\chrome\*`, `*\chrome_bits_*`, `*\chrome_url_fetcher_*`,
			`*\windows\systemtemp\*`, `*\google\*`}},
	{"Google Chrome components from www.google.com",
		[]string{"google.com"},
		[]string{"/dl/release2/", "/dl/chrome/", "/chrome/"},
		[]string{`*\google\*`, `*\chrome_bits_*`, `*\chrome_url_fetcher_*`, `*\windows\systemtemp\*`}},
	{"Mozilla Firefox",
		[]string{"download.mozilla.org", "download-installer.cdn.mozilla.net", "archive.mozilla.org", "aus5.mozilla.org"},
		nil,
		[]string{`*\mozilla\updates\*`, `*\mozilla firefox\*`, `*\mozilla\*`}},
	{"Adobe Reader and Acrobat",
		[]string{"ardownload.adobe.com", "ardownload2.adobe.com", "ardownload3.adobe.com", "armmf.adobe.com", "agsupdate.adobe.com", "ccmdl.adobe.com"},
		nil,
		[]string{`*\adobe\*`, `*\adobearm\*`}},
	{"Brave", []string{"updates-cdn.bravesoftware.com", "updates.bravesoftware.com", "brave-browser-downloads.s3.brave.com"},
		nil, []string{`*\bravesoftware\*`, `*\brave_bits_*`}},
	{"Opera", []string{"autoupdate.geo.opera.com", "get.geo.opera.com", "download.opera.com", "download3.operacdn.com"},
		nil, []string{`*\programs\opera\*`, `*\opera software\*`}},
	{"Zoom", []string{"zoom.us", "zoomgov.com"}, []string{"/client/", "/prod/"}, []string{`*\zoom\*`}},
	{"Slack", []string{"downloads.slack-edge.com"}, nil, []string{`*\slack\*`, `*\slackdeployment\*`}},
	{"Spotify", []string{"upgrade.scdn.co", "download.scdn.co"}, nil, []string{`*\spotify\*`}},
}

// vendorGlobs are vendorUpdateSources' destinations, compiled once.
var vendorGlobs = func() [][]globPattern {
	out := make([][]globPattern, len(vendorUpdateSources))
	for i, v := range vendorUpdateSources {
		for _, d := range v.destinations {
			out[i] = append(out[i], compileGlob([]byte(d)))
		}
	}
	return out
}()

func init() {
	if len(vendorUpdateSources) > 64 {
		panic("hardened: more than 64 vendors do not fit a vendor set")
	}
}

// vendorsOf returns the vendors (a bit each) whose update host the
// lowercased host is, with path (lowercased, from the first '/') under one
// of the vendor's paths when it names some.
func vendorsOf(host, path []byte) uint64 {
	if path == nil {
		return 0
	}
	var set uint64
	for i, v := range vendorUpdateSources {
		if !domainIn(host, v.hosts) {
			continue
		}
		if v.paths != nil && !hasAnyPrefix(path, v.paths) {
			continue
		}
		set |= 1 << i
	}
	return set
}

func domainIn(host []byte, domains []string) bool {
	for _, d := range domains {
		if hasDomainSuffix(host, d) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(b []byte, prefixes []string) bool {
	for _, p := range prefixes {
		if len(b) >= len(p) && string(b[:len(p)]) == p {
			return true
		}
	}
	return false
}

// vendorDestination reports whether the lowercased destination is a
// download folder of one of the vendors in set.
func vendorDestination(dest []byte, set uint64) bool {
	for i := range vendorUpdateSources {
		if set&(1<<i) == 0 {
			continue
		}
		for _, g := range vendorGlobs[i] {
			if g.match(dest) {
				return true
			}
		}
	}
	return false
}
