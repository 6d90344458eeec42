package probe

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadHead(t *testing.T) {
	big := strings.Repeat("x", maxTextHead)
	tests := []struct {
		name   string
		in     string
		proto  string
		status string
		header map[string]string
		err    error // errors.Is; nil = success
	}{
		{"sip", "SIP/2.0 200 OK\r\nCall-ID: abc\r\nCSeq: 1 OPTIONS\r\n\r\n", "SIP/", "SIP/2.0 200 OK",
			map[string]string{"call-id": "abc", "cseq": "1 OPTIONS"}, nil},
		{"keep-alives first, bare LF", "\r\n\r\nRTSP/1.0 401 Unauthorized\nCSeq: 7\n\n", "RTSP/", "RTSP/1.0 401 Unauthorized",
			map[string]string{"cseq": "7"}, nil},
		{"no reason", "SIP/2.0 404\r\n\r\n", "SIP/", "SIP/2.0 404", nil, nil},
		{"lower-case version", "sip/2.0 200 OK\r\n\r\n", "SIP/", "SIP/2.0 200 OK", nil, nil},
		{"folded and repeated headers", "RTSP/1.0 200 OK\r\nPublic: OPTIONS,\r\n  DESCRIBE\r\npublic: PLAY\r\n\r\n", "RTSP/",
			"RTSP/1.0 200 OK", map[string]string{"public": "OPTIONS, DESCRIBE, PLAY"}, nil},
		{"compact form kept as is", "SIP/2.0 200 OK\r\ni: abc\r\nl: 0\r\n\r\n", "SIP/", "SIP/2.0 200 OK",
			map[string]string{"i": "abc", "l": "0"}, nil},
		{"other protocol", "HTTP/1.1 400 Bad Request\r\n\r\n", "RTSP/", "", nil, errNotProtocol},
		{"binary", "\x00\x01\x02\x03", "SIP/", "", nil, errNotProtocol},
		{"a request", "OPTIONS sip:a SIP/2.0\r\n\r\n", "SIP/", "", nil, errNotProtocol},
		{"code out of range", "SIP/2.0 999 What\r\n\r\n", "SIP/", "", nil, errNotProtocol},
		{"code not a number", "SIP/2.0 2x0 OK\r\n\r\n", "SIP/", "", nil, errNotProtocol},
		{"header without colon", "SIP/2.0 200 OK\r\nnonsense\r\n\r\n", "SIP/", "", nil, errNotProtocol},
		{"continuation first", "SIP/2.0 200 OK\r\n folded\r\n\r\n", "SIP/", "", nil, errNotProtocol},
		{"oversize header", "SIP/2.0 200 OK\r\nX-Big: " + big + "\r\n\r\n", "SIP/", "", nil, errTooLarge},
		{"oversize line without end", "SIP/2.0 200 OK\r\nX-Big: " + big, "SIP/", "", nil, errTooLarge},
		{"endless empty lines", strings.Repeat("\r\n", maxTextHead), "SIP/", "", nil, errTooLarge},
		{"cut short", "SIP/2.0 200 OK\r\nCall-ID: a", "SIP/", "", nil, io.ErrUnexpectedEOF},
		{"nothing", "", "SIP/", "", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := readHead(bufio.NewReader(strings.NewReader(tt.in)), tt.proto)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.statusLine(); got != tt.status {
				t.Errorf("status line %q, want %q", got, tt.status)
			}
			for k, v := range tt.header {
				if got := h.header[k]; got != v {
					t.Errorf("header %q = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// A wrong answer is told apart as soon as its first wrong byte arrives,
// without waiting for a line that may never end; the error quotes it.
func TestReadHeadQuotesWrongAnswer(t *testing.T) {
	_, err := readHead(bufio.NewReader(strings.NewReader("SSH-2.0-OpenSSH_9.6")), "SIP/")
	if !errors.Is(err, errNotProtocol) || !strings.Contains(err.Error(), `"SSH-2.0-OpenSSH_"`) {
		t.Errorf("err = %v", err)
	}
	e := textAnswerError(err, "RTSP")
	var ae *answerError
	if !errors.As(e, &ae) || ae.cause != "not an RTSP response" {
		t.Errorf("textAnswerError = %#v", e)
	}
}

func TestParseHeadTruncatedDatagram(t *testing.T) {
	if _, err := parseHead([]byte("SIP/2.0 200 OK\r\nCall-ID: x\r\n"), "SIP/"); !errors.Is(err, errNotProtocol) {
		t.Errorf("err = %v, want errNotProtocol", err)
	}
}

func TestSkipBody(t *testing.T) {
	tests := []struct {
		name string
		cl   string
		body string
		rest string
		err  error
	}{
		{"none", "", "", "next", nil},
		{"some", "5", "hello", "next", nil},
		{"negative", "-1", "", "", errNotProtocol},
		{"not a number", "x", "", "", errNotProtocol},
		{"too large", "99999999", "", "", errTooLarge},
		{"cut short", "10", "abc", "", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.body + tt.rest))
			h := head{header: map[string]string{}}
			if tt.cl != "" {
				h.header["l"] = tt.cl
			}
			err := skipBody(br, h)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if rest, _ := io.ReadAll(br); err == nil && string(rest) != tt.rest {
				t.Errorf("left %q, want %q", rest, tt.rest)
			}
		})
	}
}
