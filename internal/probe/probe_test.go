package probe

import "testing"

func TestID(t *testing.T) {
	id := NewID()
	for name, c := range map[string]struct {
		raw  string
		want string
	}{
		"crlf":             {"From: a@x\r\nX-Consultd-Probe: " + id + "\r\nSubject: s\r\n\r\nbody", id},
		"lf only":          {"From: a@x\nx-consultd-probe:  " + id + " \nSubject: s\n\nbody", id},
		"folded elsewhere": {"Subject: a\r\n long\r\nX-Consultd-Probe: " + id + "\r\n\r\n", id},
		"in the body only": {"From: a@x\r\n\r\nX-Consultd-Probe: " + id + "\r\n", ""},
		"malformed id":     {"X-Consultd-Probe: ../../etc\r\n\r\n", ""},
		"twice":            {"X-Consultd-Probe: " + id + "\r\nX-Consultd-Probe: " + id + "\r\n\r\n", ""},
		"header only":      {"X-Consultd-Probe: " + id, id},
		"none":             {"From: a@x\r\n\r\n", ""},
		"garbage":          {"\x00\xff: :\r\n\r\n", ""},
	} {
		if got := ID([]byte(c.raw)); got != c.want {
			t.Errorf("%s: ID = %q, want %q", name, got, c.want)
		}
	}
	if a, b := NewID(), NewID(); a == b || !idPat.MatchString(a) {
		t.Errorf("NewID gave %q and %q", a, b)
	}
}

func FuzzID(f *testing.F) {
	f.Add([]byte("X-Consultd-Probe: 0123456789abcdef\r\n\r\n"))
	f.Add([]byte("From: a\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if id := ID(raw); id != "" && !idPat.MatchString(id) {
			t.Fatalf("ID returned %q", id)
		}
	})
}
