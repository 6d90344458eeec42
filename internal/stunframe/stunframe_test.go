package stunframe_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/pion/stun/v3"

	"github.com/mediareach/terraform-provider-media/internal/stunframe"
)

// writes is a stream that hands out one write per Read, like TCP segments
// arriving one at a time, then io.EOF or, if set, err.
type writes struct {
	chunks [][]byte
	err    error
}

func (w *writes) Read(p []byte) (int, error) {
	for len(w.chunks) > 0 && len(w.chunks[0]) == 0 {
		w.chunks = w.chunks[1:]
	}
	if len(w.chunks) == 0 {
		if w.err != nil {
			return 0, w.err
		}
		return 0, io.EOF
	}
	n := copy(p, w.chunks[0])
	w.chunks[0] = w.chunks[0][n:]
	return n, nil
}

func message(t *testing.T, setters ...stun.Setter) []byte {
	t.Helper()
	m, err := stun.Build(append([]stun.Setter{stun.TransactionID, stun.BindingRequest}, setters...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Raw
}

// bytesOf splits b into n-byte writes.
func bytesOf(b []byte, n int) [][]byte {
	return slices.Collect(slices.Chunk(b, n))
}

// withHeader returns a copy of m with header byte i set to v.
func withHeader(m []byte, i int, v byte) []byte {
	m = slices.Clone(m)
	m[i] = v
	return m
}

func TestRead(t *testing.T) {
	bare := message(t) // header only, length 0
	one := message(t, stun.NewSoftware("mediaprobe test"))
	two := message(t, stun.NewSoftware("a second message, longer than the first"))
	big := message(t, stun.NewSoftware(string(bytes.Repeat([]byte("x"), 100))))
	banner := []byte("SSH-2.0-OpenSSH_9.6\r\n")
	tests := []struct {
		name   string
		writes [][]byte
		cap    int // of the buffer passed in
		limit  int
		want   [][]byte // messages, in order, before err
		err    error    // from the Read after them
		header []byte   // returned with a header error
	}{
		{name: "one message", writes: [][]byte{one}, want: [][]byte{one}, err: io.EOF},
		{name: "header only", writes: [][]byte{bare}, want: [][]byte{bare}, err: io.EOF},
		{name: "two messages in one write", writes: [][]byte{slices.Concat(one, two)}, want: [][]byte{one, two}, err: io.EOF},
		{name: "one-byte writes", writes: bytesOf(slices.Concat(one, two), 1), want: [][]byte{one, two}, err: io.EOF},
		{name: "split after the header", writes: [][]byte{one[:20], one[20:]}, want: [][]byte{one}, err: io.EOF},
		{name: "grows a small buffer", writes: [][]byte{big, one}, cap: 32, want: [][]byte{big, one}, err: io.EOF},
		{name: "no buffer", writes: [][]byte{one}, cap: -1, want: [][]byte{one}, err: io.EOF},
		{name: "exactly the limit", writes: [][]byte{big}, limit: len(big), want: [][]byte{big}, err: io.EOF},
		{name: "empty stream", err: io.EOF},
		{name: "larger than the limit", writes: [][]byte{big}, limit: len(big) - 4, err: stunframe.ErrTooLarge, header: big[:20]},
		{name: "length not a multiple of 4", writes: [][]byte{withHeader(one, 3, one[3]+2)}, err: stunframe.ErrBadLength},
		{name: "banner is not STUN", writes: [][]byte{banner}, err: stunframe.ErrNotSTUN, header: banner[:20]},
		{name: "first bits set", writes: [][]byte{withHeader(one, 0, one[0]|0x80)}, err: stunframe.ErrNotSTUN},
		{name: "no magic cookie", writes: [][]byte{withHeader(one, 4, 0)}, err: stunframe.ErrNotSTUN},
		{name: "not STUN after a good message", writes: [][]byte{one, banner}, want: [][]byte{one}, err: stunframe.ErrNotSTUN},
		{name: "EOF in header", writes: [][]byte{one[:7]}, err: io.ErrUnexpectedEOF},
		{name: "EOF after the header", writes: [][]byte{one[:20]}, err: io.ErrUnexpectedEOF},
		{name: "EOF in body", writes: bytesOf(one[:len(one)-3], 1), err: io.ErrUnexpectedEOF},
		{name: "EOF in the second message", writes: [][]byte{one, two[:30]}, want: [][]byte{one}, err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &writes{chunks: slices.Clone(tt.writes)}
			var buf []byte
			switch {
			case tt.cap == 0:
				buf = make([]byte, 2048)
			case tt.cap > 0:
				buf = make([]byte, tt.cap)
			}
			limit := tt.limit
			if limit == 0 {
				limit = 2048
			}
			for i, want := range tt.want {
				msg, err := stunframe.Read(r, buf, limit)
				if err != nil || !bytes.Equal(msg, want) {
					t.Fatalf("message %d: Read = %x, %v; want %x", i, msg, err, want)
				}
				var m stun.Message
				if err := stun.Decode(msg, &m); err != nil {
					t.Errorf("message %d does not decode: %v", i, err)
				}
				buf = msg
			}
			msg, err := stunframe.Read(r, buf, limit)
			switch {
			case tt.err == io.EOF && err != io.EOF: // a clean end is io.EOF itself, as from any reader
				t.Fatalf("at the end: err = %v, want io.EOF itself", err)
			case !errors.Is(err, tt.err):
				t.Fatalf("at the end: err = %v, want %v", err, tt.err)
			case tt.err == io.ErrUnexpectedEOF && errors.Is(err, io.EOF):
				t.Errorf("err %v is io.EOF, which reads as a clean end", err)
			}
			if tt.header != nil && !bytes.Equal(msg, tt.header) {
				t.Errorf("with %v: got %q, want the header %q", err, msg, tt.header)
			}
		})
	}
}

// A read error other than EOF, such as a deadline, comes back as it was so
// that callers can classify it: before, inside the header and in the body.
func TestReadPassesErrors(t *testing.T) {
	one := message(t, stun.NewSoftware("mediaprobe test"))
	for _, at := range []int{0, 7, 24} {
		r := &writes{chunks: [][]byte{one[:at]}, err: os.ErrDeadlineExceeded}
		if _, err := stunframe.Read(r, nil, 2048); err != os.ErrDeadlineExceeded { // unwrapped on purpose
			t.Errorf("after %d bytes: err = %v, want os.ErrDeadlineExceeded itself", at, err)
		}
	}
}

// The responder reads every request on a connection into one buffer.
func TestReadReusesBuffer(t *testing.T) {
	one := message(t, stun.NewSoftware("mediaprobe test"))
	r := bytes.NewReader(one)
	buf := make([]byte, 2048)
	if n := testing.AllocsPerRun(100, func() {
		r.Reset(one)
		if _, err := stunframe.Read(r, buf, len(buf)); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Read allocates %.0f times per message into a buffer that fits", n)
	}
}
