// Package validators holds the provider's own attribute validators, one per
// file. Each returns early on null or unknown values and reports with
// AddAttributeError on the request path, naming the path and what is accepted.
package validators
