package httpapi

// OrderStore is what the order, shipment and webhook endpoints read and write (filled in by
// the orders work).
type OrderStore interface{}
