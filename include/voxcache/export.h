// VOXCACHE_EXPORT marks the symbols of the public API. The library is built
// with hidden visibility, so everything else in src/ stays private.

#ifndef VOXCACHE_EXPORT_H_
#define VOXCACHE_EXPORT_H_

#if defined(_WIN32)
#define VOXCACHE_EXPORT
#else
#define VOXCACHE_EXPORT [[gnu::visibility("default")]]
#endif

#endif  // VOXCACHE_EXPORT_H_
