"""product_category(description): a merchandise category for UCI Online Retail descriptions.

The UCI data has no category column. Keyword rules, applied in order (first match wins), put
each description into one of about a dozen groups; everything else is 'Other'. Vectorised with
pyarrow.compute, so DuckDB calls it once per 2,048-row vector.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from marketsql import udf

RULES: list[tuple[str, str]] = [
    ("Fees & postage", r"\b(POSTAGE|CARRIAGE|MANUAL|DOTCOM|AMAZON FEE|BANK CHARGES|DISCOUNT|SAMPLES)\b"),
    ("Christmas", r"CHRISTMAS|XMAS|ADVENT|SANTA|REINDEER|SNOWFLAKE|BAUBLE"),
    ("Bags", r"\bBAGS?\b|TOTE|SHOPPER|RUCKSACK|PURSE"),
    ("Candles & lights", r"CANDLE|T-LIGHT|TEALIGHT|LANTERN|\bLIGHTS?\b|LAMP|NIGHT LIGHT"),
    ("Kitchen & dining", r"\bMUGS?\b|\bCUPS?\b|PLATE|BOWL|CAKE|\bTEA\b|TEAPOT|\bJAR\b|BAKING|LUNCH|BOTTLE|"
     r"NAPKIN|SPOON|CUTLERY|TRAY|TIN\b|TINS\b|APRON|JUG|KITCHEN|RECIPE|EGG"),
    ("Stationery & wrap", r"\bCARDS?\b|PAPER|\bPEN\b|PENCIL|NOTEBOOK|WRAP|STICKER|RIBBON|\bTAPE\b|"
     r"ENVELOPE|NOTE ?BOOK|DIARY|CALENDAR|ERASER"),
    ("Toys & games", r"\bTOYS?\b|GAME|DOLL|PUZZLE|DOMINO|PLAYING|SKITTLES|SPACEBOY|NINJA|BALLOON|KIT\b"),
    ("Garden & outdoor", r"GARDEN|PLANT|FLOWER POT|WATERING|BIRD|PICNIC|PARASOL|UMBRELLA"),
    ("Jewellery & accessories", r"NECKLACE|BRACELET|EARRING|\bRING\b|HAIR|BROOCH|CHARM|JEWEL|KEY RING|KEYRING"),
    ("Home decor", r"FRAME|CLOCK|\bSIGN\b|CUSHION|DOORMAT|HOOK|HANGER|HEART|MIRROR|\bVASE\b|WREATH|"
     r"DECORATION|ORNAMENT|BUNTING|GARLAND|DOORSTOP|BOX\b|BOXES|BASKET|CABINET|DRAWER|SHELF"),
    ("Textiles", r"BLANKET|THROW|HOT WATER BOTTLE|TOWEL|TEA TOWEL|CURTAIN|QUILT|SCARF|GLOVES|SLIPPER"),
]


@udf(params=["VARCHAR"], returns="VARCHAR")
def product_category(description: pa.Array) -> pa.Array:
    """The first category whose keywords match the upper-cased description; 'Other' otherwise."""
    text = pc.utf8_upper(description)
    result = pa.nulls(len(text), pa.string())
    for category, pattern in reversed(RULES):
        hit = pc.fill_null(pc.match_substring_regex(text, pattern), False)
        result = pc.if_else(hit, pa.scalar(category), result)
    return pc.if_else(pc.is_null(text), pa.scalar(None, pa.string()), pc.fill_null(result, "Other"))
