// Package epilogue holds the words of the post-purchase domain: shops, keys, offers, placements,
// decisions, events, customers, orders and shipments, the one error type and the clock. It
// depends on nothing else in the module; engines (decide, learn, journey, measure) build on it and
// adapters (store, httpapi, connect, notify, web) translate to and from it.
package epilogue
