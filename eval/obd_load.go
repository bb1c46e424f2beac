package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/epiloguehq/epilogue/learn"
)

func findCampaign(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var logs []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".csv") && e.Name() != "item_context.csv" {
			logs = append(logs, e.Name())
		}
	}
	if len(logs) != 1 {
		return "", fmt.Errorf("%s: want one campaign log (<campaign>.csv) beside item_context.csv, found %d: %v", dir, len(logs), logs)
	}
	return filepath.Join(dir, logs[0]), nil
}

// loadItems reads item_context.csv: item_id and item_feature_* columns. A feature column
// whose every value is a number is numeric (used as a value), any other is categorical; in a
// numeric column, a value the model cannot hold (NaN, an infinity, beyond float32) is an error.
func loadItems(path string) (*obdFeatures, map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	t, err := openTable(f, path)
	if err != nil {
		return nil, nil, err
	}
	idCol, err := t.column("item_id")
	if err != nil {
		return nil, nil, err
	}
	var featCols []int
	for i, h := range t.header {
		if strings.HasPrefix(h, "item_feature_") {
			featCols = append(featCols, i)
		}
	}
	var recs [][]string
	var lines []int
	for {
		rec, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, append([]string(nil), rec...))
		lines = append(lines, t.line)
	}
	if len(recs) == 0 {
		return nil, nil, &InputError{File: path, Line: 2, Msg: "no items"}
	}
	numeric := make(map[int]bool)
	for _, c := range featCols {
		numeric[c] = true
		for _, rec := range recs {
			if _, err := parseNumber(rec[c]); err != nil && !errors.Is(err, strconv.ErrRange) {
				numeric[c] = false
				break
			}
		}
	}
	fx := &obdFeatures{fAff: learn.Field("obd_affinity"), fAffLog: learn.Field("obd_affinity_log")}
	index := map[string]int{}
	for n, rec := range recs {
		id := rec[idCol]
		if _, dup := index[id]; dup {
			return nil, nil, &InputError{File: path, Line: lines[n], Column: idCol + 1, Name: "item_id", Msg: fmt.Sprintf("item %q listed twice", id)}
		}
		index[id] = len(fx.items)
		it := obdItem{id: learn.Value(obdItemField, id)}
		for _, c := range featCols {
			field := learn.Field(t.header[c])
			if numeric[c] {
				v, ok := parseFinite(rec[c])
				if !ok {
					return nil, nil, &InputError{File: path, Line: lines[n], Column: c + 1, Name: t.header[c],
						Msg: fmt.Sprintf("want a finite number, as the column's other values are, got %q", rec[c])}
				}
				it.feat = append(it.feat, learn.Feature{Hash: field, Value: v})
				continue
			}
			h := learn.Value(field, rec[c])
			it.cats = append(it.cats, h)
			it.feat = append(it.feat, learn.Feature{Hash: h, Value: 1})
		}
		fx.items = append(fx.items, it)
	}
	return fx, index, nil
}

