"""The Go side of schedule replay (our own Go code, not Go's), kept as Python strings.

- ``REWRITER_GO``: a small program built with the toolchain's go/parser,
  go/ast and go/printer. It reads a ``poolqueue.go`` (the installed one, or a
  Go mutant's text), a hook table (JSON) and writes an instrumented copy:
  ``package main``; before every statement of the table (matched by its
  printed text inside the named function) a call ``pcWait(id)`` that blocks
  until the scheduler lets the goroutine move; after it ``pcVal(id, x)``
  recording what the access read or wrote; a CompareAndSwap in an ``if``
  condition becomes ``pcCAS(id, old, new, call)``. The chain's two constants
  the model parameterises (``initSize`` and ``dequeueLimit``) become
  variables the driver sets. A hook that matches nothing is an error (the
  installed source changed shape), unless the table marks it optional (the
  statements only a mutant has).
- ``SCHED_GO``: the driver linked with the instrumented file. For each JSON
  request (a scenario as per-thread operation lists, and a schedule: the
  thread chosen at each scheduling point) it starts one goroutine per thread,
  each running its operations on a fresh poolDequeue or poolChain, and lets
  exactly one goroutine move at a time: the one the schedule names, from one
  hook to the next (round-robin once the schedule is exhausted, as the
  model's kernel does). It answers with every hooked step (thread, hook id,
  value) and each operation's result.

Only one goroutine runs between two hooks, so the recorded values are what
the access itself saw, and the execution is exactly the interleaving named.
"""

from __future__ import annotations

__all__ = ["REWRITER_GO", "SCHED_GO", "GO_MOD_REWRITER", "GO_MOD_DRIVER"]

GO_MOD_REWRITER = """module poolcheck/goreplay/rewriter

go 1.21
"""

GO_MOD_DRIVER = """module poolcheck/goreplay/driver

go 1.21
"""

