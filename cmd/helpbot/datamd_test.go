package main

import (
	"bufio"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DATA.md is what a district's privacy officer reads. These tests fail when
// the code keeps something in Redis that DATA.md does not describe: first
// by reading the source of every package, then by running a morning at the
// help desk and looking at every key it left.

const repoRoot = "../.."

// dataFamilies reads the key patterns from DATA.md's key table, e.g.
// "sess:{platform}:{conversation}[:{thread}]".
func dataFamilies(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "DATA.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "<!-- key-families:start -->"):
			in = true
		case strings.Contains(line, "<!-- key-families:end -->"):
			in = false
		case in:
			if m := row.FindStringSubmatch(line); m != nil {
				out = append(out, m[1])
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("DATA.md key table: found %d rows between the key-families markers", len(out))
	}
	return out
}

// patternRe turns a documented pattern into a regular expression: {name}
// is any non-empty text (ids may contain colons), [...] is optional.
func patternRe(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{':
			j := strings.IndexByte(p[i:], '}')
			b.WriteString(".+")
			i += j
		case '[':
			b.WriteString("(?:")
		case ']':
			b.WriteString(")?")
		default:
			b.WriteString(regexp.QuoteMeta(string(p[i])))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// dedupeUmbrella is DATA.md's row for the dedupe family as a whole.
const dedupeUmbrella = "dedupe:{source}:{id}"

// documented reports whether a family (a key prefix found in code) is one
// DATA.md describes: a pattern starts with it, or keys that start with it
// fit a pattern.
func documented(family string, patterns []string) bool {
	for _, p := range patterns {
		if p == dedupeUmbrella && family != "dedupe:" {
			continue // each dedupe source has a row of its own
		}
		if strings.HasPrefix(p, family) {
			return true
		}
		re := patternRe(p)
		for _, tail := range []string{"", "x", "x:y", "x:y:z", "x:y:z:w"} {
			if re.MatchString(family + tail) {
				return true
			}
		}
	}
	return false
}

// codeFamily is a key prefix found in the source and where.
type codeFamily struct {
	family, where string
}

// codeFamilies reads every non-test Go file of the module and returns the
// Redis key prefixes it uses:
//   - constants named Key… (the convention for key families), and
//     DedupeSource constants (dedupe:{source}…);
//   - the key given to Limiter.Once (stored as dedupe:{key}): its leading
//     literal, through local variables, constants and fmt.Sprintf formats;
//   - a literal or constant added right after a store prefix (prefix + "x:",
//     Prefix() + "x:").
//
// It fails on a Once key whose family it cannot tell, so a new dedupe
// source cannot slip past by being built indirectly.
func codeFamilies(t *testing.T) []codeFamily {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []codeFamily
	for _, files := range pkgs {
		consts := stringConsts(files)
		for _, f := range files {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
					for _, s := range g.Specs {
						vs := s.(*ast.ValueSpec)
						for _, n := range vs.Names {
							v, ok := consts[n.Name]
							if !ok {
								continue
							}
							where := fset.Position(n.Pos()).String()
							switch {
							case regexp.MustCompile(`^Key[A-Z]`).MatchString(n.Name):
								out = append(out, codeFamily{v, where})
							case n.Name == "DedupeSource":
								out = append(out, codeFamily{"dedupe:" + v, where})
							}
						}
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				fn, ok := n.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					return true
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch x := n.(type) {
					case *ast.CallExpr:
						if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Once" && len(x.Args) == 3 {
							where := fset.Position(x.Pos()).String()
							lit := leadingLiteral(x.Args[1], consts, fn.Body)
							if lit == "" {
								t.Errorf("%s: cannot tell the key family of this Once call; start its key with a literal or a constant", where)
							} else {
								out = append(out, codeFamily{"dedupe:" + lit, where})
							}
						}
					case *ast.BinaryExpr:
						if x.Op != token.ADD {
							return true
						}
						ops := flatten(x)
						if len(ops) >= 2 && isPrefix(ops[0]) {
							where := fset.Position(x.Pos()).String()
							// A literal or constant after the prefix is a family
							// (a glob such as prefix+"*" is a SCAN, not a key).
							// Anything else is a key-building helper, whose
							// callers pass Key… constants checked above.
							if lit := leadingLiteral(ops[1], consts, fn.Body); lit != "" && !strings.HasPrefix(lit, "*") {
								out = append(out, codeFamily{lit, where})
							}
						}
						return false
					}
					return true
				})
				return false
			})
		}
	}
	return out
}

// stringConsts evaluates a package's string constants (literals, and sums
// of literals and other constants).
func stringConsts(files []*ast.File) map[string]string {
	exprs := map[string]ast.Expr{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						exprs[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	out := map[string]string{}
	var eval func(e ast.Expr, depth int) (string, bool)
	eval = func(e ast.Expr, depth int) (string, bool) {
		if depth > 10 {
			return "", false
		}
		switch x := e.(type) {
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				s, err := strconv.Unquote(x.Value)
				return s, err == nil
			}
		case *ast.Ident:
			if v, ok := exprs[x.Name]; ok {
				return eval(v, depth+1)
			}
		case *ast.BinaryExpr:
			if x.Op == token.ADD {
				a, ok1 := eval(x.X, depth+1)
				b, ok2 := eval(x.Y, depth+1)
				return a + b, ok1 && ok2
			}
		case *ast.ParenExpr:
			return eval(x.X, depth+1)
		}
		return "", false
	}
	for name, e := range exprs {
		if v, ok := eval(e, 0); ok {
			out[name] = v
		}
	}
	return out
}

func flatten(e ast.Expr) []ast.Expr {
	if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
		return append(flatten(b.X), flatten(b.Y)...)
	}
	if p, ok := e.(*ast.ParenExpr); ok {
		return flatten(p.X)
	}
	return []ast.Expr{e}
}

