package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Tests that must store what the API server no longer accepts (an object
// written before a validation rule existed) write to etcd under it. They
// use etcd's JSON gateway (/v3/kv/...), served on its client URL, so that
// no etcd client library enters the project's dependencies.

// EtcdKeyValue is one key of etcd and its value.
type EtcdKeyValue struct {
	Key, Value []byte
}

// EtcdRange lists the keys starting with prefix, with their values unless
// keysOnly.
func (cp *ControlPlane) EtcdRange(ctx context.Context, prefix string, keysOnly bool) ([]EtcdKeyValue, error) {
	req := map[string]any{
		"key":       []byte(prefix),
		"range_end": prefixEnd([]byte(prefix)),
		"keys_only": keysOnly,
	}
	var resp struct {
		KVs []struct {
			Key   []byte `json:"key"`
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := cp.etcdCall(ctx, "/v3/kv/range", req, &resp); err != nil {
		return nil, err
	}
	out := make([]EtcdKeyValue, 0, len(resp.KVs))
	for _, kv := range resp.KVs {
		out = append(out, EtcdKeyValue{Key: kv.Key, Value: kv.Value})
	}
	return out, nil
}

// EtcdGet reads one key; nil when it does not exist.
func (cp *ControlPlane) EtcdGet(ctx context.Context, key string) ([]byte, error) {
	var resp struct {
		KVs []struct {
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := cp.etcdCall(ctx, "/v3/kv/range", map[string]any{"key": []byte(key)}, &resp); err != nil {
		return nil, err
	}
	if len(resp.KVs) == 0 {
		return nil, nil
	}
	return resp.KVs[0].Value, nil
}

// EtcdPut writes one key.
func (cp *ControlPlane) EtcdPut(ctx context.Context, key string, value []byte) error {
	return cp.etcdCall(ctx, "/v3/kv/put", map[string]any{"key": []byte(key), "value": value}, nil)
}

// etcdCall posts a request to etcd's gateway; []byte fields travel in
// base64, as the gateway's JSON mapping of protobuf bytes wants.
func (cp *ControlPlane) etcdCall(ctx context.Context, path string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	url := cp.Env.ControlPlane.Etcd.URL.String() + path
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpResp, err := http.DefaultClient.Do(httpReq)
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	defer httpResp.Body.Close()
	data, err := io.ReadAll(httpResp.Body)
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	if httpResp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd %s: %s: %s", path, httpResp.Status, data)
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("etcd %s: decoding %q: %w", path, data, err)
	}
	return nil
}

// prefixEnd is the first key after every key starting with prefix.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0} // every key
}
