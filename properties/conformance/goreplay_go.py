"""The Go side of schedule replay (our own Go code, not Go's), kept as Python strings.

- ``REWRITER_GO``: a small program built with the toolchain's go/parser,
  go/ast and go/printer. It reads a ``poolqueue.go`` or ``pool.go`` (the
  installed one, or a Go mutant's text), a hook table (JSON) and writes an
  instrumented copy: ``package main``; before every statement of the table
  (matched by its printed text inside the named function) a call
  ``pcWait(id)`` that blocks until the scheduler lets the goroutine move;
  after it ``pcVal(id, x)`` recording what the access read or wrote; a
  CompareAndSwap in an ``if`` condition becomes ``pcCAS(id, old, new, call)``,
  a plain load in one ``pcV(id, x)``; a deferred call takes its step when it
  runs. The chain's two constants the model parameterises (``initSize`` and
  ``dequeueLimit``) become variables the driver sets. For pool.go it also
  points the internal imports at the driver's stand-in packages
  (``RACE_GO``, ``RTATOMIC_GO``), calls of runtime.GOMAXPROCS and indexLocal
  at the driver's functions, and drops the declarations the runtime
  implements (runtime_procPin, ...), which the driver defines. A hook that
  matches nothing is an error (the installed source changed shape), unless
  the table marks it optional (the statements only a mutant has).
- ``SCHED_GO``: the driver linked with the instrumented files. For each JSON
  request (a scenario as per-thread operation lists, and a schedule: the
  thread chosen at each scheduling point) it starts one goroutine per thread,
  each running its operations on a fresh poolDequeue, poolChain or Pool, and
  lets exactly one goroutine move at a time: the one the schedule names, from
  one hook to the next (round-robin once the schedule is exhausted, as the
  model's kernel does). A step is enabled as in the model: a pin only while
  the goroutine's P is free, allPoolsMu only while free, a stop-the-world only
  while no P is pinned. It answers with every hooked step (thread, hook id,
  value), each operation's result and what the structure still holds.

Only one goroutine runs between two hooks, so the recorded values are what
the access itself saw, and the execution is exactly the interleaving named.
"""

from __future__ import annotations

__all__ = ["REWRITER_GO", "SCHED_GO", "GO_MOD_REWRITER", "GO_MOD_DRIVER", "RACE_GO", "RTATOMIC_GO", "DRIVER_MODULE"]

GO_MOD_REWRITER = """module poolcheck/goreplay/rewriter

go 1.21
"""

DRIVER_MODULE = "poolcheck/goreplay/driver"

GO_MOD_DRIVER = f"""module {DRIVER_MODULE}

go 1.21
"""

