package notify

import (
	"boxoffice/internal/boxoffice"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// SSE event names.
const (
	EventSeats = "seats" // on a session's stream
	EventOrder = "order" // on a buyer's stream
)

// atFormat is RFC 3339 in UTC with exactly three decimals, so that the
// strings sort as the times do.
const atFormat = "2006-01-02T15:04:05.000Z07:00"

// SeatsData is the data of a seats event: the seats one order changed.
type SeatsData struct {
	SessionID int64             `json:"session_id"`
	Seats     map[string]string `json:"seats"` // seat id → LOCKED, AVAILABLE or SOLD
	OrderNo   string            `json:"order_no"`
	At        string            `json:"at"`
}

// OrderData is the data of an order event: an order's new status.
type OrderData struct {
	OrderNo string `json:"order_no"`
	Status  string `json:"status"` // LOCKED, CANCELLED, TIMEOUT_CANCELLED or PAID
	Reason  string `json:"reason,omitempty"`
	At      string `json:"at"`
}

// seatsFrame is e as a seats event for its session's stream, or nil.
func seatsFrame(e boxoffice.SaleEvent) []byte {
	state := e.SeatState()
	if state == "" || e.SessionID <= 0 {
		return nil
	}
	seats := make(map[string]string, len(e.SeatIDs))
	for _, id := range e.SeatIDs {
		seats[strconv.FormatInt(id, 10)] = state
	}
	return frame(e.ID, EventSeats, SeatsData{SessionID: e.SessionID, Seats: seats, OrderNo: e.OrderNo, At: at(e)})
}

// orderFrame is e as an order event for its buyer's stream, or nil.
func orderFrame(e boxoffice.SaleEvent) []byte {
	status := e.OrderStatus()
	if status == "" || e.UserID <= 0 {
		return nil
	}
	d := OrderData{OrderNo: e.OrderNo, Status: status, At: at(e)}
	if e.Type == boxoffice.EventHoldReleased {
		d.Reason = e.Reason
	}
	return frame(e.ID, EventOrder, d)
}

func at(e boxoffice.SaleEvent) string { return time.UnixMilli(e.At).UTC().Format(atFormat) }

// frame encodes one SSE event. An id that would break the framing is
// left out.
func frame(id, event string, data any) []byte {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil // cannot happen: plain strings, numbers and maps
	}
	var b strings.Builder
	if id != "" && !strings.ContainsAny(id, "\r\n\x00") {
		b.WriteString("id: " + id + "\n")
	}
	b.WriteString("event: " + event + "\ndata: ")
	b.Write(raw)
	b.WriteString("\n\n")
	return []byte(b.String())
}
