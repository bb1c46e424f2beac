package sim

import "github.com/epiloguehq/epilogue/learn"

// Result is what a run measured. Rates count every outcome of every impression, whenever it
// happened; revenue counts cpc payouts at engagement and cpa payouts and first-party margins
// of conversions inside the 24-hour attribution window.
type Result struct {
	Policy       string  `json:"policy"`
	Decisions    int     `json:"decisions"`
	Transactions int     `json:"transactions"`
	Impressions  int     `json:"impressions"`
	Engagements  int     `json:"engagements"`
	Conversions  int     `json:"conversions"`
	NoOffer      int     `json:"no_offer_decisions"`
	Revenue      float64 `json:"revenue"`
	CTR          float64 `json:"ctr"`             // engagements ÷ impressions
	ConvRate     float64 `json:"conversion_rate"` // conversions ÷ impressions
	RPT          float64 `json:"rpt"`             // revenue ÷ transactions
	Regret       float64 `json:"regret"`          // cumulative, in currency units
	// Series samples the run as it went, for plotting.
	Series  []Point             `json:"series,omitempty"`
	Trainer *learn.TrainerStats `json:"trainer,omitempty"`

	last Point
}

// Point is the state of a run after some decisions: cumulative rates, the click-through rate
// of the decisions since the previous point, and the cumulative regret.
type Point struct {
	Decisions   int     `json:"decisions"`
	CTR         float64 `json:"ctr"`
	RecentCTR   float64 `json:"recent_ctr"`
	ConvRate    float64 `json:"conversion_rate"`
	RPT         float64 `json:"rpt"`
	Regret      float64 `json:"regret"`
	impressions int
	engagements int
}

func (r *Result) rates() {
	r.CTR = ratio(r.Engagements, r.Impressions)
	r.ConvRate = ratio(r.Conversions, r.Impressions)
	if r.Transactions > 0 {
		r.RPT = r.Revenue / float64(r.Transactions)
	}
}

func (r *Result) point() {
	r.rates()
	p := Point{Decisions: r.Decisions, CTR: r.CTR, ConvRate: r.ConvRate, RPT: r.RPT, Regret: r.Regret,
		impressions: r.Impressions, engagements: r.Engagements}
	p.RecentCTR = ratio(r.Engagements-r.last.engagements, r.Impressions-r.last.impressions)
	r.Series = append(r.Series, p)
	r.last = p
}

func (r *Result) finish() { r.rates() }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
