"""What the report tests share: the pattern of anything a page would load from elsewhere."""

import re

# src=, href=, url(...) or @import pointing anywhere off the page.
EXTERNAL_LOAD = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(|@import""", re.I)
