# Laying text out in lines of a given width. Blender's labels never wrap: a text wider than its label is cut
# ("POSE_TOO_LARGE: The…", "control_ob…_portrait.jpg"). The panels therefore split every long text themselves,
# with the width of the text as Blender will draw it (``measure``: blf in Blender, a character estimate in
# plain Python). Pure: no bpy.

#: Where a word too long for one line may break (after the character): file names, paths, code spans.
BREAK_AFTER = "_-./\\:,;"


def char_measure(char_px=7.0):
    """A measure for when the real font is unknown: ``char_px`` pixels per character. 7 px is conservative for
    Blender's 11 pt UI font at scale 1 (its widest lower-case text averages about 6 px per character)."""
    return lambda s: len(s) * char_px


def _split_long(word, width, measure):
    """Pieces of ``word``, each at most ``width`` wide: broken after the last BREAK_AFTER character that keeps a
    piece within the width; between characters only when a stretch has no such character."""
    pieces = []
    rest = word
    while rest and measure(rest) > width:
        cut = 0
        for i in range(1, len(rest)):
            if measure(rest[:i]) > width:
                break
            if rest[i - 1] in BREAK_AFTER:
                cut = i
        if cut == 0:  # nothing to break at within the width: fit as many characters as possible
            cut = 1
            while cut < len(rest) and measure(rest[:cut + 1]) <= width:
                cut += 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def wrap(text, width, measure=None):
    """``text`` as lines that each measure at most ``width`` (same unit as ``measure``, pixels in Blender).

    Breaks at spaces; a single word wider than a line (a file name) breaks after ``_ - . / \\ : , ;`` and only
    when it has none of those, between characters. Newlines in ``text`` start new lines; runs of spaces count
    as one. Always returns at least one line (``[""]`` for empty text)."""
    measure = measure or char_measure()
    width = max(float(width), measure("W"))  # at least one character per line, whatever happens
    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = (line + " " + word) if line else word
            if measure(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
                line = ""
            pieces = _split_long(word, width, measure)
            lines.extend(pieces[:-1])
            line = pieces[-1]
        lines.append(line)
    return lines
