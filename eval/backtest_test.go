package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func generated(t testing.TB, rows int) string {
	t.Helper()
	var b bytes.Buffer
	if err := GenerateClickLog(context.Background(), &b, rows, 1); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "clicks.csv", b.String())
}

// On the generated log, whose clicks depend on interactions, the crossed model beats the one
// without crosses, ranks well and is calibrated.
func TestBacktestGenerated(t *testing.T) {
	const rows = 60000
	path := generated(t, rows)
	rep, err := Backtest(context.Background(), LogOptions{Path: path, Label: "click", Time: "time",
		Categorical: []string{"surface", "device", "country", "customer", "offer", "kind", "advertiser", "category", "cart_category"},
		Numeric:     []string{"amount"}, Bits: 18})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test logloss %.5f AUC %.4f; no crosses %.5f %.4f; progressive %.5f; prior %g",
		rep.Test.LogLoss, rep.Test.AUC, rep.NoCrosses.LogLoss, rep.NoCrosses.AUC, rep.ProgressiveLogLoss, rep.PriorVariance)
	if rep.Rows != rows || rep.TrainRows != rows*8/10 || rep.Test.Rows != rows-rep.TrainRows {
		t.Fatalf("rows %d, train %d, test %d", rep.Rows, rep.TrainRows, rep.Test.Rows)
	}
	data, _ := os.ReadFile(path)
	if want := strings.Count(string(data), ",1\n"); rep.Positives != want {
		t.Fatalf("positives %d, want %d", rep.Positives, want)
	}
	if !rep.InTimeOrder || !rep.TimeFeatures || rep.Features != 12+1+12*11/2 {
		t.Fatalf("in order %v, time features %v, %d features per row", rep.InTimeOrder, rep.TimeFeatures, rep.Features)
	}
	if rep.Test.AUC < 0.72 {
		t.Errorf("AUC %.4f, want at least 0.72", rep.Test.AUC)
	}
	if rep.Test.LogLoss >= rep.NoCrosses.LogLoss || rep.Test.LogLoss >= rep.Test.BaseLogLoss {
		t.Errorf("logloss %.5f, not below no crosses %.5f and base rate %.5f", rep.Test.LogLoss, rep.NoCrosses.LogLoss, rep.Test.BaseLogLoss)
	}
	if len(rep.Test.Calibration) != 10 {
		t.Fatalf("%d calibration bins", len(rep.Test.Calibration))
	}
	for _, b := range rep.Test.Calibration {
		if d := b.Predicted - b.Observed; d > 0.02 || d < -0.02 {
			t.Errorf("decile predicted %.4f observed %.4f", b.Predicted, b.Observed)
		}
	}
}

// Without column lists every other column is a categorical feature, a row id too (as the
// contract of eval log says; it cannot generalise, but it must not drown the other columns).
func TestBacktestDefaultColumns(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,time,color,click\n")
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 3000 {
		color := []string{"red", "green", "blue"}[rng.IntN(3)]
		click := "0"
		if (color == "red") == (rng.IntN(4) != 0) {
			click = "1"
		}
		b.WriteString(strings.Join([]string{strconv.Itoa(i), strconv.Itoa(1700000000 + i*60), color, click}, ",") + "\n")
	}
	rep, err := Backtest(context.Background(), LogOptions{Path: writeFile(t, "d.csv", b.String()), Label: "click", Time: "time", Bits: 14})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Categorical, ",") != "id,color" {
		t.Fatalf("categorical %v", rep.Categorical)
	}
	if rep.Test.AUC < 0.7 {
		t.Fatalf("AUC %.3f", rep.Test.AUC)
	}
}

