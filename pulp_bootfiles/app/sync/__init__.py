"""The sync pipeline's pieces: downloads, bootloader extraction, and the first stage."""
