package main

// Wiring of journeys, the scheduler, channels and pages into the app (filled in by the
// journeys work). openApp calls wireJourneys after wireOrders.
func (a *app) wireJourneys() error { return nil }
