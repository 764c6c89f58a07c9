// Package browser is a test helper that shows HTML to a real browser,
// Debian's chromium, headless, driven over the DevTools protocol: it serves
// a folder on loopback, reads back where each of some strings was drawn (so a test can tell that an address
// reads left to right inside a right-to-left line) and the computed
// direction around it, and keeps a screenshot per page.
//
// Without chromium the tests skip, except under CI=true, where they fail
// (scripts/test.sh installs it).
package browser

import (
	"bufio"
	"consultd/internal/testutil"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Chromium returns the browser's path, skipping the test when there is none
// (failing it under CI=true).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium; scripts/test.sh does it)")
	}
	t.Skip("chromium is not installed: the browser tests are skipped (apt-get install chromium)")
	return ""
}

// Server serves a folder on loopback and remembers the requests it could
// not answer.
type Server struct {
	URL     string
	mu      sync.Mutex
	missing []string
}

// Serve serves dir until the test ends.
func Serve(t testing.TB, dir string) *Server {
	t.Helper()
	s := &Server{}
	files := http.FileServer(http.Dir(dir))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r) // every browser asks; no page links to it
			return
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(r.URL.Path))); err != nil {
			s.mu.Lock()
			s.missing = append(s.missing, r.URL.Path)
			s.mu.Unlock()
		}
		files.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.URL = "http://" + ln.Addr().String() + "/"
	return s
}

// Missing is what the browser asked for and did not find.
func (s *Server) Missing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.missing...)
}

// Found is where a string was drawn on a page.
type Found struct {
	Page, Needle string
	Found        bool
	// Dir is the computed direction of the element holding the string, Block
	// that of the nearest block around it (its line), PageDir the page's.
	Dir, Block, PageDir string
	// FirstX/LastX are the left edges of its first and last characters, and
	// FirstY/LastY their tops, in CSS pixels.
	FirstX, LastX, FirstY, LastY float64
	Title                        string
}

// ReadsLTR says the string was drawn left to right on one line.
func (f Found) ReadsLTR() bool { return f.Found && f.FirstX < f.LastX && abs(f.FirstY-f.LastY) < 2 }

// ReadsRTL says the string was drawn right to left on one line.
func (f Found) ReadsRTL() bool { return f.Found && f.FirstX > f.LastX && abs(f.FirstY-f.LastY) < 2 }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Browser is one headless Chromium driven over the DevTools protocol
// (--remote-debugging-pipe: NUL-terminated JSON on file descriptors 3 and
// 4), so that one start serves every page of a test.
type Browser struct {
	cmd    *exec.Cmd
	w      *os.File
	mu     sync.Mutex
	id     int
	calls  map[int]chan message
	events map[string]chan message // by session
	stderr testutil.LogBuffer      // written by exec's copier, read by a failing call
	done   chan struct{}
}

type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Start starts the browser; it is stopped when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	chromium := Chromium(t)
	cmdR, cmdW, err := os.Pipe() // we write commands, the browser reads fd 3
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe() // the browser writes fd 4, we read
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{w: cmdW, calls: map[int]chan message{}, events: map[string]chan message{}, done: make(chan struct{})}
	b.cmd = exec.Command(chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
		"--hide-scrollbars", "--mute-audio", "--window-size=1000,1200", "--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW}
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	cmdR.Close()
	outW.Close()
	go b.read(outR)
	t.Cleanup(func() {
		b.call("", "Browser.close", nil, 10*time.Second)
		select {
		case <-b.done:
		case <-time.After(10 * time.Second):
			b.cmd.Process.Kill() // our own child, by its PID
		}
		b.cmd.Wait()
		cmdW.Close()
	})
	return b
}

func (b *Browser) read(r *os.File) {
	defer close(b.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m message
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if c := b.calls[m.ID]; c != nil {
				c <- m
				delete(b.calls, m.ID)
			}
		} else if c := b.events[m.SessionID]; c != nil {
			select {
			case c <- m:
			default: // a page that floods events loses the surplus, never blocks the reader
			}
		}
		b.mu.Unlock()
	}
}

