package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autosync/autosync/shared/cart"
)

var _ cart.ListingSource = (*Client)(nil)

// Listing page sizing, priced as Shopify prices it (see the orders page in
// query.go): a product node costs 1, its media connection 2 + media × 3
// (the Media node, preview and image objects) and its variants connection
// 2 + variants × 4 (ProductVariant, inventoryItem, its inventoryLevel and
// that level's quantities, see quantitiesCost). With 6 media and 16
// variants a product costs 87, and 11 products request 2 + 11 × 87 = 959:
// under the single-query cap of 1000 with a little room. Products with more
// media or variants than fit are finished with product(id:) queries of 240
// variants (963) or 250 media (753).
const (
	productsPageSize   = 11
	mediaPerProduct    = 6
	variantsPerProduct = 16
	mediaNodeCost      = 1 + 1 + 1
	variantNodeCost    = 1 + 1 + levelReadCost
	productNodeCost    = 1 + (2 + mediaPerProduct*mediaNodeCost) + (2 + variantsPerProduct*variantNodeCost)
	productsQueryCost  = 2 + productsPageSize*productNodeCost

	variantsRestPageSize     = 240 // productVariantsDoc's first
	mediaRestPageSize        = 250 // productMediaDoc's first
	productVariantsQueryCost = 1 + 2 + variantsRestPageSize*variantNodeCost
	productMediaQueryCost    = 1 + 2 + mediaRestPageSize*mediaNodeCost
)

// variantFields read a variant's available quantity at the location stock
// is written to, not its inventoryQuantity: that is "the total sellable
// quantity of the variant", summed over every location, and importing it
// and writing it back to one location would give the shop the other
// locations' units a second time.
const variantFields = `id title sku price inventoryItem { id ` + levelFields + ` }`

// Media is an interface: without fragments, preview.image is where an image
// medium's URL is, and mediaContentType says which media are images.
const mediaFields = `mediaContentType preview { image { url } }`

// productFields are what a product node reads; productNodeCost prices
// them.
const productFields = `
      id title updatedAt
      media(first: $media) { pageInfo { hasNextPage endCursor } nodes { ` + mediaFields + ` } }
      variants(first: $variants) { pageInfo { hasNextPage endCursor } nodes { ` + variantFields + ` } }
`

const productsDoc = `query Products($first: Int!, $after: String, $query: String!, $media: Int!, $variants: Int!, $location: ID!) {
  products(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {` + productFields + `    }
  }
}`

const productVariantsDoc = `query ProductVariants($id: ID!, $after: String, $location: ID!) {
  product(id: $id) {
    variants(first: 240, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` + variantFields + ` } }
  }
}`

const productMediaDoc = `query ProductMedia($id: ID!, $after: String) {
  product(id: $id) {
    media(first: 250, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` + mediaFields + ` } }
  }
}`

// Listings returns one page of listings, one per variant that has a SKU,
// for the products updated in q's window, oldest update first. Variants
// without a SKU are left out: nothing could link them to a product here.
//
// Link ids are GraphQL global ids (gid://shopify/Product/…,
// gid://shopify/ProductVariant/…, gid://shopify/InventoryItem/…): the form
// every GraphQL call takes, so write-back needs no conversion, and a form
// that says what it names. SetStock also accepts a bare legacy number, so
// ids taken from a REST webhook payload work too.
//
// Quantity is the variant's available quantity at the shop's primary
// location, where SetStock writes it; nil when the variant is not stocked
// there. Stock at other locations is not Autosync's to count: it neither
// reads nor writes it. Images are the product's image media, first to
// last, shared by its variants.
func (c *Client) Listings(ctx context.Context, q cart.ListingQuery) (cart.ListingPage, error) {
	if q.EmptyWindow() {
		return cart.ListingPage{}, nil // an empty window holds no products
	}
	loc, err := c.primaryLocation(ctx)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("shopify: listing products: %w", err)
	}
	vars := map[string]any{
		"first": productsPageSize, "query": strings.Join(windowTerms(q.UpdatedFrom, q.UpdatedTo), " AND "),
		"media": mediaPerProduct, "variants": variantsPerProduct, "location": loc,
	}
	page, err := queryPage(ctx, c, productsDoc, vars, q.Cursor, productsQueryCost, parseProducts)
	if err != nil {
		return cart.ListingPage{}, fmt.Errorf("shopify: listing products: %w", err)
	}
	out := cart.ListingPage{Next: page.next}
	for _, p := range page.products {
		if err := c.completeProduct(ctx, p, loc); err != nil {
			return cart.ListingPage{}, fmt.Errorf("shopify: %w", err)
		}
		out.Listings = append(out.Listings, p.listings()...)
	}
	return out, nil
}

