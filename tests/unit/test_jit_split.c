/* test_jit_split.c — splitting cells into items (jit/split.c): what each item is, the names it
   defines, what later cells see of it, and which expression is the cell's result. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "jit_internal.h"

/* The item of a cell defining name (in any name space), or NULL. */
static const Item *find(const Cell *c, const char *name) {
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < c->items[i].nkeys; k++)
            if (!strcmp(c->items[i].keys[k].name, name)) return &c->items[i];
    return NULL;
}

/* The splitter's question "is this a variable?", answered from a fixed list. */
static bool known_value(void *ctx, const char *name) {
    (void)ctx;
    return !strcmp(name, "a") || !strcmp(name, "x");
}

Test(jit_split, every_kind_of_item_in_one_cell) {
    Cell c;
    split_cell("#include <math.h>\n"
               "#define N 3\n"
               "typedef struct { int x; double y; } P;\n"
               "enum Color { RED, GREEN };\n"
               "int sq(int v) { return v * v; }\n"
               "int proto(int);\n"
               "extern int outside;\n"
               "Tensor *t = t_ones(2, 3);\n"
               "for (int i = 0; i < N; i++) sq(i);\n"
               "sq(2) + 1\n",
               4, NULL, NULL, &c);
    cr_assert_eq(c.n, 10);
    cr_assert_eq(c.items[0].kind, ITEM_INCLUDE);
    cr_assert_str_eq(c.items[0].prelude, "#include <math.h>");
    cr_assert_eq(find(&c, "N")->kind, ITEM_MACRO);
    cr_assert_eq(find(&c, "N")->keys[0].space, KEY_MACRO);
    const Item *p = find(&c, "P");
    cr_assert_eq(p->kind, ITEM_TYPE);
    cr_assert_str_eq(p->struct_name, "P");
    cr_assert_eq(p->nfields, 2);
    cr_assert_str_eq(p->fields[1], "y");
    cr_assert_str_eq(p->field_types[1], "double");
    cr_assert_eq(find(&c, "GREEN"), find(&c, "Color"), "the enum defines its tag and constants");
    cr_assert_eq(find(&c, "sq")->kind, ITEM_FUNCTION);
    cr_assert_str_eq(find(&c, "sq")->prelude, "int sq(int v);");
    cr_assert_eq(find(&c, "proto")->kind, ITEM_PROTOTYPE);
    cr_assert_eq(find(&c, "outside")->kind, ITEM_EXTERN);
    const Item *t = find(&c, "t");
    cr_assert_eq(t->kind, ITEM_GLOBAL);
    cr_assert_str_eq(t->type, "Tensor *");
    cr_assert_str_eq(t->text, "Tensor *t;");
    cr_assert(strstr(t->init, "t_ones(2, 3)") != NULL, "the initialiser runs in the body");
    cr_assert_eq(t->line, 8);
    cr_assert_eq(t->cell_no, 4);
    cr_assert_eq(c.items[8].kind, ITEM_STATEMENT);
    cr_assert_eq(c.items[9].kind, ITEM_RESULT);
    cr_assert_str_eq(c.items[9].text, "sq(2) + 1");
    cell_free(&c);
}

Test(jit_split, arrays_keep_the_size_their_initialiser_gives) {
    Cell c;
    split_cell("int a[] = {1, 2, 3}, b = 4;\nchar s[] = \"hey\";\n", 1, NULL, NULL, &c);
    cr_assert_eq(c.n, 3, "each declarator is a global of its own");
    cr_assert(strstr(find(&c, "a")->prelude, "a[3]") != NULL, "%s", find(&c, "a")->prelude);
    cr_assert(strstr(find(&c, "s")->prelude, "s[sizeof(\"hey\")]") != NULL);
    cr_assert_str_eq(find(&c, "b")->type, "int");
    cell_free(&c);
}

