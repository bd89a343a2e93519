// Package fuzz holds fuzz targets over the module's public API, with seed
// corpora in testdata/fuzz. Run one for a while with, for example:
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzCookieLoad$' -fuzztime 1h
//
// A crash the fuzzer finds is written to testdata/fuzz/FuzzName/; commit
// that file with the fix, and it runs as a regression test in every plain
// go test from then on.
package fuzz
