package main

import (
	"context"
	"os"
	"testing"
)

// childEnv makes the test binary act as the epilogue command, so the crash test can run a real
// `epilogue serve` process without building one.
const childEnv = "EPILOGUE_TEST_RUN_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestJourneyCrash kills a real server process with SIGKILL while it takes orders and sends
// their confirmations, starts it again, and checks at the SMTP server that every order got its
// message exactly once (identical resends with the same Message-ID are counted, not failures).
func TestJourneyCrash(t *testing.T) {
	res, err := crashTest(context.Background(), crashConfig{orders: 600, workers: 16, exe: os.Args[0],
		env: []string{childEnv + "=1"}, log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if !res.ok() || res.AtKill == 0 || res.AtKill >= res.Accepted {
		t.Fatalf("crash test: %s", res)
	}
}
