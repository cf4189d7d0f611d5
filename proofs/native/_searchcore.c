/* The explorer's compiled search core (docs/explorer.md, "The compiled core").
 *
 * Breadth-first search over packed states, with the same state layout, order
 * and checks as proofs/explore/search.py's Python loop.  This file knows no
 * model semantics: every transition, every property and every message comes
 * from Python (proofs/native/oracle.py) through a lazily filled table, asked
 * once per key (memory id, ghost id, thread, its field) -- plus the other
 * threads' pending ids when the step ends an operation (a return is judged
 * against them).  Natively: packing, symmetry canonicalisation (sort the
 * fields of each group of identical threads), hashing, the visited set, the
 * frontier, parent links, and the checks that are expressible over the packed
 * state (in-flight count, terminal and stuck states, symmetric duplicates,
 * co-enabled footprints).  Memory comes from PyMem_Raw*, so tracemalloc sees
 * it.
 *
 * State layout (as the Python core's integer, little-endian 64-bit words):
 * bits [0,28) memory id, [28,48) ghost id, then per thread 40 bits
 * (lid: 24 bits | pending id: 16 bits << 24).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MW 28
#define GW 20
#define LW 24
#define FW 40
#define BASE 48
#define MMASK ((UINT64_C(1) << MW) - 1)
#define GMASK ((UINT64_C(1) << GW) - 1)
#define LMASK ((UINT64_C(1) << LW) - 1)
#define FMASK ((UINT64_C(1) << FW) - 1)
#define ABI 3  /* proofs/native/__init__.py refuses a build whose ABI differs (a stale in-place build) */
#define MAXT 64
#define MAXW (1 + (BASE + FW * MAXT + 63) / 64)
#define CB 14
#define CHUNK (1u << CB)

/* Transition flags, as proofs/native/oracle.py returns them. */
#define T_EN 1      /* the thread is enabled */
#define T_CRASH 2   /* the step crashed the thread (no successor) */
#define T_DEP 4     /* the outcome depends on the other threads' pending ids */
#define T_GDEP 8    /* (key C) the outcome depends on the ghost: it is the outcome under this ghost */
#define T_GIND 16   /* the outcome does not read the ghost: the successor keeps the current one */

/* Transition keys: word 0 = memory | ghost << 28 | thread << 48 | kind << 56, word 1 = the thread's field,
 * then (K_B) the other threads' pending ids, 16 bits each.  The thread is its symmetry group's first member
 * (identical threads share outcomes) unless K_EXACT (an outcome with a message naming the thread). */
#define K_A 0       /* (memory, ghost, thread, field) */
#define K_B 1       /* K_A and the others' pending ids */
#define K_C 2       /* (memory, thread, field): ghost-independent outcomes, and markers T_GDEP */
#define K_EXACT 4

/* ---- allocation (PyMem_Raw*: traced by tracemalloc) ---------------------- */
static size_t g_bytes;  /* bytes currently held by the core */

static void *xrealloc(void *p, size_t old, size_t n) {
    void *q = PyMem_RawRealloc(p, n ? n : 1);
    if (q == NULL) { PyErr_NoMemory(); return NULL; }
    g_bytes += n - old;
    return q;
}
static void xfree(void *p, size_t n) { if (p) { PyMem_RawFree(p); g_bytes -= n; } }

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static inline uint64_t hash_words(const uint64_t *k, int kw) {
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(kw + 1);
    for (int i = 0; i < kw; i++) h = mix64(h ^ (k[i] + UINT64_C(0x632BE59BD9B4E019) * (uint64_t)(i + 1)));
    return h;
}

/* ---- a set of fixed-width keys, numbered in insertion order --------------- */
typedef struct {
    int kw;
    uint64_t n;
    uint64_t **chunks; size_t nchunks, capchunks;
    uint64_t *slots; uint64_t nslots;  /* 0: empty, else (hash >> 32) << 32 | (index + 1) */
} wset;

