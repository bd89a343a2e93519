// Package examples holds runnable demo servers for sessionseal. Each one
// starts with no setup: run it from this directory with go run.
//
//	go run ./cookiedemo     # stateless sealed-cookie sessions on 127.0.0.1:8080
package examples
