// Command chart draws the benchmark table of the README as an SVG bar
// chart. It reads the output of the bench module's benchmarks on standard
// input and writes the SVG to standard output:
//
//	cd bench
//	go test -run '^$' -bench . -benchmem -count 6 | tee /tmp/bench.txt
//	go run ./chart < /tmp/bench.txt > ../docs/bench.svg
//
// Each bar is the median time per operation of one implementation over all
// the runs in the input, labelled with that time, its allocations and how
// many times slower it is than sessionseal in the same benchmark.
package main
