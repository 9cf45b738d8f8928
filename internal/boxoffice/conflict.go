package boxoffice

// Kinds of integrity conflict: the sale Redis and MySQL disagree about an
// order, and its seats stay out of sale until an admin settles it.
const (
	ConflictReleaseOfPaid   = "release_of_paid"   // Redis released a hold MySQL has PAID
	ConflictSaleOfCancelled = "sale_of_cancelled" // Redis sold a hold MySQL has cancelled
	ConflictSeatTaken       = "seat_taken"        // Redis held a seat MySQL still gives to another live order
	ConflictSoldTwice       = "sold_twice"        // a payment came for a seat MySQL gives to another PAID order
)

// Conflict is one seat kept out of sale until an admin settles a
// disagreement about it.
type Conflict struct {
	SeatID       int64  `json:"seat_id"`
	Kind         string `json:"kind"`
	OrderNo      string `json:"order_no"`                 // the order the sale Redis has
	OtherOrderNo string `json:"other_order_no,omitempty"` // the order MySQL gives the seat to, if another
	Detail       string `json:"detail"`                   // both sides, for a person
	At           int64  `json:"at"`                       // unix ms it was found
}
