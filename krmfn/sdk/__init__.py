"""krmfn's own small KRM function SDK: ResourceList I/O, results and object helpers."""
