package provider

import (
	"time"

	"github.com/mediareach/terraform-provider-media/internal/probe"
)

// turnCredentials derives the TURN REST API credentials (coturn's
// use-auth-secret) that expire at expires, truncated to the second: the
// username is "<expiry in Unix seconds>:<user>" (the expiry alone when user
// is empty) and the password the base64 HMAC-SHA1 of the username keyed
// with secret. The derivation is probe.TURNRESTCredentials, the one the
// TURN probe uses, so what the provider hands out is what its checks send.
func turnCredentials(secret, user string, expires time.Time) (username, password string) {
	return probe.TURNRESTCredentials(secret, user, 0, expires)
}

// turnCredentialsFormat describes the credentials in the function's and the
// ephemeral resource's descriptions.
const turnCredentialsFormat = "the TURN REST API scheme (draft-uberti-behave-turn-rest) that coturn checks with " +
	"`use-auth-secret` and `static-auth-secret`, and pion/turn with `LongTermTURNRESTAuthHandler`: the username is " +
	"the expiry in Unix seconds, a colon and `user` (`1700003600:alice`; the expiry alone when `user` is empty), " +
	"and the password is the base64 HMAC-SHA1 of the username keyed with the shared secret (28 characters)"
