package unpack

import (
	"bytes"
	"io"
	"sync"
)

// Two sides of a comparison opened at once (the A and B of a layer whose
// bytes differ) spool their streams through two linked Envs (Env.Pair).
// The k-th stream one side spools while its Format opens meets the k-th
// of the other, and the two are compared in step, a chunk of each at a
// time (each side decoding a few chunks ahead in a goroutine of its own):
// while the chunks are the same, each is stored once, for both; the first
// that differ set the two apart, and each side goes on alone into a store
// of its own. A side never waits for a partner that has opened its layer
// (Env.Done) or that has left the stream, and a stream spooled while the
// same side spools another goes alone, so that no schedule can deadlock:
// what a pair saves is storage and reading, never a result, as every
// side's Data reads exactly its own bytes whoever it met.

// pairLink links the two Envs of a pair.
type pairLink struct {
	mu     sync.Mutex
	cond   sync.Cond
	done   [2]bool // the side's layer is open: it spools alone from now
	count  [2]int  // streams the side has spooled in step or offered to
	active [2]int  // streams the side is spooling now
	open   map[int]*meet
}

func newPairLink() *pairLink {
	l := &pairLink{open: map[int]*meet{}}
	l.cond.L = &l.mu
	return l
}

// arrive is side's offer to spool its next stream in step: the meet with
// the partner's stream of the same number, once the partner offers it,
// or nil to spool alone (the partner's layer is open, or a stream of
// this side is already being spooled: one spooled while reading another
// must not wait for a partner that may be waiting for this side).
// counted says whether leave must be called.
func (l *pairLink) arrive(side int, newStore func() *store) (m *meet, counted bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done[side] || l.active[side] > 0 {
		return nil, false
	}
	l.active[side]++
	k := l.count[side]
	l.count[side]++
	if m := l.open[k]; m != nil {
		delete(l.open, k)
		m.prefix = newStore()
		m.joined = true
		l.cond.Broadcast()
		return m, true
	}
	if l.done[1-side] {
		return nil, true
	}
	m = newMeet()
	l.open[k] = m
	for !m.joined && !l.done[1-side] {
		l.cond.Wait()
	}
	if !m.joined {
		delete(l.open, k)
		return nil, true
	}
	return m, true
}

// leave ends side's stream, counted by arrive.
func (l *pairLink) leave(side int) {
	l.mu.Lock()
	l.active[side]--
	l.mu.Unlock()
}

// finish marks side's layer open: its partner no longer waits for it.
func (l *pairLink) finish(side int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.done[side] = true
	l.cond.Broadcast()
	l.mu.Unlock()
}

// meet is two streams read in step. Each round, each side brings its next
// chunk; the second to come compares the two and, when they are the same,
// stores the chunk once in prefix while the first waits (its Data ends
// where prefix does).
type meet struct {
	mu     sync.Mutex
	cond   sync.Cond
	joined bool   // under the pairLink's lock
	prefix *store // what both streams hold, set on joining

	posted  [2][]byte // a side's chunk awaiting its partner's
	waiting [2]bool
	round   int  // rounds settled
	apart   bool // the streams differ: each goes on alone
	gone    [2]bool
	err     *storeError // storing the common bytes failed: both stop
}

func newMeet() *meet {
	m := &meet{}
	m.cond.L = &m.mu
	return m
}

// step brings side's next chunk (shorter than spoolChunk: the last).
// shared: it is stored in prefix, for both. Otherwise, with err nil, the
// streams are apart (or the partner left) and the side stores the chunk
// on its own, alone from now; with err set, storing the common bytes
// failed and the side stops there.
func (m *meet) step(side int, chunk []byte, limit int64) (shared bool, err *storeError) {
	other := 1 - side
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		switch {
		case m.err != nil:
			return false, m.err
		case m.apart || m.gone[other]:
			return false, nil
		case m.waiting[other]:
			theirs := m.posted[other]
			m.posted[other], m.waiting[other] = nil, false
			if !bytes.Equal(chunk, theirs) {
				m.apart = true
				m.round++
				m.cond.Broadcast()
				return false, nil
			}
			// The partner waits, holding the same bytes, until they are
			// stored: the lock is not needed meanwhile.
			m.mu.Unlock()
			_, serr := m.prefix.append(chunk, limit)
			m.mu.Lock()
			if serr != nil {
				m.err = serr
			}
			m.round++
			m.cond.Broadcast()
			return serr == nil, serr
		}
		m.posted[side], m.waiting[side] = chunk, true
		r := m.round
		for m.round == r && !m.gone[other] {
			m.cond.Wait()
		}
		if m.round == r {
			// The partner left without its chunk (its reader failed
			// outside the stream): take ours back and go on alone.
			m.posted[side], m.waiting[side] = nil, false
			continue
		}
		switch {
		case m.err != nil:
			return false, m.err
		case m.apart:
			return false, nil
		}
		return true, nil
	}
}

// leave marks side gone: its partner no longer waits for its chunks.
func (m *meet) leave(side int) {
	m.mu.Lock()
	m.gone[side] = true
	m.posted[side], m.waiting[side] = nil, false
	m.cond.Broadcast()
	m.mu.Unlock()
}

// readAheadDepth is how many chunks a side of a pair decodes ahead.
const readAheadDepth = 3

// readAhead reads a stream's chunks in a goroutine of its own, up to
// readAheadDepth of them ahead of the one being stored.
type readAhead struct {
	free, full chan *aheadChunk
	cur        *aheadChunk // handed out by next, in use until the next call
	stopc      chan struct{}
	done       chan struct{}
	once       sync.Once
}

type aheadChunk struct {
	buf      *[spoolChunk]byte
	n        int
	err      error
	panicked any // the reader's panic, raised again where next is called
}

func startReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		free:  make(chan *aheadChunk, readAheadDepth),
		full:  make(chan *aheadChunk, readAheadDepth),
		stopc: make(chan struct{}),
		done:  make(chan struct{}),
	}
	for range readAheadDepth {
		ra.free <- &aheadChunk{buf: chunkPool.Get().(*[spoolChunk]byte)}
	}
	go ra.run(r)
	return ra
}

func (ra *readAhead) run(r io.Reader) {
	defer close(ra.done)
	for {
		var c *aheadChunk
		select {
		case c = <-ra.free:
		case <-ra.stopc:
			return
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					c.n, c.panicked = 0, p
				}
			}()
			c.n, c.err = readChunk(r, c.buf[:])
		}()
		select {
		case ra.full <- c:
		case <-ra.stopc:
			return
		}
		if c.n < spoolChunk {
			return // the last chunk
		}
	}
}

// next returns the next chunk, as readChunk would; the one it returned
// before is free again. It is not called after the last chunk (shorter
// than spoolChunk).
func (ra *readAhead) next() ([]byte, error) {
	if ra.cur != nil {
		ra.free <- ra.cur
		ra.cur = nil
	}
	c := <-ra.full
	if c.panicked != nil {
		panic(c.panicked)
	}
	ra.cur = c
	return c.buf[:c.n], c.err
}

// stop ends the reading, waiting for a read under way: the stream's
// reader is then its caller's again.
func (ra *readAhead) stop() {
	ra.once.Do(func() {
		close(ra.stopc)
		<-ra.done
		if ra.cur != nil {
			chunkPool.Put(ra.cur.buf)
		}
		for _, ch := range []chan *aheadChunk{ra.free, ra.full} {
			for len(ch) > 0 {
				chunkPool.Put((<-ch).buf)
			}
		}
	})
}
