package keyrotation

import (
	"crypto/ed25519"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// edPoint is a point of edwards25519 in affine coordinates, for checking
// small-order keys with arithmetic independent of the code under test.
type edPoint struct{ x, y *big.Int }

var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// edD is -121665/121666 mod p.
	edD = new(big.Int).Mod(new(big.Int).Mul(big.NewInt(-121665), new(big.Int).ModInverse(big.NewInt(121666), edP)), edP)
)

// edAdd adds two points with the complete twisted Edwards formulas for
// a = -1: x3 = (x1 y2 + y1 x2) / (1 + d t), y3 = (y1 y2 + x1 x2) / (1 - d t),
// t = x1 x2 y1 y2.
func edAdd(a, b edPoint) edPoint {
	mod := func(v *big.Int) *big.Int { return v.Mod(v, edP) }
	mul := func(u, v *big.Int) *big.Int { return mod(new(big.Int).Mul(u, v)) }
	dt := mul(edD, mul(mul(a.x, b.x), mul(a.y, b.y)))
	xn := mod(new(big.Int).Add(mul(a.x, b.y), mul(a.y, b.x)))
	yn := mod(new(big.Int).Add(mul(a.y, b.y), mul(a.x, b.x)))
	xd := mod(new(big.Int).Add(big.NewInt(1), dt))
	yd := mod(new(big.Int).Sub(big.NewInt(1), dt))
	return edPoint{mul(xn, new(big.Int).ModInverse(xd, edP)), mul(yn, new(big.Int).ModInverse(yd, edP))}
}

// smallOrderEncodings returns every 32-byte encoding of a point of order
// dividing 8, computed from the curve: the multiples of a point of order 8,
// which make up the whole 8-torsion subgroup (it is cyclic of order 8),
// each encoded canonically (y little-endian, the sign of x in the top bit),
// plus the non-canonical encodings that decoders accept: y + p where it
// fits in 255 bits, and a set sign bit for x = 0.
func smallOrderEncodings(t *testing.T) [][]byte {
	t.Helper()
	// A point T of order 8 doubles to a point of order 4, (±√-1, 0):
	// y(2T) = (y² + x²)/(1 - d x² y²) = 0, so y² = -x². On the curve,
	// -x² + y² = 1 + d x² y² then gives d x⁴ - 2x² - 1 = 0, so
	// x² = (1 ± √(1+d))/d, whichever is a square.
	one := big.NewInt(1)
	root := new(big.Int).ModSqrt(new(big.Int).Add(edD, one), edP)
	if root == nil {
		t.Fatal("1+d is not a square")
	}
	invD := new(big.Int).ModInverse(edD, edP)
	var x, y *big.Int
	for _, r := range []*big.Int{root, new(big.Int).Sub(edP, root)} {
		x2 := new(big.Int).Mod(new(big.Int).Mul(new(big.Int).Add(one, r), invD), edP)
		if x = new(big.Int).ModSqrt(x2, edP); x != nil {
			y = new(big.Int).ModSqrt(new(big.Int).Sub(edP, x2), edP)
			break
		}
	}
	if x == nil || y == nil {
		t.Fatal("no point of order 8")
	}
	gen := edPoint{x, y}
	identity := edPoint{big.NewInt(0), big.NewInt(1)}
	var points []edPoint
	p := gen
	for range 8 {
		points = append(points, p)
		p = edAdd(p, gen)
	}
	if last := points[7]; last.x.Sign() != 0 || last.y.Cmp(identity.y) != 0 {
		t.Fatalf("8·T = (%v, %v), want the identity", last.x, last.y)
	}
	seen := make(map[string]bool)
	var encs [][]byte
	add := func(y *big.Int, negative bool) {
		if y.BitLen() > 255 {
			return
		}
		b := make([]byte, 32)
		y.FillBytes(b)
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		if negative {
			b[31] |= 0x80
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			encs = append(encs, b)
		}
	}
	for _, pt := range points {
		negative := pt.x.Bit(0) == 1
		for _, y := range []*big.Int{pt.y, new(big.Int).Add(pt.y, edP)} {
			add(y, negative)
			if pt.x.Sign() == 0 {
				add(y, true)
			}
		}
	}
	if len(seen) != 14 {
		t.Fatalf("%d encodings of small-order points, want 14", len(seen))
	}
	return encs
}

// A ring whose Ed25519 public key is of small order (the all-zero key, say,
// left by a caller that wiped the ring's own slice) would publish it and
// verify forged signatures under it: the ring refuses both.
func TestSmallOrderEd25519KeyRefused(t *testing.T) {
	for _, enc := range smallOrderEncodings(t) {
		ring, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		id := ring.Keys()[0].ID
		copy(ring.snap.Load().keys[0].m.ed[ed25519.SeedSize:], enc)
		if _, err := ring.Ed25519Key(id); err == nil {
			t.Errorf("Ed25519Key with the small-order key %x: want an error", enc)
		}
		if b, err := ring.jwks(); err == nil {
			t.Errorf("jwks with the small-order key %x = %s, want an error", enc, b)
		}
		rec := httptest.NewRecorder()
		ring.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), `"x"`) {
			t.Errorf("JWKSHandler with the small-order key %x: %d %s, want an error 500 and no key", enc, rec.Code, rec.Body)
		}
	}
	ring, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Ed25519Key(ring.Keys()[0].ID); err != nil {
		t.Errorf("Ed25519Key of a derived key: %v", err)
	}
	if _, err := ring.jwks(); err != nil {
		t.Errorf("jwks of a derived key: %v", err)
	}
}
