"""Near-duplicate photos across a whole catalog, by perceptual hash (`imagehash`).

The same photo re-encoded, resized or slightly re-cropped has a different sha256 but nearly the
same difference hash. A copy in the train split and another in the game split would let the model
be scored on a photo it learned; copies with different labels mean one label is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

HASH_SIZE = 16  # a 256-bit difference hash
# Bits of 256 that may differ. Unrelated photos differ in about 128 (a fair coin per bit); the
# Stanford Cars re-encodes and re-crops found by hand were within 30. 20 keeps look-alike studio
# shots of different cars apart.
NEAR_DUPLICATE_DISTANCE = 20
ROWS_PER_CHUNK = 512  # distance rows computed at once: 512 x N floats


def perceptual_hash(path: Path) -> np.ndarray:
    """The photo's difference hash as 256 booleans."""
    with Image.open(path) as image:
        return np.asarray(imagehash.dhash(image, hash_size=HASH_SIZE).hash, dtype=bool).ravel()


def near_duplicate_groups(hashes: Sequence[np.ndarray], max_distance: int) -> list[list[int]]:
    """Groups (two or more indices, ascending) of hashes linked by Hamming distance <= max."""
    if len(hashes) < 2:
        return []
    bits = np.asarray(hashes, dtype=np.float32)
    parent = list(range(len(bits)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for start in range(0, len(bits), ROWS_PER_CHUNK):
        rows = bits[start : start + ROWS_PER_CHUNK]
        # Hamming distance of 0/1 vectors: ones in a but not b, plus ones in b but not a.
        distance = rows @ (1.0 - bits).T + (1.0 - rows) @ bits.T
        for row, column in zip(*np.nonzero(distance <= max_distance), strict=True):
            first, second = root(start + int(row)), root(int(column))
            if first != second:
                parent[max(first, second)] = min(first, second)
    groups: dict[int, list[int]] = {}
    for index in range(len(bits)):
        groups.setdefault(root(index), []).append(index)
    return sorted(members for members in groups.values() if len(members) > 1)
