package fuzz

import (
	"os"
	"testing"

	"github.com/sessionseal/session/internal/mongotest"
)

// TestMain lets FuzzReferenceToken start a MongoDB server; the other
// targets never ask for one.
func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }
