package scale

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// OperatorUser is the Kubernetes user the operator process acts as.
const OperatorUser = "dittofs-operator"

// operatorUnderTest is the operator the run measures: the binary as a
// process of its own, or, for profiles, its manager inside this process.
type operatorUnderTest interface {
	// pid is the process whose CPU time and memory are measured.
	pid() int
	waitReady(ctx context.Context, timeout time.Duration) error
	scrape(ctx context.Context) (metrics, error)
	// alive fails when the operator stopped.
	alive() error
	stop() error
	// meanRSS is the mean resident memory sampled in [from, to).
	meanRSS(from, to time.Time) int64
	// where is where its log is, for error messages.
	where() string
}

// operatorProcess is the operator binary, run the way a developer runs it
// outside a cluster.
type operatorProcess struct {
	cmd        *exec.Cmd
	done       chan error
	log        *os.File
	logPath    string
	metricsURL string
	sampler    *procSampler
}

// startOperator runs bin as OperatorUser. The webhook and leader election
// are off (there is a single replica and admission is not under test), and
// the API URL override lets it reach the simulators on loopback.
func startOperator(bin, kubeconfig, dir string, concurrency int, extraArgs []string) (*operatorProcess, error) {
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "operator.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the operator log: %w", err)
	}
	args := []string{
		"--allow-api-url-override",
		"--webhook-enabled=false",
		"--leader-elect=false",
		"--operator-namespace=dittofs-system",
		"--metrics-bind-address=" + metricsAddr,
		"--health-probe-bind-address=" + probeAddr,
	}
	if concurrency > 0 {
		args = append(args, fmt.Sprintf("--max-concurrent-reconciles=%d", concurrency))
	}
	args = append(args, extraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &operatorProcess{
		cmd: cmd, done: make(chan error, 1), log: logFile, logPath: logPath,
		metricsURL: "http://" + metricsAddr + "/metrics",
	}
	go func() { p.done <- cmd.Wait() }()
	p.sampler = newProcSampler(cmd.Process.Pid, 500*time.Millisecond)
	return p, nil
}

func (p *operatorProcess) pid() int { return p.cmd.Process.Pid }

func (p *operatorProcess) where() string { return p.logPath }

func (p *operatorProcess) meanRSS(from, to time.Time) int64 { return p.sampler.meanRSS(from, to) }

// waitReady waits until the metrics endpoint answers.
func (p *operatorProcess) waitReady(ctx context.Context, timeout time.Duration) error {
	return waitMetrics(ctx, p, timeout)
}

func (p *operatorProcess) scrape(ctx context.Context) (metrics, error) {
	return scrapeURL(ctx, p.metricsURL)
}

// waitMetrics waits until the operator's metrics endpoint answers.
func waitMetrics(ctx context.Context, op operatorUnderTest, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := op.scrape(ctx)
		if err == nil {
			return nil
		}
		if err := op.alive(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the operator's metrics endpoint did not answer within %s: %w (log: %s)", timeout, err, op.where())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// scrapeURL reads a Prometheus metrics endpoint.
func scrapeURL(ctx context.Context, url string) (metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// alive fails when the operator has exited.
func (p *operatorProcess) alive() error {
	select {
	case err := <-p.done:
		p.done <- err
		return fmt.Errorf("the operator exited: %v (log: %s)", err, p.logTail())
	default:
		return nil
	}
}

func (p *operatorProcess) stop() error {
	p.sampler.stop()
	defer p.log.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		// The manager stops cleanly on SIGTERM and exits with 0.
		if err != nil {
			return fmt.Errorf("the operator stopped: %w", err)
		}
		return nil
	case <-time.After(30 * time.Second):
		killErr := p.cmd.Process.Kill()
		waitErr := <-p.done
		if killErr != nil && !errors.Is(killErr, os.ErrProcessDone) {
			return fmt.Errorf("killing the operator: %w", killErr)
		}
		return fmt.Errorf("the operator did not stop within 30s of SIGTERM and was killed: %w", waitErr)
	}
}

// logTail is the end of the operator's log, for error messages.
func (p *operatorProcess) logTail() string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	const keep = 2000
	if len(data) > keep {
		data = data[len(data)-keep:]
	}
	return string(data)
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// procStat is a process's CPU time and memory at one moment.
type procStat struct {
	at      time.Time
	cpu     time.Duration // user + system
	rss     int64         // bytes (VmRSS)
	peakRSS int64         // bytes (VmHWM)
}

// readProcStat reads /proc/<pid>/stat and /proc/<pid>/status.
func readProcStat(pid int) (procStat, error) {
	s := procStat{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name may hold spaces; the fields after it are fixed.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(fields[12], 10, 64) // field 15
	s.cpu = time.Duration(utime+stime) * time.Second / time.Duration(clockTicks())
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch key {
		case "VmRSS":
			s.rss = kiB(value)
		case "VmHWM":
			s.peakRSS = kiB(value)
		}
	}
	return s, sc.Err()
}

func kiB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
	return n * 1024
}

var (
	clockTicksOnce sync.Once
	clockTicksHz   int64 = 100
)

// clockTicks is the unit of utime and stime (USER_HZ), 100 on Linux unless
// getconf says otherwise.
func clockTicks() int64 {
	clockTicksOnce.Do(func() {
		out, err := exec.Command("getconf", "CLK_TCK").Output()
		if err != nil {
			return
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && n > 0 {
			clockTicksHz = n
		}
	})
	return clockTicksHz
}

// procSampler samples a process's memory in the background, so that the
// mean over a window is known as well as its peak.
type procSampler struct {
	pid  int
	quit chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	samples []procStat
}

func newProcSampler(pid int, every time.Duration) *procSampler {
	s := &procSampler{pid: pid, quit: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if st, err := readProcStat(pid); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, st)
				s.mu.Unlock()
			}
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *procSampler) stop() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	s.wg.Wait()
}

// meanRSS is the mean resident memory sampled in [from, to).
func (s *procSampler) meanRSS(from, to time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum, n int64
	for _, st := range s.samples {
		if !st.at.Before(from) && st.at.Before(to) {
			sum += st.rss
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

// childProcess finds a child of this process by command name, to account
// for the API server's and etcd's CPU time too.
func childProcess(name string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		open, closing := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || closing < open {
			continue
		}
		fields := strings.Fields(string(stat[closing+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		if ppid == self && string(stat[open+1:closing]) == name {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child process %q", name)
}
