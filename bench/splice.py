#!/usr/bin/env python3
"""Puts a results table into a document between <!-- NAME:start --> and <!-- NAME:end -->.

    bench/splice.py NAME DOC TABLE
"""
import datetime
import os
import sys

name, out, table = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(table).read()
start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
doc = open(out).read() if os.path.exists(out) else ""
block = f"{start}\n_Run {datetime.date.today()} on {os.cpu_count()} cores._\n\n{body}\n{end}"
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(out, "w").write(doc)
