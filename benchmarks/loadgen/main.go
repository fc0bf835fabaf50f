// loadgen: a low-overhead load generator for the serving benchmark (REST and gRPC).
//
// Closed loop (-c N workers, each sending its next request when the last one is answered)
// or open loop (-rate R requests/s whatever the answers, at most -c in flight). The request
// body is read from a file: JSON for REST, a serialized PredictRequest for gRPC (sent as raw
// bytes with a pass-through codec, so no generated stubs are needed). Prints one JSON line:
// counts by status, and p50/p99 of the successful requests in milliseconds.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
)

// rawCodec sends and receives messages as already-encoded bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "raw" }

type result struct {
	status  string
	latency time.Duration
}

type recorder struct {
	mu      sync.Mutex
	results []result
}

func (r *recorder) add(status string, latency time.Duration) {
	r.mu.Lock()
	r.results = append(r.results, result{status, latency})
	r.mu.Unlock()
}

type sender func(ctx context.Context) string

func restSender(url string, body []byte, timeout time.Duration) sender {
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, DisableCompression: true}}
	return func(ctx context.Context) string {
		request, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		request.Header.Set("Content-Type", "application/json")
		response, err := client.Do(request)
		if err != nil {
			return "transport_error"
		}
		io.Copy(io.Discard, response.Body)
		response.Body.Close()
		return fmt.Sprint(response.StatusCode)
	}
}

func grpcSender(target, method string, body []byte, timeout time.Duration, connections int) sender {
	encoding.RegisterCodec(rawCodec{})
	conns := make([]*grpc.ClientConn, connections)
	for i := range conns {
		conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
		if err != nil {
			panic(err)
		}
		conns[i] = conn
	}
	var next atomic.Uint64
	return func(ctx context.Context) string {
		conn := conns[next.Add(1)%uint64(len(conns))]
		callCtx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		request, reply := body, []byte{}
		if err := conn.Invoke(callCtx, method, &request, &reply); err != nil {
			return status.Code(err).String()
		}
		return "OK"
	}
}

func closedLoop(send sender, workers int, duration time.Duration, rec *recorder) {
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				started := time.Now()
				code := send(context.Background())
				rec.add(code, time.Since(started))
			}
		}()
	}
	wg.Wait()
}

func openLoop(send sender, rate float64, maxInFlight int, duration time.Duration, rec *recorder) int64 {
	interval := time.Duration(float64(time.Second) / rate)
	slots := make(chan struct{}, maxInFlight)
	var dropped int64
	var wg sync.WaitGroup
	start := time.Now()
	for sent := 0; ; sent++ {
		due := start.Add(time.Duration(sent) * interval)
		if due.Sub(start) >= duration {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case slots <- struct{}{}:
		default:
			dropped++ // the client's own in-flight bound: counted, not sent
			continue
		}
		wg.Add(1)
		go func(due time.Time) {
			defer wg.Done()
			code := send(context.Background())
			rec.add(code, time.Since(due)) // from the scheduled time: no coordinated omission
			<-slots
		}(due)
	}
	wg.Wait()
	return dropped
}

func percentile(sorted []time.Duration, share float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	index := int(share * float64(len(sorted)-1))
	return float64(sorted[index].Microseconds()) / 1000
}

func main() {
	mode := flag.String("mode", "rest", "rest or grpc")
	target := flag.String("target", "", "REST URL or gRPC host:port")
	method := flag.String("method", "/tensorflow.serving.PredictionService/Predict", "gRPC method")
	bodyFile := flag.String("body", "", "file holding the request body")
	concurrency := flag.Int("c", 1, "workers (closed loop) or most requests in flight (open loop)")
	rate := flag.Float64("rate", 0, "requests/s for an open loop (0: closed loop)")
	seconds := flag.Float64("d", 10, "seconds")
	timeout := flag.Duration("timeout", 10*time.Second, "client timeout per request")
	connections := flag.Int("connections", 4, "gRPC channels")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		panic(err)
	}
	var send sender
	if *mode == "grpc" {
		send = grpcSender(*target, *method, body, *timeout, *connections)
	} else {
		send = restSender(*target, body, *timeout)
	}
	duration := time.Duration(*seconds * float64(time.Second))
	rec := &recorder{}
	started := time.Now()
	var dropped int64
	if *rate > 0 {
		dropped = openLoop(send, *rate, *concurrency, duration, rec)
	} else {
		closedLoop(send, *concurrency, duration, rec)
	}
	elapsed := time.Since(started).Seconds()
	counts := map[string]int{}
	ok := []time.Duration{}
	for _, r := range rec.results {
		counts[r.status]++
		if r.status == "200" || r.status == "OK" {
			ok = append(ok, r.latency)
		}
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i] < ok[j] })
	out, _ := json.Marshal(map[string]any{
		"elapsed": elapsed, "counts": counts, "ok": len(ok), "client_dropped": dropped,
		"p50_ms": percentile(ok, 0.5), "p99_ms": percentile(ok, 0.99)})
	fmt.Println(string(out))
}
