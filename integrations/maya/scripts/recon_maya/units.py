# Maya's linear units and the project's metres. The daemon's mesh and maps are in metres (docs/mesh-export.md);
# Maya works in the scene's linear unit (Preferences ▸ Settings ▸ Working Units; centimetres by default), which
# `currentUnit -q -linear` reports by its short name (or its full name with -fullName). Every length the module
# gives Maya is metres × units_per_metre(unit). Pure: no maya.

#: Scene units per metre, by Maya's short name.
UNITS_PER_METRE = {
    "mm": 1000.0,
    "cm": 100.0,
    "m": 1.0,
    "km": 0.001,
    "in": 1.0 / 0.0254,
    "ft": 1.0 / 0.3048,
    "yd": 1.0 / 0.9144,
    "mi": 1.0 / 1609.344,
}

#: Maya's full names (`currentUnit -q -linear -fullName`) → short names.
FULL_NAMES = {
    "millimeter": "mm", "centimeter": "cm", "meter": "m", "kilometer": "km",
    "inch": "in", "foot": "ft", "yard": "yd", "mile": "mi",
}


def short_name(unit):
    """'cm', 'centimeter', 'Centimeters' → 'cm'. Raises ValueError for a unit Maya does not have."""
    u = str(unit or "").strip().lower()
    if u in UNITS_PER_METRE:
        return u
    if u.endswith("s") and u[:-1] in FULL_NAMES:
        u = u[:-1]
    if u in FULL_NAMES:
        return FULL_NAMES[u]
    if u in ("metre", "centimetre", "millimetre", "kilometre"):
        return FULL_NAMES[u[:-2] + "er"]
    raise ValueError("Expected a Maya linear unit (%s) but received %r" % (", ".join(UNITS_PER_METRE), unit))


def units_per_metre(unit):
    """Scene units in one metre: 100 for centimetres (Maya's default), 1 for metres, 39.37… for inches."""
    return UNITS_PER_METRE[short_name(unit)]


def to_scene(metres, unit):
    """A length, or a point (tuple), from metres to the scene's unit."""
    f = units_per_metre(unit)
    if isinstance(metres, (tuple, list)):
        return tuple(v * f for v in metres)
    return metres * f
