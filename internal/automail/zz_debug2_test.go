package automail

import (
	"fmt"
	"os"
	"testing"
)

func TestDebugParse(t *testing.T) {
	f := os.Getenv("AUTOMAIL_FILE")
	if f == "" {
		t.Skip()
	}
	raw, _ := os.ReadFile(f)
	m := parseRaw(raw)
	fmt.Printf("ct=%s params=%v warnings=%q textlen=%d ds=%d emb=%d\n", m.ContentType, m.Params, m.Warnings, len(m.Text), len(m.DeliveryStatus), len(m.Embedded))
	for _, a := range m.Attachments {
		fmt.Printf("att %s %d %.200q\n", a.ContentType, len(a.Data), a.Data)
	}
}
