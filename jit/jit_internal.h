/*
 * jit_internal.h — what the cell compiler's files share: the program's items, a parsed cell,
 * the Jit itself, and the small string builder every file uses. Never included by front ends.
 */
#ifndef CTORCH_JIT_INTERNAL_H
#define CTORCH_JIT_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "jit.h"

struct TCCState;
typedef struct PreludeCache PreludeCache;

/* TinyCC's own headers and libtcc1.a (Debian's libtcc-dev). */
extern const char TCC_LIB_DIR[];

/* ---- strings (strbuf.c) ---- */

/* A growing, always NUL-terminated string. Zero-initialised is empty. */
typedef struct StrBuf {
    char *s;
    size_t len, cap;
} StrBuf;

void sb_add(StrBuf *b, const char *data, size_t len);
void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string (malloc'd, never NULL); b is empty afterwards. */
char *sb_take(StrBuf *b);
void sb_free(StrBuf *b);
/* A malloc'd copy of len bytes of s, NUL-terminated; dies on out of memory. */
char *jit_strndup(const char *s, size_t len);
char *jit_strdup(const char *s);
/* malloc/realloc that raise OutOfMemory instead of returning NULL. */
void *jit_xmalloc(size_t n);
void *jit_xrealloc(void *p, size_t n);

/* ---- items: what a cell defines (split.c) ---- */

typedef enum ItemKind {
    ITEM_INCLUDE,   /* #include */
    ITEM_MACRO,     /* #define or #undef */
    ITEM_RAW,       /* other file-scope text kept as is (#if blocks, #pragma, forward decls) */
    ITEM_TYPE,      /* typedef, struct/union/enum definition */
    ITEM_FUNCTION,  /* function definition */
    ITEM_PROTOTYPE, /* function declaration without a body */
    ITEM_GLOBAL,    /* global variable (its initialiser runs with the cell's statements) */
    ITEM_EXTERN,    /* extern declaration written by the user */
    ITEM_STATEMENT, /* code that runs in the cell's body */
    ITEM_RESULT,    /* the final expression without ';', displayed */
} ItemKind;

/* The prefix of the assembler labels placed before each statement of a cell's functions:
   "__ct_ln_<line>_<k>" marks where line <line> of the cell starts. */
#define JIT_LINE_MARK "__ct_ln_"

/* C's name spaces, plus macros: a name redefined in the same space replaces the old item. */
typedef enum KeySpace { KEY_ORDINARY, KEY_TAG, KEY_MACRO } KeySpace;

typedef struct ItemKey {
    KeySpace space;
    char *name;
} ItemKey;

typedef struct Item {
    ItemKind kind;
    int cell_no;    /* the In[n] it came from */
    int line;       /* its first line in that cell (1-based) */
    char *text;     /* what the defining cell compiles (file scope or body) */
    char *marked;   /* ITEM_FUNCTION: text with line markers (JIT_LINE_MARK), or NULL */
    char *prelude;  /* what later cells see, or NULL */
    char *init;     /* ITEM_GLOBAL: statement run in the body to initialise it, or NULL */
    char *name;     /* the main name (functions, globals, types, macros), or NULL */
    char *type;     /* ITEM_GLOBAL: its type as text ("Tensor *"); ITEM_FUNCTION: return type */
    ItemKey *keys;  /* the names it defines */
    int nkeys;
    char **uses;    /* identifiers its text mentions (for ordering the prelude) */
    int nuses;
    /* ITEM_TYPE of a struct or union with a body: how to spell the type, and its fields */
    char *struct_name;
    char **fields;
    char **field_types;
    int nfields;
    void *addr;     /* ITEM_FUNCTION / ITEM_GLOBAL once relocated */
    bool joins;     /* ITEM_STATEMENT continuing the one before (T_TRY { } T_CATCH(e) { }) */
} Item;

/* A cell split into items, in source order. */
typedef struct Cell {
    Item *items;
    int n;
} Cell;

/* Names the splitter needs to tell `a * b;` (an expression) from a declaration: true when name
   is a variable or function the program knows. */
typedef bool (*JitIsValue)(void *ctx, const char *name);

/* Splits code into items. Never fails: text it cannot classify becomes statements, and the
   compiler reports what is wrong with it. */
void split_cell(const char *code, int cell_no, JitIsValue is_value, void *ctx, Cell *out);
/* Splits a header's declarations (inside include guards and extern "C" blocks too). */
void split_header(const char *src, Cell *out);
void cell_free(Cell *c);
void item_free(Item *it);
/* A deep copy of an item. */
Item item_copy(const Item *it);
/* Whether two items share a key (so the later replaces the earlier). */
bool item_keys_overlap(const Item *a, const Item *b);
/* A copy of src (malloc'd, same length and offsets) in which designated-initialiser
   arguments (`f(x, .lr = 0.1)`, ctorch's options idiom) read as expressions to tree-sitter
   (options.c). */
char *mask_options(const char *src, size_t n);
/* text (a function definition starting at byte base of src) with a line marker before each
   statement of body, its block (a TSNode *: tree-sitter's node type has no tag to declare
   here) (marks.c); NULL when it has none. *counter numbers the markers of one cell. */
char *marks_insert(const char *src, const void *body, uint32_t base, const char *text,
                   int *counter);
/* The source of the tree-sitter C grammar's parser, linked from the generated parser.c. */
const struct TSLanguage *tree_sitter_c(void);

/* How a cell's final expression is compiled: displayed knowing the cells' struct types, also
   ctorch.h's (a longer _Generic, tried when the first does not compile), or only run. */
typedef enum ResultMode { RESULT_DISPLAY, RESULT_DISPLAY_ALL, RESULT_DISCARD } ResultMode;

typedef struct RerunEntry RerunEntry;
typedef struct RerunCache RerunCache;

/* A compiled, relocated cell: its entry point, or NULL with diagnostics in res. */
typedef struct Compiled {
    void (*entry)(void);
    struct TCCState *state;   /* kept until the cell is committed; NULL when reused */
    char *image;              /* where it was relocated, and its size */
    size_t size;
    const RerunEntry *reused; /* the kept compile it reuses, or NULL (rerun.c) */
} Compiled;

/* ---- the program and its memory (program.c) ---- */

/* Code and data of every cell, relocated into one reserved region. */
typedef struct Arena {
    char *base;
    size_t used, size;
} Arena;

/* A function of some cell, for naming where a crash happened. */
typedef struct CodeSym {
    char *name;
    char *addr;
    int cell_no;
} CodeSym;

/* Where a line of a cell's function starts in memory (from the line markers). */
typedef struct LineMark {
    char *addr;
    int line;
    int cell_no;
} LineMark;

/* One committed cell's source, for diagnostics that quote lines of earlier cells. */
typedef struct CellSource {
    int cell_no;
    char *code;
} CellSource;

/* A magic: line magics get the rest of their line as args; cell magics also the body. */
typedef struct JitMagicEntry {
    char *name;
    JitMagicKind kind;
    JitMagicFn fn;
    char *help;
} JitMagicEntry;

struct Jit {
    Item *items;          /* the prelude: everything earlier cells declared, in order */
    int nitems;
    CodeSym *code;        /* functions of every cell, for crash reports */
    int ncode;
    LineMark *marks;      /* line starts of cells' functions, by address */
    int nmarks;
    CellSource *sources;
    int nsources;
    char **libs;          /* %lib: shared libraries loaded for cells */
    int nlibs;
    Arena arena;
    char *include_dir;    /* where ctorch.h is */
    char *include_dir2;   /* the source tree's tensor/, searched second, or NULL */
    /* while a cell runs */
    const JitIO *io;
    int cell_no;
    volatile int line;    /* the cell's statement running now (cells store it) */
    atomic_bool running;
    atomic_bool interrupt;
    int interrupt_tries;
    pthread_t thread;     /* the thread cells run on */
    void *cell_handler;   /* the TTry the cell runs under */
    char *stdin_buf;      /* the unread rest of the last input line */
    size_t stdin_pos;
    const char *io_code;  /* the source of the cell being compiled or run */
    struct Capture *capture;
    /* the cell thread's guard: stack bounds, interrupt timer, alternate signal stack */
    bool thread_ready;
    char *stack_lo;
    timer_t timer;
    bool have_timer;
    void *altstack;
    PreludeCache *prelude_cache; /* headers preprocessed once (prelude.c) */
    RerunCache *rerun;           /* cells compiled once, run again (rerun.c) */
    /* where the last crash happened (filled by the signal handler) */
    char crash_fn[128];
    int crash_fn_cell;
    int crash_fn_line;    /* the line of that function's cell, or 0 when unknown */
};

/* The Jit of the cell running now (the bound libc functions and signal handlers need it). */
extern Jit *jit_current;

/* Reserves the arena. */
void arena_init(Arena *a);
/* Relocates a compiled cell into the arena; returns its start (and its size in *size) or NULL
   (diagnostics in err). */
char *arena_place(Arena *a, struct TCCState *s, size_t *size, StrBuf *err);
/* Whether p points into code or data of some cell. */
bool arena_contains(const Arena *a, const void *p);
/* The function of some cell holding the address pc, or NULL. */
const CodeSym *jit_code_at(const Jit *jit, const void *pc);
/* The line mark at or before pc inside the function fn starting at fn_addr, or NULL. */
const LineMark *jit_line_at(const Jit *jit, const void *fn_addr, const void *pc);
/* The committed source of cell cell_no, or NULL. */
const char *jit_cell_source(const Jit *jit, int cell_no);
/* Commits a compiled cell: its file-scope items replace or join the prelude. */
void program_commit(Jit *jit, const Cell *cell, const Compiled *c, const char *code);
/* What a cell compiles against, in order: the program's items, with the cell's own
   file-scope items in place of those they replace (malloc'd array of pointers). */
const Item **program_view(const Jit *jit, const Cell *cell, int *n);
/* Whether name is a global variable or function the program defines. */
bool program_is_value(void *jit, const char *name);
/* The item defining name in the ordinary name space (or the macro, or the tag), or NULL. */
const Item *program_find(const Jit *jit, const char *name);

/* ---- compiling a cell (compile.c) ---- */


/* Compiles cell (already split) against the program; body_only compiles the whole code as
   one function body (for %timeit). On failure fills res with a CompileError. Warnings go to
   io's stderr stream. */
bool compile_cell(Jit *jit, const Cell *cell, const char *code, int cell_no, ResultMode mode,
                  Compiled *out, JitResult *res);
bool compile_body(Jit *jit, const char *body, int cell_no, Compiled *out, JitResult *res);
void compiled_free(Compiled *c);
/* Formats a diagnostic's position "In[3] line 2" plus the quoted line and a caret. */
void diag_quote(const Jit *jit, StrBuf *out, const char *file, int line, const char *hint);

/* ---- the headers, preprocessed once (prelude.c) ---- */

/* The preprocessed text, macros kept, of includes (a block of #include lines): made once and
   kept while the files it came from are unchanged. NULL when they do not preprocess (the
   cell's compile then reports why) or when a header outside the system's and ctorch's
   include directories is among them (the cell then compiles the #include lines). *id
   receives a number naming this text (a new one whenever it is made again). */
const char *prelude_headers(Jit *jit, const char *includes, unsigned long *id);
/* Appends to out the part of the headers named id (from prelude_headers) that tail needs
   (trim.c), or all of them when that part is not known. */
void prelude_emit_trimmed(Jit *jit, unsigned long id, const char *tail, StrBuf *out);
void prelude_cache_free(Jit *jit);

/* ---- the part of the headers a cell needs (trim.c) ---- */

typedef struct TrimIndex TrimIndex;
/* Parses preprocessed headers into pieces, with the names each defines and mentions. */
TrimIndex *trim_index_new(const char *text);
/* Appends to out the pieces reachable from the names tail (the rest of a cell's source)
   mentions, in order. */
void trim_emit(const TrimIndex *ix, const char *tail, StrBuf *out);
void trim_index_free(TrimIndex *ix);

/* ---- cells compiled once, run again (rerun.c) ---- */

/* What a kept compile is looked up by: the cell's source after the headers (with its own
   number as 0), the headers' text, the addresses it links against, the libraries loaded. */
typedef struct RerunKey {
    const char *tail;
    unsigned long headers_id;
    uint64_t links;
    int nlibs;
    ResultMode mode;
} RerunKey;

/* A hash of the earlier cells' names and addresses the cell would link against. */
uint64_t rerun_links(const Jit *jit, const Cell *cell);
/* Whether a compile of cell (its source after the headers: tail) may be kept and reused. */
bool rerun_cacheable(const Cell *cell, const char *tail);
/* The kept compile for key, with its memory put back as just after relocation, or NULL. */
const RerunEntry *rerun_find(Jit *jit, const RerunKey *key);
/* Keeps a successful compile (c->state still alive) for key. */
void rerun_store(Jit *jit, const RerunKey *key, const Cell *cell, const Compiled *c);
/* A kept compile's entry point, and the address of a global it defines (or NULL). */
void (*rerun_entry(const RerunEntry *e))(void);
void *rerun_symbol(const RerunEntry *e, const char *name);
void rerun_free(Jit *jit);

/* ---- running a cell (guard.c) ---- */

/* Runs fn with signals, exit/abort and ctorch errors turned into a failed res. */
void guard_run(Jit *jit, void (*fn)(void), JitResult *res);
/* Installs the cell thread's alternate signal stack and the interrupt timer (once). */
void guard_thread_init(Jit *jit);
/* Raises an error of kind at the cell's handler, naming the cell (from a signal handler). */
void guard_raise(TErrorKind kind, int code, const char *what);

/* ---- output capture (capture.c) ---- */

typedef struct Capture Capture;
/* Redirects fds 1 and 2 into io->stream until capture_end; NULL when io has no stream. */
Capture *capture_begin(const JitIO *io);
/* Waits until everything written so far reached io->stream. */
void capture_sync(Capture *c);
void capture_end(Capture *c);
/* Replaces invalid UTF-8 in data with U+FFFD; *carry holds an incomplete tail between calls
   (flush with final = true). Returns the clean text (malloc'd) and its length. */
char *utf8_clean(const char *data, size_t len, char carry[4], int *ncarry, bool final,
                 size_t *outlen);

/* ---- bound libc (libc.c) ---- */

/* Adds ctorch's malloc/free/exit/abort/assert/stdin functions and the cell helpers to s,
   except names the program or the cell define themselves. */
void libc_bind(struct TCCState *s, const Jit *jit, const Cell *cell);

/* ---- results (result.c) ---- */

/* Fills res with an error: ename from kind, the message, and traceback lines. */
void result_error(JitResult *res, TErrorKind kind, const char *evalue, char **tb, int ntb);
/* Text for a struct value (the display of a struct-typed result), bound for cells. */
MimeBundle *jit_struct_bundle(const char *type, int n, const char *const *names,
                              MimeBundle *const *values);

/* ---- magics (magic.c) ---- */

/* Runs code if it starts with a magic (or is a ?name query); false if it does not. */
bool magic_dispatch(Jit *jit, const char *code, int cell_no, const JitIO *io, JitResult *res);
/* Writes text to the cell's stdout stream (or stdout when io has none). */
void jit_print(const JitIO *io, const char *text);
/* Runs one ordinary cell (no magics). */
void jit_execute_plain(Jit *jit, const char *code, int cell_no, const JitIO *io,
                       JitResult *res);

/* ---- help (help.c) ---- */

/* Declarations of ctorch.h: name, signature and doc comment. */
typedef struct HelpEntry {
    char *name;
    char *signature;
    char *doc;
} HelpEntry;
/* The entries of ctorch.h, parsed once. */
const HelpEntry *help_entries(const Jit *jit, int *n);
/* The struct and union types ctorch.h defines (with their fields). */
const Item *help_header_structs(const Jit *jit, int *n);
/* Fields of a struct type named by ctorch.h or a cell ("Shape", "struct P"), or NULL. */
const Item *help_struct(const Jit *jit, const char *type_name);

#endif /* CTORCH_JIT_INTERNAL_H */