// isPrefix recognises the store prefix: an identifier or field named
// prefix, or a call to Prefix().
func isPrefix(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name == "prefix"
	case *ast.SelectorExpr:
		return x.Sel.Name == "prefix" || x.Sel.Name == "Prefix"
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
			return sel.Sel.Name == "Prefix" && len(x.Args) == 0
		}
	}
	return false
}

// leadingLiteral is the constant text a key expression starts with.
func leadingLiteral(e ast.Expr, consts map[string]string, body *ast.BlockStmt) string {
	switch x := e.(type) {
	case *ast.BasicLit:
		s, _ := strconv.Unquote(x.Value)
		return s
	case *ast.Ident:
		if v, ok := consts[x.Name]; ok {
			return v
		}
		// A local variable: the expression it was assigned.
		var found ast.Expr
		ast.Inspect(body, func(n ast.Node) bool {
			if a, ok := n.(*ast.AssignStmt); ok && found == nil {
				for i, l := range a.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name == x.Name && i < len(a.Rhs) {
						found = a.Rhs[i]
					}
				}
			}
			return found == nil
		})
		if found != nil {
			return leadingLiteral(found, consts, body)
		}
	case *ast.SelectorExpr:
		// pkg.Const from another package: resolved where it is declared.
		return ""
	case *ast.BinaryExpr:
		ops := flatten(x)
		var b strings.Builder
		for _, op := range ops {
			s := leadingLiteral(op, consts, body)
			b.WriteString(s)
			if lit, ok := op.(*ast.BasicLit); !ok || s == "" || lit == nil {
				if _, isConst := consts[identName(op)]; !isConst {
					break
				}
			}
		}
		return b.String()
	case *ast.CallExpr:
		// fmt.Sprintf("remind:%s:%d", …): the format up to its first verb.
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(x.Args) > 0 {
			f := leadingLiteral(x.Args[0], consts, body)
			if i := strings.IndexByte(f, '%'); i >= 0 {
				f = f[:i]
			}
			return f
		}
	}
	return ""
}

func identName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func TestDataMDDocumentsEveryKeyFamilyInTheCode(t *testing.T) {
	patterns := dataFamilies(t)
	fams := codeFamilies(t)
	seen := map[string]bool{}
	for _, f := range fams {
		seen[f.family] = true
		if !documented(f.family, patterns) {
			t.Errorf("%s: Redis key family %q is not described in DATA.md's key table", f.where, f.family)
		}
	}
	// The scan must see the families it is meant to guard, or it guards
	// nothing.
	for _, want := range []string{"sess:", "esc:", "rl:", "usess:", "audit:log", "webhook:ev:", "dedupe:slack:click:", "dedupe:remind:"} {
		if !seen[want] {
			var got []string
			for f := range seen {
				got = append(got, f)
			}
			sort.Strings(got)
			t.Errorf("source scan did not find the %q family; found %v", want, got)
		}
	}
}

func TestDataMDDescribesEveryKeyWritten(t *testing.T) {
	s := newScenario(t)
	// An export writes the audit log too.
	if _, _, err := runCLI(t, "", s.vars, "admin", "export", "--platform", "console", "pat.rivera"); err != nil {
		t.Fatal(err)
	}
	patterns := dataFamilies(t)
	var res []*regexp.Regexp
	for _, p := range patterns {
		res = append(res, patternRe(p))
	}
	ctx := context.Background()
	fams := map[string]bool{}
	for k := range s.keys(t) {
		match := ""
		for i, re := range res {
			if patterns[i] == k {
				match = k // a fixed key ("esc:seq") before a pattern that also fits ("esc:{case id}")
				break
			}
			if match == "" && re.MatchString(k) {
				match = patterns[i]
			}
		}
		if match == "" {
			t.Errorf("key %q is not described in DATA.md's key table", k)
			continue
		}
		fams[match] = true
		if ttl := s.rdb.PTTL(ctx, s.prefix+k).Val(); ttl <= 0 || ttl > 401*24*time.Hour {
			t.Errorf("key %q (%s) has no expiry (PTTL %v)", k, match, ttl)
		}
	}
	// A morning at the desk touches at least these.
	for _, want := range []string{
		"sess:{platform}:{conversation}[:{thread}]", "usess:{platform}:{user}", "esc:{case id}", "esc:seq", "open",
		"req:{platform}:{user}", "rl:{platform}:{user}", "audit:log",
		"webhook:ev:{event id}", "webhook:q:{case id}", "webhook:due", "webhook:dead",
	} {
		if !fams[want] {
			t.Errorf("the scenario left no %s key; found %v", want, fams)
		}
	}
}
