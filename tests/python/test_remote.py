"""The remote tier from Python, against a real redis-server: signed entries
(remote_secret) are served only when signed with the reader's secret, and a
tuple travels with every item exact."""

import numpy as np

import voxcache


def test_signed_entries_are_served_only_when_signed_with_the_secret(tmp_path, redis):
    v = voxcache.Volume(np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6))
    signed, plain = voxcache.key("signed"), voxcache.key("plain")
    with voxcache.Cache(tmp_path / "a.db", remote=redis.url, remote_secret="s3cret") as a:
        a.put(signed, v)
    with voxcache.Cache(tmp_path / "outsider.db", remote=redis.url) as outsider:
        outsider.put(plain, v)
    with voxcache.Cache(tmp_path / "b.db", remote=redis.url, remote_secret="s3cret") as b:
        assert b.get(signed) == v
        assert b.get(plain, None) is None, "an unsigned entry is a miss"
        assert b.stats()["handle"]["remote_rejected"] >= 1
    # The password may come apart from the URL, and is used: this server has
    # none, so sending one is refused, and the local cache goes on.
    with voxcache.Cache(tmp_path / "c.db", remote=redis.url, remote_password="hunter2") as c:
        assert "authentication failed" in c.stats()["handle"]["remote_status"]
        assert "hunter2" not in c.stats()["handle"]["remote_status"]
        c.put(voxcache.key("local"), 1.5)
        assert c.get(voxcache.key("local")) == 1.5


def test_a_tuple_put_on_one_node_is_a_hit_on_another_with_every_item_exact(tmp_path, redis):
    mask = np.arange(3 * 4 * 5).reshape(3, 4, 5) % 3 == 0
    image = voxcache.Volume(np.linspace(0, 1, 60, dtype=np.float32).reshape(3, 4, 5),
                            spacing=(0.5, 0.5, 2.0))
    k = voxcache.key("segment", subject=7)
    with voxcache.Cache(tmp_path / "a.db", remote=redis.url) as a:
        a.put(k, (mask, image, 12.5, ["gm", np.int16(3)]))
    with voxcache.Cache(tmp_path / "b.db", remote=redis.url) as b:
        for _ in range(2):  # from Redis, then from b's own tiers
            got = b.get(k)
            assert type(got) is tuple and len(got) == 4
            assert got[0].dtype == np.bool_ and np.array_equal(got[0], mask)
            assert got[1] == image and got[2] == 12.5
            assert got[3] == ["gm", np.int16(3)] and type(got[3][1]) is np.int16
        assert b.stats()["handle"]["remote_hits"] == 1
