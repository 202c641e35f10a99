"""Finding 1: the answer must not be readable from a photo's bytes.

Image ids are the first 16 hex digits of the SHA-256 of the catalog file, and the catalog is the
same on every machine, so a photo served unchanged is a lookup key for its answer.
"""

from __future__ import annotations

import hashlib
import re

from cargame.domain.catalog import Catalog

GAMES = 6
MEDIA_URL = re.compile(r'"(/media/[A-Za-z0-9_-]{16,128})"')


def _catalog_fingerprints(catalog: Catalog) -> set[str]:
    """Every way a player could look a catalog photo up: full hash and image id."""
    prints = set()
    for image in catalog.images:
        digest = hashlib.sha256(catalog.path(image).read_bytes()).hexdigest()
        prints.update({digest, digest[:16], image.image_id})
    return prints


def test_no_photo_of_any_game_matches_the_catalog_or_another_game(live, web_catalog) -> None:
    known = _catalog_fingerprints(web_catalog)
    seen: dict[str, str] = {}
    player = live.player()
    for _ in range(GAMES):
        pointer = player.start_game()
        for game_round in player.game(pointer).rounds:
            response = player.http.get(f"/media/{game_round.image_token}")
            assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
            digest = hashlib.sha256(response.data).hexdigest()
            assert digest not in known and digest[:16] not in known
            assert digest not in seen, "two rounds served identical bytes"
            seen[digest] = game_round.image_id
            # A reload of the same round gets the same picture (cached per game token).
            again = player.http.get(f"/media/{game_round.image_token}")
            assert hashlib.sha256(again.data).hexdigest() == digest
    assert len(seen) == GAMES * 5
    # The same catalog photos came up in several games, each time with other bytes.
    assert len(set(seen.values())) < len(seen)


def test_showroom_pictures_are_re_encoded_too(live, web_catalog) -> None:
    known = _catalog_fingerprints(web_catalog)
    player = live.player()
    page = player.page("/showroom")
    urls = set(MEDIA_URL.findall(str(page).replace("'", '"')))
    assert urls, "the showroom shows no pictures"
    for url in urls:
        response = player.http.get(url)
        assert response.status_code == 200
        digest = hashlib.sha256(response.data).hexdigest()
        assert digest not in known and digest[:16] not in known
