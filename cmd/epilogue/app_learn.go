package main

// Wiring of the learned model and its trainer into the app (filled in by the learning work).
// openApp calls wireLearning after the engine is built and its state loaded.
func (a *app) wireLearning(c appConfig) error { return nil }
