package auth

import (
	"labflow/internal/domain"
	"labflow/internal/store"
)

// tokenOwner is a token with its owner as an actor, kept between requests
// (Service.tokens) so that an API request need not read its token, person
// and grants again: that query was a tenth of the server's work in the
// approval benchmark. The cache is keyed by the SHA-256 of the secret, so a
// hit is as verified as the read it stands for; store.PeopleCache says when
// an entry gives way (at once on this server to a revocation, a password
// change, a grant or a deactivation).
type tokenOwner struct {
	token store.APIToken
	actor domain.Actor
}

// tokenCacheSize bounds the tokens kept.
const tokenCacheSize = 1024
