#ifndef BOUCLE_CSQLITE_SHIM_H
#define BOUCLE_CSQLITE_SHIM_H
#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call. This one turns off SQLite's memory
   statistics, which take a process-wide mutex around every allocation. It must run before
   SQLite initializes (before the first connection); later it returns SQLITE_MISUSE and
   changes nothing. */
static inline int boucle_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
