#ifndef HEARKEN_CSQLITE_SHIM_H
#define HEARKEN_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; Swift cannot import it.
static inline sqlite3_destructor_type hearken_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

// sqlite3_config is variadic, which Swift cannot call. Memory statistics take a process-wide mutex
// on every allocation, and Debian's build (SQLITE_OMIT_LOOKASIDE) allocates for most statements.
static inline int hearken_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
