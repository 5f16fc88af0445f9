#include "python/stream_binding.h"

namespace voxcache::python {

void bind_streams(py::module_& m) {
  py::class_<PyVolumeWriter>(m, "_VolumeWriter")
      .def("write", &PyVolumeWriter::write)
      .def("commit", &PyVolumeWriter::commit)
      .def("abandon", &PyVolumeWriter::abandon);
  py::class_<PyVolumeReader>(m, "_VolumeReader")
      .def("empty_volume", &PyVolumeReader::empty_volume)
      .def("next", &PyVolumeReader::next);
}

}  // namespace voxcache::python
