// Package stunframe reads STUN messages from a stream (TCP or TLS).
//
// Over a stream STUN has no length prefix of its own: each message is
// delimited by the length field of its 20-byte header (RFC 8489 section
// 6.2.2, RFC 5389 section 7.2.2). Read takes the header, checks it, then
// reads exactly that many attribute bytes, so both ends of the wire (the
// probe reading answers and the responder reading requests) frame messages
// the same way. It knows nothing about what a message means; decoding is
// left to pion/stun.
package stunframe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// HeaderSize is the fixed STUN header: type, length, cookie, transaction ID.
	HeaderSize = 20
	// MaxSize is the largest message a header can announce: the 16-bit
	// length field rounded down to a multiple of 4, plus the header.
	MaxSize = HeaderSize + 0xFFFC
	// magicCookie is the fixed STUN value at bytes 4-7 (RFC 8489 section 5).
	magicCookie = 0x2112A442
)

var (
	// ErrNotSTUN means the header read is not a STUN header: its first two
	// bits are not zero or it lacks the magic cookie. After such bytes the
	// stream has no framing left to follow.
	ErrNotSTUN = errors.New("stunframe: not a STUN header")
	// ErrBadLength means the header's length is not a multiple of 4, which
	// every STUN message's is (attributes are padded to 4 bytes).
	ErrBadLength = errors.New("stunframe: message length is not a multiple of 4")
	// ErrTooLarge means the header announces a message larger than the
	// caller's limit. Its body is left unread.
	ErrTooLarge = errors.New("stunframe: message larger than the limit")
)

// Read reads one STUN message from r: the header, then as many bytes as its
// length field says. The message is returned in buf's storage when it fits
// buf's capacity; otherwise Read allocates. Pass the result back as buf to
// reuse the storage:
//
//	msg, err = stunframe.Read(conn, msg, limit)
//
// limit bounds the whole message, header included; a limit below HeaderSize
// is taken as HeaderSize.
//
// Errors:
//   - io.EOF alone: r ended cleanly before the first byte of a message.
//   - an error wrapping io.ErrUnexpectedEOF: r ended inside the header or
//     the body.
//   - ErrNotSTUN, ErrBadLength or ErrTooLarge (wrapped, test with
//     errors.Is): the header was read and rejected. The returned slice then
//     holds those 20 header bytes so a caller can show what arrived.
//   - any other error from r, as r returned it (a deadline, a reset).
func Read(r io.Reader, buf []byte, limit int) ([]byte, error) {
	if cap(buf) < HeaderSize {
		buf = make([]byte, HeaderSize)
	}
	h := buf[:HeaderSize]
	if n, err := io.ReadFull(r, h); err != nil {
		return nil, ended(err, n, HeaderSize, "header")
	}
	size, err := check(h, max(limit, HeaderSize))
	if err != nil {
		return h, err
	}
	msg := buf[:cap(buf)]
	if size > len(msg) {
		msg = make([]byte, size)
		copy(msg, h)
	}
	msg = msg[:size]
	if n, err := io.ReadFull(r, msg[HeaderSize:]); err != nil {
		return nil, ended(err, n, size-HeaderSize, "body")
	}
	return msg, nil
}

// check validates a header and returns the size of its whole message.
func check(h []byte, limit int) (int, error) {
	if h[0]&0xC0 != 0 {
		return 0, fmt.Errorf("%w: first byte %#x has its top bits set", ErrNotSTUN, h[0])
	}
	if c := binary.BigEndian.Uint32(h[4:8]); c != magicCookie {
		return 0, fmt.Errorf("%w: cookie %#x, want %#x", ErrNotSTUN, c, magicCookie)
	}
	length := int(binary.BigEndian.Uint16(h[2:4]))
	if length%4 != 0 {
		return 0, fmt.Errorf("%w: length %d", ErrBadLength, length)
	}
	size := HeaderSize + length
	if size > limit {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, limit)
	}
	return size, nil
}

// ended turns an EOF inside a message into an io.ErrUnexpectedEOF that says
// where the stream stopped. A clean EOF before the header's first byte, and
// errors other than EOF, pass through unchanged.
func ended(err error, got, want int, part string) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if part == "header" && got == 0 {
		return io.EOF
	}
	return fmt.Errorf("stunframe: stream ended %d bytes into the %d-byte %s: %w", got, want, part, io.ErrUnexpectedEOF)
}
