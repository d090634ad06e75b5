package scale

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Metrics of the operator the scale run reads.
const (
	metricReconcileWork    = "dittofs_operator_reconcile_work_duration_seconds"
	metricReconcileTotal   = "controller_runtime_reconcile_total"
	metricHeapInuse        = "go_memstats_heap_inuse_bytes"
	metricPolicyEvaluation = "dittofs_operator_policy_evaluation_duration_seconds"
	metricPollDuration     = "dittofs_operator_adapter_poll_duration_seconds"
)

// metrics is one scrape of a Prometheus text endpoint: every sample by its
// name and sorted labels, e.g. `x_bucket{le="0.5"}`.
type metrics map[string]float64

// parseMetrics reads the Prometheus text exposition format. Only what the
// run needs is supported: samples without timestamps; comments are skipped.
func parseMetrics(r io.Reader) (metrics, error) {
	m := metrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		if cut < 0 {
			return nil, fmt.Errorf("malformed sample %q", line)
		}
		value, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("malformed value in %q: %w", line, err)
		}
		name, labels, err := splitSample(strings.TrimSpace(line[:cut]))
		if err != nil {
			return nil, err
		}
		m[seriesKey(name, labels)] = value
	}
	return m, sc.Err()
}

// splitSample splits `name{a="x",b="y"}` into its name and labels.
func splitSample(s string) (string, map[string]string, error) {
	open := strings.IndexByte(s, '{')
	if open < 0 {
		return s, nil, nil
	}
	if !strings.HasSuffix(s, "}") {
		return "", nil, fmt.Errorf("malformed labels in %q", s)
	}
	labels := map[string]string{}
	rest := s[open+1 : len(s)-1]
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq < 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
			return "", nil, fmt.Errorf("malformed labels in %q", s)
		}
		key := strings.TrimSpace(rest[:eq])
		var value strings.Builder
		i := eq + 2
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					value.WriteByte('\n')
				default:
					value.WriteByte(rest[i])
				}
				continue
			}
			value.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return "", nil, fmt.Errorf("unterminated label value in %q", s)
		}
		labels[key] = value.String()
		rest = strings.TrimLeft(rest[i+1:], ", ")
	}
	return s[:open], labels, nil
}

func seriesKey(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

// sum adds every series of a metric whose labels include match.
func (m metrics) sum(name string, match map[string]string) float64 {
	total := 0.0
	for key, v := range m {
		n, labels, err := splitSample(key)
		if err != nil || n != name {
			continue
		}
		if labelsMatch(labels, match) {
			total += v
		}
	}
	return total
}

func labelsMatch(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// bucket is the cumulative count of observations at or below le.
type bucket struct {
	le    float64
	count float64
}

// histogram is a Prometheus histogram: its cumulative buckets (the last is
// +Inf), sum and count.
type histogram struct {
	buckets    []bucket
	sum, count float64
}

// histogram reads a histogram without labels other than le.
func (m metrics) histogram(name string) (histogram, error) {
	var h histogram
	for key, v := range m {
		n, labels, err := splitSample(key)
		if err != nil || n != name+"_bucket" {
			continue
		}
		le, err := strconv.ParseFloat(labels["le"], 64)
		if err != nil {
			return h, fmt.Errorf("%s: bucket bound %q: %w", name, labels["le"], err)
		}
		h.buckets = append(h.buckets, bucket{le: le, count: v})
	}
	if len(h.buckets) == 0 {
		return h, fmt.Errorf("no histogram %s in the scrape", name)
	}
	sort.Slice(h.buckets, func(i, j int) bool { return h.buckets[i].le < h.buckets[j].le })
	h.sum, h.count = m[name+"_sum"], m[name+"_count"]
	return h, nil
}

// sub is the histogram of the observations made between before and h.
func (h histogram) sub(before histogram) histogram {
	out := histogram{sum: h.sum - before.sum, count: h.count - before.count}
	for i, b := range h.buckets {
		prev := 0.0
		if i < len(before.buckets) && before.buckets[i].le == b.le {
			prev = before.buckets[i].count
		}
		out.buckets = append(out.buckets, bucket{le: b.le, count: b.count - prev})
	}
	return out
}

// quantile estimates the q-quantile as Prometheus' histogram_quantile does:
// linear interpolation inside the bucket holding the rank, the lower bound
// of the first bucket being 0. A rank in the +Inf bucket returns the highest
// finite bound. NaN when there is no observation.
func (h histogram) quantile(q float64) float64 {
	if len(h.buckets) == 0 {
		return math.NaN()
	}
	total := h.buckets[len(h.buckets)-1].count
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range h.buckets {
		if b.count >= rank {
			if math.IsInf(b.le, 1) {
				return lower
			}
			inBucket := b.count - below
			if inBucket <= 0 {
				return b.le
			}
			return lower + (b.le-lower)*(rank-below)/inBucket
		}
		lower, below = b.le, b.count
	}
	return lower
}

// mean is the mean observation; NaN when there is none.
func (h histogram) mean() float64 {
	if h.count <= 0 {
		return math.NaN()
	}
	return h.sum / h.count
}
