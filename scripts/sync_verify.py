#!/usr/bin/env python3
"""Copy verify() from the install script into the update script.

verify() is new in 0.6.0: the update script creates it once, and its body
must equal the install script's (test/shell/upgrade.sh compares them).
Run after changing a check: python3 scripts/sync_verify.py
"""
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent
install = root / 'sql' / 'ordermgmt.sql'
update = root / 'sql' / 'ordermgmt--0.5.0--0.6.0.sql'
start = 'CREATE FUNCTION ordermgmt.verify()'
end = '$verify$;\n'


def span(text):
    i = text.index(start)
    return i, text.index(end, i) + len(end)


src = install.read_text()
dst = update.read_text()
a, b = span(src)
c, d = span(dst)
new = dst[:c] + src[a:b] + dst[d:]
if new != dst:
    update.write_text(new)
    print('verify() copied into', update.name)
else:
    print('verify() already the same')
sys.exit(0)
