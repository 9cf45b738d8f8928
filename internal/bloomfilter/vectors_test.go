package bloomfilter_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/bits-and-blooms/bloom/v3"

	"boxoffice/internal/bloomfilter"
)

// The vectors the Lua port (lua/spec/bloom_spec.lua) is checked against.
const vectorsFile = "../../lua/spec/testdata/bloom_vectors.json"

var update = flag.Bool("update", false, "rewrite "+vectorsFile)

type locationVector struct {
	Key  string   `json:"key_hex"`
	M    uint     `json:"m"`
	K    uint     `json:"k"`
	Locs []uint64 `json:"locs"`
}

type probe struct {
	Key   string `json:"key"`
	Maybe bool   `json:"maybe"`
}

type vectors struct {
	Locations []locationVector `json:"locations"`
	Filter    struct {
		M       uint     `json:"m"`
		K       uint     `json:"k"`
		Bits    string   `json:"bits_hex"`
		Members []string `json:"members"`
		Others  []probe  `json:"others"`
	} `json:"filter"`
}

// generate makes the vectors deterministically: keys of every tail length,
// and a filter of 2,000 reserved user ids probed with 2,000 others.
func generate() *vectors {
	rng := rand.New(rand.NewPCG(1, 2))
	v := &vectors{}
	for i := 0; i < 600; i++ {
		key := make([]byte, i%49)
		for j := range key {
			key[j] = byte(rng.IntN(256))
		}
		m, k := uint(1+rng.IntN(10_000_000)), uint(1+rng.IntN(20))
		v.Locations = append(v.Locations, locationVector{hex.EncodeToString(key), m, k,
			bloomfilter.Locations(key, m, k)})
	}
	ids := make([]int64, 2000)
	for i := range ids {
		ids[i] = 1 + rng.Int64N(1<<40)
	}
	f := bloomfilter.Build(ids, 0.01)
	v.Filter.M, v.Filter.K, v.Filter.Bits = f.M, f.K, hex.EncodeToString(f.Bits)
	for _, id := range ids {
		v.Filter.Members = append(v.Filter.Members, strconv.FormatInt(id, 10))
	}
	for i := 0; i < 2000; i++ {
		key := bloomfilter.Key(1 + rng.Int64N(1<<40))
		v.Filter.Others = append(v.Filter.Others, probe{string(key), f.Test(key)})
	}
	return v
}

func TestVectorsFileIsCurrent(t *testing.T) {
	want, err := json.MarshalIndent(generate(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile(vectorsFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./internal/bloomfilter -run Vectors -update", vectorsFile)
	}
}

// The committed vectors agree with bloom/v3 itself, not just with our code.
func TestVectorsMatchLibrary(t *testing.T) {
	raw, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for _, lv := range v.Locations {
		key, _ := hex.DecodeString(lv.Key)
		for i, l := range bloom.Locations(key, lv.K) {
			if got := l % uint64(lv.M); got != lv.Locs[i] {
				t.Fatalf("key %s: location %d = %d, want %d", lv.Key, i, got, lv.Locs[i])
			}
		}
	}
	lib := bloom.New(v.Filter.M, v.Filter.K)
	for _, m := range v.Filter.Members {
		lib.Add([]byte(m))
	}
	if got := hex.EncodeToString(bloomfilter.From(lib).Bits); got != v.Filter.Bits {
		t.Fatal("filter bits differ from bloom/v3's")
	}
	falsePos := 0
	for _, o := range v.Filter.Others {
		if got := lib.TestString(o.Key); got != o.Maybe {
			t.Fatalf("probe %s: library says %v, vector says %v", o.Key, got, o.Maybe)
		}
		if o.Maybe {
			falsePos++
		}
	}
	t.Logf("%d of %d non-members test positive (false positives)", falsePos, len(v.Filter.Others))
}
