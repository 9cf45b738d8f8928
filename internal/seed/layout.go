package seed

// Seat is one seat of the demo venue's template.
type Seat struct {
	Section string
	Row     string
	Number  int
	X, Y    int
	Tier    string
}

// Tier codes of the demo seats and price tiers.
const (
	TierVIP = "VIP"
	TierA   = "A"
	TierB   = "B"
)

// rowLabels are the row letters front to back; I and O are skipped, as in
// most halls, because they read like 1 and 0.
const rowLabels = "ABCDEFGHJKLMNPQRSTUV"

// section is one block of seats facing the stage.
type section struct {
	name    string
	x0      int // x of seat 1
	perRow  int
	tierFor func(row int) string
}

// Seat map geometry in drawing units: the stage is above y = 0.
const (
	seatPitch = 10 // between seat centres in a row
	rowPitch  = 12 // between rows
	firstRowY = 60
)

var sections = []section{
	{"Left", 0, 30, sideTier},
	{"Center", 330, 40, centerTier},
	{"Right", 760, 30, sideTier},
}

func centerTier(row int) string {
	switch {
	case row < 6:
		return TierVIP
	case row < 14:
		return TierA
	}
	return TierB
}

func sideTier(row int) string {
	if row < 10 {
		return TierA
	}
	return TierB
}

// Layout returns the demo venue's 2,000 seats: three sections side by side
// with aisles between them, 20 lettered rows each, numbered from the left.
func Layout() []Seat {
	var seats []Seat
	for _, s := range sections {
		for r := range len(rowLabels) {
			for n := 1; n <= s.perRow; n++ {
				seats = append(seats, Seat{
					Section: s.name,
					Row:     rowLabels[r : r+1],
					Number:  n,
					X:       s.x0 + (n-1)*seatPitch,
					Y:       firstRowY + r*rowPitch,
					Tier:    s.tierFor(r),
				})
			}
		}
	}
	return seats
}