static int wset_init(wset *s, int kw) {
    memset(s, 0, sizeof *s);
    s->kw = kw;
    s->nslots = 1024;
    s->slots = xrealloc(NULL, 0, s->nslots * sizeof(uint64_t));
    if (!s->slots) return -1;
    memset(s->slots, 0, s->nslots * sizeof(uint64_t));
    return 0;
}
static void wset_free(wset *s) {
    for (size_t i = 0; i < s->nchunks; i++) xfree(s->chunks[i], (size_t)CHUNK * s->kw * 8);
    xfree(s->chunks, s->capchunks * sizeof(uint64_t *));
    xfree(s->slots, s->nslots * sizeof(uint64_t));
    memset(s, 0, sizeof *s);
}
static inline uint64_t *wset_key(const wset *s, uint64_t i) {
    return s->chunks[i >> CB] + (size_t)(i & (CHUNK - 1)) * s->kw;
}
static inline int keq(const uint64_t *a, const uint64_t *b, int kw) {
    for (int i = 0; i < kw; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}
static int64_t wset_find_h(const wset *s, const uint64_t *key, uint64_t hv) {
    uint64_t mask = s->nslots - 1, h = hv & mask, tag = hv & ~UINT64_C(0xFFFFFFFF);
    for (;;) {
        uint64_t v = s->slots[h];
        if (v == 0) return -1;
        if ((v & ~UINT64_C(0xFFFFFFFF)) == tag) {
            uint64_t i = (v & 0xFFFFFFFFu) - 1;
            if (keq(wset_key(s, i), key, s->kw)) return (int64_t)i;
        }
        h = (h + 1) & mask;
    }
}
static inline int64_t wset_find(const wset *s, const uint64_t *key) {
    return wset_find_h(s, key, hash_words(key, s->kw));
}
static int wset_grow(wset *s) {
    uint64_t ns = s->nslots * 2, mask = ns - 1;
    uint64_t *sl = xrealloc(NULL, 0, ns * sizeof(uint64_t));
    if (!sl) return -1;
    memset(sl, 0, ns * sizeof(uint64_t));
    for (uint64_t i = 0; i < s->n; i++) {
        uint64_t hv = hash_words(wset_key(s, i), s->kw), h = hv & mask;
        while (sl[h]) h = (h + 1) & mask;
        sl[h] = (hv & ~UINT64_C(0xFFFFFFFF)) | (i + 1);
    }
    xfree(s->slots, s->nslots * sizeof(uint64_t));
    s->slots = sl;
    s->nslots = ns;
    return 0;
}
/* Index of key (hash hv; added if absent; *added tells), or -1 on error. */
static int64_t wset_add_h(wset *s, const uint64_t *key, uint64_t hv, int *added) {
    int64_t i = wset_find_h(s, key, hv);
    *added = 0;
    if (i >= 0) return i;
    if (s->n >= UINT32_MAX - 1) { PyErr_SetString(PyExc_OverflowError, "more than 2**32 states"); return -1; }
    if ((s->n + 1) * 10 > s->nslots * 8 && wset_grow(s) < 0) return -1;
    if ((s->n >> CB) >= s->nchunks) {
        if (s->nchunks == s->capchunks) {
            size_t nc = s->capchunks ? s->capchunks * 2 : 16;
            uint64_t **c = xrealloc(s->chunks, s->capchunks * sizeof(uint64_t *), nc * sizeof(uint64_t *));
            if (!c) return -1;
            s->chunks = c;
            s->capchunks = nc;
        }
        uint64_t *c = xrealloc(NULL, 0, (size_t)CHUNK * s->kw * 8);
        if (!c) return -1;
        s->chunks[s->nchunks++] = c;
    }
    i = (int64_t)s->n++;
    memcpy(wset_key(s, (uint64_t)i), key, (size_t)s->kw * 8);
    uint64_t mask = s->nslots - 1, h = hv & mask;
    while (s->slots[h]) h = (h + 1) & mask;
    s->slots[h] = (hv & ~UINT64_C(0xFFFFFFFF)) | (uint64_t)(i + 1);
    *added = 1;
    return i;
}
static inline int64_t wset_add(wset *s, const uint64_t *key, int *added) {
    return wset_add_h(s, key, hash_words(key, s->kw), added);
}
static inline void wset_prefetch(const wset *s, uint64_t hv) { __builtin_prefetch(&s->slots[hv & (s->nslots - 1)]); }
static size_t wset_bytes(const wset *s) {
    return s->nchunks * (size_t)CHUNK * s->kw * 8 + s->nslots * sizeof(uint64_t) + s->capchunks * sizeof(void *);
}

/* ---- 64-bit fingerprints (hash compaction) -------------------------------- */
typedef struct { uint64_t n, nslots; uint64_t *slots; } fpset;

static int fpset_init(fpset *s) {
    s->n = 0; s->nslots = 1024;
    s->slots = xrealloc(NULL, 0, s->nslots * 8);
    if (!s->slots) return -1;
    memset(s->slots, 0, s->nslots * 8);
    return 0;
}
static void fpset_free(fpset *s) { xfree(s->slots, s->nslots * 8); s->slots = NULL; }
/* 1 if added, 0 if present, -1 on error. */
static int fpset_add(fpset *s, uint64_t fp) {
    if (fp == 0) fp = 1;
    if ((s->n + 1) * 10 > s->nslots * 8) {
        uint64_t ns = s->nslots * 2, mask = ns - 1;
        uint64_t *sl = xrealloc(NULL, 0, ns * 8);
        if (!sl) return -1;
        memset(sl, 0, ns * 8);
        for (uint64_t i = 0; i < s->nslots; i++) {
            uint64_t v = s->slots[i];
            if (!v) continue;
            uint64_t h = mix64(v) & mask;
            while (sl[h]) h = (h + 1) & mask;
            sl[h] = v;
        }
        xfree(s->slots, s->nslots * 8);
        s->slots = sl; s->nslots = ns;
    }
    uint64_t mask = s->nslots - 1, h = mix64(fp) & mask;
    while (s->slots[h]) {
        if (s->slots[h] == fp) return 0;
        h = (h + 1) & mask;
    }
    s->slots[h] = fp;
    s->n++;
    return 1;
}

/* ---- growable byte vectors ------------------------------------------------ */
typedef struct { char *p; size_t len, cap; } vec;

static int vec_reserve(vec *v, size_t extra) {
    if (v->len + extra <= v->cap) return 0;
    size_t nc = v->cap ? v->cap + v->cap / 2 : 4096;
    while (nc < v->len + extra) nc += nc / 2;
    char *p = xrealloc(v->p, v->cap, nc);
    if (!p) return -1;
    v->p = p; v->cap = nc;
    return 0;
}
static int vec_push(vec *v, const void *x, size_t n) {
    if (vec_reserve(v, n) < 0) return -1;
    memcpy(v->p + v->len, x, n);
    v->len += n;
    return 0;
}
static void vec_free(vec *v) { xfree(v->p, v->cap); memset(v, 0, sizeof *v); }

/* ---- the transition table's values ---------------------------------------- */
typedef struct {
    uint64_t f2;        /* the thread's new field */
    uint32_t m2, g2;    /* new memory id, ghost id */
    uint32_t fp;        /* plain-access footprint id (0: none) */
    uint32_t flags;     /* T_EN, T_CRASH, T_DEP, T_GDEP, T_GIND */
    int t;              /* the thread it was computed for (messages name it) */
    PyObject *problems; /* list of (property, message), or NULL */
} tval;

/* ---- the search ----------------------------------------------------------- */
typedef struct {
    int n, W, KT;                 /* threads, words per state, words per transition key */
    int group_of[MAXT];           /* index into groups, or -1 */
    int ngroups, glen[MAXT], gmem[MAXT][MAXT];
    PyObject *fill, *lid_info, *state_check, *terminal, *racy, *races, *record, *stuck, *progress;
    wset states;                  /* full mode: the visited set and the frontier */
    fpset fps;                    /* compact mode: fingerprints */
    vec cur, nxt;                 /* compact mode: the current and next levels' states */
    int compact;
    vec parent, move;             /* uint32, uint8 per state */
    uint64_t nstates;
    wset trans; vec tvals;        /* the transition table */
    wset scheck; vec scval;       /* (mem id * 64 + in-flight) -> has violations */
    wset term;                    /* (mem id, ghost id) of terminal states seen */
    wset rpair; vec rpval;        /* footprint pairs -> racy */
    vec lidf;                     /* per lid: 1 finished, 2 started, 4 known */
    uint64_t fills, transitions, terminal_states;
    vec *emit_states, *emit_parents, *emit_moves;  /* Expander: successors go here instead of the visited set */
    uint64_t emit_idx0;
} core;

static void core_free(core *c) {
    for (uint64_t i = 0; i < c->trans.n; i++) Py_XDECREF(((tval *)c->tvals.p)[i].problems);
    if (c->compact) { fpset_free(&c->fps); vec_free(&c->cur); vec_free(&c->nxt); }
    else wset_free(&c->states);
    vec_free(&c->parent); vec_free(&c->move);
    wset_free(&c->trans); vec_free(&c->tvals);
    wset_free(&c->scheck); vec_free(&c->scval);
    wset_free(&c->term);
    wset_free(&c->rpair); vec_free(&c->rpval);
    vec_free(&c->lidf);
    Py_XDECREF(c->fill); Py_XDECREF(c->lid_info); Py_XDECREF(c->state_check); Py_XDECREF(c->terminal);
    Py_XDECREF(c->racy); Py_XDECREF(c->races); Py_XDECREF(c->record); Py_XDECREF(c->stuck);
    Py_XDECREF(c->progress);
}

static void encode(const core *c, uint64_t m, uint64_t g, const uint64_t *f, uint64_t *w) {
    memset(w, 0, (size_t)c->W * 8);
    w[0] = m | (g << MW);
    for (int t = 0; t < c->n; t++) {
        unsigned pos = BASE + FW * (unsigned)t, i = pos >> 6, o = pos & 63;
        w[i] |= f[t] << o;
        if (o + FW > 64) w[i + 1] |= f[t] >> (64 - o);
    }
}
static void decode(const core *c, const uint64_t *w, uint64_t *m, uint64_t *g, uint64_t *f) {
    *m = w[0] & MMASK;
    *g = (w[0] >> MW) & GMASK;
    for (int t = 0; t < c->n; t++) {
        unsigned pos = BASE + FW * (unsigned)t, i = pos >> 6, o = pos & 63;
        uint64_t v = w[i] >> o;
        if (o + FW > 64) v |= w[i + 1] << (64 - o);
        f[t] = v & FMASK;
    }
}

static int lid_flags(core *c, uint64_t lid, uint8_t *out) {
    if (lid < c->lidf.len && (c->lidf.p[lid] & 4)) { *out = (uint8_t)c->lidf.p[lid]; return 0; }
    if (lid >= c->lidf.len) {
        size_t add = lid + 1 - c->lidf.len;
        if (vec_reserve(&c->lidf, add) < 0) return -1;
        memset(c->lidf.p + c->lidf.len, 0, add);
        c->lidf.len = lid + 1;
    }
    PyObject *r = PyObject_CallFunction(c->lid_info, "K", (unsigned long long)lid);
    if (!r) return -1;
    long v = PyLong_AsLong(r);
    Py_DECREF(r);
    if (v == -1 && PyErr_Occurred()) return -1;
    c->lidf.p[lid] = (char)((v & 3) | 4);
    *out = (uint8_t)c->lidf.p[lid];
    return 0;
}

/* Store a new state (hash hv; successor of parent by move); returns 1 new, 0 seen, -1 error. */
static int add_state(core *c, const uint64_t *w, uint64_t hv, int64_t parent, int move) {
    int added;
    if (c->compact) {
        added = fpset_add(&c->fps, hv);
        if (added < 0) return -1;
        if (added && vec_push(&c->nxt, w, (size_t)c->W * 8) < 0) return -1;
    } else {
        if (wset_add_h(&c->states, w, hv, &added) < 0) return -1;
    }
    if (!added) return 0;
    uint32_t p = (uint32_t)parent;
    uint8_t mv = (uint8_t)move;
    if (vec_push(&c->parent, &p, 4) < 0 || vec_push(&c->move, &mv, 1) < 0) return -1;
    c->nstates++;
    return 1;
}

static int store_tval(core *c, const uint64_t *key, PyObject *r, int t) {
    /* r = (flags, m2, g2, f2, fp, problems or None) */
    tval v;
    unsigned long long flags, m2, g2, f2, fp;
    PyObject *problems;
    if (!PyArg_ParseTuple(r, "KKKKKO", &flags, &m2, &g2, &f2, &fp, &problems)) return -1;
    v.flags = (uint32_t)flags; v.m2 = (uint32_t)m2; v.g2 = (uint32_t)g2; v.f2 = f2; v.fp = (uint32_t)fp;
    v.t = t;
    v.problems = problems == Py_None ? NULL : problems;
    int added;
    if (wset_add(&c->trans, key, &added) < 0) return -1;
    if (vec_push(&c->tvals, &v, sizeof v) < 0) return -1;
    Py_XINCREF(v.problems);
    return 0;
}

static void make_key(const core *c, uint64_t *key, int kind, uint64_t m, uint64_t g, int t, const uint64_t *f) {
    int tk = (kind & K_EXACT) || c->group_of[t] < 0 ? t : c->gmem[c->group_of[t]][0];
    memset(key, 0, (size_t)c->KT * 8);
    key[0] = m | ((kind & K_C) ? 0 : g << MW) | ((uint64_t)tk << BASE) | ((uint64_t)kind << 56);
    key[1] = f[t];
    if (kind & K_B) {
        int j = 0;
        for (int u = 0; u < c->n; u++) {
            if (u == t) continue;
            unsigned pos = 16 * (unsigned)j++;
            key[2 + (pos >> 6)] |= (f[u] >> LW) << (pos & 63);
        }
    }
}

/* The outcome of thread t's step under key ``kind``, asking Python if the table does not have it yet.
 * NULL with an exception set on error.  The pointer is valid until the next call. */
static tval *transition(core *c, int kind, uint64_t m, uint64_t g, int t, const uint64_t *f, PyObject **pends) {
    uint64_t key[MAXW];
    make_key(c, key, kind, m, g, t, f);
    int64_t i = wset_find(&c->trans, key);
    if (i >= 0) return &((tval *)c->tvals.p)[i];
    if (*pends == NULL) {
        *pends = PyTuple_New(c->n);
        if (!*pends) return NULL;
        for (int u = 0; u < c->n; u++) {
            PyObject *x = PyLong_FromUnsignedLongLong(f[u] >> LW);
            if (!x) return NULL;
            PyTuple_SET_ITEM(*pends, u, x);
        }
    }
    PyObject *r = PyObject_CallFunction(c->fill, "KKiKOO", (unsigned long long)m, (unsigned long long)g, t,
                                        (unsigned long long)f[t], *pends, (kind & K_C) ? Py_True : Py_False);
    if (!r) return NULL;
    c->fills++;
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 6) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "fill() must return a 6-tuple");
        return NULL;
    }
    unsigned long long flags = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(r, 0));
    if (PyErr_Occurred()) { Py_DECREF(r); return NULL; }
    if ((kind & K_C) && (flags & T_GDEP)) {
        /* The step reads the ghost: a marker under key C, the outcome (under this ghost) under key A. */
        PyObject *marker = Py_BuildValue("(KKKKKO)", (unsigned long long)T_GDEP, 0ULL, 0ULL, 0ULL, 0ULL, Py_None);
        int bad = marker == NULL || store_tval(c, key, marker, t) < 0;
        Py_XDECREF(marker);
        if (bad) { Py_DECREF(r); return NULL; }
        kind &= ~K_C;
        make_key(c, key, kind, m, g, t, f);
    }
    if (!(kind & (K_B | K_C)) && (flags & T_DEP)) {
        /* Key A says "ask again with the others' pending ids"; the outcome goes under key B. */
        PyObject *marker = Py_BuildValue("(KKKKKO)", (unsigned long long)(T_EN | T_DEP), 0ULL, 0ULL, 0ULL, 0ULL,
                                         Py_None);
        int bad = marker == NULL || store_tval(c, key, marker, t) < 0;
        Py_XDECREF(marker);
        if (bad) { Py_DECREF(r); return NULL; }
        make_key(c, key, kind | K_B, m, g, t, f);
    }
    int bad = store_tval(c, key, r, t) < 0;
    Py_DECREF(r);
    if (bad) return NULL;
    return &((tval *)c->tvals.p)[c->trans.n - 1];
}

