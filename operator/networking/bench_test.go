package networking

import (
	"context"
	"fmt"
	"testing"
)

var benchSizes = []int{2, 8, 32}

// BenchmarkEvaluate measures one evaluation without the decision cache:
// input conversion, the policy, decoding and guardrails.
func BenchmarkEvaluate(b *testing.B) {
	benchmarkEvaluate(b, Options{CacheSize: -1})
}

// BenchmarkEvaluateCached measures an evaluation whose input did not change
// since the last one, the steady state of adapter polling.
func BenchmarkEvaluateCached(b *testing.B) {
	benchmarkEvaluate(b, Options{})
}

func benchmarkEvaluate(b *testing.B, opts Options) {
	e := newTestEngine(b, opts)
	for _, n := range benchSizes {
		in := testInput(manyAdapters(n)...)
		b.Run(fmt.Sprintf("adapters=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
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
			for b.Loop() {
				if _, err := Render(d, owner); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