// A file out of time order is sorted stably (file order breaks ties) before the replay: the
// result is the one of the same rows already in that order.
func TestBacktestSortsByTime(t *testing.T) {
	var b bytes.Buffer
	if err := GenerateClickLog(context.Background(), &b, 5000, 3); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	header, rows := lines[0], lines[1:]
	rng := rand.New(rand.NewPCG(2, 2))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	// Coarsen times to the hour so that ties are many, and their order is the file's.
	for i, r := range rows {
		rows[i] = r[:13] + ":00:00Z" + r[20:]
	}
	shuffled := header + "\n" + strings.Join(rows, "\n") + "\n"
	sorted := append([]string(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i][:20] < sorted[j][:20] })
	inOrder := header + "\n" + strings.Join(sorted, "\n") + "\n"
	opt := LogOptions{Label: "click", Time: "time", Categorical: []string{"offer", "device"}, Numeric: []string{"amount"}, Bits: 14}
	opt.Path = writeFile(t, "shuffled.csv", shuffled)
	a, err := Backtest(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Path = writeFile(t, "sorted.csv", inOrder)
	s, err := Backtest(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.InTimeOrder || !s.InTimeOrder {
		t.Fatalf("in time order: shuffled %v, sorted %v", a.InTimeOrder, s.InTimeOrder)
	}
	if a.Test.LogLoss != s.Test.LogLoss || a.Test.AUC != s.Test.AUC || a.ProgressiveLogLoss != s.ProgressiveLogLoss {
		t.Fatalf("shuffled file gives %+v, sorted %+v", a.Test, s.Test)
	}
}

// Bad input is refused with the line and, where one column is at fault, the column.
func TestBacktestBadInput(t *testing.T) {
	const head = "time,click,color,n\n"
	for _, c := range []struct {
		name, file string
		opt        LogOptions
		line, col  int
		msg        string
	}{
		{"empty", "", LogOptions{}, 1, 0, "empty file"},
		{"header only", head, LogOptions{}, 2, 0, "no rows"},
		{"two-line header only", "time,click,\"col\nor\",n\n", LogOptions{}, 3, 0, "no rows"},
		{"no label column", head + "2020-01-01,1,red,1\n", LogOptions{Label: "clicked"}, 1, 0, `no column "clicked"`},
		{"no time column", head + "2020-01-01,1,red,1\n", LogOptions{Time: "when"}, 1, 0, `no column "when"`},
		{"no feature column", head + "2020-01-01,1,red,1\n", LogOptions{Categorical: []string{"colour"}}, 1, 0, `no column "colour"`},
		{"label as feature", head + "2020-01-01,1,red,1\n", LogOptions{Categorical: []string{"click"}}, 1, 2, "is already the label (--label); it cannot also be in --categorical"},
		{"time as feature", head + "2020-01-01,1,red,1\n", LogOptions{Numeric: []string{"time"}}, 1, 1, "is already the time (--time); it cannot also be in --numeric"},
		{"feature twice", head + "2020-01-01,1,red,1\n", LogOptions{Categorical: []string{"color", "color"}}, 1, 3, "is listed twice in --categorical"},
		{"time is the label", head + "2020-01-01,1,red,1\n", LogOptions{Time: "click"}, 1, 2, "is the label (--label); it cannot also be the time (--time)"},
		{"duplicate column", "time,click,color,color\n2020-01-01,1,red,red\n", LogOptions{}, 1, 4, `column 4 ("color"): column 3 has this name too`},
		{"duplicate unused column", "time,click,n,x,x\n2020-01-01,1,1,a,b\n", LogOptions{Numeric: []string{"n"}}, 1, 5, "column 4 has this name too"},
		{"two unnamed columns", ",time,click,\n1,2020-01-01,1,a\n", LogOptions{}, 1, 4, "column 4 (unnamed): column 1 is unnamed too"},
		{"one row", head + "2020-01-01,1,red,1\n", LogOptions{}, 2, 0, "the only row after the header"},
		{"train fraction too small", head + "2020-01-01,1,red,1\n2020-01-02,0,red,1\n2020-01-03,1,red,1\n", LogOptions{TrainFraction: 0.1}, 0, 0,
			"a training fraction (--train) of 0.1 of 3 rows leaves no row to train on: it must be at least 1/3"},
		{"train fraction too large", head + "2020-01-01,1,red,1\n2020-01-02,0,red,1\n", LogOptions{TrainFraction: 1}, 0, 0, "leaves no row to test on"},
		{"non-binary label", head + "2020-01-01,1,red,1\n2020-01-02,yes,red,1\n", LogOptions{}, 3, 2, "label must be 0 or 1"},
		{"label 2", head + "2020-01-01,2,red,1\n", LogOptions{}, 2, 2, "label must be 0 or 1"},
		{"bad time", head + "2020-01-01,1,red,1\n2020-01-01,0,red,1\nlast tuesday,0,red,1\n", LogOptions{}, 4, 1, "unparsable time"},
		{"bad number", head + "2020-01-01,1,red,1\n2020-01-01,0,red,lots\n", LogOptions{Numeric: []string{"n"}}, 3, 4, "finite number"},
		{"infinite number", head + "2020-01-01,1,red,Inf\n", LogOptions{Numeric: []string{"n"}}, 2, 4, "finite number"},
		{"short row", head + "2020-01-01,1,red,1\n2020-01-01,1\n", LogOptions{}, 3, 0, "wrong number of fields"},
		{"bare quote", head + "2020-01-01,1,red,1\n2020-01-01,1,r\"ed,1\n", LogOptions{}, 3, 0, "bare"},
		{"multi-line quoted field", head + "2020-01-01,1,\"red\nred\",1\n2020-01-01,x,red,1\n", LogOptions{}, 4, 2, "label must be 0 or 1"},
		// 20,000 columns crossed pairwise is 200 million features a row: refused, not hours.
		{"too wide", wide(250), LogOptions{}, 0, 0, "250 categorical columns make 31626 crosses a row"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := c.opt
			opt.Path = writeFile(t, "bad.csv", c.file)
			if opt.Label == "" {
				opt.Label = "click"
			}
			if opt.Time == "" {
				opt.Time = "time"
			}
			opt.Bits = 10
			_, err := Backtest(context.Background(), opt)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not say %q", err, c.msg)
			}
			if c.line == 0 {
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Line != c.line || ie.Column != c.col {
				t.Fatalf("error %q: want line %d column %d", err, c.line, c.col)
			}
			if !strings.Contains(err.Error(), "bad.csv:"+strconv.Itoa(c.line)+":") {
				t.Fatalf("error %q does not name the line", err)
			}
		})
	}
}

