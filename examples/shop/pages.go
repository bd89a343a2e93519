package main

import (
	"embed"
	"html/template"
)

//go:embed pages.html
var pageFiles embed.FS

// pages holds one template per page ("home", "cart", "sessions"), each
// rendered with a *pageData.
var pages = template.Must(template.ParseFS(pageFiles, "pages.html"))