static int call_void(PyObject *fn, PyObject *args) {
    if (!args) return -1;
    PyObject *r = PyObject_CallObject(fn, args);
    Py_DECREF(args);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

static int state_check(core *c, uint64_t m, int inflight, uint64_t idx, int depth) {
    uint64_t key = m * 64 + (uint64_t)(inflight < 63 ? inflight : 63);
    int64_t i = wset_find(&c->scheck, &key);
    if (i >= 0 && !c->scval.p[i]) return 0;
    PyObject *r = PyObject_CallFunction(c->state_check, "KiKi", (unsigned long long)m, inflight,
                                        (unsigned long long)idx, depth);
    if (!r) return -1;
    int has = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (has < 0) return -1;
    if (i < 0) {
        int added;
        char v = (char)has;
        if (wset_add(&c->scheck, &key, &added) < 0 || vec_push(&c->scval, &v, 1) < 0) return -1;
    }
    return 0;
}

static int pair_racy(core *c, uint32_t a, uint32_t b) {
    uint64_t key = a < b ? ((uint64_t)a << 32) | b : ((uint64_t)b << 32) | a;
    int64_t i = wset_find(&c->rpair, &key);
    if (i >= 0) return c->rpval.p[i];
    PyObject *r = PyObject_CallFunction(c->racy, "II", a, b);
    if (!r) return -1;
    int v = PyObject_IsTrue(r);
    Py_DECREF(r);
    if (v < 0) return -1;
    int added;
    char cv = (char)v;
    if (wset_add(&c->rpair, &key, &added) < 0 || vec_push(&c->rpval, &cv, 1) < 0) return -1;
    return v;
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Expand one state; returns 0, or -1 on error. */
static int expand(core *c, const uint64_t *w, uint64_t idx, int depth) {
    uint64_t m, g, f[MAXT], f2[MAXT], succ[MAXT][MAXW], hs[MAXT];
    int smove[MAXT], nsucc = 0;
    uint8_t lf[MAXT];
    decode(c, w, &m, &g, f);
    int inflight = 0;
    for (int t = 0; t < c->n; t++) {
        if (lid_flags(c, f[t] & LMASK, &lf[t]) < 0) return -1;
        if (lf[t] & 2) inflight++;
    }
    for (int t = 0; t < c->n; t++) {
        if (lf[t] & 1) continue;
        uint64_t key[MAXW];
        make_key(c, key, K_C, m, g, t, f);
        wset_prefetch(&c->trans, hash_words(key, c->KT));
    }
    if (state_check(c, m, inflight, idx, depth) < 0) return -1;
    PyObject *pends = NULL;
    int moved = 0, unfinished = 0, nplain = 0, rc = -1;
    int pt[MAXT];
    uint32_t pf[MAXT];
    for (int t = 0; t < c->n; t++) {
        if (lf[t] & 1) continue;
        unfinished++;
        tval *v = transition(c, K_C, m, g, t, f, &pends);
        if (v && (v->flags & T_GDEP)) v = transition(c, K_A, m, g, t, f, &pends);
        if (!v) goto done;
        if (!(v->flags & T_EN)) continue;
        moved++;
        int gi = c->group_of[t];
        if (gi >= 0) {
            /* An identical thread in the same local state before t: moving t gives a symmetric state. */
            int dup = -1;
            for (int k = 0; k < c->glen[gi]; k++) {
                int p = c->gmem[gi][k];
                if (p >= t) break;
                if (f[p] == f[t]) { dup = p; break; }
            }
            if (dup >= 0) {
                for (int k = 0; k < nplain; k++) {
                    if (pt[k] == dup) { pt[nplain] = t; pf[nplain] = pf[k]; nplain++; break; }
                }
                continue;
            }
        }
        if (v->flags & T_DEP) v = transition(c, K_B, m, g, t, f, &pends);
        if (v && v->problems && v->t != t)  /* its messages name another thread of the group */
            v = transition(c, K_EXACT | ((v->flags & T_DEP) ? K_B : K_A), m, g, t, f, &pends);
        if (!v) goto done;
        c->transitions++;
        if (v->fp) { pt[nplain] = t; pf[nplain] = v->fp; nplain++; }
        if (v->problems && call_void(c->record, Py_BuildValue("(OKii)", v->problems, (unsigned long long)idx, t,
                                                             depth)) < 0) goto done;
        if (v->flags & T_CRASH) continue;
        memcpy(f2, f, (size_t)c->n * 8);
        f2[t] = v->f2;
        if (gi >= 0) {
            /* Canonical order within the group: its fields sorted (insertion sort, groups are small). */
            int len = c->glen[gi];
            uint64_t vals[MAXT];
            for (int k = 0; k < len; k++) vals[k] = f2[c->gmem[gi][k]];
            for (int a = 1; a < len; a++) {
                uint64_t x = vals[a];
                int b = a - 1;
                while (b >= 0 && vals[b] > x) { vals[b + 1] = vals[b]; b--; }
                vals[b + 1] = x;
            }
            for (int k = 0; k < len; k++) f2[c->gmem[gi][k]] = vals[k];
        }
        /* Successors are stored after the loop, in thread order, their slots prefetched meanwhile. */
        encode(c, v->m2, (v->flags & T_GIND) ? g : v->g2, f2, succ[nsucc]);
        hs[nsucc] = hash_words(succ[nsucc], c->W);
        if (c->emit_states) ;
        else if (c->compact) __builtin_prefetch(&c->fps.slots[mix64(hs[nsucc] ? hs[nsucc] : 1) & (c->fps.nslots - 1)]);
        else wset_prefetch(&c->states, hs[nsucc]);
        smove[nsucc++] = t;
    }
    if (!c->compact && !c->emit_states) {
        /* Then the keys their home slots point at (most successors were seen before: the key compare). */
        for (int k = 0; k < nsucc; k++) {
            uint64_t sv = c->states.slots[hs[k] & (c->states.nslots - 1)];
            if (sv && (sv & ~UINT64_C(0xFFFFFFFF)) == (hs[k] & ~UINT64_C(0xFFFFFFFF)))
                __builtin_prefetch(wset_key(&c->states, (sv & 0xFFFFFFFFu) - 1));
        }
    }
    for (int k = 0; k < nsucc; k++) {
        if (c->emit_states) {
            uint32_t pos = (uint32_t)(idx - c->emit_idx0);
            uint8_t mv = (uint8_t)smove[k];
            if (vec_push(c->emit_states, succ[k], (size_t)c->W * 8) < 0 || vec_push(c->emit_parents, &pos, 4) < 0 ||
                vec_push(c->emit_moves, &mv, 1) < 0) goto done;
        } else if (add_state(c, succ[k], hs[k], (int64_t)idx, smove[k]) < 0) goto done;
    }
    if (nplain > 1) {
        int any = 0;
        for (int a = 0; a < nplain && !any; a++)
            for (int b = a + 1; b < nplain && !any; b++) {
                int r = pair_racy(c, pf[a], pf[b]);
                if (r < 0) goto done;
                any = r;
            }
        if (any) {
            PyObject *lst = PyList_New(nplain);
            if (!lst) goto done;
            for (int k = 0; k < nplain; k++) {
                PyObject *e = Py_BuildValue("(iI)", pt[k], pf[k]);
                if (!e) { Py_DECREF(lst); goto done; }
                PyList_SET_ITEM(lst, k, e);
            }
            if (call_void(c->races, Py_BuildValue("(NKKi)", lst, (unsigned long long)m, (unsigned long long)idx,
                                                  depth)) < 0) goto done;
        }
    }
    if (unfinished == 0) {
        c->terminal_states++;
        uint64_t key = m | (g << MW);
        int added;
        if (wset_add(&c->term, &key, &added) < 0) goto done;
        if (added && call_void(c->terminal, Py_BuildValue("(KKKi)", (unsigned long long)m, (unsigned long long)g,
                                                          (unsigned long long)idx, depth)) < 0) goto done;
    } else if (moved == 0) {
        PyObject *lst = PyList_New(0);
        if (!lst) goto done;
        for (int t = 0; t < c->n; t++) {
            if (lf[t] & 1) continue;
            PyObject *x = PyLong_FromLong(t);
            if (!x || PyList_Append(lst, x) < 0) { Py_XDECREF(x); Py_DECREF(lst); goto done; }
            Py_DECREF(x);
        }
        if (call_void(c->stuck, Py_BuildValue("(NKi)", lst, (unsigned long long)idx, depth)) < 0) goto done;
    }
    rc = 0;
done:
    Py_XDECREF(pends);
    return rc;
}

static PyObject *getcb(PyObject *oracle, const char *name, int optional) {
    PyObject *r = PyObject_GetAttrString(oracle, name);
    if (!r && optional) { PyErr_Clear(); Py_RETURN_NONE; }
    return r;
}

/* The core's shape and callbacks (c->n set); -1 with an exception set on error (then core_free). */
static int core_setup(core *c, PyObject *oracle, PyObject *groups, int compact) {
    c->W = (BASE + FW * c->n + 63) / 64;
    c->KT = 2 + (16 * (c->n - 1) + 63) / 64;
    c->compact = compact;
    for (int t = 0; t < c->n; t++) c->group_of[t] = -1;
    PyObject *gs = PySequence_Fast(groups, "groups must be a sequence");
    if (!gs) return -1;
    c->ngroups = (int)PySequence_Fast_GET_SIZE(gs);
    for (int i = 0; i < c->ngroups && i < MAXT; i++) {
        PyObject *gr = PySequence_Fast(PySequence_Fast_GET_ITEM(gs, i), "a group must be a sequence");
        if (!gr) { Py_DECREF(gs); return -1; }
        c->glen[i] = (int)PySequence_Fast_GET_SIZE(gr);
        for (int k = 0; k < c->glen[i] && k < MAXT; k++) {
            long t = PyLong_AsLong(PySequence_Fast_GET_ITEM(gr, k));
            if (t < 0 || t >= c->n) {
                Py_DECREF(gr); Py_DECREF(gs);
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad thread in a symmetry group");
                return -1;
            }
            c->gmem[i][k] = (int)t;
            c->group_of[t] = i;
        }
        Py_DECREF(gr);
    }
    Py_DECREF(gs);
    if (!(c->fill = getcb(oracle, "fill", 0)) || !(c->lid_info = getcb(oracle, "lid_info", 0)) ||
        !(c->state_check = getcb(oracle, "state_check", 0)) || !(c->terminal = getcb(oracle, "terminal", 0)) ||
        !(c->racy = getcb(oracle, "racy", 0)) || !(c->races = getcb(oracle, "races", 0)) ||
        !(c->record = getcb(oracle, "record", 0)) || !(c->stuck = getcb(oracle, "stuck", 0)) ||
        !(c->progress = getcb(oracle, "progress", 1))) { return -1; }
    if ((compact ? fpset_init(&c->fps) : wset_init(&c->states, c->W)) < 0 || wset_init(&c->trans, c->KT) < 0 ||
        wset_init(&c->scheck, 1) < 0 || wset_init(&c->term, 1) < 0 || wset_init(&c->rpair, 1) < 0) return -1;
    return 0;
}

static PyObject *search(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"oracle", "groups", "m0", "g0", "fields0", "max_states", "compact",
                             "progress_every", NULL};
    PyObject *oracle, *groups, *fields0;
    unsigned long long m0, g0, max_states = 0;
    int compact = 0;
    double progress_every = 0.25;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOKKO|Kpd", kwlist, &oracle, &groups, &m0, &g0, &fields0,
                                     &max_states, &compact, &progress_every)) return NULL;
    core c;
    memset(&c, 0, sizeof c);
    PyObject *seq = PySequence_Fast(fields0, "fields0 must be a sequence");
    if (!seq) return NULL;
    c.n = (int)PySequence_Fast_GET_SIZE(seq);
    if (c.n < 1 || c.n > MAXT) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "the compiled core handles 1 to %d threads, not %d", MAXT, c.n);
        return NULL;
    }
    uint64_t f0[MAXT];
    for (int t = 0; t < c.n; t++) {
        f0[t] = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(seq, t));
        if (PyErr_Occurred()) { Py_DECREF(seq); return NULL; }
    }
    Py_DECREF(seq);
    if (core_setup(&c, oracle, groups, compact) < 0) { core_free(&c); return NULL; }
    PyObject *result = NULL;
    uint64_t w[MAXW];
    encode(&c, m0, g0, f0, w);
    if (add_state(&c, w, hash_words(w, c.W), -1, -1) < 0) goto out;
    int depth = 0, max_depth = 0, budget_hit = 0;
    uint64_t level_start = 0, level_end = 1;
    double t0 = now_mono(), last = t0;
    size_t peak_state_bytes = 0;
    while (level_start < level_end) {
        max_depth = depth;
        if (compact) { vec tmp = c.cur; c.cur = c.nxt; c.nxt = tmp; c.nxt.len = 0; }
        for (uint64_t idx = level_start; idx < level_end; idx++) {
            const uint64_t *sw = compact ? (const uint64_t *)c.cur.p + (idx - level_start) * (uint64_t)c.W
                                         : wset_key(&c.states, idx);
            memcpy(w, sw, (size_t)c.W * 8);
            if (expand(&c, w, idx, depth) < 0) goto out;
            if ((idx & 4095) == 0 && PyErr_CheckSignals() < 0) goto out;  /* Ctrl-C between Python calls */
            if (max_states && c.nstates >= max_states) { budget_hit = 1; break; }
            if (c.progress != Py_None && (idx & 1023) == 0) {
                double now = now_mono();
                if (now - last >= progress_every) {
                    last = now;
                    if (call_void(c.progress, Py_BuildValue("(KKKid)", (unsigned long long)c.nstates,
                                                            (unsigned long long)c.transitions,
                                                            (unsigned long long)(c.nstates - idx), depth,
                                                            now - t0)) < 0) goto out;
                }
            }
        }
        if (compact) {
            size_t sb = c.fps.nslots * 8 + c.parent.cap + c.move.cap + c.cur.cap + c.nxt.cap;
            if (sb > peak_state_bytes) peak_state_bytes = sb;
        }
        if (budget_hit) break;
        level_start = level_end;
        level_end = c.nstates;
        depth++;
    }
    {
        size_t state_bytes = compact ? c.fps.nslots * 8 + c.parent.cap + c.move.cap + c.cur.cap + c.nxt.cap
                                     : wset_bytes(&c.states) + c.parent.cap + c.move.cap;
        size_t table_bytes = wset_bytes(&c.trans) + c.tvals.cap;
        PyObject *parent = PyBytes_FromStringAndSize(c.parent.p, (Py_ssize_t)c.parent.len);
        PyObject *move = PyBytes_FromStringAndSize(c.move.p, (Py_ssize_t)c.move.len);
        if (parent && move)
            result = Py_BuildValue("{s:K,s:K,s:i,s:K,s:O,s:N,s:N,s:K,s:K,s:K,s:K,s:K,s:i}",
                                   "states", (unsigned long long)c.nstates,
                                   "transitions", (unsigned long long)c.transitions, "max_depth", max_depth,
                                   "terminal_states", (unsigned long long)c.terminal_states,
                                   "complete", budget_hit ? Py_False : Py_True, "parent", parent, "move", move,
                                   "state_bytes", (unsigned long long)state_bytes,
                                   "peak_state_bytes", (unsigned long long)(peak_state_bytes > state_bytes
                                                                            ? peak_state_bytes : state_bytes),
                                   "table_bytes", (unsigned long long)table_bytes,
                                   "table_entries", (unsigned long long)c.trans.n,
                                   "fills", (unsigned long long)c.fills, "words_per_state", c.W);
        else { Py_XDECREF(parent); Py_XDECREF(move); }
    }