// wide is a click log with n feature columns besides time and click.
func wide(n int) string {
	var b strings.Builder
	b.WriteString("time,click")
	for i := range n {
		fmt.Fprintf(&b, ",f%d", i)
	}
	for r := range 3 {
		fmt.Fprintf(&b, "\n2020-01-0%d,%d", r+1, r%2)
		b.WriteString(strings.Repeat(",x", n))
	}
	return b.String() + "\n"
}

// A byte order mark is skipped before the CSV parser sees it, so a quoted first name parses.
func TestBacktestByteOrderMark(t *testing.T) {
	file := "\uFEFF\"time\",\"click\",\"color\"\n2020-01-01,1,red\n2020-01-02,0,blue\n2020-01-03,1,red\n"
	rep, err := Backtest(context.Background(), LogOptions{Path: writeFile(t, "bom.csv", file), Label: "click", Time: "time", TrainFraction: 0.5, Bits: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 3 || strings.Join(rep.Categorical, ",") != "color" {
		t.Fatalf("rows %d, categorical %q", rep.Rows, rep.Categorical)
	}
}

// A column without a name (the index pandas writes) is named by its number.
func TestUnnamedColumn(t *testing.T) {
	file := ",time,click\n0,2020-01-01,1\n1,2020-01-02,0\n2,2020-01-03,x\n"
	_, err := Backtest(context.Background(), LogOptions{Path: writeFile(t, "u.csv", file), Label: "click", Time: "time", Bits: 10})
	if err == nil || !strings.HasSuffix(err.Error(), "u.csv:4: column 3 (\"click\"): label must be 0 or 1 (or true/false), got \"x\"") {
		t.Fatalf("error %v", err)
	}
	rep, err := Backtest(context.Background(), LogOptions{Path: writeFile(t, "u.csv", file[:len(file)-len("2,2020-01-03,x\n")]), Label: "click", Time: "time", TrainFraction: 0.5, Bits: 10})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Categorical, ",") != "column 1 (unnamed)" {
		t.Fatalf("categorical %q", rep.Categorical)
	}
	e := &InputError{File: "f.csv", Line: 2, Column: 1, Msg: "want a number"}
	if e.Error() != "f.csv:2: column 1 (unnamed): want a number" {
		t.Fatalf("%q", e.Error())
	}
}

// Whatever the bytes, the backtest returns a report or an error; it never panics.
func FuzzBacktest(f *testing.F) {
	f.Add("time,click,color,n\n2020-01-01,1,red,1\n2020-01-02,0,blue,2\n2020-01-03,1,red,\n", "n")
	f.Add("time,click\n1,0\n0,1\n", "")
	f.Add("\"time\",click,x\n\"2020-01-01 1:00\",true,\"a,b\"\n2020-01-01 0:00,false,c\n2020-01-01 0:00,0,c\n", "x")
	f.Fuzz(func(t *testing.T, content, numeric string) {
		path := writeFile(t, "f.csv", content)
		opt := LogOptions{Path: path, Label: "click", Time: "time", Bits: 10}
		if numeric != "" {
			opt.Numeric = []string{numeric}
		}
		rep, err := Backtest(context.Background(), opt)
		if err == nil && (rep.Rows < 2 || rep.Positives > rep.Rows) {
			t.Fatalf("report %+v", rep)
		}
	})
}

// Without --time the file order is the time order, and the time column, if any, is just
// another column.
func TestBacktestWithoutTime(t *testing.T) {
	rep, err := Backtest(context.Background(), LogOptions{Path: generated(t, 3000), Label: "click", Categorical: []string{"offer", "surface"}, Bits: 12})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TimeFeatures || !rep.InTimeOrder || rep.Rows != 3000 || rep.Features != 3 {
		t.Fatalf("%+v", rep)
	}
}
