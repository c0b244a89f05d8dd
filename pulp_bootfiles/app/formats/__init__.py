"""Pure parsers for the formats we read and write, no Django.

Each module reads or writes one format and raises a ``ValueError`` subclass whose
message names the file and says where and what is wrong, so a sync task can fail
with that message as it is.
"""
