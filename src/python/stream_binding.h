// Streams from Python: _VolumeWriter, fed C-contiguous volume-order pieces,
// and _VolumeReader, handing out z-ordered slabs. Each holds the Cache it
// streams from, which outlives it even when the Python Cache is closed.

#ifndef VOXCACHE_PYTHON_STREAM_BINDING_H_
#define VOXCACHE_PYTHON_STREAM_BINDING_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <memory>
#include <vector>

#include "python/convert.h"
#include "voxcache/cache.h"
#include "voxcache/stream.h"

namespace voxcache::python {

namespace py = pybind11;

// Streams: a writer fed volume-order buffers, a reader of z-ordered slabs.
// Each holds the Cache it streams from, which outlives it even when closed.
class PyVolumeWriter {
 public:
  PyVolumeWriter(std::unique_ptr<VolumeWriter> w, std::shared_ptr<Cache> cache, PixelType type)
      : cache_(std::move(cache)), w_(std::move(w)), type_(type) {}
  void write(const py::buffer& data) {
    if (!w_) throw py::value_error("the writer is committed or abandoned");
    if (!py::memoryview(data).attr("c_contiguous").cast<bool>()) {
      throw py::value_error("write() takes C-contiguous data (x fastest)");
    }
    // An array's bytes are taken as they are, so its dtype must be the
    // volume's: a float64 piece in a float32 volume would be reinterpreted.
    // Other buffers (bytes, bytearray) are raw little-endian voxel bytes.
    if (py::isinstance<py::array>(data)) {
      const py::dtype d = py::reinterpret_borrow<py::array>(data).dtype();
      // A bool piece is 0 and 1 bytes: a mask, or a u8 volume's voxels.
      const bool fits = d.kind() == 'b' ? type_ == PixelType::kBool || type_ == PixelType::kUInt8
                                        : pixel_type_of(d) == type_;
      if (!fits) {
        throw py::type_error("write() got a " + py::str(d.attr("name")).cast<std::string>() +
                             " piece for a volume of " +
                             py::str(dtype_of(type_).attr("name")).cast<std::string>() +
                             " voxels; convert it with .astype() first");
      }
    }
    py::buffer_info b = data.request();
    const uint64_t bytes = static_cast<uint64_t>(b.size * b.itemsize);
    Status s;
    {
      py::gil_scoped_release nogil;
      s = w_->write(b.ptr, bytes);
    }
    check(s);
  }
  void commit() {
    if (!w_) throw py::value_error("the writer is committed or abandoned");
    std::unique_ptr<VolumeWriter> w = std::move(w_);
    Status s;
    {
      py::gil_scoped_release nogil;
      s = w->commit();
      w.reset();
    }
    check(s);
  }
  void abandon() {
    py::gil_scoped_release nogil;
    w_.reset();  // nothing of it is stored
  }

 private:
  std::shared_ptr<Cache> cache_;  // before w_: destroyed after it
  std::unique_ptr<VolumeWriter> w_;
  const PixelType type_;
};

class PyVolumeReader {
 public:
  PyVolumeReader(std::unique_ptr<VolumeReader> r, std::shared_ptr<Cache> cache)
      : cache_(std::move(cache)), r_(std::move(r)) {}
  py::object empty_volume() {  // the geometry, with a 0-slice array
    VolumeLayout l = r_->layout();
    return from_volume(take(Volume::Create(l)));
  }
  // (first z, slab array of shape (nz, y, x[, c])), or None at the end; the
  // slab is a copy, as the reader reuses its buffer.
  py::object next() {
    Result<VolumeReader::Slab> s = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      s = r_->next();
    }
    const VolumeReader::Slab slab = take(std::move(s));
    if (slab.bytes == 0) return py::none();
    const VolumeLayout& l = r_->layout();
    const uint64_t slice = l.size[0] * l.size[1] * l.components * pixel_type_size(l.pixel_type);
    if (slab.offset % slice || slab.bytes % slice) {
      raise(Status::Corruption("a streamed slab that is not whole slices"));
    }
    std::vector<py::ssize_t> shape = {static_cast<py::ssize_t>(slab.bytes / slice),
                                      static_cast<py::ssize_t>(l.size[1]),
                                      static_cast<py::ssize_t>(l.size[0])};
    if (l.components > 1) shape.push_back(static_cast<py::ssize_t>(l.components));
    py::array a(dtype_of(l.pixel_type), shape);
    std::memcpy(a.mutable_data(), slab.data, slab.bytes);
    return py::make_tuple(slab.offset / slice, a);
  }

 private:
  std::shared_ptr<Cache> cache_;  // before r_: destroyed after it
  std::unique_ptr<VolumeReader> r_;
};

// Adds _VolumeWriter and _VolumeReader to the module.
void bind_streams(py::module_& m);

}  // namespace voxcache::python

#endif  // VOXCACHE_PYTHON_STREAM_BINDING_H_
