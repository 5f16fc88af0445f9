"""Backends that let other tools keep their results in voxcache."""
