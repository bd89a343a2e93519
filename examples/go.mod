module github.com/sessionseal/session/examples

go 1.26

require github.com/sessionseal/session v0.0.0

replace github.com/sessionseal/session => ../
