# Labels that wrap. Blender draws a label in one line and cuts what does not fit ("POSE_TOO_LARGE: The…"); so
# the panels lay long text out themselves: recon_client.wrap splits it by the width Blender's UI font gives each piece
# (blf, at the label font's size and the UI scale) against the width a label has in the sidebar now (the
# region's width, so a wider sidebar gives longer lines and a narrower one more lines).
import blf

from ..recon_client.wrap import char_measure, wrap

# How much narrower than the sidebar region a label's text must be to be drawn uncut, at UI scale 1 (measured
# in Blender 3.4: labels of growing width drawn in the sidebar, the first cut one found by its "…" in a
# screenshot): the category tabs, panel margins and text padding take 53 px; an icon 24 px more; a box 12 px.
REGION_MARGIN = 53
ICON_WIDTH = 24
BOX_MARGIN = 12
#: Kept free on top of that, so a rounding difference never cuts a line.
SAFETY = 8

#: blf's default font is Blender's UI font.
FONT_ID = 0


def ui_scale(context):
    prefs = getattr(context, "preferences", None)
    scale = prefs.system.ui_scale if prefs is not None else 0.0  # 0 in background mode
    return scale or 1.0


def label_points(context):
    prefs = getattr(context, "preferences", None)
    try:
        return prefs.ui_styles[0].widget_label.points
    except (AttributeError, IndexError):
        return 11.0


def measure(context):
    """Width in pixels of a text as a label draws it (blf; a character estimate if blf cannot tell)."""
    scale = ui_scale(context)
    size = label_points(context) * scale
    fallback = char_measure(7.0 * scale)

    def width(text):
        blf.size(FONT_ID, size)  # set each time: other add-ons draw with the same font id
        w = blf.dimensions(FONT_ID, text)[0]
        return w if w > 0 or not text.strip() else fallback(text)

    return width


def text_width(context, icon=True, boxes=0):
    """Pixels a label's text may take in the sidebar region being drawn."""
    region = getattr(context, "region", None)
    width = getattr(region, "width", 0) or 300
    scale = ui_scale(context)
    return width - scale * (REGION_MARGIN + (ICON_WIDTH if icon else 0) + BOX_MARGIN * boxes + SAFETY)


def lines(context, text, icon=True, boxes=0):
    return wrap(text, text_width(context, icon, boxes), measure(context))


def wrapped(layout, context, text, icon="NONE", boxes=0, scale_y=0.8):
    """Draw ``text`` as labels of lines that fit; the first with ``icon``, the others indented as far (BLANK1).
    ``boxes``: how many boxes the layout is nested in. Returns the lines."""
    col = layout.column(align=True)
    col.scale_y = scale_y
    has_icon = icon not in (None, "NONE")
    out = lines(context, text, has_icon, boxes)
    for i, line in enumerate(out):
        col.label(text=line, icon=(icon if i == 0 else "BLANK1") if has_icon else "NONE")
    return out