out:
    core_free(&c);
    return result;
}

/* ---- Expander: the core's expansion for a caller that keeps its own visited set (a worker process) ---- */
typedef struct {
    PyObject_HEAD
    core c;
    int ready;
} Expander;

static void Expander_dealloc(Expander *self) {
    if (self->ready) core_free(&self->c);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Expander_init(Expander *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"oracle", "groups", "nthreads", NULL};
    PyObject *oracle, *groups;
    int n;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOi", kwlist, &oracle, &groups, &n)) return -1;
    if (self->ready) { core_free(&self->c); self->ready = 0; }
    memset(&self->c, 0, sizeof self->c);
    if (n < 1 || n > MAXT) {
        PyErr_Format(PyExc_ValueError, "the compiled core handles 1 to %d threads, not %d", MAXT, n);
        return -1;
    }
    self->c.n = n;
    self->ready = 1;
    return core_setup(&self->c, oracle, groups, 0);
}

static PyObject *Expander_expand(Expander *self, PyObject *args) {
    Py_buffer buf;
    unsigned long long idx0;
    int depth;
    if (!self->ready) { PyErr_SetString(PyExc_RuntimeError, "Expander not initialised"); return NULL; }
    if (!PyArg_ParseTuple(args, "y*Ki", &buf, &idx0, &depth)) return NULL;
    core *c = &self->c;
    size_t sw = (size_t)c->W * 8;
    if (buf.len % (Py_ssize_t)sw) {
        PyBuffer_Release(&buf);
        PyErr_Format(PyExc_ValueError, "states must be a multiple of %zu bytes", sw);
        return NULL;
    }
    vec out = {0}, par = {0}, mv = {0};
    c->emit_states = &out; c->emit_parents = &par; c->emit_moves = &mv; c->emit_idx0 = idx0;
    uint64_t w[MAXW], n = (uint64_t)buf.len / sw;
    int bad = 0;
    for (uint64_t i = 0; i < n && !bad; i++) {
        memcpy(w, (const char *)buf.buf + i * sw, sw);
        bad = expand(c, w, idx0 + i, depth) < 0 || ((i & 4095) == 0 && PyErr_CheckSignals() < 0);
    }
    c->emit_states = c->emit_parents = c->emit_moves = NULL;
    PyBuffer_Release(&buf);
    PyObject *r = bad ? NULL : Py_BuildValue("(y#y#y#)", out.p ? out.p : "", (Py_ssize_t)out.len,
                                             par.p ? par.p : "", (Py_ssize_t)par.len, mv.p ? mv.p : "",
                                             (Py_ssize_t)mv.len);
    vec_free(&out); vec_free(&par); vec_free(&mv);
    return r;
}

