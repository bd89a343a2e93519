// Command cookiedemo serves a small shopping cart kept entirely in a sealed
// session cookie. It needs no setup: without -keys it generates a key ring
// in memory, so sessions last until it stops.
//
//	go run ./cookiedemo -addr 127.0.0.1:8080
//
// It serves plain HTTP on loopback for local use, so it turns on
// AllowInsecureHTTP; production servers keep the secure default.
package main
