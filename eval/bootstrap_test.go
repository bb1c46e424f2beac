package eval

import (
	"math"
	"testing"
)

func TestEstimatePolicyByHand(t *testing.T) {
	rows := []Logged{
		{Reward: 1, Propensity: 0.5, Target: 1, Direct: 0.4, Predicted: 0.5},
		{Reward: 0, Propensity: 0.25, Target: 0.5, Direct: 0.2, Predicted: 0.1},
		{Reward: 1, Propensity: 0.5, Target: 0, Direct: 0.3, Predicted: 0.6},
	}
	// weights 2, 2, 0: IPS = (2+0+0)/3, SNIPS = 2/4, DR = mean(0.4+2·0.5, 0.2+2·(-0.1), 0.3+0).
	got := EstimatePolicy(rows, 500, 7)
	for _, c := range []struct {
		name string
		iv   Interval
		want float64
	}{{"ips", got.IPS, 2.0 / 3}, {"snips", got.SNIPS, 0.5}, {"dr", got.DR, (1.4 + 0 + 0.3) / 3}} {
		if math.Abs(float64(c.iv.Value)-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.iv.Value, c.want)
		}
		if !(c.iv.CI[0] <= c.iv.Value && c.iv.Value <= c.iv.CI[1]) {
			t.Errorf("%s interval %v does not contain %v", c.name, c.iv.CI, c.iv.Value)
		}
	}
	if again := EstimatePolicy(rows, 500, 7); again != got {
		t.Errorf("same seed, different intervals: %+v vs %+v", again, got)
	}
}

// DR is not clipped to [0, 1]: a value below 0 says the estimate is unreliable (see OffPolicy).
func TestDRIsNotClipped(t *testing.T) {
	rows := []Logged{
		{Reward: 0, Propensity: 0.01, Target: 1, Direct: 0.1, Predicted: 0.2},  // 0.1 + 100·(−0.2)
		{Reward: 0, Propensity: 0.5, Target: 0.5, Direct: 0.1, Predicted: 0.1}, // 0.1 + 1·(−0.1)
	}
	if got := EstimatePolicy(rows, 0, 1).DR.Value; math.Abs(float64(got)-(-19.9/2)) > 1e-12 {
		t.Fatalf("DR = %v, want %v", got, -19.9/2)
	}
}

func TestMetrics(t *testing.T) {
	p := []float64{0.1, 0.4, 0.35, 0.8}
	y := []bool{false, false, true, true}
	if a := AUC(p, y); math.Abs(a-0.75) > 1e-12 {
		t.Errorf("AUC = %v, want 0.75", a)
	}
	if a := AUC([]float64{0.5, 0.5}, []bool{true, false}); a != 0.5 {
		t.Errorf("tied AUC = %v", a)
	}
	if a := AUC([]float64{0.5}, []bool{true}); !math.IsNaN(a) {
		t.Errorf("AUC without negatives = %v, want NaN", a)
	}
	want := -(math.Log(0.9) + math.Log(0.6) + math.Log(0.35) + math.Log(0.8)) / 4
	if l := LogLoss(p, y); math.Abs(l-want) > 1e-12 {
		t.Errorf("LogLoss = %v, want %v", l, want)
	}
	bins := Calibration(p, y, 2)
	if len(bins) != 2 || bins[0].N != 2 || math.Abs(bins[0].Predicted-0.225) > 1e-12 || bins[0].Observed != 0.5 || math.Abs(bins[1].Predicted-0.6) > 1e-12 {
		t.Errorf("Calibration = %+v", bins)
	}
	if b, _ := Num(math.NaN()).MarshalJSON(); string(b) != "null" {
		t.Errorf("NaN marshals as %s", b)
	}
}
