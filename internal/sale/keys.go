// Package sale is the sale domain's state in the sale Redis: arming a
// session (loading its seats, prices, limits and reserved buyers), its
// live stats, and the scripts that change seat state.
//
// Every key of session N carries the hash tag {s:N}, so a session lives on
// one Redis Cluster slot and every script touches one slot:
//
//	{s:N}:meta      HASH   state, opens_at, closes_at (unix ms), limit, hold_ms,
//	                       version (arm), bloom_m, bloom_k
//	{s:N}:seats     HASH   seat id → "A" | "L:<order_no>" | "S:<order_no>"
//	{s:N}:price     HASH   seat id → price in cents
//	{s:N}:tier      HASH   seat id → tier code
//	{s:N}:counts    HASH   "avail:<tier>", "locked:<tier>", "sold:<tier>" → seats;
//	                       "avail" → all AVAILABLE seats
//	{s:N}:soldout   STRING "1" while no seat is AVAILABLE
//	{s:N}:reserved  SET    user ids that reserved
//	{s:N}:bloom     STRING Bloom bitset of the reserved ids (see bloomfilter)
//	{s:N}:held      HASH   user id → seats held or bought
//	{s:N}:arms      STRING arm counter; each arm's version
//
// Arming builds the rebuilt keys under a staging prefix and renames them
// into place in one script, so a failure halfway leaves the old state.
package sale

import "strconv"

// Keys names the keys of one session.
type Keys struct{ prefix string }

// KeysFor returns the key names of session id.
func KeysFor(id int64) Keys { return Keys{prefix: "{s:" + strconv.FormatInt(id, 10) + "}:"} }

// Key returns the key named name.
func (k Keys) Key(name string) string { return k.prefix + name }

// Staging returns the staging key of name, used while arming.
func (k Keys) Staging(name string) string { return k.prefix + "next:" + name }

// Rebuilt are the keys an arm replaces; holds, the outbox and the
// idempotency records are never touched by arming.
var Rebuilt = []string{"meta", "seats", "price", "tier", "counts", "reserved", "bloom", "held"}
