/*
 * repl.h — the terminal REPL: `ctorch` with no connection file.
 */
#ifndef CTORCH_KERNEL_REPL_H
#define CTORCH_KERNEL_REPL_H

/* Reads cells and runs them until end of input, as the notebook would: stream output printed
   while a cell runs, errors with their traceback, results as their text/plain. On a terminal it
   edits lines with libedit (history, Tab completion); with piped input it reads cells from
   stdin without prompts. A cell ends when the cell compiler calls the code so far complete (or
   invalid). Returns the exit status: with piped input, 1 if any cell failed, else 0. */
int repl_run(void);

#endif /* CTORCH_KERNEL_REPL_H */
