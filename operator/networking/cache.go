package networking

import (
	"container/list"
	"encoding/json"
	"sync"
)

// DefaultCacheSize is how many decisions an Engine remembers: enough for one
// per DittoServer of a large cluster.
const DefaultCacheSize = 256

// decisionCache remembers the decisions of one bundle by input. A decision
// depends on the bundle and the input only (the built-ins that could make it
// vary are refused), so a poll that finds nothing changed is answered without
// evaluating the policy. It is least-recently-used and safe for concurrent
// use; it holds its own copies.
type decisionCache struct {
	mu      sync.Mutex
	size    int
	order   *list.List // of *cacheEntry, most recent first
	entries map[string]*list.Element
}

type cacheEntry struct {
	key      string
	decision *Decision
}

func newDecisionCache(size int) *decisionCache {
	if size <= 0 {
		return nil
	}
	return &decisionCache{size: size, order: list.New(), entries: make(map[string]*list.Element, size)}
}

// cacheKey is the input's JSON form, which is canonical: encoding/json sorts
// map keys.
func cacheKey(in *Input) (string, bool) {
	raw, err := json.Marshal(in)
	if err != nil {
		return "", false
	}
	return string(raw), true
}

func (c *decisionCache) get(key string) (*Decision, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	elem, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(elem)
	return elem.Value.(*cacheEntry).decision.DeepCopy(), true
}

func (c *decisionCache) put(key string, d *Decision) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		elem.Value.(*cacheEntry).decision = d.DeepCopy()
		c.order.MoveToFront(elem)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, decision: d.DeepCopy()})
	if c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
}
