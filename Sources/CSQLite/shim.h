#ifndef BOUCLE_CSQLITE_SHIM_H
#define BOUCLE_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
