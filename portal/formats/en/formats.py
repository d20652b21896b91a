# English pages of a Vietnamese portal keep Vietnamese dates and numbers: dd/mm/yyyy,
# day-first input, "75.000 đồng".
from portal.formats.vi.formats import *  # noqa: F403
