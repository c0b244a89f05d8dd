The repodata scan parses only the packages it looks for: the decompressed primary is searched
as bytes for the wanted names and only their `<package>` entries go through lxml, about six
times faster on Fedora's 70,000 packages and faster than createrepo_c's parser.
Syncs (from trees and from registries) write and hash the downloaded files in threads, and
start writing them back to disk as they grow: pulpcore's downloader did both on the event loop
and fsynced each file only once complete, so the sockets waited on the disk and the hashes.