// completeProduct reads the media and variants that did not fit the first
// page of a product, the variants' quantities at loc.
func (c *Client) completeProduct(ctx context.Context, p *product, loc string) error {
	if p.moreMedia != "" {
		more, err := c.remainingMedia(ctx, p.gid, p.moreMedia)
		if err != nil {
			return fmt.Errorf("reading the media of product %s: %w", p.gid, err)
		}
		p.images = cart.AppendImages(p.images, more...)
	}
	if p.moreVariants != "" {
		more, err := c.remainingVariants(ctx, p.gid, p.moreVariants, loc)
		if err != nil {
			return fmt.Errorf("reading the variants of product %s: %w", p.gid, err)
		}
		p.variants = append(p.variants, more...)
	}
	return nil
}

// remainingVariants pages through a product's variants after the first
// page's cursor, with their quantities at loc.
func (c *Client) remainingVariants(ctx context.Context, gid, after, loc string) ([]variantNode, error) {
	var out []variantNode
	vars := map[string]any{"id": gid, "location": loc}
	err := c.pageProduct(ctx, productVariantsDoc, vars, after, productVariantsQueryCost, func(p *productNode) *pageInfo {
		out = append(out, p.Variants.Nodes...)
		return &p.Variants.PageInfo
	})
	return out, err
}

// remainingMedia pages through a product's media after the first page's
// cursor and returns the image URLs among them.
func (c *Client) remainingMedia(ctx context.Context, gid, after string) ([]string, error) {
	var out []string
	err := c.pageProduct(ctx, productMediaDoc, map[string]any{"id": gid}, after, productMediaQueryCost, func(p *productNode) *pageInfo {
		out = cart.AppendImages(out, imageURLs(p.Media.Nodes)...)
		return &p.Media.PageInfo
	})
	return out, err
}

