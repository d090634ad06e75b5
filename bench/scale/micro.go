package scale

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// MicroResult is one line of `go test -bench` output.
type MicroResult struct {
	Package    string             `json:"package"`
	Name       string             `json:"name"`
	Iterations int64              `json:"iterations"`
	Metrics    map[string]float64 `json:"metrics"`
}

// ReadMicro parses the output of `go test -bench` from a file.
func ReadMicro(path string) ([]MicroResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMicro(f)
}

// parseMicro keeps the benchmark lines: "BenchmarkX/sub-2  N  v unit  v unit...".
func parseMicro(r io.Reader) ([]MicroResult, error) {
	var out []MicroResult
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue // a benchmark's own log line, or a failure
		}
		iterations, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		res := MicroResult{Package: pkg, Name: trimProcs(fields[0]), Iterations: iterations, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			res.Metrics[fields[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// trimProcs drops the -GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// microTable renders the micro-benchmarks, the usual units first.
func microTable(b *strings.Builder, results []MicroResult) {
	standard := []string{"ns/op", "cpu-ns/op", "B/op", "allocs/op"}
	extra := map[string]bool{}
	for _, r := range results {
		for unit := range r.Metrics {
			extra[unit] = true
		}
	}
	for _, u := range standard {
		delete(extra, u)
	}
	var extras []string
	for u := range extra {
		extras = append(extras, u)
	}
	sort.Strings(extras)
	units := append(append([]string(nil), standard...), extras...)
	b.WriteString("| Benchmark |")
	for _, u := range units {
		fmt.Fprintf(b, " %s |", u)
	}
	b.WriteString("\n|---|")
	for range units {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range results {
		fmt.Fprintf(b, "| %s |", r.Name)
		for _, u := range units {
			v, ok := r.Metrics[u]
			switch {
			case !ok:
				b.WriteString(" |")
			case v >= 100 || v == float64(int64(v)):
				fmt.Fprintf(b, " %s |", strconv.FormatFloat(v, 'f', 0, 64))
			default:
				fmt.Fprintf(b, " %s |", strconv.FormatFloat(v, 'f', 2, 64))
			}
		}
		b.WriteString("\n")
	}
}
