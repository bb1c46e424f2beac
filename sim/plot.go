package sim

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
)

// panel is one chart of the plot: a measure of each run over decisions.
type panel struct {
	title string
	y     func(Point) float64
}

var panels = []panel{
	{"click-through rate (per interval)", func(p Point) float64 { return p.RecentCTR }},
	{"conversion rate (cumulative)", func(p Point) float64 { return p.ConvRate }},
	{"revenue per transaction (cumulative)", func(p Point) float64 { return p.RPT }},
	{"regret (cumulative)", func(p Point) float64 { return p.Regret }},
}

var colours = map[string]string{"model": "#1f77b4", "prior": "#ff7f0e", "random": "#7f7f7f", "oracle": "#2ca02c"}

// Plot draws the runs' series as an SVG image: four charts over the decisions, one line per
// policy.
func Plot(w io.Writer, runs []*Result) error {
	const (
		pw, ph     = 460, 280 // one panel
		ml, mr     = 70, 20   // margins inside a panel
		mt, mb     = 36, 40
		cols, rows = 2, 2
		legend     = 36
	)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n",
		cols*pw, rows*ph+legend)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	maxX := 1
	for _, r := range runs {
		if n := len(r.Series); n > 0 {
			maxX = max(maxX, r.Series[n-1].Decisions)
		}
	}
	for k, p := range panels {
		ox, oy := (k%cols)*pw, (k/cols)*ph
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range runs {
			for _, pt := range r.Series {
				lo, hi = math.Min(lo, p.y(pt)), math.Max(hi, p.y(pt))
			}
		}
		if math.IsInf(lo, 0) {
			lo, hi = 0, 1
		}
		lo = math.Min(lo, 0)
		if hi <= lo {
			hi = lo + 1
		}
		hi = niceCeil(hi)
		x0, y0, x1, y1 := float64(ox+ml), float64(oy+ph-mb), float64(ox+pw-mr), float64(oy+mt)
		sx := func(d int) float64 { return x0 + (x1-x0)*float64(d)/float64(maxX) }
		sy := func(v float64) float64 { return y0 - (y0-y1)*(v-lo)/(hi-lo) }
		fmt.Fprintf(b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", ox+ml, oy+20, p.title)
		for i := 0; i <= 4; i++ {
			v := lo + (hi-lo)*float64(i)/4
			y := sy(v)
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y, x1, y)
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-6, y+4, label(v))
			d := maxX * i / 4
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", sx(d), y0+16, d)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555">decisions</text>`+"\n", (x0+x1)/2, y0+32)
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`+"\n", x0, y1, x1-x0, y0-y1)
		for _, r := range runs {
			if len(r.Series) == 0 {
				continue
			}
			fmt.Fprintf(b, `<polyline fill="none" stroke-width="1.8" stroke="%s" points="`, colour(r.Policy))
			for i, pt := range r.Series {
				if i > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(b, "%.1f,%.1f", sx(pt.Decisions), sy(p.y(pt)))
			}
			b.WriteString("\"/>\n")
		}
	}
	for i, r := range runs {
		x, y := 20+i*140, rows*ph+22
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", x, y-4, x+24, y-4, colour(r.Policy))
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x+30, y, r.Policy)
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

func colour(policy string) string {
	if c, ok := colours[policy]; ok {
		return c
	}
	return "#000"
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so axis labels stay short.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func label(v float64) string {
	if v == 0 {
		return "0"
	}
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