REWRITER_GO = r"""// poolcheck schedule-replay rewriter: instruments poolqueue.go with scheduler hooks.
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
	"strings"
	"unicode"
)

type hook struct {
	ID       int    `json:"id"`
	Func     string `json:"func"`
	Stmt     string `json:"stmt"`
	Optional bool   `json:"optional"`
}

type spec struct {
	Hooks  []hook            `json:"hooks"`
	Consts map[string]string `json:"consts"` // const name -> package variable that replaces its value
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
		return []ast.Stmt{wait(h.ID), st, &ast.ExprStmt{X: call("pcVal", lit(h.ID), st.Lhs[0])}}
	case *ast.ExprStmt:
		c, ok := st.X.(*ast.CallExpr)
		if !ok {
			break
		}
		switch methodName(c) {
		case "CompareAndSwap":
			return []ast.Stmt{wait(h.ID), &ast.ExprStmt{X: call("pcCAS", lit(h.ID), c.Args[0], c.Args[1], c)}}
		case "Store", "StorePointer":
			return []ast.Stmt{wait(h.ID), st, &ast.ExprStmt{X: call("pcStore", lit(h.ID), c.Args[len(c.Args)-1])}}
		default: // Add, Load: the call's result is the value
			return []ast.Stmt{wait(h.ID), &ast.ExprStmt{X: call("pcVal", lit(h.ID), c)}}
		}
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
	case *ast.AssignStmt, *ast.ExprStmt:
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
	out.WriteString("// Instrumented by poolcheck's goreplay rewriter from the installed poolqueue.go. Not for editing.\n\n")
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
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
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
	steps   []any
	nsteps  int
)

// skip: hooks that are not scheduling points in this request (a mutant's dead load, see goreplay.DEAD).
var skip = map[int]bool{}

// pcWait blocks the calling goroutine until the scheduler grants it its next step.
func pcWait(id int) {
	if skip[id] {
		return
	}
	tid := current
	events <- event{tid: tid}
	<-grants[tid]
}

func pcVal(id int, v any) {
	if skip[id] {
		return
	}
	steps = append(steps, []any{current, id, format(v)})
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

// result is a value returned by popHead/popTail: the int token, or nil.
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
		if x == nil {
			return nil
		}
		return map[string]uintptr{"p": uintptr(unsafe.Pointer(x))}
	}
	// Any other interface value stored in a slot.
	return slotValue(*(*eface)(unsafe.Pointer(&v)))
}

type op struct {
	Op string `json:"op"`
	V  *int   `json:"v"`
}

type request struct {
	Target   string  `json:"target"`
	Size     int     `json:"size"`
	Start    uint32  `json:"start"`
	InitSize int     `json:"init_size"`
	Limit    int     `json:"limit"`
	Threads  [][]op  `json:"threads"`
	Schedule []int   `json:"schedule"`
	Skip     []int   `json:"skip"`
}

type response struct {
	Steps    []any   `json:"steps"`
	Results  [][]any `json:"results"`
	Schedule []int   `json:"schedule"`
	Error    string  `json:"error,omitempty"`
}

func val(o op) any {
	if o.V == nil {
		return nil
	}
	return *o.V
}

func worker(tid int, ops []op, d *poolDequeue, c *poolChain, results [][]any) {
	defer func() {
		if r := recover(); r != nil {
			results[tid] = append(results[tid], map[string]string{"panic": fmt.Sprint(r)})
		}
		events <- event{tid: tid, done: true}
	}()
	for _, o := range ops {
		var r any
		switch {
		case d != nil && o.Op == "push":
			r = d.pushHead(val(o))
		case d != nil && o.Op == "pop":
			v, ok := d.popHead()
			r = []any{result(v), ok}
		case d != nil && o.Op == "tail":
			v, ok := d.popTail()
			r = []any{result(v), ok}
		case c != nil && o.Op == "push":
			c.pushHead(val(o))
		case c != nil && o.Op == "pop":
			v, ok := c.popHead()
			r = []any{result(v), ok}
		case c != nil && o.Op == "tail":
			v, ok := c.popTail()
			r = []any{result(v), ok}
		default:
			panic("unknown operation " + o.Op)
		}
		results[tid] = append(results[tid], r)
	}
}

func run(q *request) (resp response) {
	var d *poolDequeue
	var c *poolChain
	switch q.Target {
	case "dequeue":
		if q.Size < 1 || q.Size&(q.Size-1) != 0 {
			return response{Error: "size must be a power of two"}
		}
		d = &poolDequeue{vals: make([]eface, q.Size)}
		d.headTail.Store(d.pack(q.Start, q.Start))
	case "chain":
		pcInitSize, dequeueLimit = q.InitSize, q.Limit
		c = &poolChain{}
	default:
		return response{Error: "unknown target " + q.Target}
	}
	skip = map[int]bool{}
	for _, id := range q.Skip {
		skip[id] = true
	}
	n := len(q.Threads)
	steps = []any{}
	events = make(chan event)
	grants = make([]chan struct{}, n)
	results := make([][]any, n)
	parked := make([]bool, n)
	for i := range q.Threads {
		grants[i] = make(chan struct{})
		results[i] = []any{}
	}
	// Start the goroutines one by one: each runs to its first hook (or to its end).
	for i := range q.Threads {
		current = i
		go worker(i, q.Threads[i], d, c, results)
		ev := <-events
		parked[ev.tid] = !ev.done
	}
	sched := []int{}
	last := -1
	for len(sched) < maxSteps {
		var tid = -1
		if len(sched) < len(q.Schedule) {
			tid = q.Schedule[len(sched)]
			if tid < 0 || tid >= n || !parked[tid] {
				// Let nothing hang: release every parked goroutine's next steps round-robin is not possible
				// without running them; report and abandon them (the process serves one request at a time).
				resp.Error = fmt.Sprintf("schedule step %d: thread %d cannot move (it has finished)", len(sched), tid)
				break
			}
		} else {
			for t := 0; t < n; t++ {
				if parked[t] && t > last {
					tid = t
					break
				}
			}
			if tid < 0 {
				for t := 0; t < n; t++ {
					if parked[t] {
						tid = t
						break
					}
				}
			}
			if tid < 0 {
				break // every goroutine finished
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
	return resp
}

func main() {
	runtime.GOMAXPROCS(1)
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var q request
			var resp response
			if jerr := json.Unmarshal(line, &q); jerr != nil {
				resp = response{Error: "bad JSON: " + jerr.Error()}
			} else {
				resp = run(&q)
			}
			if werr := enc.Encode(resp); werr != nil {
				os.Exit(3)
			}
		}
		if err != nil {
			out.Flush()
			return
		}
		if in.Buffered() == 0 {
			if ferr := out.Flush(); ferr != nil {
				os.Exit(3)
			}
		}
	}
}
"""
