package winevent

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// checkUnixMicros fails unless unixMicros reads iso as time.Parse does:
// the same error-or-not and, when read, the same instant.
func checkUnixMicros(t *testing.T, iso []byte) {
	t.Helper()
	got, err := unixMicros(iso)
	ref, refErr := time.Parse(time.RFC3339Nano, string(iso))
	switch {
	case (err == nil) != (refErr == nil):
		t.Fatalf("unixMicros(%q): error %v; time.Parse: %v", iso, err, refErr)
	case err == nil && got != ref.UnixMicro():
		t.Fatalf("unixMicros(%q) = %d; time.Parse gives %d", iso, got, ref.UnixMicro())
	}
}

// TestUTCMicrosMatchesTimeParse covers the direct reading of Windows'
// SystemTime: every day of years chosen for their leap rules and the
// ends of the range, the decimals from none to nine, each field just past
// its range, and random one-byte changes of valid times. Valid times in
// Windows' form must take the direct path.
func TestUTCMicrosMatchesTimeParse(t *testing.T) {
	years := []int{0, 1, 4, 99, 100, 399, 400, 1600, 1899, 1900, 1969, 1970, 1971, 2000, 2020, 2021, 2024, 2100, 2400, 9999}
	fractions := []string{"", ".5", ".04", ".043356", ".0433569", ".548776999", ".000000001", ".999999999"}
	rng := rand.New(rand.NewPCG(1, 2))
	var valid [][]byte
	for _, year := range years {
		for month := 1; month <= 12; month++ {
			for day := 0; day <= 32; day++ {
				iso := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%sZ", year, month, day,
					rng.IntN(24), rng.IntN(60), rng.IntN(60), fractions[rng.IntN(len(fractions))])
				checkUnixMicros(t, []byte(iso))
				if _, err := time.Parse(time.RFC3339Nano, iso); err == nil {
					if _, ok := utcMicros([]byte(iso)); !ok {
						t.Fatalf("utcMicros(%q) leaves a valid UTC time to time.Parse", iso)
					}
					valid = append(valid, []byte(iso))
				}
			}
		}
	}
	if len(valid) < len(years)*365 {
		t.Fatalf("only %d valid times generated", len(valid))
	}
	for _, iso := range []string{
		"2021-02-22T24:00:00Z", "2021-02-22T23:60:00Z", "2021-02-22T23:07:60Z", "2021-13-01T00:00:00Z",
		"2021-00-01T00:00:00Z", "2021-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2000-02-29T00:00:00Z", "2021-02-22T23:07:21.Z", "2021-02-22T23:07:21.0433561234Z",
		"2021-02-22T23:07:21,5Z", "2021-02-22t23:07:21Z", "2021-02-22T23:07:21z", "2021-02-22T23:07:21",
		"2021-02-22T23:07:21+00:00", "2021-02-22T23:07:21.5+01:00", "+021-02-22T23:07:21Z",
		"2021-02-22T23:07:2AZ", "2021-02-22 23:07:21Z", "2021-2-22T23:07:21Z", "", "Z",
		"1969-12-31T23:59:59.5Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
	} {
		checkUnixMicros(t, []byte(iso))
	}
	const changes = 200000
	for range changes {
		iso := append([]byte{}, valid[rng.IntN(len(valid))]...)
		iso[rng.IntN(len(iso))] = "0123456789-:.TZ+x "[rng.IntN(18)]
		checkUnixMicros(t, iso)
	}
}

func FuzzUnixMicrosMatchesTimeParse(f *testing.F) {
	for _, seed := range []string{"2021-02-22T23:07:21.043356Z", "2024-02-29T00:00:00Z", "1969-12-31T23:59:59.5Z", "2021-10-22T08:38:15+02:00"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, iso []byte) { checkUnixMicros(t, iso) })
}
