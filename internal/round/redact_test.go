package round

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLogsNeverShowATokenWhoeverLogsIt(t *testing.T) {
	tok := newToken()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: RedactAttr}))
	log.Info("sent "+"x", "message_id", "c-"+tok+"-0a1b2c@coal.example", "to", "coalition+"+tok+"@coal.example")
	log.Error("failed", "err", errors.New("rcpt coalition+"+tok+"@coal.example refused"))
	if strings.Contains(buf.String(), tok) {
		t.Fatalf("token in log:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "coalition+[token]@coal.example") {
		t.Fatalf("redaction lost the rest of the address:\n%s", buf.String())
	}
}
