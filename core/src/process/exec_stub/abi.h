/* What boxlab's child and its exec stub agree on (stub.c is freestanding C: no C++ here). */
#ifndef BOXLAB_EXEC_STUB_ABI_H
#define BOXLAB_EXEC_STUB_ABI_H

/* argv of the stub: [0] kExecStubName, [1] the report fd in decimal, [2] the PATH to search
 * ("" for the default), [3...] the command's own argv. */
#define BOXLAB_EXEC_STUB_NAME "boxlab-exec"
#define BOXLAB_EXEC_STUB_FIRST_ARG 3

/* On failure the stub writes one report record in the layout of process::Report
 * {int step; int errnum; int index;} with step = process::Step::exec (checked by a
 * static_assert on the C++ side), then exits with 127. */
#define BOXLAB_EXEC_STUB_STEP 19

#endif
