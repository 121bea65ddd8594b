"""The one normalisation of film titles: for search, title order and matching.

``normalize_title`` turns a title, or what someone types for one, into the key
that search compares, that ``ordering=title`` sorts by and that imports match
on: "The Shawshank Redemption", "shawshank redemption, the" and "SHAWSHANK
REDEMPTION" all become ``shawshank redemption``; "Amélie" becomes ``amelie``,
"'71" ``71``. The movie stores it as ``Movie.title_key``.

Accents are folded with Unicode's decomposition (NFKD, combining marks
dropped) plus the few Latin letters that do not decompose (ø, æ, œ, ł, ...).
Libraries such as Unidecode go further and transliterate every script to
ASCII, which would turn a Japanese or Russian title into a guess at its
romanisation; titles in other scripts keep their letters here.
"""

import re
import unicodedata

# Articles MovieLens moves behind a comma ("Shawshank Redemption, The",
# "Misérables, Les"): at the end of a title they are always articles.
ARTICLES = (
    *("The", "A", "An"),
    *("L'", "Le", "La", "Les", "Un", "Une"),
    *("Il", "I", "Lo", "Gli", "Una", "Uno"),
    *("El", "Los", "Las"),
    *("Das", "Der", "Die"),
    *("De", "Den", "Det", "Het", "Een", "En", "Ett"),
    "Da",
)
# At the front of a title only those that are not also ordinary English words
# are dropped: "I", "Lo", "Los", "Las", "Den", "En", "De" and "Da" start titles
# such as "I, Robot" and "Los Angeles Plays Itself".
LEADING_ARTICLES = (
    *("the", "a", "an"),
    *("le", "la", "les", "un", "une"),
    *("il", "gli", "una", "uno"),
    "el",
    *("das", "der", "die"),
    *("det", "het", "een", "ett"),
)

# Latin letters that Unicode decomposition leaves as they are.
_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "\u0131": "i",  # dotless i
        "\u2018": "'",  # curly apostrophes and the grave accent used as one
        "\u2019": "'",
        "`": "'",
    }
)
_TRAILING_ARTICLE_RE = re.compile(
    r"^(?P<body>.+?),\s*(?:"
    + "|".join(re.escape(article.casefold()) for article in ARTICLES)
    + r")(?P<rest>\s*(?:[:(].*)?)$"
)
_LEADING_ARTICLE_RE = re.compile(
    r"^(?:(?:" + "|".join(LEADING_ARTICLES) + r")\s+|l')(?=\w)"
)
# Apostrophes and full stops join their neighbours ("schindler's" and
# "schindlers", "E.T." and "ET" are one word); other punctuation separates.
_JOINING_RE = re.compile(r"['.]")
_SEPARATING_RE = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def normalize_title(text: str) -> str:
    """Return the search and order key of a title or of a query for one.

    Lower-case, accents folded, a leading article or an article moved behind
    a comma removed, punctuation dropped, whitespace collapsed. A title that
    is nothing but an article keeps it ("The" stays ``the``).
    """
    folded = _fold(text)
    match = _TRAILING_ARTICLE_RE.match(folded)
    if match is not None:
        folded = match["body"] + match["rest"]
    folded = _LEADING_ARTICLE_RE.sub("", folded, count=1)
    key = _SEPARATING_RE.sub(" ", _JOINING_RE.sub("", folded)).strip()
    return key or _SEPARATING_RE.sub(" ", _JOINING_RE.sub("", _fold(text))).strip()
