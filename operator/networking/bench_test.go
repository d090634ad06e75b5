package networking

import (
	"context"
	"fmt"
	"testing"
)

var benchSizes = []int{2, 8, 32}

// BenchmarkEvaluate measures one evaluation: input conversion, the policy,
// decoding and guardrails.
func BenchmarkEvaluate(b *testing.B) {
	e := newTestEngine(b, Options{})
	for _, n := range benchSizes {
		in := testInput(manyAdapters(n)...)
		b.Run(fmt.Sprintf("adapters=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			defer reportCPUTime(b)()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender measures turning a decision into apply configurations.
func BenchmarkRender(b *testing.B) {
	e := newTestEngine(b, Options{})
	owner := OwnerOf(testServer())
	for _, n := range benchSizes {
		d := evaluate(b, e, testInput(manyAdapters(n)...))
		b.Run(fmt.Sprintf("adapters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPUTime(b)()
			for b.Loop() {
				if _, err := Render(d, owner); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPUTime adds the process CPU time per operation to a benchmark's
// figures: on a machine shared with other work, wall time per operation
// measures the machine's load as much as the code.
func reportCPUTime(b *testing.B) func() {
	start := processCPUTime()
	return func() {
		if spent := processCPUTime() - start; spent > 0 && b.N > 0 {
			b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
