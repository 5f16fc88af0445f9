"""What mypy --strict must see of the package (ctest python.typing): the
memoized function keeps the function's signature (ParamSpec), so a wrong
argument is a type error. Each `type: ignore` below must be needed: strict
mode reports one that is not, so the test fails if memoize lost the types."""

import voxcache


def use(cache: voxcache.Cache) -> None:
    @cache.memoize
    def threshold(v: float, t: float = 0.5) -> bool:
        return v > t

    above: bool = threshold(0.7, t=0.2)
    threshold("x")  # type: ignore[arg-type]
    wrong: str = threshold(0.7)  # type: ignore[assignment]

    @cache.memoize(version="2")
    def count(n: int) -> int:
        return n

    n: int = count(3)
    count(n, 4)  # type: ignore[call-arg]
    print(above, wrong, n, len(cache), cache.stats()["entries"])
