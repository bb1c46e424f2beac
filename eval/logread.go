package eval

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/epiloguehq/epilogue/learn"
)

// logScan is what the first pass learns: counts, times, the schema and whether the file is
// already in time order.
type logScan struct {
	s               schema
	header          []string
	rows, positives int
	sorted          bool
}

func scanLog(ctx context.Context, opt LogOptions, pr *progress) (*logScan, error) {
	f, err := os.Open(opt.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file is read more than once (checked, then learned from): a pipe would be empty the
	// second time.
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a CSV file", opt.Path)
	} else if err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file: a backtest reads its file twice, so a pipe or a device will not do (save it to a file first)", opt.Path)
	}
	t, err := openTable(f, opt.Path)
	if err != nil {
		return nil, err
	}
	sc := &logScan{header: t.header, sorted: true}
	s := &sc.s
	if s.label, err = t.column(opt.Label); err != nil {
		return nil, err
	}
	used := map[int]string{s.label: "the label (--label)"}
	s.time = -1
	if opt.Time != "" {
		if s.time, err = t.column(opt.Time); err != nil {
			return nil, err
		}
		if s.time == s.label {
			return nil, t.headerErr(s.time, "is the label (--label); it cannot also be the time (--time)")
		}
		used[s.time] = "the time (--time)"
	}
	pick := func(names []string, role string) ([]int, error) {
		var cols []int
		for _, n := range names {
			c, err := t.column(n)
			if err != nil {
				return nil, err
			}
			if r, ok := used[c]; ok {
				if r == "in "+role {
					return nil, t.headerErr(c, "is listed twice in %s", role)
				}
				return nil, t.headerErr(c, "is already %s; it cannot also be in %s", r, role)
			}
			used[c] = "in " + role
			cols = append(cols, c)
		}
		return cols, nil
	}
	if len(opt.Categorical)+len(opt.Numeric) > 0 {
		if s.cat, err = pick(opt.Categorical, "--categorical"); err != nil {
			return nil, err
		}
		if s.num, err = pick(opt.Numeric, "--numeric"); err != nil {
			return nil, err
		}
	} else {
		for c := range t.header {
			if _, ok := used[c]; !ok {
				s.cat = append(s.cat, c)
			}
		}
	}
	if s.bases() == 0 {
		return nil, &InputError{File: opt.Path, Line: 1, Msg: "the label is the only column: there is nothing to learn from"}
	}
	setFields(s, t.header)
	base, raw := make([]uint64, s.bases()), make([]float32, len(s.num))
	var last stamp
	for {
		rec, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if sc.rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		pr.tick(sc.rows)
		y, ts, err := s.parse(t, rec, base, raw)
		if err != nil {
			return nil, err
		}
		if y {
			sc.positives++
		}
		if s.time >= 0 {
			if sc.rows > 0 && ts.before(last) {
				sc.sorted = false
			}
			last = ts
		}
		sc.rows++
	}
	switch sc.rows {
	case 0:
		return nil, &InputError{File: opt.Path, Line: t.line + 1, Msg: "no rows after the header"}
	case 1:
		return nil, &InputError{File: opt.Path, Line: t.line, Msg: "the only row after the header: a backtest needs two at least, one to learn from and one to test on"}
	}
	return sc, nil
}

func setFields(s *schema, header []string) {
	s.catField, s.numField, s.rawField = s.catField[:0], s.numField[:0], s.rawField[:0]
	for _, c := range s.cat {
		s.catField = append(s.catField, learn.Field("log_cat:"+header[c]))
	}
	for _, c := range s.num {
		s.numField = append(s.numField, learn.Field("log_bucket:"+header[c]))
		s.rawField = append(s.rawField, learn.Field("log_value:"+header[c]))
	}
}

// streamLog runs the replay over a file already in time order, one row at a time; the
// training part's second pass reads its rows again.
func streamLog(ctx context.Context, path string, s *schema, r *replay, pr *progress) error {
	r.again = func(learn func(y bool, base []uint64, raw []float32)) error {
		again := newProgress(pr.w, "learning the training part again")
		again.total = r.train
		return eachRow(ctx, path, s, r.train, again, func(y bool, base []uint64, raw []float32) error {
			learn(y, base, raw)
			return nil
		})
	}
	return eachRow(ctx, path, s, -1, pr, r.step)
}

// eachRow parses the rows of a file in file order, the first limit of them (all when limit < 0),
// and hands each to f.
func eachRow(ctx context.Context, path string, s *schema, limit int, pr *progress, f func(y bool, base []uint64, raw []float32) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	t, err := openTable(file, path)
	if err != nil {
		return err
	}
	base, raw := make([]uint64, s.bases()), make([]float32, len(s.num))
	for n := 0; n != limit; n++ {
		rec, err := t.next()
		if err == io.EOF {
			if limit >= 0 {
				return fmt.Errorf("%s changed while it was read", path)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		pr.tick(n)
		y, _, err := s.parse(t, rec, base, raw)
		if err != nil {
			return err
		}
		if err := f(y, base, raw); err != nil {
			return err
		}
	}
	return nil
}

// sortedLog reads the rows' features into memory, compactly, and replays them stably sorted
// by time. Only a file out of time order pays for this; one in order streams.
func sortedLog(ctx context.Context, path string, s *schema, rows int, r *replay, pr *progress) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := openTable(f, path)
	if err != nil {
		return err
	}
	nb, nr := s.bases(), len(s.num)
	bases := make([]uint64, 0, rows*nb)
	raws := make([]float32, 0, rows*nr)
	labels := make([]bool, 0, rows)
	times := make([]stamp, 0, rows)
	base, raw := make([]uint64, nb), make([]float32, nr)
	for n := 0; ; n++ {
		rec, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		pr.tick(n)
		y, ts, err := s.parse(t, rec, base, raw)
		if err != nil {
			return err
		}
		bases, raws, labels, times = append(bases, base...), append(raws, raw...), append(labels, y), append(times, ts)
	}
	if len(labels) != rows {
		return fmt.Errorf("%s changed while it was read", path)
	}
	order := make([]int, len(times))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return times[order[a]].before(times[order[b]]) })
	r.again = func(learn func(y bool, base []uint64, raw []float32)) error {
		for _, i := range order[:r.train] {
			learn(labels[i], bases[i*nb:(i+1)*nb], raws[i*nr:(i+1)*nr])
		}
		return nil
	}
	for n, i := range order {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := r.step(labels[i], bases[i*nb:(i+1)*nb], raws[i*nr:(i+1)*nr]); err != nil {
			return err
		}
	}
	return nil
}
