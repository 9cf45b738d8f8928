// Package sale is the sale domain's state in the sale Redis: arming a
// session (loading its seats, prices, limits and reserved buyers), its
// live stats, and the scripts that change seat state.
//
// Every key of session N carries the hash tag {s:N}, so a session lives on
// one Redis Cluster slot and every script touches one slot. The edge builds
// the same keys in lua/boxoffice/keys.lua (openresty/keys_test.go checks
// that the two lists agree).
//
// Arming builds the rebuilt keys under a staging prefix and renames them
// into place in one script, so a failure halfway leaves the old state.
package sale

import "strconv"

// The keys of session N, after its "{s:N}:" prefix: what each holds, who
// writes it and who reads it.
const (
	// KeyMeta HASH: state, opens_at, closes_at (unix ms), limit, hold_ms,
	// version (arm), bloom_m, bloom_k; trimmed once Retire trimmed the
	// session's records. Armed (arm_switch.lua), state set by
	// set_state.lua; read by hold.lua and the edge (salestate.lua).
	KeyMeta = "meta"
	// KeySeats HASH: seat id → "A" | "L:<order_no>" | "S:<order_no>".
	// Written by the seat scripts, each with KeyPacked in the same call.
	KeySeats = "seats"
	// KeyPrice HASH: seat id → price in cents.
	KeyPrice = "price"
	// KeyTier HASH: seat id → tier code.
	KeyTier = "tier"
	// KeyCounts HASH: "avail:<tier>", "locked:<tier>", "sold:<tier>" →
	// seats; "avail" → all AVAILABLE seats.
	KeyCounts = "counts"
	// KeySoldOut STRING: "1" while no seat is AVAILABLE; read by the edge
	// (salestate.lua) to answer 410 without calling Redis.
	KeySoldOut = "soldout"
	// KeyReserved SET: user ids that reserved; checked by hold.lua.
	KeyReserved = "reserved"
	// KeyBloom STRING: Bloom bitset of the reserved ids (see bloomfilter),
	// read by the edge (salestate.lua).
	KeyBloom = "bloom"
	// KeyHeld HASH: user id → seats held or bought, against the limit.
	KeyHeld = "held"
	// KeyArms STRING: arm counter; each arm's version.
	KeyArms = "arms"
	// KeyHolds HASH: order number → hold JSON (holdRecord). Written by the seat
	// scripts; read by the api, payments and the reconciler. Trimmed by
	// Retire once the session is closed and MySQL has all of it.
	KeyHolds = "holds"
	// KeyExpiry ZSET: order number by expiry (or payment deadline), unix
	// ms. Read by workers/timeouts (scan.go), which releases what is due.
	KeyExpiry = "expiry"
	// KeyOutbox STREAM: the session's sale events (boxoffice.SaleEvent): XADD by
	// hold.lua, release.lua, confirm.lua and Emit (events.go); read by
	// workers/relay (stream.go, consumer group "relay"), which publishes
	// them to Kafka for workers/orders to write into MySQL.
	KeyOutbox = "outbox"
	// KeySeq STRING: the counter at the end of hold.lua's order numbers.
	KeySeq = "seq"
	// KeyEventSeq STRING: the session's change sequence. Every script that
	// writes an event (hold, release, confirm) INCRs it and writes it into
	// the event as seq; workers/orders records the highest applied in
	// MySQL, and workers/timeouts (recovery.go) compares the two: a sale
	// Redis behind MySQL has lost changes.
	KeyEventSeq = "eventseq"
	// KeyLeaseTimeouts STRING: which timeouts process scans the session
	// (lease.lua, workers/timeouts).
	KeyLeaseTimeouts = "lease:timeouts"
	// KeyConflict HASH: seat id → Conflict JSON: seats whose MySQL order and
	// sale Redis disagree, the open ones of MySQL's sale_conflicts. Written
	// by internal/integrity (FlagConflict) and the repair (RestoreConflicts),
	// cleared by an admin, all through conflict.lua; hold.lua treats these
	// seats as taken.
	KeyConflict = "conflict"
	// KeyIndex HASH: seat id → the seat's index in the session's seat order
	// (ascending seat id, as GET /api/sessions/{id} lists the seats). Armed,
	// or written by RebuildPacked for a session armed without one; read by
	// the seat scripts to write KeyPacked.
	KeyIndex = "index"
	// KeyPacked STRING: the packed seat map, 2 bits per seat at its index
	// (BITFIELD u2 #index): 0 AVAILABLE, 1 LOCKED, 2 SOLD, 3 kept out of
	// sale (KeyConflict). Written in the same call as the seat's KeySeats
	// entry by every script that changes it (arm_switch, hold, release,
	// confirm, repair, conflict), built whole by pack_rebuild for a session
	// armed without one; read by the edge (seatmap.lua) with one GET.
	KeyPacked = "packed"
	// KeyOrder STRING: the session's seat order as JSON runs of consecutive
	// ids, [[first id, count], ...]. Armed, or by pack_rebuild; read by the
	// edge with KeyPacked.
	KeyOrder = "order"
)

