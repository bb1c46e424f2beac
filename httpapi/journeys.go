package httpapi

// JourneyStore is what the journey, template, loyalty, review and timeline endpoints read and
// write (filled in by the journeys work).
type JourneyStore interface{}
