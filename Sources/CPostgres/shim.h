#ifndef HEARKEN_CPOSTGRES_SHIM_H
#define HEARKEN_CPOSTGRES_SHIM_H
// Debian's libpq-dev puts libpq-fe.h in /usr/include/postgresql, which is not on the default include
// path; the headers it includes are quoted, so they resolve next to it without an -I flag.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#endif
