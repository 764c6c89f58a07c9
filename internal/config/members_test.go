package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// bigConfig is base with n members more, in the block and flow styles a
// spreadsheet export or a hand would write, and a key after the list.
func bigConfig(n int, extra func(i int) string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "\n"))
	b.WriteString("\n  # the members from the spreadsheet\n")
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, "  - {id: m%d, name: \"Member Organisation %d & Partners\", emails: [m%d@org.example], language: en}\n", i, i, i)
		} else {
			fmt.Fprintf(&b, "  - id: m%d\n    name: 'Jam\u02bfiyya %d: \"quoted\" *not an alias*'\n\n    emails:\n      - m%d@org.example\n%s", i, i, i, extra(i))
		}
	}
	b.WriteString("policy:\n  quorum: 1\n")
	return b.String()
}

// TestALargeMembersListReadsAsTheWholeFileDoes: a 15,000-member file, read
// a slice of members at a time, gives the same configuration as reading it
// whole, and an error deep in the list names its own line.
func TestALargeMembersListReadsAsTheWholeFileDoes(t *testing.T) {
	src := bigConfig(15000, func(int) string { return "" })
	if len(src) < chunkedFrom {
		t.Fatalf("the file is %d bytes, too small to be read in slices", len(src))
	}
	b, ok := cutMembers([]byte(src))
	if !ok || len(b.items) != 15002 {
		t.Fatalf("cut: ok %v, %d members, want 15002", ok, len(b.items))
	}
	sliced, err := Load(writeConfig(t, src))
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := parse(writeConfig(t, src), []byte(src), nil, func(es Errors) error { return es })
	if whole.err != nil {
		t.Fatal(whole.err)
	}
	if !reflect.DeepEqual(sliced.Members, whole.c.Members) || sliced.Policy.Quorum != whole.c.Policy.Quorum {
		t.Errorf("the members read in slices differ from the file read whole")
	}
	if len(sliced.Members) != 15002 || sliced.Members[14001].Name != "Jamʿiyya 13999: \"quoted\" *not an alias*" {
		t.Errorf("%d members; member 14001 is %+v", len(sliced.Members), sliced.Members[14001])
	}

	bad := bigConfig(15000, func(i int) string {
		if i == 12345 {
			return "    langauge: ar\n"
		}
		return ""
	})
	line := 0
	for i, l := range strings.Split(bad, "\n") {
		if strings.Contains(l, "langauge") {
			line = i + 1
		}
	}
	errs := loadErrs(t, bad)
	want := fmt.Sprintf("%d:5: unknown key \"langauge\" in members[12347]", line)
	if len(errs) != 1 || !strings.HasPrefix(errs[0], want) {
		t.Errorf("errors %q, want one starting %q", errs, want)
	}
}

// TestALargeMembersListWithAnchorsIsReadWhole: what slicing cannot read as
// the parser would (an alias to an anchor elsewhere) is read whole, the same.
func TestALargeMembersListWithAnchorsIsReadWhole(t *testing.T) {
	src := bigConfig(6000, func(i int) string {
		if i == 1 {
			return "    language: &lang ar\n"
		}
		return "    language: *lang\n"
	})
	if _, ok := cutMembers([]byte(src)); ok {
		t.Fatalf("a list with aliases was cut in slices")
	}
	cfg, err := Load(writeConfig(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Members[3].Language != "ar" {
		t.Errorf("member 3's language %q, want ar from the alias", cfg.Members[3].Language)
	}
}

// TestABrokenMemberInALargeListIsReportedAtItsLine: a syntax error inside
// one member of a large list makes the file be parsed whole, and the error
// names that member's line, as it would in a small file.
func TestABrokenMemberInALargeListIsReportedAtItsLine(t *testing.T) {
	src := bigConfig(8000, func(i int) string {
		if i == 6001 {
			return "    language: [en\n"
		}
		return ""
	})
	line := 0
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "[en") && !strings.Contains(l, "]") {
			line = i + 1
		}
	}
	errs := loadErrs(t, src)
	if len(errs) == 0 || !strings.HasPrefix(errs[0], fmt.Sprint(line)+":") && !strings.HasPrefix(errs[0], fmt.Sprint(line+1)+":") {
		t.Errorf("errors %q, want one at line %d (the broken member)", errs, line)
	}
}
