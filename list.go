package epilogue

// ListFilter selects and pages a list of offers or placements.
type ListFilter struct {
	Status string
	Kind   string
	Cursor string // opaque, from the previous page's next_cursor
	Limit  int    // default 50, at most 200
}

// StoredResponse is the first answer to a request made with an Idempotency-Key, replayed to
// every retry.
type StoredResponse struct {
	RequestHash string
	Status      int
	Body        []byte
}