// call sends one command and waits for its answer.
func (b *Browser) call(session, method string, params any, timeout time.Duration) (json.RawMessage, error) {
	b.mu.Lock()
	b.id++
	id := b.id
	c := make(chan message, 1)
	b.calls[id] = c
	b.mu.Unlock()
	p, _ := json.Marshal(params)
	if params == nil {
		p = []byte("{}")
	}
	msg, _ := json.Marshal(message{ID: id, Method: method, SessionID: session, Params: p})
	if _, err := b.w.Write(append(msg, 0)); err != nil {
		return nil, err
	}
	select {
	case m := <-c:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: the browser stopped:\n%s", method, b.stderr.String())
	case <-time.After(timeout):
		return nil, fmt.Errorf("%s: no answer in %s", method, timeout)
	}
}

// Page is one loaded page.
type Page struct {
	b       *Browser
	target  string
	session string
	events  chan message
	// Errors is what went wrong while loading: console errors, uncaught
	// exceptions, failed requests.
	Errors []string
}

const timeout = 60 * time.Second

// Open loads url in a new tab 1000 CSS pixels wide and waits for its load
// event.
func (b *Browser) Open(t testing.TB, url string) *Page {
	t.Helper()
	res, err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var tg struct{ TargetID string }
	json.Unmarshal(res, &tg)
	res, err = b.call("", "Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var at struct{ SessionID string }
	json.Unmarshal(res, &at)
	p := &Page{b: b, target: tg.TargetID, session: at.SessionID, events: make(chan message, 1000)}
	b.mu.Lock()
	b.events[p.session] = p.events
	b.mu.Unlock()
	t.Cleanup(func() { b.call("", "Target.closeTarget", map[string]any{"targetId": p.target}, timeout) })
	for _, c := range []struct {
		method string
		params any
	}{
		{"Page.enable", nil}, {"Runtime.enable", nil}, {"Network.enable", nil}, {"Log.enable", nil},
		{"Emulation.setDeviceMetricsOverride", map[string]any{"width": 1000, "height": 1200, "deviceScaleFactor": 1, "mobile": false}},
		{"Page.navigate", map[string]any{"url": url}},
	} {
		if _, err := b.call(p.session, c.method, c.params, timeout); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case m := <-p.events:
			// A load event may still be about:blank's: the page counts as
			// loaded once its document is another one, and complete.
			if p.note(m) && p.loaded() {
				return p
			}
		case <-deadline:
			t.Fatalf("%s did not finish loading in %s", url, timeout)
		}
	}
}

func (p *Page) loaded() bool {
	res, err := p.b.call(p.session, "Runtime.evaluate", map[string]any{
		"expression": `document.readyState === "complete" && location.href`, "returnByValue": true}, timeout)
	if err != nil {
		return false
	}
	var r struct{ Result struct{ Value any } }
	json.Unmarshal(res, &r)
	href, ok := r.Result.Value.(string)
	return ok && href != "about:blank"
}