Test(jit_split, static_globals_and_functions_stay_visible_to_later_cells) {
    Cell c;
    split_cell("static int counter = 1;\nstatic inline int twice(int v) { return 2 * v; }\n", 1,
               NULL, NULL, &c);
    cr_assert_null(strstr(find(&c, "counter")->text, "static"));
    cr_assert_null(strstr(find(&c, "twice")->text, "static"));
    cr_assert_null(strstr(find(&c, "twice")->text, "inline"));
    cell_free(&c);
}

Test(jit_split, the_result_is_the_last_expression_without_a_semicolon) {
    static const struct {
        const char *code;
        ItemKind last;
        const char *text;
    } cases[] = {
        {"int x = 1;\nx + 1", ITEM_RESULT, "x + 1"},
        {"x + 1;", ITEM_STATEMENT, "x + 1;"},
        {"t_sum(t)", ITEM_RESULT, "t_sum(t)"},
        {"(P){1, 2}", ITEM_RESULT, "(P){1, 2}"},
        {"\"text\" // comment", ITEM_RESULT, "\"text\""},
        {"x\n/* trailing */\n", ITEM_RESULT, "x"},
        {"if (x) x = 2;", ITEM_STATEMENT, "if (x) x = 2;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Cell c;
        split_cell(cases[i].code, 1, known_value, NULL, &c);
        cr_assert_gt(c.n, 0, "%s", cases[i].code);
        const Item *last = &c.items[c.n - 1];
        cr_assert_eq(last->kind, cases[i].last, "%s: kind %d", cases[i].code, last->kind);
        cr_assert_str_eq(last->text, cases[i].text);
        cell_free(&c);
    }
}

Test(jit_split, a_product_of_known_variables_is_not_a_declaration) {
    Cell c;
    split_cell("a * b;\nunknown_type * ptr;\n", 1, known_value, NULL, &c);
    cr_assert_eq(c.items[0].kind, ITEM_STATEMENT);
    cr_assert_eq(c.items[1].kind, ITEM_GLOBAL);
    cr_assert_str_eq(c.items[1].name, "ptr");
    cell_free(&c);
}

Test(jit_split, statement_macros_stay_one_statement) {
    Cell c;
    split_cell("T_TRY {\n  f();\n}\nT_CATCH(e) {\n  g(e);\n}\n", 1, NULL, NULL, &c);
    int statements = 0;
    for (int i = 0; i < c.n; i++) {
        cr_assert_eq(c.items[i].kind, ITEM_STATEMENT, "item %d is kind %d", i, c.items[i].kind);
        if (!c.items[i].joins) statements++;
    }
    cr_assert_eq(statements, 1, "T_TRY ... T_CATCH is one statement");
    cell_free(&c);
}

Test(jit_split, redefinitions_share_keys) {
    Cell a, b;
    split_cell("int f(int x) { return x; }\n", 1, NULL, NULL, &a);
    split_cell("double f = 2;\nstruct f { int y; };\n", 2, NULL, NULL, &b);
    cr_assert(item_keys_overlap(&a.items[0], &b.items[0]), "a global replaces a function");
    cr_assert_not(item_keys_overlap(&a.items[0], &b.items[1]), "tags are another name space");
    cell_free(&a);
    cell_free(&b);
}

Test(jit_split, options_arguments_are_masked_for_the_parser_only) {
    const char *src = "f(x, .lr = 0.1, .k = {2, {3}}); g(\".a = 1\", (T){.b = 2}); h(.5)";
    char *m = mask_options(src, strlen(src));
    cr_assert_str_eq(m, "f(x,  lr = 0.1,  k = (2, (3))); g(\".a = 1\", (T){.b = 2}); h(.5)");
    cr_assert_eq(strlen(m), strlen(src), "every byte keeps its offset");
    free(m);
}

Test(jit_split, options_idiom_in_every_placement) {
    Cell c;
    split_cell("Optimizer *opt = optim_sgd(p, .lr = 0.01, .momentum = 0.9);\n"
               "Tensor *step(Tensor *x) { return nn_call(nn_conv2d(1, 6, 5, .padding = 2), x); }\n"
               "for (DataLoader *l = data_loader(ds, .batch_size = 64); data_next(l, &b);) n++;\n"
               "data_fashion_mnist(.train = true)\n",
               2, NULL, NULL, &c);
    cr_assert_eq(c.n, 4);
    cr_assert_eq(c.items[0].kind, ITEM_GLOBAL);
    cr_assert_str_eq(c.items[0].name, "opt");
    cr_assert(strstr(c.items[0].init, "optim_sgd(p, .lr = 0.01, .momentum = 0.9)") != NULL,
              "the original text is compiled");
    cr_assert_eq(c.items[1].kind, ITEM_FUNCTION);
    cr_assert_str_eq(c.items[1].name, "step");
    cr_assert_eq(c.items[2].kind, ITEM_STATEMENT);
    cr_assert_eq(c.items[3].kind, ITEM_RESULT);
    cr_assert_str_eq(c.items[3].text, "data_fashion_mnist(.train = true)");
    cell_free(&c);
}

Test(jit_split, block_macros_read_as_if_else_to_the_parser) {
    const char *src = "T_TRY { a(); } T_CATCH(e) { b(); }\nT_NO_GRAD { c(); }\nint MAX(int x) { }";
    char *m = mask_options(src, strlen(src));
    cr_assert_str_eq(m, "if(1) { a(); } else       { b(); }\nif(1)     { c(); }\n"
                        "int MAX(int x) { }");
    free(m);
    Cell c;
    split_cell("int f(int b) {\n"
               "    T_TRY { b = 1; } T_CATCH(e) { b = 2; }\n"
               "    T_NO_GRAD { b += 1; }\n"
               "    return b;\n"
               "}\n",
               1, NULL, NULL, &c);
    cr_assert_eq(c.n, 1, "one function, not pieces of one");
    cr_assert_eq(c.items[0].kind, ITEM_FUNCTION);
    cr_assert(strstr(c.items[0].marked, JIT_LINE_MARK "4_") != NULL, "line 4 has a marker");
    cr_assert(strstr(c.items[0].marked, "} T_CATCH(e)") != NULL,
              "no marker between a block and T_CATCH");
    cell_free(&c);
}

/* The text trim_emit keeps of headers for a cell whose source is tail. */
static char *trimmed(const char *headers, const char *tail) {
    TrimIndex *ix = trim_index_new(headers);
    StrBuf out = {0};
    trim_emit(ix, tail, &out);
    trim_index_free(ix);
    return sb_take(&out);
}

Test(jit_split, headers_are_trimmed_to_what_the_cell_reaches) {
    const char *h = "typedef int A;\n"
                    "typedef A B;\n"
                    "struct S { B b; };\n"
                    "enum E { E1, E2 };\n"
                    "int f(struct S *s);\n"
                    "int g(void);\n"
                    "#define F(x) f(x)\n"
                    "#define G 1\n"
                    "#undef G\n"
                    "#define CAT(a, b) a##b\n"
                    "int h1(void);\n";
    char *t = trimmed(h, "F(0) + E2");
    cr_assert(strstr(t, "int f(struct S *s);") && strstr(t, "struct S { B b; };") &&
                  strstr(t, "typedef A B;") && strstr(t, "typedef int A;"),
              "what F reaches, through the types: %s", t);
    cr_assert(strstr(t, "enum E { E1, E2 };"), "an enum constant reaches its enum: %s", t);
    cr_assert_null(strstr(t, "int g(void);"), "%s", t);
    cr_assert_null(strstr(t, "#define G"), "%s", t);
    cr_assert_null(strstr(t, "CAT"), "%s", t);
    free(t);
    t = trimmed("# 1 \"<string>\"\n#pragma pack(push, 1)\nint f(void);\n", "x");
    cr_assert(strstr(t, "#pragma pack(push, 1)") && !strstr(t, "<string>") && !strstr(t, "f("),
              "pragmas stay, line markers and what is not reached go: %s", t);
    free(t);
    t = trimmed(h, "CAT(h, 1)()");
    cr_assert(strstr(t, "#define G 1") && strstr(t, "#undef G"),
              "a macro that pastes names keeps every macro: %s", t);
    free(t);
}
