A re-sync whose repodata lists the same primary metadata as the repository's current tree no
longer downloads or scans it (Fedora's is about 20 MB compressed, 70,000 packages).
