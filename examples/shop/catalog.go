package main

import "fmt"

// item is a product of the catalogue.
type item struct {
	SKU         string
	Name        string
	Price       int // in cents
	Description string
}

// PriceText formats the price for the page.
func (it item) PriceText() string { return fmt.Sprintf("€%d.%02d", it.Price/100, it.Price%100) }

// catalogue is what the shop sells. The descriptions are long on purpose:
// each cart line keeps a copy, so that a cart of about thirty lines no
// longer fits in a 4096-byte cookie and moves to MongoDB.
var catalogue = []item{
	{"TEA-ASSAM", "Assam breakfast tea", 850, "Malty second-flush leaves, 250 g."},
	{"TEA-SENCHA", "Shizuoka sencha", 1400, "Grassy green tea; brew at 70 °C."},
	{"CUP-CELADON", "Celadon tea cup", 1800, "Stoneware, crackle glaze, 150 ml."},
	{"POT-IRON", "Cast-iron teapot", 5400, "Enamelled, infuser basket, 0.8 l."},
	{"NB-A5-DOT", "Dotted A5 notebook", 1600, "Lay-flat, 192 pages, 100 g/m²."},
	{"PEN-BRASS", "Brass fountain pen", 3900, "Solid brass, steel medium nib."},
	{"INK-BLUE", "Blue-black ink", 1200, "Iron-gall ink, 50 ml glass bottle."},
	{"WRAP-LINEN", "Linen gift wrap", 600, "Reusable linen furoshiki, 70 cm."},
}

// findItem returns the catalogue item with the SKU.
func findItem(sku string) (item, bool) {
	for _, it := range catalogue {
		if it.SKU == sku {
			return it, true
		}
	}
	return item{}, false
}
