// Package bloomfilter builds the Bloom filter of a session's reserved
// buyers with bits-and-blooms/bloom/v3, in the byte layout the edge reads
// (lua/boxoffice/bloom.lua): bit i at byte i/8, bit i%8.
package bloomfilter

import (
	"encoding/binary"
	"strconv"

	"github.com/bits-and-blooms/bloom/v3"
)

// Filter is a built filter: m bits, k hashes, and the bitset as bytes.
type Filter struct {
	M    uint
	K    uint
	Bits []byte
}

// Key is how a user id is hashed: its decimal digits.
func Key(userID int64) []byte { return strconv.AppendInt(nil, userID, 10) }

// Build returns a filter holding ids, sized for false-positive rate fp.
func Build(ids []int64, fp float64) *Filter {
	f := bloom.NewWithEstimates(uint(max(len(ids), 1)), fp)
	for _, id := range ids {
		f.Add(Key(id))
	}
	return From(f)
}

// From serialises a bloom/v3 filter.
func From(f *bloom.BloomFilter) *Filter {
	words := f.BitSet().Words()
	bits := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(bits[8*i:], w)
	}
	return &Filter{M: f.Cap(), K: f.K(), Bits: bits[:(f.Cap()+7)/8]}
}

// Test reports whether key may be in the filter, reading the bytes as the
// edge does.
func (f *Filter) Test(key []byte) bool {
	for _, pos := range Locations(key, f.M, f.K) {
		if f.Bits[pos/8]&(1<<(pos%8)) == 0 {
			return false
		}
	}
	return true
}

// Locations returns the k bit positions of key in a filter of m bits.
func Locations(key []byte, m, k uint) []uint64 {
	h := bloom.Locations(key, k)
	for i := range h {
		h[i] %= uint64(m)
	}
	return h
}
