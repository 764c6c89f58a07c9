package round

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"consultd/internal/demo/story"
	"consultd/internal/store"
)

func TestZZFifteenThousand(t *testing.T) {
	const n = 15000
	var b strings.Builder
	b.WriteString("members:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: m%d, name: \"Member Organisation %d\", emails: [m%d@org.example], language: en}\n", i, i, i)
	}
	h := newHarnessWith(t, false,
		"members:\n  - {id: baytna, name: \"Baytna Syria\", emails: [info@baytna.example, backup@baytna.example], language: en}\n  - {id: sjac, name: \"Syria Justice and Accountability Center (SJAC)\", emails: [info@sjac.example], language: en}\n  - {id: kawakibi, name: \"AlKawakbi Center\", emails: [info@kawakibi.example], language: ar}\n", b.String())
	var ms runtime.MemStats
	peak := func() uint64 { runtime.ReadMemStats(&ms); return ms.HeapInuse >> 20 }
	start := time.Now()
	r, cons := h.open()
	fmt.Printf("open %d: %v heap %d MB, %d consultations\n", n, time.Since(start), peak(), len(cons))
	start = time.Now()
	places := []string{"Aleppo", "Idlib", "Raqqa", "Homs", "Hama", "Daraa", "Latakia", "Tartus", "Deir", "Hasakah"}
	for i := range n {
		addr := fmt.Sprintf("m%d@org.example", i)
		text := "We decline.\nSign: yes"
		if i%5 == 0 {
			text = fmt.Sprintf("We decline.\nConcerns:\n1. Civil society organisations in %s were not consulted on the agenda.\nRecommendations:\n1. Hold consultations in %s and %s before the meeting.\nSign: yes", places[i%10], places[(i/10)%10], places[(i/100)%10])
		}
		h.handle(answerMail(cons[addr], addr, text, i))
		if i%3000 == 2999 {
			fmt.Printf("answers %d: %v heap %d MB\n", i+1, time.Since(start), peak())
		}
	}
	h.now = r.Deadline.Add(time.Minute)
	start = time.Now()
	h.tick()
	fmt.Printf("close: %v heap %d MB\n", time.Since(start), peak())
	rr := h.round(r.ID)
	fmt.Printf("state %s, draft %d bytes\n", rr.State, len(rr.Statement))
	_ = story.InviterAddress
	_ = store.Processed
}
