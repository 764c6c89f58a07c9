package round

import "consultd/internal/mimeparse"

// parseOptions bound the memory one inbound message costs: only a
// coordinator's mail can become an invitation whose attachments are kept
// and sent to the members, so anyone else's attachments are kept only as
// far as a bounce's returned headers need.
func (e *Engine) parseOptions() mimeparse.Options {
	return mimeparse.Options{AttachmentBytes: func(h *mimeparse.Message) int64 {
		if e.Cfg.IsCoordinator(firstFrom(h)) {
			return mimeparse.DefaultAttachmentBytes
		}
		return mimeparse.SmallAttachmentBytes
	}}
}

// WholeMessage tells the IMAP watcher, from a big message's header, whether
// to read it in full: only a coordinator's forward has attachments that
// consultd keeps; for anyone else the text is enough.
func (e *Engine) WholeMessage(header []byte) bool {
	h, _ := mimeparse.Parse(append(header[:len(header):len(header)], "\r\n\r\n"...))
	return h != nil && e.Cfg.IsCoordinator(firstFrom(h))
}