REWRITER_GO = r"""// poolcheck schedule-replay rewriter: instruments poolqueue.go or pool.go with scheduler hooks.
// Usage: rewriter SRC HOOKS.json OUT
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"strconv"
	"strings"
	"unicode"
)

type hook struct {
	ID       int    `json:"id"`
	Func     string `json:"func"`
	Stmt     string `json:"stmt"` // a statement, or a sub-expression of an if condition
	Optional bool   `json:"optional"`
	Void     bool   `json:"void"`    // a call with no result: the step records nil
	ReadID   *int   `json:"read_id"` // an assignment that is two steps: a read of its left side (this id), then the write
}

type spec struct {
	Hooks   []hook            `json:"hooks"`
	Consts  map[string]string `json:"consts"`  // const name -> package variable that replaces its value
	Imports map[string]string `json:"imports"` // import path -> the driver's stand-in package
	Calls   map[string]string `json:"calls"`   // "pkg.Func" or "Func" called -> the driver's stand-in function
	// Exprs: an expression on the right of an assignment (printed text) -> the expression that replaces it.
	Exprs map[string]string `json:"exprs"`
	// DropBodiless removes the declarations the runtime implements (linkname'd, no body): the driver
	// defines them, driven by the scheduler.
	DropBodiless bool `json:"drop_bodiless"`
}

var fset = token.NewFileSet()

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func render(n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		return ""
	}
	return squash(b.String())
}

func call(name string, args ...ast.Expr) ast.Expr {
	return &ast.CallExpr{Fun: ast.NewIdent(name), Args: args}
}

func lit(id int) ast.Expr {
	return &ast.BasicLit{Kind: token.INT, Value: fmt.Sprint(id)}
}

func wait(id int) ast.Stmt {
	return &ast.ExprStmt{X: call("pcWait", lit(id))}
}

func methodName(c *ast.CallExpr) string {
	if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
		return sel.Sel.Name
	}
	return ""
}

type rewriter struct {
	hooks map[string]hook // squashed statement -> hook, for the current function
	hits  map[int]int
	err   error
}

// simple instruments a matched simple statement: wait before, record after.
func (r *rewriter) simple(h hook, s ast.Stmt) []ast.Stmt {
	r.hits[h.ID]++
	switch st := s.(type) {
	case *ast.AssignStmt:
		rec := &ast.ExprStmt{X: call("pcVal", lit(h.ID), st.Lhs[0])}
		if h.ReadID != nil { // read the left side (one step), then write it (the next)
			r.hits[*h.ReadID]++
			return []ast.Stmt{wait(*h.ReadID), &ast.ExprStmt{X: call("pcVal", lit(*h.ReadID), st.Lhs[0])},
				wait(h.ID), st, rec}
		}
		return []ast.Stmt{wait(h.ID), st, rec}
	case *ast.ExprStmt:
		c, ok := st.X.(*ast.CallExpr)
		if !ok {
			break
		}
		switch m := methodName(c); {
		case h.Void:
			return []ast.Stmt{wait(h.ID), st, &ast.ExprStmt{X: call("pcVal", lit(h.ID), ast.NewIdent("nil"))}}
		case m == "CompareAndSwap":
			return []ast.Stmt{wait(h.ID), &ast.ExprStmt{X: call("pcCAS", lit(h.ID), c.Args[0], c.Args[1], c)}}
		case strings.HasPrefix(m, "Store"): // Store, StorePointer, StoreUintptr, StoreReluintptr
			return []ast.Stmt{wait(h.ID), st, &ast.ExprStmt{X: call("pcStore", lit(h.ID), c.Args[len(c.Args)-1])}}
		default: // Add, Load: the call's result is the value
			return []ast.Stmt{wait(h.ID), &ast.ExprStmt{X: call("pcVal", lit(h.ID), c)}}
		}
	case *ast.DeferStmt:
		// The deferred call runs at the function's return: the step is taken there.
		body := []ast.Stmt{wait(h.ID), &ast.ExprStmt{X: st.Call},
			&ast.ExprStmt{X: call("pcVal", lit(h.ID), ast.NewIdent("nil"))}}
		fn := &ast.FuncLit{Type: &ast.FuncType{Params: &ast.FieldList{}}, Body: &ast.BlockStmt{List: body}}
		return []ast.Stmt{&ast.DeferStmt{Call: &ast.CallExpr{Fun: fn}}}
	}
	r.err = fmt.Errorf("hook %d (%s): cannot instrument a %T", h.ID, h.Stmt, s)
	return []ast.Stmt{s}
}

// cond replaces a matched call inside an if condition by pcCAS(...) / pcVal(...).
func (r *rewriter) cond(e ast.Expr) (ast.Expr, []ast.Stmt) {
	var pre []ast.Stmt
	var walk func(ast.Expr) ast.Expr
	walk = func(x ast.Expr) ast.Expr {
		switch v := x.(type) {
		case *ast.CallExpr:
			if h, ok := r.hooks[render(v)]; ok {
				r.hits[h.ID]++
				pre = append(pre, wait(h.ID))
				if methodName(v) == "CompareAndSwap" {
					return call("pcCAS", lit(h.ID), v.Args[0], v.Args[1], v)
				}
				return call("pcVal", lit(h.ID), v)
			}
		case *ast.SelectorExpr: // a plain load inside a condition: `if l.private == nil`
			if h, ok := r.hooks[render(v)]; ok {
				r.hits[h.ID]++
				pre = append(pre, wait(h.ID))
				return call("pcV", lit(h.ID), v)
			}
		case *ast.UnaryExpr:
			v.X = walk(v.X)
		case *ast.BinaryExpr:
			v.X, v.Y = walk(v.X), walk(v.Y)
		case *ast.ParenExpr:
			v.X = walk(v.X)
		}
		return x
	}
	return walk(e), pre
}

func (r *rewriter) block(list []ast.Stmt) []ast.Stmt {
	var out []ast.Stmt
	for _, s := range list {
		out = append(out, r.stmt(s)...)
	}
	return out
}

func (r *rewriter) stmt(s ast.Stmt) []ast.Stmt {
	switch st := s.(type) {
	case *ast.AssignStmt, *ast.ExprStmt, *ast.DeferStmt:
		if h, ok := r.hooks[render(st)]; ok {
			return r.simple(h, st)
		}
	case *ast.BlockStmt:
		st.List = r.block(st.List)
	case *ast.ForStmt:
		st.Body.List = r.block(st.Body.List)
	case *ast.RangeStmt:
		st.Body.List = r.block(st.Body.List)
	case *ast.IfStmt:
		st.Body.List = r.block(st.Body.List)
		if st.Else != nil {
			el := r.stmt(st.Else)
			if len(el) == 1 {
				st.Else = el[0]
			} else {
				st.Else = &ast.BlockStmt{List: el}
			}
		}
		var pre []ast.Stmt
		if st.Init != nil {
			if h, ok := r.hooks[render(st.Init)]; ok {
				// `if INIT; COND {` with INIT hooked: { wait; INIT; record; if COND {...} }
				pre = append(pre, r.simple(h, st.Init)...)
				st.Init = nil
			}
		}
		c, w := r.cond(st.Cond)
		st.Cond = c
		pre = append(pre, w...)
		if len(pre) > 0 {
			if st.Init == nil {
				return []ast.Stmt{&ast.BlockStmt{List: append(pre, st)}}
			}
			r.err = fmt.Errorf("a hooked if condition with an unhooked init statement: %s", render(st.Init))
		}
	}
	return []ast.Stmt{s}
}

// consts turns `const NAME = X` (a declaration of one name) into `var NAME = VAR`.
func consts(decls []ast.Decl, body *ast.BlockStmt, names map[string]string, done map[string]bool) {
	fix := func(g *ast.GenDecl) {
		if g.Tok != token.CONST || len(g.Specs) != 1 {
			return
		}
		vs := g.Specs[0].(*ast.ValueSpec)
		if len(vs.Names) != 1 {
			return
		}
		if v, ok := names[vs.Names[0].Name]; ok {
			g.Tok = token.VAR
			vs.Values = []ast.Expr{ast.NewIdent(v)}
			done[vs.Names[0].Name] = true
		}
	}
	for _, d := range decls {
		if g, ok := d.(*ast.GenDecl); ok {
			fix(g)
		}
	}
	if body != nil {
		ast.Inspect(body, func(n ast.Node) bool {
			if ds, ok := n.(*ast.DeclStmt); ok {
				if g, ok := ds.Decl.(*ast.GenDecl); ok {
					fix(g)
				}
			}
			return true
		})
	}
}

func funcName(f *ast.FuncDecl) string {
	if f.Recv == nil || len(f.Recv.List) == 0 {
		return f.Name.Name
	}
	t := f.Recv.List[0].Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + f.Name.Name
	}
	return f.Name.Name
}

// standIns points the file at the driver: import paths it cannot use outside the
// standard library (internal/...) become the driver's packages, calls into the
// runtime (runtime.GOMAXPROCS) the driver's functions, and the declarations the
// runtime implements are dropped; imports left unused are removed.
func standIns(f *ast.File, sp spec) {
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		if to, ok := sp.Imports[path]; ok {
			is.Path.Value = strconv.Quote(to)
		}
	}
	hits := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch v := n.(type) {
		case *ast.CallExpr:
			if to, ok := sp.Calls[render(v.Fun)]; ok {
				v.Fun = ast.NewIdent(to)
				hits[to]++
			}
		case *ast.AssignStmt:
			for i, rhs := range v.Rhs {
				if to, ok := sp.Exprs[render(rhs)]; ok {
					e, err := parser.ParseExpr(to)
					if err != nil {
						fail("expression %q: %v", to, err)
					}
					v.Rhs[i] = e
					hits[to]++
				}
			}
		}
		return true
	})
	for _, m := range []map[string]string{sp.Calls, sp.Exprs} {
		for from, to := range m {
			if hits[to] == 0 {
				fail("%q not found (the installed source changed shape)", from)
			}
		}
	}
	if sp.DropBodiless {
		var keep []ast.Decl
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == nil {
				continue
			}
			keep = append(keep, d)
		}
		f.Decls = keep
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		var specs []ast.Spec
		for _, s := range g.Specs {
			is := s.(*ast.ImportSpec)
			path, _ := strconv.Unquote(is.Path.Value)
			name := path[strings.LastIndex(path, "/")+1:]
			if is.Name != nil {
				name = is.Name.Name
			}
			if used[name] || name == "_" || name == "unsafe" {
				specs = append(specs, s)
			}
		}
		g.Specs = specs
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "rewriter: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: rewriter SRC HOOKS.json OUT")
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	var sp spec
	if err := json.Unmarshal(raw, &sp); err != nil {
		fail("hooks: %v", err)
	}
	f, err := parser.ParseFile(fset, os.Args[1], nil, 0)
	if err != nil {
		fail("%v", err)
	}
	f.Name.Name = "main"
	standIns(f, sp)
	byFunc := map[string]map[string]hook{}
	for _, h := range sp.Hooks {
		if byFunc[h.Func] == nil {
			byFunc[h.Func] = map[string]hook{}
		}
		byFunc[h.Func][squash(h.Stmt)] = h
	}
	r := &rewriter{hits: map[int]int{}}
	done := map[string]bool{}
	consts(f.Decls, nil, sp.Consts, done)
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		consts(nil, fd.Body, sp.Consts, done)
		hs := byFunc[funcName(fd)]
		if hs == nil {
			continue
		}
		r.hooks = hs
		fd.Body.List = r.block(fd.Body.List)
		if r.err != nil {
			fail("%s: %v", funcName(fd), r.err)
		}
	}
	for _, h := range sp.Hooks {
		if h.ReadID != nil && r.hits[*h.ReadID] != r.hits[h.ID] {
			fail("hook %d: its read step %d was inserted %d times (want %d)", h.ID, *h.ReadID, r.hits[*h.ReadID], r.hits[h.ID])
		}
		if r.hits[h.ID] == 0 && !h.Optional {
			fail("hook %d: statement %q not found in %s", h.ID, h.Stmt, h.Func)
		}
		if r.hits[h.ID] > 1 {
			fail("hook %d: statement %q found %d times in %s (want 1)", h.ID, h.Stmt, r.hits[h.ID], h.Func)
		}
	}
	for name := range sp.Consts {
		if !done[name] {
			fail("constant %s not found (declared alone)", name)
		}
	}
	var out bytes.Buffer
	out.WriteString("// Instrumented by poolcheck's goreplay rewriter from an installed sync file. Not for editing.\n\n")
	if err := printer.Fprint(&out, fset, f); err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(os.Args[3], out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
}
"""