// pageProduct runs a product(id:) connection query with vars from after
// until its last page; take keeps a page's nodes and returns its pageInfo.
func (c *Client) pageProduct(ctx context.Context, doc string, vars map[string]any, after string, cost float64, take func(*productNode) *pageInfo) error {
	vars = maps.Clone(vars)
	for {
		vars["after"] = after
		data, err := c.query(ctx, doc, vars, cost)
		if err != nil {
			return err
		}
		var d struct {
			Product *productNode `json:"product"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("%w: %v", cart.ErrMalformed, err)
		}
		if d.Product == nil {
			return nil // deleted between the queries: keep what was read
		}
		if err := d.Product.validateNodes(); err != nil {
			return err
		}
		next, err := take(d.Product).next("a next page")
		if err != nil || next == "" {
			return err
		}
		if next == after {
			return &cart.Error{Message: "Shopify repeated a page of a product"}
		}
		after = next
	}
}

type variantNode struct {
	ID            string  `json:"id"`
	Title         string  `json:"title"`
	SKU           *string `json:"sku"`
	Price         string  `json:"price"`
	InventoryItem *struct {
		ID    string     `json:"id"`
		Level *levelNode `json:"inventoryLevel"`
	} `json:"inventoryItem"`
}

type mediaNode struct {
	MediaContentType string `json:"mediaContentType"`
	Preview          *struct {
		Image *struct {
			URL string `json:"url"`
		} `json:"image"`
	} `json:"preview"`
}

type productNode struct {
	ID        string                  `json:"id"`
	Title     string                  `json:"title"`
	UpdatedAt time.Time               `json:"updatedAt"`
	Media     connection[mediaNode]   `json:"media"`
	Variants  connection[variantNode] `json:"variants"`
}

// validateNodes checks the variants' ids, which write-back will send back.
func (p *productNode) validateNodes() error {
	for _, v := range p.Variants.Nodes {
		if !isGID(v.ID, "ProductVariant") {
			return fmt.Errorf("%w: variant id %q", cart.ErrMalformed, v.ID)
		}
		if v.InventoryItem == nil || !isGID(v.InventoryItem.ID, "InventoryItem") {
			return fmt.Errorf("%w: variant %s has no inventory item id", cart.ErrMalformed, v.ID)
		}
	}
	return nil
}

// product is one product of a page, on its way to listings.
type product struct {
	gid          string
	title        string
	updatedAt    time.Time
	images       []string
	variants     []variantNode
	moreMedia    string // cursor after the media read, when there are more
	moreVariants string // likewise for variants
}

type productsPage struct {
	products []*product
	next     string
}

// parseProducts maps the data of a products query.
func parseProducts(data json.RawMessage) (*productsPage, error) {
	nodes, next, err := pageOf[productNode](data, "products")
	if err != nil {
		return nil, err
	}
	page := &productsPage{next: next}
	for i := range nodes {
		p, err := productOf(&nodes[i])
		if err != nil {
			return nil, err
		}
		page.products = append(page.products, p)
	}
	return page, nil
}

// productOf checks a product node and starts its listings.
func productOf(n *productNode) (*product, error) {
	if !isGID(n.ID, "Product") {
		return nil, fmt.Errorf("%w: product id %q", cart.ErrMalformed, n.ID)
	}
	if n.UpdatedAt.IsZero() {
		return nil, fmt.Errorf("%w: product %s has no updatedAt", cart.ErrMalformed, n.ID)
	}
	if err := n.validateNodes(); err != nil {
		return nil, err
	}
	p := &product{gid: n.ID, title: n.Title, updatedAt: n.UpdatedAt, variants: n.Variants.Nodes,
		images: imageURLs(n.Media.Nodes)}
	var err error
	if p.moreMedia, err = n.Media.PageInfo.next("product " + n.ID + " has more media"); err != nil {
		return nil, err
	}
	if p.moreVariants, err = n.Variants.PageInfo.next("product " + n.ID + " has more variants"); err != nil {
		return nil, err
	}
	return p, nil
}

// listings makes one listing per variant with a SKU.
func (p *product) listings() []cart.Listing {
	var out []cart.Listing
	for _, v := range p.variants {
		if v.SKU == nil || strings.TrimSpace(*v.SKU) == "" {
			continue
		}
		name := p.title
		if t := strings.TrimSpace(v.Title); t != "" && t != "Default Title" && t != p.title {
			name += " - " + t
		}
		l := cart.Listing{
			SKU:       strings.TrimSpace(*v.SKU),
			Name:      name,
			Price:     v.Price,
			Images:    slices.Clone(p.images),
			Link:      cart.Link{ProductID: p.gid, VariantID: v.ID, InventoryItemID: v.InventoryItem.ID},
			UpdatedAt: p.updatedAt,
		}
		l.Quantity = v.InventoryItem.Level.available()
		out = append(out, l)
	}
	return out
}

// imageURLs returns the URLs of the image media, in order. Media still
// processing have no preview image yet and are skipped, as are URLs that
// are not absolute http(s) ones.
func imageURLs(media []mediaNode) []string {
	var out []string
	for _, m := range media {
		if m.MediaContentType != "IMAGE" || m.Preview == nil || m.Preview.Image == nil {
			continue
		}
		out = cart.AppendImages(out, m.Preview.Image.URL)
	}
	return out
}

// isGID reports whether id is a Shopify global id of type typ.
func isGID(id, typ string) bool {
	_, ok := gidNumber(id, typ)
	return ok
}

// gidNumber returns the number in "gid://shopify/{typ}/{n}".
func gidNumber(id, typ string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, "gid://shopify/"+typ+"/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil && n > 0
}