static PyObject *Expander_pack(Expander *self, PyObject *args) {
    unsigned long long m, g;
    PyObject *fields;
    if (!self->ready) { PyErr_SetString(PyExc_RuntimeError, "Expander not initialised"); return NULL; }
    if (!PyArg_ParseTuple(args, "KKO", &m, &g, &fields)) return NULL;
    PyObject *seq = PySequence_Fast(fields, "fields must be a sequence");
    if (!seq) return NULL;
    if (PySequence_Fast_GET_SIZE(seq) != self->c.n) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%d fields expected", self->c.n);
        return NULL;
    }
    uint64_t f[MAXT], w[MAXW];
    for (int t = 0; t < self->c.n; t++) {
        f[t] = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(seq, t)) & FMASK;
        if (PyErr_Occurred()) { Py_DECREF(seq); return NULL; }
    }
    Py_DECREF(seq);
    encode(&self->c, m & MMASK, g & GMASK, f, w);
    return PyBytes_FromStringAndSize((const char *)w, (Py_ssize_t)self->c.W * 8);
}

static PyObject *Expander_unpack(Expander *self, PyObject *args) {
    Py_buffer buf;
    if (!self->ready) { PyErr_SetString(PyExc_RuntimeError, "Expander not initialised"); return NULL; }
    if (!PyArg_ParseTuple(args, "y*", &buf)) return NULL;
    if (buf.len != (Py_ssize_t)self->c.W * 8) {
        PyBuffer_Release(&buf);
        PyErr_Format(PyExc_ValueError, "a state is %d bytes", self->c.W * 8);
        return NULL;
    }
    uint64_t w[MAXW], m, g, f[MAXT];
    memcpy(w, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    decode(&self->c, w, &m, &g, f);
    PyObject *fl = PyList_New(self->c.n);
    if (!fl) return NULL;
    for (int t = 0; t < self->c.n; t++) {
        PyObject *x = PyLong_FromUnsignedLongLong(f[t]);
        if (!x) { Py_DECREF(fl); return NULL; }
        PyList_SET_ITEM(fl, t, x);
    }
    return Py_BuildValue("(KKN)", (unsigned long long)m, (unsigned long long)g, fl);
}

static PyObject *Expander_stats(Expander *self, PyObject *Py_UNUSED(ignored)) {
    core *c = &self->c;
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:i}", "transitions", (unsigned long long)c->transitions,
                         "terminal_states", (unsigned long long)c->terminal_states,
                         "fills", (unsigned long long)c->fills, "table_entries", (unsigned long long)c->trans.n,
                         "table_bytes", (unsigned long long)(wset_bytes(&c->trans) + c->tvals.cap),
                         "words_per_state", c->W);
}