// note records an event's error, and reports the load event.
func (p *Page) note(m message) bool {
	switch m.Method {
	case "Page.loadEventFired":
		return true
	case "Runtime.exceptionThrown":
		p.Errors = append(p.Errors, "exception: "+string(m.Params))
	case "Runtime.consoleAPICalled":
		var c struct{ Type string }
		json.Unmarshal(m.Params, &c)
		if c.Type == "error" || c.Type == "warning" || c.Type == "assert" {
			p.Errors = append(p.Errors, "console: "+string(m.Params))
		}
	case "Log.entryAdded":
		var e struct {
			Entry struct{ Level, Text, URL string }
		}
		json.Unmarshal(m.Params, &e)
		if e.Entry.Level == "error" && !strings.HasSuffix(e.Entry.URL, "/favicon.ico") {
			p.Errors = append(p.Errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	case "Network.loadingFailed":
		p.Errors = append(p.Errors, "request failed: "+string(m.Params))
	}
	return false
}

// drain takes in the events that arrived so far.
func (p *Page) drain() {
	for {
		select {
		case m := <-p.events:
			p.note(m)
		default:
			return
		}
	}
}

// Eval runs a JavaScript expression in the page and decodes its value into out.
func (p *Page) Eval(t testing.TB, expr string, out any) {
	t.Helper()
	res, err := p.b.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails json.RawMessage
	}
	json.Unmarshal(res, &r)
	if len(r.ExceptionDetails) > 0 {
		t.Fatalf("script failed: %s", r.ExceptionDetails)
	}
	if err := json.Unmarshal(r.Result.Value, out); err != nil {
		t.Fatalf("script result %s: %v", r.Result.Value, err)
	}
	p.drain()
}

// Screenshot saves the whole page as a PNG in file and logs where.
func (p *Page) Screenshot(t testing.TB, file string) {
	t.Helper()
	res, err := p.b.call(p.session, "Page.getLayoutMetrics", nil, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var lm struct {
		CSSContentSize struct{ Width, Height float64 }
	}
	json.Unmarshal(res, &lm)
	// The whole page in one image: the viewport grows to the page's height
	// (captureBeyondViewport misplaces right-to-left pages).
	h := int(max(lm.CSSContentSize.Height, 100))
	if _, err := p.b.call(p.session, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": 1000, "height": h, "deviceScaleFactor": 1, "mobile": false}, timeout); err != nil {
		t.Fatal(err)
	}
	res, err = p.b.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, timeout)
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Data []byte } // base64 in JSON decodes into []byte
	if err := json.Unmarshal(res, &s); err != nil || len(s.Data) == 0 {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(file, s.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
	p.drain()
}

// Find reports where each needle was drawn ("#2 text": in the second text
// node holding text).
func (p *Page) Find(t testing.TB, needles ...string) map[string]Found {
	t.Helper()
	js, _ := json.Marshal(needles)
	var res []Found
	p.Eval(t, "("+findJS+")("+string(js)+")", &res)
	out := map[string]Found{}
	for _, f := range res {
		out[f.Needle] = f
	}
	return out
}

// findJS finds each needle in the page's text and measures its first and
// last character, and the direction around it.
const findJS = `function (needles) {
  function block(e) {
    while (e && e.parentElement && getComputedStyle(e).display.indexOf("inline") === 0) e = e.parentElement;
    return e;
  }
  return needles.map(function (key) {
    var r = {Needle: key, Found: false, PageDir: getComputedStyle(document.documentElement).direction, Title: document.title};
    var nd = key, nth = 1, m = /^#(\d+) (.*)$/.exec(key);
    if (m) { nth = +m[1]; nd = m[2]; }
    var w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
    while ((n = w.nextNode())) {
      var i = n.data.indexOf(nd);
      if (i < 0 || --nth > 0) continue;
      var rg = document.createRange();
      rg.setStart(n, i); rg.setEnd(n, i + 1);
      var a = rg.getBoundingClientRect();
      rg.setStart(n, i + nd.length - 1); rg.setEnd(n, i + nd.length);
      var b = rg.getBoundingClientRect();
      r.Found = true; r.FirstX = a.left; r.FirstY = a.top; r.LastX = b.left; r.LastY = b.top;
      r.Dir = getComputedStyle(n.parentElement).direction;
      r.Block = getComputedStyle(block(n.parentElement)).direction;
      break;
    }
    return r;
  });
}`

// Artifacts is the folder for what a test keeps for people to look at
// (screenshots): $CONSULTD_ARTIFACTS/sub, by default test-artifacts/sub at
// the top of the repository (git-ignored). t.TempDir would be removed.
func Artifacts(t testing.TB, sub string) string {
	t.Helper()
	base := os.Getenv("CONSULTD_ARTIFACTS")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("no go.mod above the test's folder: set CONSULTD_ARTIFACTS")
			}
			dir = parent
		}
		base = filepath.Join(dir, "test-artifacts")
	}
	d := filepath.Join(base, sub)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", d)
	return d
}
