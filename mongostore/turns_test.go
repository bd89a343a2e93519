package mongostore

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTurns(t *testing.T) {
	var tr turns
	// Saves of one record never overlap.
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			done := tr.take([]byte("a"))
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			done()
		})
	}
	// A save of another record does not wait for them.
	doneA := tr.take([]byte("held"))
	finished := make(chan struct{})
	go func() {
		tr.take([]byte("b"))()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("a save of record b waited for record held")
	}
	doneA()
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d saves of one record overlapped", n)
	}
	if n := len(tr.locks); n != 0 {
		t.Errorf("%d locks left after every save ended", n)
	}
}
