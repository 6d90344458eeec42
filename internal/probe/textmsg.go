package probe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SIP and RTSP frame a message as HTTP/1 does: a start line, header lines
// and an empty line, then Content-Length bytes of body (RFC 3261 section 7,
// RFC 2326 section 4). This file reads the head of a response, bounded, for
// both.

const (
	// maxTextHead bounds the start line and headers of one response: an
	// answer to OPTIONS is a few hundred bytes, and a hostile server must
	// not make us buffer more.
	maxTextHead = 16 << 10
	// maxTextBody bounds a body the probe reads past to reach the next
	// message (after a provisional answer, or one for another request).
	maxTextBody = 64 << 10
	// maxTextMessages bounds how many messages that are not the answer a
	// probe reads before giving up on the server.
	maxTextMessages = 16
	// maxPublic bounds the list of methods copied into Detail.
	maxPublic = 160
	// seenBytes is how much of a wrong answer an error quotes.
	seenBytes = 16
)

// head is the start line and headers of a response.
type head struct {
	version string // "SIP/2.0", "RTSP/1.0"
	code    int
	reason  string
	// header maps lower-case names to their values, repeated headers
	// joined with ", ".
	header map[string]string
}

// get returns the first of names that is present: a long name and its
// compact form, as SIP's "call-id" and "i".
func (h head) get(names ...string) string {
	for _, n := range names {
		if v, ok := h.header[n]; ok {
			return v
		}
	}
	return ""
}

// statusLine is the start line as a user should see it.
func (h head) statusLine() string {
	return strings.TrimSpace(fmt.Sprintf("%s %d %s", h.version, h.code, printable([]byte(h.reason))))
}

// answerError is an answer that is not what the protocol expects; cause is
// the short text for users.
type answerError struct {
	cause string
	err   error
}

func (e *answerError) Error() string { return e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }

func wrongAnswer(cause string, format string, args ...any) *answerError {
	return &answerError{cause: cause, err: fmt.Errorf(format, args...)}
}

// errNotProtocol marks bytes that do not start a response of the expected
// protocol; errTooLarge a head or body over its bound.
var (
	errNotProtocol = errors.New("wrong protocol")
	errTooLarge    = errors.New("too large")
)

// readHead reads one response head from br. proto is the version's name
// with its slash, "SIP/" or "RTSP/". Empty lines before the start line are
// skipped, as RFC 3261 section 7.5 asks (they are keep-alives). Bytes that
// cannot start such a response fail as soon as they arrive, so a server of
// another protocol that sends a few bytes and waits is told apart at once.
// The head may not exceed maxTextHead bytes.
func readHead(br *bufio.Reader, proto string) (head, error) {
	budget := maxTextHead
	for {
		b, err := br.ReadByte()
		if err != nil {
			return head{}, err
		}
		if b != '\r' && b != '\n' {
			_ = br.UnreadByte()
			break
		}
		if budget--; budget <= 0 {
			return head{}, fmt.Errorf("%w: more than %d empty lines", errTooLarge, maxTextHead)
		}
	}
	for i := range len(proto) {
		b, err := br.ReadByte()
		if err != nil {
			return head{}, err
		}
		if upper(b) != proto[i] {
			seen := append([]byte(proto[:i]), b)
			more, _ := br.Peek(min(br.Buffered(), seenBytes-len(seen)))
			return head{}, fmt.Errorf("%w: reply starts with %q, want %s", errNotProtocol, printable(append(seen, more...)), proto)
		}
	}
	line, err := readLine(br, &budget)
	if err != nil {
		return head{}, err
	}
	h, ok := parseStatusLine(proto, line)
	if !ok {
		return head{}, fmt.Errorf("%w: malformed status line %q", errNotProtocol, printable([]byte(proto+line)))
	}
	var last string
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			return head{}, err
		}
		if line == "" {
			return h, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			// A folded line continues the previous header.
			if last == "" {
				return head{}, fmt.Errorf("%w: continuation line before any header", errNotProtocol)
			}
			h.header[last] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" {
			return head{}, fmt.Errorf("%w: malformed header line %q", errNotProtocol, printable([]byte(line)))
		}
		value = strings.TrimSpace(value)
		if prev, dup := h.header[name]; dup {
			value = prev + ", " + value
		}
		h.header[name], last = value, name
	}
}

// parseHead reads the head of a whole datagram.
func parseHead(b []byte, proto string) (head, error) {
	h, err := readHead(bufio.NewReader(bytes.NewReader(b)), proto)
	if errors.Is(err, io.EOF) {
		// The datagram ended inside the head.
		return head{}, fmt.Errorf("%w: truncated message %q", errNotProtocol, printable(b[:min(len(b), seenBytes)]))
	}
	return h, err
}

// readLine reads a line ending in CRLF (or a bare LF) and returns it
// without the ending, charging its length to budget.
func readLine(br *bufio.Reader, budget *int) (string, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if *budget -= len(chunk); *budget < 0 {
			return "", fmt.Errorf("%w: response head over %d bytes", errTooLarge, maxTextHead)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return strings.TrimRight(string(line), "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return "", io.ErrUnexpectedEOF
		default:
			return "", err
		}
	}
}

// parseStatusLine parses the rest of "SIP/2.0 200 OK" after proto: a
// version, a three-digit code from 100 to 699 and an optional reason.
func parseStatusLine(proto, rest string) (head, bool) {
	version, rest, ok := strings.Cut(rest, " ")
	if !ok || version == "" || strings.ContainsAny(version, " \t") {
		return head{}, false
	}
	code, reason, _ := strings.Cut(rest, " ")
	n, err := strconv.Atoi(code)
	if err != nil || len(code) != 3 || n < 100 || n > 699 {
		return head{}, false
	}
	return head{version: proto + version, code: n, reason: strings.TrimSpace(reason), header: map[string]string{}}, true
}

// skipBody reads past the body that h announces.
func skipBody(br *bufio.Reader, h head) error {
	cl := h.get("content-length", "l")
	if cl == "" {
		return nil
	}
	n, err := strconv.ParseInt(cl, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%w: bad Content-Length %q", errNotProtocol, printable([]byte(cl)))
	}
	if n > maxTextBody {
		return fmt.Errorf("%w: body of %d bytes", errTooLarge, n)
	}
	_, err = io.CopyN(io.Discard, br, n)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// textAnswerError turns a framing error into the wrong answer users see:
// what names the protocol, as in "not a SIP response". Other errors are
// returned as they are, for Classify.
func textAnswerError(err error, what string) error {
	switch {
	case errors.Is(err, errNotProtocol):
		return &answerError{cause: "not " + article(what) + " response", err: err}
	case errors.Is(err, errTooLarge):
		return &answerError{cause: what + " response too large", err: err}
	}
	return err
}

func article(what string) string {
	if strings.HasPrefix(what, "R") { // RTSP is read "ar-tee-ess-pee"
		return "an " + what
	}
	return "a " + what
}

func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - 'a' + 'A'
	}
	return b
}
