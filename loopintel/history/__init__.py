"""The history layer: the only importer of pygit2; walk, diff, attribute, lineage."""
