The repodata scan parses only the packages it looks for: the decompressed primary is searched
as bytes for the wanted names and only their `<package>` entries go through lxml, about six
times faster on Fedora's 70,000 packages and faster than createrepo_c's parser.
