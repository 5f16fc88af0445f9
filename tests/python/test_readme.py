"""The README's Python example runs as written (on ch2 for t1.nii.gz)."""

import os
import pathlib
import re

import voxcache
from conftest import TEMPLATES

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_runs(tmp_path):
    block = re.search(r"^## Python\n.*?```python\n(.*?)```", README.read_text(), re.S | re.M)
    code = block.group(1)
    code = code.replace('"t1.nii.gz"', repr(os.path.join(TEMPLATES, "ch2.nii.gz")))
    code = code.replace('"cache.db"', repr(str(tmp_path / "cache.db")))
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    mask = scope["mask"]
    assert scope["sagittal"].shape == (181, 217, 1)
    assert isinstance(mask, voxcache.Volume) and mask.array.dtype == "uint8"
    with voxcache.Cache(tmp_path / "cache.db") as c:
        ops = sorted(str(e["operation"]) for e in c.list())
    assert ops == ["None", "py:__main__.brain_mask"], ops
