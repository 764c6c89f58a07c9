package automail

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"consultd/internal/mimeparse"
)

// parseRaw is a stand-in for mimeparse.Parse while that package is being
// written: just enough MIME walking for the bounce corpus.
func parseRaw(raw []byte) *mimeparse.Message {
	return adaptParse(raw, 0)
}

func adaptParse(raw []byte, depth int) *mimeparse.Message {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	raw = bytes.ReplaceAll(raw, []byte("\r"), []byte("\n"))
	m := &mimeparse.Message{}
	hm, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err == nil {
		m.Header = hm.Header
	} else {
		m.Header = mail.Header{}
	}
	m.Subject = m.Get("Subject")
	if d := new(mime.WordDecoder); true {
		if s, err := d.DecodeHeader(m.Header.Get("Subject")); err == nil {
			m.Subject = s
		}
	}
	if a, err := mail.ParseAddressList(m.Header.Get("From")); err == nil {
		for _, x := range a {
			m.From = append(m.From, mimeparse.Address{Name: x.Name, Address: x.Address})
		}
	} else if f := m.Header.Get("From"); f != "" {
		m.From = append(m.From, mimeparse.Address{Address: strings.Trim(f, "<> ")})
	}
	rp := strings.TrimSpace(m.Header.Get("Return-Path"))
	m.ReturnPath = rp
	m.ReturnPathEmpty = rp == "<>"
	m.MessageID = strings.Trim(m.Header.Get("Message-Id"), "<> ")
	ct := m.Header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, _ := mime.ParseMediaType(ct)
	m.ContentType, m.Params = strings.ToLower(mt), params
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		m.Text = string(raw)
		return m
	}
	_ = err
	walk(m, e, depth)
	return m
}

func walk(m *mimeparse.Message, e *message.Entity, depth int) {
	if depth > 5 {
		return
	}
	mt, params, _ := e.Header.ContentType()
	if mt == "" {
		mt = "text/plain"
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			walk(m, p, depth+1)
		}
		return
	}
	body, _ := io.ReadAll(io.LimitReader(e.Body, 4<<20))
	_ = params
	switch {
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		m.DeliveryStatus = body
	case mt == "message/rfc822" || mt == "message/global":
		m.Embedded = append(m.Embedded, adaptParse(body, depth+1))
	case mt == "text/plain" && m.Text == "":
		m.Text = string(body)
	case mt == "text/html" && m.HTML == "":
		m.HTML = string(body)
	default:
		m.Attachments = append(m.Attachments, mimeparse.Attachment{ContentType: mt, Data: body})
	}
}
