// Package testkit holds helpers shared by the module's tests.
package testkit
