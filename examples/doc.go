// Package examples holds runnable demo servers for sessionseal. Each one
// starts with no setup: run it from this directory with go run.
//
//	go run ./cookiedemo     # stateless sealed-cookie sessions on 127.0.0.1:8080
//	go run ./shop           # a cart that spills from the cookie to MongoDB (devmongo inside) and back
//	go run ./chi            # the middleware under chi
//	go run ./echo           # under echo, through echo.WrapMiddleware
//	go run ./gin            # under gin, through a small adapter
//	go run ./metrics        # otelsession exporting to Prometheus at /metrics
package examples