static PyMethodDef Expander_methods[] = {
    {"expand", (PyCFunction)Expander_expand, METH_VARARGS,
     "expand(states, idx0, depth) -> (successors, parents, moves)\n"
     "Expand packed states (state i has index idx0 + i for the oracle's records): every check of the search,\n"
     "and the canonical successors in order, with the position of their parent in ``states`` (uint32) and\n"
     "the move (uint8). No visited set: the caller keeps its own."},
    {"pack", (PyCFunction)Expander_pack, METH_VARARGS, "pack(m, g, fields) -> bytes: one packed state"},
    {"unpack", (PyCFunction)Expander_unpack, METH_VARARGS, "unpack(state) -> (m, g, fields)"},
    {"stats", (PyCFunction)Expander_stats, METH_NOARGS, "transitions, terminal states, fills, table size"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ExpanderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "proofs.native._searchcore.Expander",
    .tp_basicsize = sizeof(Expander),
    .tp_dealloc = (destructor)Expander_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Expander(oracle, groups, nthreads): the compiled core's expansion, its transition table kept "
              "across calls",
    .tp_methods = Expander_methods,
    .tp_init = (initproc)Expander_init,
    .tp_new = PyType_GenericNew,
};

static PyMethodDef methods[] = {
    {"search", (PyCFunction)(void (*)(void))search, METH_VARARGS | METH_KEYWORDS,
     "search(oracle, groups, m0, g0, fields0, max_states=0, compact=False, progress_every=0.25) -> dict\n"
     "Breadth-first search over packed states; the oracle answers every model question."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_searchcore",
                                    "The explorer's compiled search core (proofs/native).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__searchcore(void) {
    if (PyType_Ready(&ExpanderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moddef);
    if (m && PyModule_AddObjectRef(m, "Expander", (PyObject *)&ExpanderType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    if (m && (PyModule_AddIntConstant(m, "T_EN", T_EN) < 0 || PyModule_AddIntConstant(m, "T_CRASH", T_CRASH) < 0 ||
              PyModule_AddIntConstant(m, "T_DEP", T_DEP) < 0 ||
              PyModule_AddIntConstant(m, "T_GDEP", T_GDEP) < 0 || PyModule_AddIntConstant(m, "T_GIND", T_GIND) < 0 || PyModule_AddIntConstant(m, "MAX_THREADS", MAXT) < 0 ||
              PyModule_AddIntConstant(m, "ABI", ABI) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
