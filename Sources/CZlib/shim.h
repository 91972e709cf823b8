#ifndef JOURNEYS_CZLIB_SHIM_H
#define JOURNEYS_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot call. */
static inline int journeys_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int journeys_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
