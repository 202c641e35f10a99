"""The result card a player shares: one 1200 x 630 PNG (the Open Graph size), drawn with Pillow.

Pure drawing from plain values: the totals, a line of words, the opponent level, and per round
the photo, the heatmap overlay and both players' points. No car names: a public card must not
pair game photos with their answers.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from cargame.domain.game import EXACT_MODEL_POINTS, RIGHT_MAKE_POINTS
from cargame.web.components.widgets import APP_TITLE

WIDTH, HEIGHT = 1200, 630  # what Facebook, LinkedIn, X and chat apps preview at 1.91:1
MARGIN, GAP = 40, 16
BAR_HEIGHT = 64
TILES_TOP = 190
PICTURE_HEIGHT = 150  # two pictures, two pills and the footer fit under the headline
MAX_PIXELS = 40_000_000  # larger files are not photos for this game (decompression bombs)

BACKGROUND = (244, 246, 249)  # assets/cargame.css --bs-body-bg
BAR = (33, 37, 41)  # Bootstrap's bg-dark, the app's navbar
INK = (29, 35, 48)
MUTED = (90, 99, 112)
PLACEHOLDER = (222, 226, 230)
# Points pills: the words carry the meaning; the colours only repeat it.
EXACT, MAKE, MISS = (31, 122, 109), (245, 179, 1), (173, 181, 189)
VIRIDIS = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]

BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
REGULAR_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")


@dataclass(frozen=True)
class CardRound:
    """One round on the card: the photo and overlay (encoded images, None if missing)."""

    photo: bytes | None
    overlay: bytes | None
    player_points: int
    ai_points: int


@dataclass(frozen=True)
class CardFacts:
    """Everything the card says."""

    player_score: int
    ai_score: int
    line: str  # e.g. "I beat the AI at naming cars!"
    level: str | None
    rounds: Sequence[CardRound]


def render_card(facts: CardFacts) -> bytes:
    """The card as PNG bytes, WIDTH x HEIGHT."""
    card = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(card)
    _title_bar(draw, facts.level)
    score = f"Human {facts.player_score} – {facts.ai_score} AI"
    draw.text((MARGIN, 78), score, font=_font(56, bold=True), fill=INK)
    draw.text((MARGIN, 146), facts.line, font=_font(24), fill=MUTED)
    _tiles(card, draw, facts.rounds)
    _footer(draw)
    buffer = io.BytesIO()
    card.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def _title_bar(draw: ImageDraw.ImageDraw, level: str | None) -> None:
    draw.rectangle((0, 0, WIDTH, BAR_HEIGHT), fill=BAR)
    _brand_mark(draw, MARGIN, 18, 28)
    draw.text(
        (MARGIN + 44, BAR_HEIGHT // 2), APP_TITLE, font=_font(28, True), fill="white", anchor="lm"
    )
    if level:
        text = f"Opponent: {level}"
        draw.text(
            (WIDTH - MARGIN, BAR_HEIGHT // 2),
            text,
            font=_font(24),
            fill=(206, 212, 218),
            anchor="rm",
        )


def _brand_mark(draw: ImageDraw.ImageDraw, left: int, top: int, size: int) -> None:
    """The chequered flag beside the title, as in the header (assets/cargame.css .brand-mark)."""
    draw.rounded_rectangle((left - 2, top - 2, left + size + 2, top + size + 2), 5, fill="white")
    half = size // 2
    for row in range(2):
        for column in range(2):
            colour = BAR if (row + column) % 2 else "white"
            x, y = left + column * half, top + row * half
            draw.rectangle((x, y, x + half - 1, y + half - 1), fill=colour)


def _tiles(card: Image.Image, draw: ImageDraw.ImageDraw, rounds: Sequence[CardRound]) -> None:
    count = max(1, len(rounds))
    width = (WIDTH - 2 * MARGIN - GAP * (count - 1)) // count
    height = min(width * 3 // 4, PICTURE_HEIGHT)
    for index, played in enumerate(rounds):
        left = MARGIN + index * (width + GAP)
        _picture(card, draw, played.photo, (left, TILES_TOP, width, height), "no photo")
        _round_badge(draw, (left + 8, TILES_TOP + 8), index + 1)
        below = TILES_TOP + height + 8
        _picture(card, draw, played.overlay, (left, below, width, height), "no heatmap")
        pills_top = below + height + 10
        _pill(draw, (left, pills_top), width, "Human", played.player_points)
        _pill(draw, (left, pills_top + 34), width, "AI", played.ai_points)


def _round_badge(draw: ImageDraw.ImageDraw, corner: tuple[int, int], number: int) -> None:
    left, top = corner
    draw.ellipse((left, top, left + 30, top + 30), fill=BAR, outline="white", width=2)
    draw.text((left + 15, top + 15), str(number), font=_font(17, True), fill="white", anchor="mm")


def _picture(
    card: Image.Image,
    draw: ImageDraw.ImageDraw,
    data: bytes | None,
    box: tuple[int, int, int, int],
    missing: str,
) -> None:
    left, top, width, height = box
    picture = _decode(data, (width, height))
    if picture is None:
        draw.rounded_rectangle((left, top, left + width, top + height), 8, fill=PLACEHOLDER)
        centre = (left + width // 2, top + height // 2)
        draw.text(centre, missing, font=_font(18), fill=MUTED, anchor="mm")
        return
    mask = Image.new("L", picture.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, width - 1, height - 1), 8, fill=255)
    card.paste(picture, (left, top), mask)


def _decode(data: bytes | None, size: tuple[int, int]) -> Image.Image | None:
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.draft("RGB", size)  # JPEG: decode at a smaller scale
            return ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None


def _pill(
    draw: ImageDraw.ImageDraw, corner: tuple[int, int], width: int, who: str, points: int
) -> None:
    if points >= EXACT_MODEL_POINTS:
        colour, words = EXACT, f"+{points} exact"
    elif points >= RIGHT_MAKE_POINTS:
        colour, words = MAKE, f"+{points} make"
    else:
        colour, words = MISS, "0 miss"
    left, top = corner
    draw.rounded_rectangle((left, top, left + width, top + 28), 14, fill=colour)
    ink = "white" if colour == EXACT else INK
    draw.text((left + 12, top + 14), who, font=_font(17, True), fill=ink, anchor="lm")
    draw.text((left + width - 12, top + 14), words, font=_font(17), fill=ink, anchor="rm")


def _footer(draw: ImageDraw.ImageDraw) -> None:
    top = HEIGHT - 34
    draw.text((MARGIN, top + 10), "Where the AI looked:", font=_font(18), fill=MUTED, anchor="lm")
    left, width = MARGIN + 200, 220
    steps = len(VIRIDIS) - 1
    for x in range(width):
        position = x / (width - 1) * steps
        low = min(int(position), steps - 1)
        share = position - low
        colour = tuple(
            round(a + (b - a) * share) for a, b in zip(VIRIDIS[low], VIRIDIS[low + 1], strict=True)
        )
        draw.line((left + x, top + 3, left + x, top + 17), fill=colour)
    draw.text(
        (left + width + 10, top + 10), "little → most", font=_font(18), fill=MUTED, anchor="lm"
    )
    draw.text(
        (WIDTH - MARGIN, top + 10),
        "Can you beat it?",
        font=_font(24, True),
        fill=EXACT,
        anchor="rm",
    )


@functools.cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu or Liberation when installed, else Pillow's own font."""
    for name in BOLD_FONTS if bold else REGULAR_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)