SCHED_GO = r"""// poolcheck schedule-replay driver. Generated by properties/conformance; not Go's source.
package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// The two constants the model parameterises, as variables (the rewriter
// replaced their values by these names).
var (
	pcInitSize     = 8
	pcDequeueLimit = (1 << dequeueBits) / 4
)

const maxSteps = 100000

type event struct {
	tid  int
	done bool
}

var (
	current int // the goroutine allowed to move (only one runs at a time)
	events  chan event
	grants  []chan struct{}
	pending []int // each parked goroutine's next hook
	steps   []any
)

// skip: hooks that are not scheduling points in this request (a mutant's dead load, see goreplay.DEAD;
// the chain's entry reads inside a Pool operation).
var skip = map[int]bool{}

// pcWait blocks the calling goroutine until the scheduler grants it its next step.
func pcWait(id int) {
	if skip[id] {
		return
	}
	tid := current
	pending[tid] = id
	events <- event{tid: tid}
	<-grants[tid]
}

func pcVal(id int, v any) {
	if skip[id] {
		return
	}
	steps = append(steps, []any{current, id, formatAs(hookKind[id], v)})
}

// pcV records a load inside a condition and hands its value on.
func pcV[T any](id int, v T) T {
	pcVal(id, v)
	return v
}

// pcStore records the value an atomic Store wrote (nil: a nil pointer).
func pcStore(id int, v any) {
	if skip[id] {
		return
	}
	if v == nil {
		steps = append(steps, []any{current, id, nil})
		return
	}
	pcVal(id, v)
}

func pcCAS[T any](id int, old, new T, ok bool) bool {
	if skip[id] {
		return ok
	}
	steps = append(steps, []any{current, id, []any{format(old), format(new), ok}})
	return ok
}

var (
	nilTypWord = typWord(dequeueNil(nil))
	intTypWord = typWord(int(0))
)

func typWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

func typName(p unsafe.Pointer) any {
	switch p {
	case nil:
		return nil
	case nilTypWord:
		return "dequeueNil"
	}
	return "T"
}

// slotValue is an interface as the model writes a slot: [typ, val].
func slotValue(e eface) any {
	var val any
	if e.val != nil {
		if e.typ == intTypWord {
			val = *(*int)(e.val)
		} else {
			val = "val"
		}
	}
	return []any{typName(e.typ), val}
}

// result is a value returned by popHead/popTail or Get, or held in l.private: the int token, or nil.
func result(v any) any {
	e := *(*eface)(unsafe.Pointer(&v))
	if e.typ == intTypWord && e.val != nil {
		return *(*int)(e.val)
	}
	if e.typ == nil || e.val == nil {
		return nil
	}
	return "?"
}

// format is a recorded value in the model's terms. An interface holding a
// token (int) or dequeueNil is a slot's contents, read word by word (a slot
// whose val word was cleared under it must not be dereferenced).
func format(v any) any {
	e := *(*eface)(unsafe.Pointer(&v))
	if e.typ == nil || e.typ == intTypWord || e.typ == nilTypWord {
		return slotValue(e)
	}
	switch x := v.(type) {
	case uint64, bool:
		return x
	case unsafe.Pointer:
		return typName(x)
	case eface:
		return slotValue(x)
	case *poolChainElt:
		return pointer(x)
	}
	// Any other interface value stored in a slot.
	return slotValue(*(*eface)(unsafe.Pointer(&v)))
}

// pointer is a pointer's identity ({"p": address}; goreplay names them d1, d2, ... on both sides).
func pointer(v any) any {
	var a uintptr
	switch x := v.(type) {
	case unsafe.Pointer:
		a = uintptr(x)
	case *poolChainElt:
		a = uintptr(unsafe.Pointer(x))
	case *Pool:
		a = uintptr(unsafe.Pointer(x))
	default:
		panic(fmt.Sprintf("poolcheck: %T is not a pointer the driver names", v))
	}
	if a == 0 {
		return nil
	}
	return map[string]uintptr{"p": a}
}

// formatAs formats a value by its hook's kind (goreplay.Hook.kind): the queue's hooks use format.
func formatAs(kind string, v any) any {
	switch kind {
	case "num":
		switch x := v.(type) {
		case int:
			return x
		case uintptr:
			return int(x)
		}
		panic(fmt.Sprintf("poolcheck: %T is not a number", v))
	case "obj":
		return result(v)
	case "ptr":
		return pointer(v)
	case "ptrs":
		out := []any{}
		for _, p := range v.([]*Pool) {
			out = append(out, pointer(p))
		}
		return out
	case "none":
		return nil
	}
	return format(v)
}

// -- the runtime under pool.go, driven by the scheduler -----------------------------------------------
//
// pool.go's runtime hooks (procPin/procUnpin, allPoolsMu, GOMAXPROCS, the GC's poolCleanup) are the
// driver's: a goroutine pins the P (its thread id modulo GOMAXPROCS), the scheduler grants a pin only when
// that P is free, the lock only when it is free, and a stop-the-world (gc, procs=N) only when no P is
// pinned: the model's PIN, LOCK and STW effects (model/memory.enabled). The real runtime never calls the
// transplanted poolCleanup: runtime_registerPoolCleanup below only remembers it.

var (
	pcGomaxprocs = 1
	pcPinned     [128]bool
	pcPidOf      []int
	pcCleanup    func()
	pcNewSeq     []int
	pcPayload    map[int]int
)

func runtime_registerPoolCleanup(cleanup func()) { pcCleanup = cleanup }

func runtime_procPin() int {
	pid := current % pcGomaxprocs
	if pcPinned[pid] {
		panic("poolcheck: a pin of a pinned P was granted")
	}
	pcPinned[pid] = true
	pcPidOf[current] = pid
	return pid
}

func runtime_procUnpin() { pcPinned[pcPidOf[current]] = false }

// runtime_randn is called only when race.Enabled, which the driver's race package makes false.
func runtime_randn(n uint32) uint32 { return 0 }

// pcGOMAXPROCS stands in for runtime.GOMAXPROCS(0) in pinSlow: the scenario's number of Ps.
func pcGOMAXPROCS(n int) int { return pcGomaxprocs }

type noCopy struct{}

// pcLocals: the length of every local array pinSlow made in this request, by its address.
var pcLocals = map[unsafe.Pointer]int{}

func pcMakeLocals(size int) []poolLocal {
	local := make([]poolLocal, size)
	pcLocals[unsafe.Pointer(&local[0])] = size
	return local
}

// pcIndexLocal is indexLocal with the model's bound check (model/memory.py, INDEX): the same panic as the
// model's P7 fault, where Go would read or write past the array.
func pcIndexLocal(l unsafe.Pointer, i int) *poolLocal {
	if l == nil {
		panic(fmt.Sprintf("indexLocal(%d) on a nil local array", i))
	}
	if n := pcLocals[l]; i < 0 || i >= n {
		panic(fmt.Sprintf("indexLocal(%d) past the end of a %d-element local array (%s)", i, n, pcIndexLocalLabel))
	}
	return indexLocal(l, i)
}

// Mutex is allPoolsMu's type: the scheduler grants the Lock step only when it is free, so Lock never waits.
type Mutex struct{ locked bool }

func (m *Mutex) Lock() {
	if m.locked {
		panic("poolcheck: Lock of a held Mutex was granted")
	}
	m.locked = true
}

func (m *Mutex) Unlock() { m.locked = false }

// enabled: whether goroutine tid may take its pending step (the model's memory.enabled).
func enabled(tid int) bool {
	switch hookSync[pending[tid]] {
	case "pin":
		return !pcPinned[tid%pcGomaxprocs]
	case "lock":
		return !allPoolsMu.locked
	case "stw":
		for _, p := range pcPinned {
			if p {
				return false
			}
		}
	}
	return true
}

// -- requests ---------------------------------------------------------------------------------------

type op struct {
	Op string `json:"op"`
	V  *int   `json:"v"`
}

type request struct {
	Target     string `json:"target"`
	Size       int    `json:"size"`
	Start      uint32 `json:"start"`
	InitSize   int    `json:"init_size"`
	Limit      int    `json:"limit"`
	Gomaxprocs int    `json:"gomaxprocs"`
	WithNew    bool   `json:"with_new"`
	Threads    [][]op `json:"threads"`
	Schedule   []int  `json:"schedule"`
	Skip       []int  `json:"skip"`
}

type response struct {
	Steps    []any   `json:"steps"`
	Results  [][]any `json:"results"`
	Schedule []int   `json:"schedule"`
	Contents []any   `json:"contents"`
	Error    string  `json:"error,omitempty"`
}

func val(o op) any {
	if o.V == nil {
		return nil
	}
	return *o.V
}

type target struct {
	d *poolDequeue
	c *poolChain
	p *Pool
}

func (t target) do(o op) any {
	switch {
	case t.d != nil && o.Op == "push":
		return t.d.pushHead(val(o))
	case t.d != nil && o.Op == "pop":
		v, ok := t.d.popHead()
		return []any{result(v), ok}
	case t.d != nil && o.Op == "tail":
		v, ok := t.d.popTail()
		return []any{result(v), ok}
	case t.c != nil && o.Op == "push":
		t.c.pushHead(val(o))
		return nil
	case t.c != nil && o.Op == "pop":
		v, ok := t.c.popHead()
		return []any{result(v), ok}
	case t.c != nil && o.Op == "tail":
		v, ok := t.c.popTail()
		return []any{result(v), ok}
	case t.p != nil && o.Op == "put":
		// The user writes the object's payload, then Puts it (model.harness._user_put).
		pcWait(hookPayloadWrite)
		pcPayload[*o.V] = *o.V
		pcVal(hookPayloadWrite, *o.V)
		t.p.Put(*o.V)
		return nil
	case t.p != nil && o.Op == "get":
		x := t.p.Get()
		if tok, ok := x.(int); ok && tok > 0 { // a Put's object: the user reads its payload
			pcWait(hookPayloadRead)
			pcVal(hookPayloadRead, pcPayload[tok])
		}
		return result(x)
	case t.p != nil && o.Op == "gc":
		pcWait(hookGC)
		pcCleanup()
		pcVal(hookGC, nil)
		return nil
	case t.p != nil && o.Op == "procs":
		pcWait(hookProcs)
		pcGomaxprocs = *o.V
		pcVal(hookProcs, nil)
		return nil
	}
	panic("unknown operation " + o.Op)
}

// contents: what the structure still holds once every goroutine finished, as a consumer reaches it
// (a dequeue's slots from tail to head, a chain's dequeues from c.tail on, a Pool's private slots and
// shared chains of local and victim up to their sizes). Read without hooks: nothing runs concurrently.
func (t target) contents() []any {
	out := []any{}
	dequeue := func(d *poolDequeue) {
		head, tail := d.unpack(d.headTail.Load())
		for i := tail; i != head; i++ {
			slot := &d.vals[i&uint32(len(d.vals)-1)]
			if atomic.LoadPointer(&slot.typ) != nil {
				out = append(out, result(*(*any)(unsafe.Pointer(slot))))
			}
		}
	}
	chain := func(c *poolChain) {
		for d := c.tail.Load(); d != nil; d = d.next.Load() {
			dequeue(&d.poolDequeue)
		}
	}
	locals := func(l unsafe.Pointer, size uintptr) {
		// Only as far as the array reaches (a mutant may publish a size larger than its array).
		for i := 0; i < int(size) && i < pcLocals[l]; i++ {
			pl := indexLocal(l, i)
			if pl.private != nil {
				out = append(out, result(pl.private))
			}
			chain(&pl.shared)
		}
	}
	switch {
	case t.d != nil:
		dequeue(t.d)
	case t.c != nil:
		chain(t.c)
	case t.p != nil:
		locals(t.p.local, t.p.localSize)
		locals(t.p.victim, t.p.victimSize)
	}
	return out
}

func worker(tid int, ops []op, t target, results [][]any) {
	defer func() {
		if r := recover(); r != nil {
			results[tid] = append(results[tid], map[string]string{"panic": fmt.Sprint(r)})
		}
		events <- event{tid: tid, done: true}
	}()
	for _, o := range ops {
		results[tid] = append(results[tid], t.do(o))
	}
}

func newTarget(q *request) (target, string) {
	pcInitSize, dequeueLimit = q.InitSize, q.Limit
	switch q.Target {
	case "dequeue":
		if q.Size < 1 || q.Size&(q.Size-1) != 0 {
			return target{}, "size must be a power of two"
		}
		d := &poolDequeue{vals: make([]eface, q.Size)}
		d.headTail.Store(d.pack(q.Start, q.Start))
		return target{d: d}, ""
	case "chain":
		return target{c: &poolChain{}}, ""
	case "pool":
		if q.Gomaxprocs < 1 || q.Gomaxprocs > len(pcPinned) {
			return target{}, fmt.Sprintf("gomaxprocs must be in 1..%d", len(pcPinned))
		}
		n := len(q.Threads)
		pcGomaxprocs, pcPinned, pcPidOf, pcNewSeq = q.Gomaxprocs, [128]bool{}, make([]int, n), make([]int, n)
		pcPayload = map[int]int{}
		allPools, oldPools, allPoolsMu, pcLocals = nil, nil, Mutex{}, map[unsafe.Pointer]int{}
		p := &Pool{}
		if q.WithNew {
			// New's objects: goroutine g's k-th is -(1 + g + n*k) (model.pool.new_token).
			p.New = func() any {
				g := current
				k := pcNewSeq[g]
				pcNewSeq[g]++
				return -(1 + g + n*k)
			}
		}
		return target{p: p}, ""
	}
	return target{}, "unknown target " + q.Target
}

func run(q *request) (resp response) {
	t, bad := newTarget(q)
	if bad != "" {
		return response{Error: bad}
	}
	skip = map[int]bool{}
	for _, id := range q.Skip {
		skip[id] = true
	}
	n := len(q.Threads)
	steps = []any{}
	events = make(chan event)
	grants = make([]chan struct{}, n)
	pending = make([]int, n)
	results := make([][]any, n)
	parked := make([]bool, n)
	for i := range q.Threads {
		grants[i] = make(chan struct{})
		results[i] = []any{}
	}
	// Start the goroutines one by one: each runs to its first hook (or to its end).
	for i := range q.Threads {
		current = i
		go worker(i, q.Threads[i], t, results)
		ev := <-events
		parked[ev.tid] = !ev.done
	}
	can := func(tid int) bool { return parked[tid] && enabled(tid) }
	sched := []int{}
	last := -1
	for len(sched) < maxSteps {
		var tid = -1
		if len(sched) < len(q.Schedule) {
			tid = q.Schedule[len(sched)]
			if tid < 0 || tid >= n || !can(tid) {
				// Let nothing hang: report and abandon the parked goroutines (the process serves one
				// request at a time).
				why := "it has finished"
				if tid >= 0 && tid < n && parked[tid] {
					why = "its next step is not enabled (a pinned P, a held lock, or a pinned P for a stop-the-world)"
				}
				resp.Error = fmt.Sprintf("schedule step %d: thread %d cannot move (%s)", len(sched), tid, why)
				break
			}
		} else { // round-robin among the enabled, as model.kernel.RoundRobin
			for t := 0; t < n; t++ {
				if can(t) && t > last {
					tid = t
					break
				}
			}
			if tid < 0 {
				for t := 0; t < n; t++ {
					if can(t) {
						tid = t
						break
					}
				}
			}
			if tid < 0 {
				for t := 0; t < n; t++ {
					if parked[t] {
						resp.Error = fmt.Sprintf("deadlock after %d steps: no parked goroutine may move", len(sched))
						break
					}
				}
				break // every goroutine finished (or none can move)
			}
		}
		last = tid
		sched = append(sched, tid)
		current = tid
		grants[tid] <- struct{}{}
		ev := <-events
		parked[ev.tid] = !ev.done
	}
	if resp.Error == "" && len(sched) >= maxSteps {
		resp.Error = fmt.Sprintf("more than %d steps (a livelock?)", maxSteps)
	}
	if resp.Error != "" {
		// Abandoned goroutines stay blocked on their grant channel; they hold no lock and are collected
		// with the process. Mark the result as incomplete.
		for t := range parked {
			if parked[t] {
				results[t] = append(results[t], map[string]string{"blocked": "abandoned"})
			}
		}
	}
	resp.Steps, resp.Results, resp.Schedule = steps, results, sched
	if resp.Error == "" {
		resp.Contents = t.contents()
	}
	return resp
}

func main() {
	runtime.GOMAXPROCS(1)
	serveLines(1<<20, func(line []byte) any {
		var q request
		if err := json.Unmarshal(line, &q); err != nil {
			return response{Error: "bad JSON: " + err.Error()}
		}
		return run(&q)
	})
}
"""

# The driver's stand-ins for the internal packages pool.go imports (a main module cannot import internal/...).
RACE_GO = """// poolcheck's stand-in for internal/race: the race-detector paths of pool.go are off, as in a normal build.
package race

import "unsafe"

const Enabled = false

func Acquire(addr unsafe.Pointer)      {}
func ReleaseMerge(addr unsafe.Pointer) {}
func Disable()                         {}
func Enable()                          {}
"""

RTATOMIC_GO = """// poolcheck's stand-in for internal/runtime/atomic: the acquire/release uintptr accesses pool.go uses.
package rtatomic

import "sync/atomic"

func LoadAcquintptr(ptr *uintptr) uintptr { return atomic.LoadUintptr(ptr) }

func StoreReluintptr(ptr *uintptr, val uintptr) { atomic.StoreUintptr(ptr, val) }
"""
