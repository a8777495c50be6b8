package hardened

import (
	"bytes"
	"net/netip"
)

// urlScheme is a URL scheme BITS or an attacker's command line may name.
type urlScheme uint8

const (
	schemeHTTP urlScheme = iota + 1
	schemeFTP
	schemeFile
)

// urlStart returns the offset in the lowercased token t where a URL starts
// (its scheme), or -1. The scheme must begin the token or follow a
// non-letter (`value=https://`, `/lockscreenurl:https://`), so that
// `xhttps://` is not a URL but `h"tt"ps://` (already dequoted) is.
func urlStart(t []byte) int {
	for i := 0; i+1 < len(t); i++ {
		if t[i] != ':' || (t[i+1] != '/' && t[i+1] != '\\') {
			continue
		}
		s := i
		for s > 0 && isLetter(t[s-1]) {
			s--
		}
		if schemeOf(t[s:i]) != 0 {
			return s
		}
	}
	return -1
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func schemeOf(s []byte) urlScheme {
	switch string(s) {
	case "http", "https":
		return schemeHTTP
	case "ftp", "ftps":
		return schemeFTP
	case "file":
		return schemeFile
	}
	return 0
}

// parsedURL is a URL's parts as offsets into the lowercased text it came
// from.
type parsedURL struct {
	scheme    urlScheme
	malformed bool // not "scheme://": `https:/host`, `https:\\host`, an empty host
	slashes   int  // how many '/' or '\' follow the scheme's colon
	userinfo  bool // `user@host`
	host      span // without userinfo, port, brackets or a trailing dot
	hostEnd   int32
	ext       span // extension of the path's last segment, without the dot
}

// parseURL parses the URL that starts at low[s.start] and ends at s.end.
// It never fails: whatever is there is described, and a URL an attacker
// bent out of shape is marked malformed, which is itself an indicator.
func parseURL(low []byte, s span) parsedURL {
	var u parsedURL
	t := low[s.start:s.end]
	colon := bytes.IndexByte(t, ':')
	u.scheme = schemeOf(t[:colon])
	i := colon + 1
	slashes := 0
	for i < len(t) && (t[i] == '/' || t[i] == '\\') {
		if t[i] == '\\' {
			u.malformed = true
		}
		slashes++
		i++
	}
	u.slashes = slashes
	if slashes != 2 && !(u.scheme == schemeFile && slashes == 3) {
		u.malformed = true
	}
	authStart := i
	for i < len(t) && t[i] != '/' && t[i] != '\\' && t[i] != '?' && t[i] != '#' {
		i++
	}
	auth := t[authStart:i]
	u.hostEnd = s.start + int32(i)
	hostStart := authStart
	if at := bytes.LastIndexByte(auth, '@'); at >= 0 {
		u.userinfo = true
		hostStart += at + 1
		auth = auth[at+1:]
	}
	host := auth
	if len(host) > 0 && host[0] == '[' {
		if rb := bytes.IndexByte(host, ']'); rb > 0 {
			host = host[1:rb]
			hostStart++
		}
	} else if c := bytes.LastIndexByte(host, ':'); c >= 0 && allDigits(host[c+1:]) {
		host = host[:c]
	}
	for len(host) > 0 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	u.host = span{s.start + int32(hostStart), s.start + int32(hostStart+len(host))}
	if len(host) == 0 && u.scheme != schemeFile {
		u.malformed = true
	}
	// The path's extension: the last segment before '?' or '#'.
	pathEnd := i
	for pathEnd < len(t) && t[pathEnd] != '?' && t[pathEnd] != '#' {
		pathEnd++
	}
	u.ext = extension(low, span{s.start + int32(i), s.start + int32(pathEnd)})
	return u
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// hostClass is what a host tells about where a file comes from.
type hostClass uint8

const (
	hostInternal    hostClass = iota // single label or a private-use TLD
	hostFirstParty                   // Microsoft's update domains, as the SPL excludes them
	hostExternal                     // any other public name
	hostFileSharing                  // a public file-sharing or tunnelling service
	hostDynamicDNS                   // a free dynamic-DNS name
	hostPublicIP
	hostPrivateIP
)

// internalTLDs are suffixes that only resolve inside an organisation.
var internalTLDs = []string{"local", "lan", "corp", "internal", "intranet", "home", "localdomain", "home.arpa", "localhost"}

// firstPartyDomains are the domains the SPL's ExternalDownload excludes,
// here anchored to the host instead of matched anywhere on the line.
var firstPartyDomains = []string{"microsoft.com", "windowsupdate.com", "windows.com"}

// fileSharingDomains are public services attackers stage payloads on
// (Sigma's bitsadmin and Bits-Client rules, extended).
var fileSharingDomains = []string{
	"githubusercontent.com", "github.com", "gitlab.com", "bitbucket.org",
	"cdn.discordapp.com", "discordapp.com", "discord.com", "discordapp.net",
	"transfer.sh", "temp.sh", "pastebin.com", "paste.ee", "hastebin.com", "rentry.co", "ghostbin.com",
	"mega.nz", "mega.co.nz", "mediafire.com", "sendspace.com", "anonfiles.com", "file.io", "filebin.net",
	"gofile.io", "ufile.io", "0x0.st", "dropbox.com", "dropboxusercontent.com",
	"drive.google.com", "docs.google.com", "onedrive.live.com", "1drv.ms",
	"workers.dev", "pages.dev", "trycloudflare.com", "ngrok.io", "ngrok-free.app", "ngrok.app",
	"loca.lt", "serveo.net", "portmap.io", "glitch.me", "replit.com", "blob.core.windows.net",
	"s3.amazonaws.com", "storage.googleapis.com", "firebasestorage.googleapis.com",
}

// dynamicDNSDomains are free dynamic-DNS providers' zones: anyone can
// point a name there at a home or rented machine, and commodity malware
// does (Sigma's dynamic-DNS rules, abuse.ch's lists of DDNS zones).
var dynamicDNSDomains = []string{
	"duckdns.org", "no-ip.com", "no-ip.org", "no-ip.biz", "no-ip.info", "noip.me", "ddns.net", "hopto.org",
	"zapto.org", "sytes.net", "serveftp.com", "servehttp.com", "serveblog.net", "myftp.org", "myftp.biz",
	"redirectme.net", "dynu.com", "dynu.net", "freedns.afraid.org", "mooo.com", "chickenkiller.com",
	"dyndns.org", "dyndns.info", "dynalias.com", "homeip.net", "selfip.com", "dnsdynamic.org",
	"ddnsking.com", "3utilities.com", "bounceme.net", "gotdns.ch", "publicvm.com", "linkpc.net",
	"kozow.com", "ddnsfree.com", "dynv6.net", "hldns.ru", "ydns.eu", "nsupdate.info",
}

// hasDomainSuffix reports whether host is domain or a subdomain of it.
func hasDomainSuffix(host []byte, domain string) bool {
	if len(host) == len(domain) {
		return string(host) == domain
	}
	return len(host) > len(domain) && host[len(host)-len(domain)-1] == '.' && string(host[len(host)-len(domain):]) == domain
}

func classifyHost(host []byte) hostClass {
	if ip, ok := parseIP(host); ok {
		if ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || isThisNetwork(ip) || isSharedAddressSpace(ip) {
			return hostPrivateIP
		}
		return hostPublicIP
	}
	if bytes.IndexByte(host, '.') < 0 {
		return hostInternal
	}
	for _, d := range internalTLDs {
		if hasDomainSuffix(host, d) {
			return hostInternal
		}
	}
	for _, d := range fileSharingDomains {
		if hasDomainSuffix(host, d) {
			return hostFileSharing
		}
	}
	for _, d := range dynamicDNSDomains {
		if hasDomainSuffix(host, d) {
			return hostDynamicDNS
		}
	}
	for _, d := range firstPartyDomains {
		if hasDomainSuffix(host, d) {
			return hostFirstParty
		}
	}
	return hostExternal
}

// isThisNetwork reports 0.0.0.0/8 and ::, which no download comes from.
func isThisNetwork(ip netip.Addr) bool {
	return ip.IsUnspecified() || ip.Is4() && ip.As4()[0] == 0
}

// isSharedAddressSpace reports 100.64.0.0/10 (carrier-grade NAT, RFC 6598),
// which netip does not count as private.
func isSharedAddressSpace(ip netip.Addr) bool {
	if !ip.Is4() {
		return false
	}
	b := ip.As4()
	return b[0] == 100 && b[1]&0xC0 == 64
}

// parseIP reads an IP literal host, including the forms WinINet and
// WinHTTP accept that hide an address from a naive dotted-quad check: a
// single decimal or 0x-hex number (http://3232235777/).
func parseIP(host []byte) (netip.Addr, bool) {
	if len(host) == 0 {
		return netip.Addr{}, false
	}
	if bytes.IndexByte(host, ':') >= 0 {
		// IPv6 is rare in command lines; the string conversion is fine.
		ip, err := netip.ParseAddr(string(host))
		return ip, err == nil
	}
	var v4 [4]byte
	if n, ok := parseUint32(host); ok {
		v4 = [4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		return netip.AddrFrom4(v4), true
	}
	part := 0
	val := -1
	for _, c := range host {
		switch {
		case isDigit(c):
			if val < 0 {
				val = 0
			}
			val = val*10 + int(c-'0')
			if val > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && val >= 0 && part < 3:
			v4[part] = byte(val)
			part++
			val = -1
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || val < 0 {
		return netip.Addr{}, false
	}
	v4[3] = byte(val)
	return netip.AddrFrom4(v4), true
}

// parseUint32 reads a whole host that is one decimal or 0x-hex number.
func parseUint32(b []byte) (uint32, bool) {
	var n uint64
	if len(b) > 2 && b[0] == '0' && b[1] == 'x' {
		if len(b) > 10 {
			return 0, false
		}
		for _, c := range b[2:] {
			switch {
			case isDigit(c):
				n = n<<4 | uint64(c-'0')
			case 'a' <= c && c <= 'f':
				n = n<<4 | uint64(c-'a'+10)
			default:
				return 0, false
			}
		}
		return uint32(n), true
	}
	if len(b) > 10 {
		return 0, false
	}
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return uint32(n), n <= 0xFFFFFFFF
}
