"""Keys from Python are the C++ library's: the test vectors of
docs/format.md 3.3 are read from the document itself and checked."""

import pathlib
import re

import numpy as np
import pytest

import voxcache

FORMAT_MD = pathlib.Path(__file__).resolve().parents[2] / "docs" / "format.md"


def vectors():
    text = FORMAT_MD.read_text()
    section = text[text.index("### 3.3 Test vectors"):]
    rows = re.findall(r"^\| (.+?) \| `([0-9a-f]{64})` \|$", section, re.M)
    return {recipe.strip("`"): key for recipe, key in rows}, section


def test_the_documented_test_vectors():
    table, section = vectors()
    smooth = voxcache.KeyBuilder("smooth").arg("sigma", 1.5)
    threshold = (voxcache.KeyBuilder("threshold").arg("method", "otsu").arg("bins", 128)
                 .arg("invert", False).arg("levels", [1, 2.5, "x"]).arg("blob", b"\x00\x01")
                 .input(smooth.build()))
    ours = {
        'KeyBuilder("smooth").arg("sigma", 1.5)': smooth.build(),
        'KeyBuilder("")': voxcache.KeyBuilder("").build(),
        "the same voxels as a 2x1 u8 image (dimension 2)": voxcache.content_key(
            voxcache.Volume(np.array([[1, 2]], dtype=np.uint8))),
        "the same voxels as a 1x1x1 u8 series of 2 frames, time spacing 2.5, time origin 0":
            voxcache.content_key(voxcache.Volume(np.array([1, 2], dtype=np.uint8).reshape(
                2, 1, 1, 1), dimension=4, time_spacing=2.5)),
    }
    for recipe, hexkey in table.items():
        if recipe.startswith('KeyBuilder("threshold")'):
            assert threshold.build().hex == hexkey
        elif recipe.startswith('KeyBuilder("sum")'):
            assert voxcache.key("sum", smooth, threshold).hex == hexkey
        elif recipe.startswith("content_key"):
            v = voxcache.Volume(np.array([[[1, 2]]], dtype=np.uint8))
            assert voxcache.content_key(v).hex == hexkey
        else:
            assert ours[recipe].hex == hexkey, recipe
    assert len(table) == 7
    # The canonical encoding, byte for byte, as the document spells it.
    hexdump = re.search(r"The encoding of the first recipe, in hex:\n\n```\n(.*?)```", section, re.S)
    doc_bytes = bytes.fromhex("".join(line.split("  ")[0].replace(" ", "")
                                      for line in hexdump.group(1).splitlines()))
    assert smooth.canonical_encoding() == doc_bytes


def test_key_helper_and_key_objects():
    source = voxcache.key("load", path="/data/t1.nii.gz")
    k = voxcache.key("smooth", source, sigma=1.5)
    assert k == voxcache.KeyBuilder("smooth").arg("sigma", 1.5).input(source).build()
    assert k == voxcache.Key.from_hex(k.hex)
    assert len(k.bytes) == 32 and str(k) == k.hex
    assert {k: 1}[voxcache.Key.from_hex(k.hex)] == 1
    assert voxcache.key("smooth", source, sigma=1.5) != voxcache.key("smooth", source, sigma=2)
    # int and float arguments differ, as in C++.
    assert voxcache.key("op", x=1) != voxcache.key("op", x=1.0)


def test_bad_key_arguments_are_type_errors():
    b = voxcache.KeyBuilder("op")
    for bad in (None, {"a": 1}, object(), [1, None]):
        with pytest.raises(TypeError):
            b.arg("x", bad)
    with pytest.raises(ValueError):
        b.arg("x", 2**70)
    with pytest.raises(ValueError):
        voxcache.Key.from_hex("abc")
    with pytest.raises(TypeError):
        b.input(12)
