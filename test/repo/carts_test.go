package repo_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/autosync/autosync/"

// cartNames are the cart constants of shared/catalog and the cart packages.
var cartNames = []string{"shopify", "bigcommerce", "woocommerce", "etsy", "squarespace", "amazon"}

// A cart is one package: outside shared/cart and shared/simulator no Go
// file imports a cart's package (the registry, shared/cart/carts, is the
// one that does) and no code branches on a specific cart.
func TestCartKnowledgeStaysInItsPackage(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]bool{}
	for _, n := range []string{"Shopify", "BigCommerce", "WooCommerce", "Etsy", "Squarespace", "Amazon"} {
		consts[n] = true
	}
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" ||
				rel == "shared/cart" || rel == "shared/simulator") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, c := range cartNames {
				if strings.HasPrefix(path, module+"shared/cart/"+c) {
					t.Errorf("%s imports %s: reach a cart through its driver (shared/cart/carts)", rel, path)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var exprs []ast.Expr
			switch n := n.(type) {
			case *ast.CaseClause:
				exprs = n.List
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					exprs = []ast.Expr{n.X, n.Y}
				}
			}
			for _, e := range exprs {
				if sel, ok := e.(*ast.SelectorExpr); ok && consts[sel.Sel.Name] {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "catalog" && !strings.HasSuffix(rel, "_test.go") {
						t.Errorf("%s branches on catalog.%s: say it in the cart's driver", rel, sel.Sel.Name)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("read only %d Go files; is the walk rooted at the module?", files)
	}
}
