// iotflow-bridge: zlib for Swift.
// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <zlib.h>

// deflateInit2 and inflateInit2 are function-like macros that pass the library version and the
// struct size; Swift cannot import macros, so these wrappers call them.
static inline int CZlib_deflateInit2(z_streamp _Nonnull strm, int level, int windowBits, int memLevel) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

static inline int CZlib_inflateInit2(z_streamp _Nonnull strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
