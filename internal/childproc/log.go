package childproc

import (
	"bytes"
	"sync"
)

// Log collects a server's output. The exec.Cmd copy goroutines write it
// while tests read it for their error messages; it is safe for concurrent
// use.
type Log struct {
	name string
	mu   sync.Mutex
	buf  bytes.Buffer
}

// NewLog returns an empty log of the program name.
func NewLog(name string) *Log { return &Log{name: name} }

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns the output, introduced by the program's name, or says
// that there was none.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() == 0 {
		return "(" + l.name + " wrote nothing)"
	}
	return l.name + " output:\n" + l.buf.String()
}
