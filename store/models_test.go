package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/epiloguehq/epilogue"
	"github.com/epiloguehq/epilogue/store"
)

func TestModels(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB) {
		_, _, err := db.LatestModel(ctx, "ranker")
		code(t, "LatestModel of none", err, epilogue.ENotFound)
		ms, err := db.Models(ctx, "ranker", 10)
		must(t, err)
		if ms == nil || len(ms) != 0 {
			t.Fatalf("models of none: %#v", ms)
		}

		blob := func(v int64) []byte { return bytes.Repeat([]byte{byte(v), 0, 0xff}, int(v)*1000) }
		for _, v := range []int64{1, 3, 2} { // saved out of order: versions, not times, rank them
			must(t, db.SaveModel(ctx, "ranker", v, blob(v), t0.Add(time.Duration(v)*time.Minute)))
		}
		must(t, db.SaveModel(ctx, "other", 9, []byte("o"), t0))
		code(t, "SaveModel same version", db.SaveModel(ctx, "ranker", 2, []byte("new"), t0), epilogue.EConflict)

		v, b, err := db.LatestModel(ctx, "ranker")
		must(t, err)
		if v != 3 || !bytes.Equal(b, blob(3)) {
			t.Fatalf("latest: version %d, %d bytes", v, len(b))
		}
		ms, err = db.Models(ctx, "ranker", 2)
		must(t, err)
		equal(t, "models", ms, []store.ModelInfo{
			{Version: 3, Size: 3000 * 3, CreatedAt: t0.Add(3 * time.Minute)},
			{Version: 2, Size: 2000 * 3, CreatedAt: t0.Add(2 * time.Minute)},
		})
		ms, err = db.Models(ctx, "ranker", 0)
		must(t, err)
		if len(ms) != 3 {
			t.Fatalf("Models with no limit: %d versions, want 3", len(ms))
		}
		b, err = db.ModelBlob(ctx, "ranker", 2)
		must(t, err)
		if !bytes.Equal(b, blob(2)) {
			t.Fatal("version 2 blob differs (the conflicting save must not replace it)")
		}
		_, err = db.ModelBlob(ctx, "ranker", 9)
		code(t, "ModelBlob unknown version", err, epilogue.ENotFound)

		must(t, db.SaveModel(ctx, "empty", 1, nil, t0))
		b, err = db.ModelBlob(ctx, "empty", 1)
		must(t, err)
		if len(b) != 0 {
			t.Fatalf("empty blob came back as %d bytes", len(b))
		}
	})
}
