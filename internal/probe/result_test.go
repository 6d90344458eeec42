package probe

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A Result is plain data: it survives a JSON round trip whole, and its
// status travels by name.
func TestResultJSONRoundTrip(t *testing.T) {
	in := Result{
		Protocol: "stun", Transport: "udp", Host: "sfu.example.net", Address: "203.0.113.10:3478",
		Status: StatusFiltered, Code: CodeNoAnswer, Cause: "no STUN response to 5 requests",
		Error: "stun/udp 203.0.113.10:3478: i/o timeout", RTT: 12 * time.Millisecond,
		MappedAddress: "198.51.100.7:40000", Detail: "SOFTWARE mediaprobe",
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"status":"filtered"`) || !strings.Contains(string(b), `"code":"no_answer"`) {
		t.Errorf("JSON %s does not name the status and code", b)
	}
	var out Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	for st := StatusNone; st <= StatusError; st++ {
		var back Status
		text, _ := st.MarshalText()
		if err := back.UnmarshalText(text); err != nil || back != st {
			t.Errorf("status %v round trip = %v, %v", st, back, err)
		}
	}
	if err := new(Status).UnmarshalText([]byte("half-open")); err == nil {
		t.Error("an unknown status name was accepted")
	}
}