// Names are every key of a session but the idempotency records (Idem),
// the grab counts (Grabs) and the staging keys (Staging).
var Names = []string{KeyMeta, KeySeats, KeyPrice, KeyTier, KeyCounts, KeySoldOut, KeyReserved, KeyBloom,
	KeyHeld, KeyArms, KeyHolds, KeyExpiry, KeyOutbox, KeySeq, KeyEventSeq, KeyLeaseTimeouts, KeyConflict,
	KeyIndex, KeyPacked, KeyOrder}

// Keys names the keys of one session.
type Keys struct{ prefix string }

// KeysFor returns the key names of session id.
func KeysFor(id int64) Keys { return Keys{prefix: "{s:" + strconv.FormatInt(id, 10) + "}:"} }

// Key returns the key named name.
func (k Keys) Key(name string) string { return k.prefix + name }

// Staging returns the staging key of name, used while arming.
func (k Keys) Staging(name string) string { return k.prefix + "next:" + name }

// Idem returns the key of a buyer's idempotency record for an
// Idempotency-Key: STRING, the first answer to a grab with that key,
// written with a 24 h time to live and read by hold.lua; trimmed by Retire.
func (k Keys) Idem(userID int64, key string) string {
	return k.prefix + "idem:" + strconv.FormatInt(userID, 10) + ":" + key
}

// Grabs returns the key of the session's grab counts of one unix second:
// HASH outcome → count, added to by every edge node (grabcounts.lua) and
// read by GrabCounts for the admin dashboard.
func (k Keys) Grabs(second int64) string {
	return k.prefix + "grabs:" + strconv.FormatInt(second, 10)
}

// Rebuilt are the keys an arm replaces; holds, the outbox and the
// idempotency records are never touched by arming.
var Rebuilt = []string{KeyMeta, KeySeats, KeyPrice, KeyTier, KeyCounts, KeyReserved, KeyBloom, KeyHeld,
	KeyIndex, KeyPacked, KeyOrder}

// holdKeys are the keys of lua/redis/hold.lua in its KEYS order, before
// the idempotency record (keys.hold in lua/boxoffice/keys.lua).
var holdKeys = []string{KeyMeta, KeySeats, KeyPrice, KeyTier, KeyCounts, KeySoldOut, KeyReserved, KeyHeld,
	KeyHolds, KeyExpiry, KeyOutbox, KeySeq, KeyConflict, KeyEventSeq, KeyIndex, KeyPacked}

// Hold returns the KEYS of hold.lua for a grab by userID with Idempotency-Key key.
func (k Keys) Hold(userID int64, key string) []string {
	out := make([]string, 0, len(holdKeys)+1)
	for _, name := range holdKeys {
		out = append(out, k.Key(name))
	}
	return append(out, k.Idem(userID, key))
}