// loadOBDLog reads a campaign log, checking every field it uses.
func loadOBDLog(ctx context.Context, path string, itemIndex map[string]int, pr *progress) ([]obdRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := openTable(f, path)
	if err != nil {
		return nil, err
	}
	var col struct{ time, item, pos, click, prop int }
	for _, c := range []struct {
		name string
		dst  *int
	}{{"timestamp", &col.time}, {"item_id", &col.item}, {"position", &col.pos}, {"click", &col.click}, {"propensity_score", &col.prop}} {
		if *c.dst, err = t.column(c.name); err != nil {
			return nil, err
		}
	}
	var userCols []int
	var userFields []uint64
	affCols := map[int]int32{} // column -> item index
	for i, h := range t.header {
		if strings.HasPrefix(h, "user_feature_") {
			userCols = append(userCols, i)
			userFields = append(userFields, learn.Field("obd_"+h))
		}
		if id, ok := strings.CutPrefix(h, "user-item_affinity_"); ok {
			if a, ok := itemIndex[id]; ok {
				affCols[i] = int32(a)
			}
		}
	}
	affOrder := make([]int, 0, len(affCols))
	for c := range affCols {
		affOrder = append(affOrder, c)
	}
	sort.Ints(affOrder)
	var rows []obdRow
	firstAt := map[int32]int{} // position -> the line it first appears on
	for {
		rec, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rows)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		pr.tick(len(rows))
		var r obdRow
		if r.t, err = parseTime(rec[col.time]); err != nil {
			return nil, t.errAt(col.time, "%v, got %q", err, rec[col.time])
		}
		a, ok := itemIndex[rec[col.item]]
		if !ok {
			return nil, t.errAt(col.item, "item %q is not in item_context.csv", rec[col.item])
		}
		r.item = int32(a)
		pos, err := strconv.Atoi(strings.TrimSpace(rec[col.pos]))
		if err != nil || pos < 1 || pos > 100 {
			return nil, t.errAt(col.pos, "position must be an integer from 1, got %q", rec[col.pos])
		}
		r.pos = int32(pos)
		if _, seen := firstAt[r.pos]; !seen {
			firstAt[r.pos] = t.line
		}
		if r.click, ok = parseLabel(rec[col.click]); !ok {
			return nil, t.errAt(col.click, "click must be 0 or 1, got %q", rec[col.click])
		}
		r.prop, err = parseNumber(strings.TrimSpace(rec[col.prop]))
		if err != nil || !(r.prop > 0 && r.prop <= 1) {
			return nil, t.errAt(col.prop, "propensity must be a number in (0, 1], got %q", rec[col.prop])
		}
		if r.prop < minPropensity {
			return nil, t.errAt(col.prop, "propensity %q is below %g, the least this evaluation takes: its importance weight would outweigh everything else", rec[col.prop], minPropensity)
		}
		r.user = make([]uint64, len(userCols))
		for k, c := range userCols {
			r.user[k] = learn.Value(userFields[k], rec[c])
		}
		for _, c := range affOrder {
			s := rec[c]
			if s == "0.0" || s == "0" || s == "" {
				continue
			}
			v, ok := parseFinite(s)
			if !ok || v < 0 {
				return nil, t.errAt(c, "affinity must be a finite, non-negative number, got %q", s)
			}
			if v > 0 {
				r.aff = append(r.aff, affinity{affCols[c], v})
			}
		}
		rows = append(rows, r)
	}
	switch len(rows) {
	case 0:
		return nil, &InputError{File: path, Line: t.line + 1, Msg: "no rows after the header"}
	case 1:
		return nil, &InputError{File: path, Line: t.line, Msg: "the only row after the header: an evaluation needs two at least, one to learn from and one to test on"}
	}
	// A slate of n slots logs positions 1 to n: a position past one that never appears is a
	// stray value, which would make the evaluated policy fill slots the campaign never had.
	for p := int32(1); int(p) <= len(firstAt); p++ {
		if _, ok := firstAt[p]; !ok {
			last := int32(0)
			for q := range firstAt {
				last = max(last, q)
			}
			return nil, &InputError{File: path, Line: firstAt[last], Column: col.pos + 1, Name: t.header[col.pos],
				Msg: fmt.Sprintf("position %d, but position %d never appears: positions must run from 1 without gaps", last, p)}
		}
	}
	return rows, nil
}

// minPropensity is the least logged propensity OBD accepts. Below it an impression's
// importance weight, over a million, would decide the estimates alone (and a denormal one,
// 1e-320, is an infinite weight). The Open Bandit Dataset's Bernoulli Thompson sampling logs
// go down to it exactly.
const minPropensity = 1e-6

// parseFinite parses a number the model can hold as a feature value: finite as a float32.
func parseFinite(s string) (float32, bool) {
	v, err := parseNumber(s)
	f := float32(v)
	return f, err == nil && !math.IsNaN(v) && !math.IsInf(float64(f), 0)
}
