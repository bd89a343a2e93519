module github.com/sessionseal/session/bench

go 1.26

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/gorilla/securecookie v1.1.2
	github.com/gorilla/sessions v1.4.0
	github.com/sessionseal/session v0.0.0
)

replace github.com/sessionseal/session => ../
