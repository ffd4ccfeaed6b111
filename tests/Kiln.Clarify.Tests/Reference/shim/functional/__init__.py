"""Minimal stand-in for PyFunctional's `seq` (not packaged in Debian, PyPI unreachable in CI).

Only the chain operations smclarify's util.pdf / pdfs_aligned_nonzero use are provided.
"""


class _Seq:
    def __init__(self, items):
        self._items = list(items)

    def map(self, f):
        return _Seq(f(x) for x in self._items)

    def flat_map(self, f):
        return _Seq(y for x in self._items for y in f(x))

    def reduce_by_key(self, f):
        acc = {}
        for key, value in self._items:
            acc[key] = f(acc[key], value) if key in acc else value
        return _Seq(acc.items())

    def distinct(self):
        seen = []
        for x in self._items:
            if x not in seen:
                seen.append(x)
        return _Seq(seen)

    def sorted(self):
        return _Seq(sorted(self._items))

    def sum(self):
        return sum(self._items)

    def list(self):
        return list(self._items)

    def __iter__(self):
        return iter(self._items)


def seq(items):
    return _Seq(items)
