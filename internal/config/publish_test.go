package config

import (
	"strings"
	"testing"
)

func TestPublishURL(t *testing.T) {
	if cfg := mustLoad(t, base); cfg.PublishURL != "" {
		t.Errorf("publish_url defaults to %q, want empty (relative feed links)", cfg.PublishURL)
	}
	if cfg := mustLoad(t, base+"publish_url: https://coal.example/statements/\n"); cfg.PublishURL != "https://coal.example/statements" {
		t.Errorf("publish_url = %q, want it without the trailing slash", cfg.PublishURL)
	}
	for _, bad := range []string{"coal.example/statements", "ftp://coal.example/s", "https:///s", "https://coal.example/s?x=1"} {
		_, err := Load(writeConfig(t, base+"publish_url: "+bad+"\n"))
		if err == nil || !strings.Contains(err.Error(), "publish_url") || !strings.Contains(err.Error(), ":") {
			t.Errorf("publish_url %q: %v, want an error naming publish_url", bad, err)
		}
	}
}
