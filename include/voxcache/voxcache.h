// The whole core API in one include. The ITK adapter is separate:
// voxcache/itk.h, target voxcache::itk.

#ifndef VOXCACHE_VOXCACHE_H_
#define VOXCACHE_VOXCACHE_H_

#include "voxcache/cache.h"
#include "voxcache/key.h"
#include "voxcache/options.h"
#include "voxcache/records.h"
#include "voxcache/status.h"
#include "voxcache/stream.h"
#include "voxcache/value.h"
#include "voxcache/version.h"
#include "voxcache/volume.h"

#endif  // VOXCACHE_VOXCACHE_H_
